"""What each report page shows: one documented dataclass per page (the template contract).

Templates only format these values; every number a page shows is computed here or in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .checkin_chart import MAX_CLASSES
from .patterns import DEVICE_TRAINEES, SHARED_DEVICES, TIMELINE_EVENTS, TIMELINE_TRAINEES

LOOSE_FINDINGS = 500  # institution-less findings the voucher index lists (all are counted)


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class EnterpriseRow:
    """One enterprise in the index."""

    enterprise_id: str = field(metadata=_help("Unified Social Credit Code"))
    name: str = field(metadata=_help("registered name"))
    district: str = field(metadata=_help("district, '' when not given"))
    page: str = field(metadata=_help("file name of its page under enterprises/"))
    claims: int = field(metadata=_help("claims filed"))
    payable: int = field(metadata=_help("claims found payable"))
    claimed_yuan: float = field(metadata=_help("yuan claimed"))
    verified_yuan: float = field(metadata=_help("yuan verified payable"))
    unpayable_yuan: float = field(metadata=_help("claimed minus verified: the index sorts by it"))
    block: int = field(metadata=_help("blocking findings"))
    review: int = field(metadata=_help("findings that need review"))
    info: int = field(metadata=_help("informational findings"))
    risk_rank: int = field(
        default=0, metadata=_help("rank by risk score (1 = look first); 0 when not ranked")
    )
    risk_score: float = field(default=0.0, metadata=_help("risk score: the index sorts by it"))
    flagged_claims: int = field(
        default=0, metadata=_help("claims with at least one authenticity signal")
    )
    amount_at_stake: float = field(
        default=0.0, metadata=_help("verified yuan of the flagged claims")
    )


@dataclass(frozen=True)
class RuleCount:
    """How often one rule fired."""

    rule_id: str = field(metadata=_help("rule ID"))
    severity: str = field(metadata=_help("block | review | info"))
    summary: str = field(metadata=_help("what the rule checks, in Chinese"))
    findings: int = field(metadata=_help("findings of this rule"))


@dataclass(frozen=True)
class FindingView:
    """One finding on an enterprise page."""

    rule_id: str = field(metadata=_help("rule ID"))
    severity: str = field(metadata=_help("block | review | info"))
    project_id: str = field(metadata=_help("project, '' for enterprise-level findings"))
    person_id: str = field(metadata=_help("trainee's ID number, whole: templates mask it"))
    person_name: str = field(metadata=_help("trainee's name from the roster, '' if unknown"))
    message: str = field(
        metadata=_help("the finding in Chinese, with its figures; IDs and phones in it masked")
    )
    evidence: str = field(
        metadata=_help("the facts behind it, pretty-printed JSON; IDs and phones in it masked")
    )


@dataclass(frozen=True)
class TraineeRow:
    """One claim on an enterprise page."""

    person_id: str = field(metadata=_help("ID number, whole: templates mask it"))
    name: str = field(metadata=_help("name from the roster"))
    phone: str = field(metadata=_help("phone from the roster, whole: templates mask it"))
    project_id: str = field(metadata=_help("project claimed"))
    credited_minutes: float = field(metadata=_help("credited study minutes"))
    payable: bool = field(metadata=_help("whether the claim is payable"))
    blocking_rules: str = field(metadata=_help("rules that block it, comma-separated"))
    verified_yuan: float = field(metadata=_help("verified amount"))
    platform_minutes: float | None = field(
        default=None,
        metadata=_help(
            "with raw events (the tie-out): study minutes the platform's records credit"
        ),
    )
    raw_minutes: float | None = field(
        default=None,
        metadata=_help(
            "with raw events (the tie-out): study minutes the raw events support; "
            "credited_minutes is the lower of the two"
        ),
    )


@dataclass(frozen=True)
class RiskTerm:
    """One term of an enterprise's risk score (checks/risk.toml)."""

    name: str = field(metadata=_help("the term's name in checks/risk.toml"))
    label: str = field(metadata=_help("what it measures, in Chinese"))
    formula: str = field(metadata=_help("its formula over the enterprise's figures"))
    points: float = field(
        metadata=_help("its points, rounded to 2 decimals; they sum to the score")
    )


@dataclass(frozen=True)
class SignalCount:
    """How many of an enterprise's trainees one authenticity signal flagged."""

    rule_id: str = field(metadata=_help("signal (rule) ID"))
    summary: str = field(metadata=_help("what the signal looks for, in Chinese"))
    trainees: int = field(metadata=_help("distinct trainees it flagged"))


@dataclass(frozen=True)
class RiskView:
    """An enterprise's risk score and its breakdown, for its page."""

    rank: int = field(metadata=_help("rank by risk score among all enterprises; 0 if unranked"))
    of: int = field(metadata=_help("enterprises ranked"))
    score: float = field(metadata=_help("the score: the sum of the terms' points"))
    flagged_trainees: int = field(metadata=_help("distinct trainees flagged by any signal"))
    terms: list[RiskTerm] = field(metadata=_help("the score's terms, in checks/risk.toml order"))
    signals: list[SignalCount] = field(metadata=_help("signals that fired, by rule ID"))


NO_RISK = RiskView(0, 0, 0.0, 0, [], [])


@dataclass(frozen=True)
class SignalGroup:
    """One authenticity rule's findings at an enterprise."""

    rule_id: str = field(metadata=_help("rule ID"))
    summary: str = field(metadata=_help("what the rule looks for, in Chinese"))
    trainees: int = field(metadata=_help("trainees it flagged"))
    findings: list[FindingView] = field(metadata=_help("its findings, with their evidence"))


@dataclass(frozen=True)
class IndexContext:
    """The index page: every enterprise, where to look first."""

    documented_template = "index.html.j2"
    policy_title: str = field(metadata=_help("the policy's title"))
    policy_id: str = field(metadata=_help("the policy profile's name"))
    enterprises: list[EnterpriseRow] = field(
        metadata=_help("highest risk score first, then largest unpayable amount")
    )
    rules: list[RuleCount] = field(metadata=_help("rules that fired, most findings first"))
    claims: int = field(metadata=_help("claims in the export"))
    payable: int = field(metadata=_help("payable claims"))
    claimed_yuan: float = field(metadata=_help("yuan claimed in all"))
    verified_yuan: float = field(metadata=_help("yuan verified in all"))
    gap_chart_svg: str = field(metadata=_help("inline SVG: claimed vs verified, top enterprises"))
    rules_chart_svg: str = field(metadata=_help("inline SVG: findings by rule"))


@dataclass(frozen=True)
class EnterpriseContext:
    """One enterprise's page: its claims, findings and evidence."""

    documented_template = "enterprise.html.j2"
    policy_title: str = field(metadata=_help("the policy's title"))
    enterprise: EnterpriseRow = field(metadata=_help("the enterprise's summary row"))
    findings: list[FindingView] = field(
        metadata=_help(
            "compliance findings (authenticity ones are in `signals`): blocking first, "
            "then by project, person"
        )
    )
    trainees: list[TraineeRow] = field(metadata=_help("one row per claim, by project and person"))
    min_study_minutes: int = field(metadata=_help("the policy's minimum credited study time"))
    study_chart_svg: str = field(metadata=_help("inline SVG: credited study time histogram"))
    risk: RiskView = field(
        default=NO_RISK, metadata=_help("risk score, rank and breakdown (template _risk.html.j2)")
    )
    signals: list[SignalGroup] = field(
        default_factory=list,
        metadata=_help("findings of authenticity rules, one group per rule, by rule ID"),
    )
    heatmap_svg: str = field(
        default="",
        metadata=_help(
            "inline SVG: minutes of study of all its claims by weekday x hour; '' without study"
        ),
    )
    heatmap_peak_minutes: float = field(
        default=0.0, metadata=_help("minutes of study in the busiest weekday x hour cell")
    )
    flagged_trainees: int = field(
        default=0, metadata=_help("trainees with a finding of an authenticity rule")
    )
    timeline_svg: str = field(
        default="",
        metadata=_help(
            "inline SVG: one row per flagged trainee (sessions as bars, sign-ins and exam "
            "submissions as ticks); '' when none has a dated record"
        ),
    )
    timeline_trainees: int = field(
        default=0,
        metadata=_help(f"flagged trainees drawn in the timeline (at most {TIMELINE_TRAINEES})"),
    )
    timeline_capped: bool = field(
        default=False,
        metadata=_help(
            f"some trainee has more records than a row draws ({TIMELINE_EVENTS:,}): "
            "the latest are left out"
        ),
    )
    shared_devices: int = field(
        default=0,
        metadata=_help(
            "devices used by 2+ of its trainees (blank device IDs never count); "
            "counted only where a trainee is flagged"
        ),
    )
    devices_svg: str = field(
        default="",
        metadata=_help("inline SVG: shared devices linked to the trainees who used them"),
    )
    devices_shown: int = field(
        default=0, metadata=_help(f"devices drawn, most trainees first (at most {SHARED_DEVICES})")
    )
    device_trainees_hidden: int = field(
        default=0,
        metadata=_help(
            f"trainees of the drawn devices left out (at most {DEVICE_TRAINEES} are drawn)"
        ),
    )
    tie_out: bool = field(
        default=False,
        metadata=_help(
            "the audit derived study sessions from raw events beside the platform's: "
            "the trainee table shows both figures"
        ),
    )


# --- the training-voucher programme's pages (auditor/report/institutions.py) ---


@dataclass(frozen=True)
class InstitutionRow:
    """One training institution in the voucher index."""

    institution_id: str = field(metadata=_help("Unified Social Credit Code, as exported"))
    name: str = field(metadata=_help("registered name, '' when not in the institutions table"))
    district: str = field(metadata=_help("district, '' when not given"))
    page: str = field(metadata=_help("file name of its page under institutions/"))
    payments: int = field(metadata=_help("subsidy payments made for its classes"))
    payable: int = field(metadata=_help("payments found payable"))
    paid_yuan: float = field(metadata=_help("yuan paid"))
    verified_yuan: float = field(metadata=_help("yuan verified payable"))
    unverified_yuan: float = field(metadata=_help("paid minus verified: the index sorts by it"))
    block: int = field(metadata=_help("blocking findings"))
    review: int = field(metadata=_help("findings that need review"))
    info: int = field(metadata=_help("informational findings"))


@dataclass(frozen=True)
class ClassRow:
    """One class (培训班) on an institution's page."""

    class_id: str = field(metadata=_help("class identifier"))
    known: bool = field(
        metadata=_help(
            "the class is in the classes table (else only payments or check-ins name it)"
        )
    )
    course_id: str = field(metadata=_help("training project or course, '' when unknown"))
    start_date: str = field(metadata=_help("first day, YYYY-MM-DD, '' when unknown"))
    end_date: str = field(metadata=_help("last day, YYYY-MM-DD, '' when unknown"))
    feedback_at: str = field(metadata=_help("when the class-opening feedback was filed, '' if not"))
    site_radius_m: int | None = field(metadata=_help("radius of the check-in area, metres"))
    site: str = field(
        metadata=_help("the training site as 'latitude, longitude', 6 decimals; '' when unknown")
    )
    coord_system: str = field(metadata=_help("datum of the site's coordinates: wgs84, gcj02, bd09"))
    standard_yuan: float | None = field(metadata=_help("subsidy standard per trainee, yuan"))
    payments: int = field(metadata=_help("payments for the class"))
    payable: int = field(metadata=_help("payments found payable"))
    paid_yuan: float = field(metadata=_help("yuan paid"))
    verified_yuan: float = field(metadata=_help("yuan verified payable"))
    checkins: int = field(metadata=_help("check-ins recorded"))
    off_site: int = field(metadata=_help("check-ins farther from the site than its radius"))


@dataclass(frozen=True)
class PaymentRow:
    """One subsidy payment on an institution's page."""

    payment_id: str = field(metadata=_help("payment identifier"))
    class_id: str = field(metadata=_help("class paid for"))
    person_id: str = field(metadata=_help("trainee's ID number, whole: templates mask it"))
    paid_yuan: float = field(metadata=_help("yuan paid"))
    payable: bool = field(metadata=_help("whether the payment is payable"))
    verified_yuan: float = field(metadata=_help("yuan verified payable (0 when blocked)"))
    blocking_rules: str = field(metadata=_help("rules that block it, comma-separated"))


@dataclass(frozen=True)
class VoucherFindingView:
    """One finding of the voucher programme, on an institution's page or the index."""

    rule_id: str = field(metadata=_help("rule ID"))
    severity: str = field(metadata=_help("block | review | info"))
    institution_id: str = field(metadata=_help("institution, '' for institution-less findings"))
    class_id: str = field(metadata=_help("class, '' when the finding has none"))
    person_id: str = field(metadata=_help("trainee's ID number, whole: templates mask it"))
    payment_id: str = field(metadata=_help("payment, '' when the finding has none"))
    message: str = field(
        metadata=_help("the finding in Chinese, with its figures; IDs and phones in it masked")
    )
    evidence: str = field(
        metadata=_help("the facts behind it, pretty-printed JSON; IDs and phones in it masked")
    )


@dataclass(frozen=True)
class VoucherIndexContext:
    """The voucher index: every institution, the largest unverified amount first."""

    documented_template = "voucher/index.html.j2"
    policy_title: str = field(metadata=_help("the policy's title"))
    policy_id: str = field(metadata=_help("the policy profile's name"))
    institutions: list[InstitutionRow] = field(
        metadata=_help("largest paid-minus-verified amount first, then most blocking findings")
    )
    rules: list[RuleCount] = field(metadata=_help("rules that fired, most findings first"))
    payments: int = field(metadata=_help("payments in the export (institution-less ones too)"))
    payable: int = field(metadata=_help("payable payments"))
    paid_yuan: float = field(metadata=_help("yuan paid in all"))
    verified_yuan: float = field(metadata=_help("yuan verified in all"))
    loose_payments: int = field(metadata=_help("payments that name no institution"))
    loose_paid_yuan: float = field(metadata=_help("yuan paid by them"))
    loose_verified_yuan: float = field(metadata=_help("yuan of them verified payable"))
    loose_findings: list[VoucherFindingView] = field(
        metadata=_help(
            f"findings that name no institution, blocking first (at most {LOOSE_FINDINGS})"
        )
    )
    loose_findings_total: int = field(metadata=_help("findings that name no institution"))
    rules_chart_svg: str = field(metadata=_help("inline SVG: findings by rule"))


@dataclass(frozen=True)
class InstitutionContext:
    """One institution's page: its classes, payments, findings and check-in distances."""

    documented_template = "voucher/institution.html.j2"
    policy_title: str = field(metadata=_help("the policy's title"))
    institution: InstitutionRow = field(metadata=_help("the institution's summary row"))
    classes: list[ClassRow] = field(metadata=_help("its classes, by class ID"))
    payments: list[PaymentRow] = field(metadata=_help("its payments, by class, person, payment"))
    findings: list[VoucherFindingView] = field(
        metadata=_help("its findings: blocking first, then by class, person, payment, rule")
    )
    checkins: int = field(metadata=_help("check-ins in its classes with a known distance"))
    off_site: int = field(metadata=_help("of them, farther from the site than its radius"))
    checkin_chart_svg: str = field(
        metadata=_help(
            "inline SVG: one row per class, each check-in a dot at its distance from the site "
            "(log scale), the class's radius a bar, off-site dots red; '' without check-ins"
        )
    )
    chart_classes_hidden: int = field(
        metadata=_help(
            f"classes left out of the chart: it draws at most {MAX_CLASSES}, "
            "those with the most off-site check-ins first"
        )
    )


PAGES = {
    "index": IndexContext,
    "enterprise": EnterpriseContext,
    "voucher_index": VoucherIndexContext,
    "institution": InstitutionContext,
}
ROWS = (
    EnterpriseRow,
    RuleCount,
    FindingView,
    TraineeRow,
    RiskView,
    RiskTerm,
    SignalCount,
    SignalGroup,
    InstitutionRow,
    ClassRow,
    PaymentRow,
    VoucherFindingView,
)


def field_help(cls: type) -> dict[str, str]:
    """Each field's help text, for the docs and the contract test."""
    return {f.name: f.metadata.get("help", "") for f in fields(cls)}
