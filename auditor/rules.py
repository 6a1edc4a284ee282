"""Rules as data: one TOML file per rule, the file stem being the rule ID.

Each programme has its own rules folder (its contract's `rules`: checks/rules/ for
online-subsidy, checks/programmes/<name>/rules/ by default); a rule applies only to profiles of
its programme. Rule IDs are unique across programmes (one tests/rules/<ID>.toml each).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .contract import DEFAULT_PROGRAMME, list_programmes, load_contract
from .errors import PolicyError, RuleError
from .policy import Policy
from .resources import read_toml

SEVERITIES = ("block", "review", "info")
# compliance: the policy's conditions; authenticity: signs that complete records were faked
CATEGORIES = ("compliance", "authenticity")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]+$")
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Rule:
    """One rule: which fact column it judges, how, how badly, and what to tell the user."""

    id: str
    severity: str
    table: str
    summary: str
    message: str
    evidence: tuple[str, ...]
    expectation_type: str
    expectation_kwargs: dict[str, Any] = field(compare=False)
    when: str | None = None
    source: str = ""
    category: str = "compliance"
    meaning: str = ""  # what a finding means, for docs/rules.md
    innocent: str = ""  # known innocent explanations
    verify: str = ""  # how to confirm or refute it by phone or on site
    questions: tuple[str, ...] = ()  # call-back questions, in Chinese
    evidence_optional: tuple[str, ...] = ()  # evidence shown only when not NULL
    programme: str = DEFAULT_PROGRAMME  # the programme whose rules folder holds it
    shared_with: tuple[str, ...] = ()  # programmes whose contract's shared_rules name it

    @property
    def column(self) -> str:
        """The fact column the expectation judges."""
        return str(self.expectation_kwargs["column"])

    @property
    def placeholders(self) -> list[str]:
        """Names the message fills in, in order."""
        return PLACEHOLDER.findall(self.message)

    def applies_to(self, policy: Policy) -> bool:
        """Whether the policy is of this rule's programme and switches it on (`when`)."""
        if policy.programme != self.programme and policy.programme not in self.shared_with:
            return False
        return self.when is None or policy.is_set(self.when)

    def parameters(self) -> list[str]:
        """The `$PARAMETER` names its expectation uses."""
        return [
            v["$PARAMETER"]
            for v in self.expectation_kwargs.values()
            if isinstance(v, dict) and "$PARAMETER" in v
        ]


def rules_dir(programme: str = DEFAULT_PROGRAMME) -> Path:
    """The programme's rules folder (online-subsidy: checks/rules/)."""
    folder = load_contract(programme).rules_dir
    assert folder is not None  # a loaded contract always has one
    return folder


def load_rules(folder: Path | None = None, programme: str = DEFAULT_PROGRAMME) -> list[Rule]:
    """The programme's rules (or those in `folder`), sorted by ID."""
    folder = folder or rules_dir(programme)
    return [replace(load_rule(p), programme=programme) for p in sorted(folder.glob("*.toml"))]


def all_rules() -> list[Rule]:
    """Every programme's rules, by programme then ID, each once (with the programmes it is
    shared with); an ID used twice is refused."""
    found: dict[str, Rule] = {}
    for programme in list_programmes():
        for rule in load_rules(programme=programme):
            if rule.id in found:
                raise RuleError(
                    f"rule {rule.id} is in both {found[rule.id].programme} and {programme}"
                )
            found[rule.id] = rule
    for programme in list_programmes():
        for rule in _shared(programme, found):
            found[rule.id] = replace(rule, shared_with=(*found[rule.id].shared_with, programme))
    return list(found.values())


def _shared(programme: str, rules: dict[str, Rule]) -> list[Rule]:
    """The other programmes' rules that `programme`'s contract lists in shared_rules."""
    names = load_contract(programme).shared_rules
    if unknown := sorted(n for n in names if n not in rules or rules[n].programme == programme):
        raise RuleError(
            f"programme {programme}: shared_rules {unknown} are not rules of another programme"
        )
    return [rules[n] for n in names]


def programme_rules(programme: str) -> list[Rule]:
    """A programme's own rules and those it shares (in its contract's wording), by ID."""
    contract = load_contract(programme)
    if not contract.shared_rules:
        return load_rules(programme=programme)
    every = {r.id: r for r in all_rules()}
    return sorted(
        (
            replace(r, **dict[str, Any](contract.shared_wording.get(r.id, {})))
            for r in every.values()
            if programme in (r.programme, *r.shared_with)
        ),
        key=lambda r: r.id,
    )


def load_rule(path: Path) -> Rule:
    """Read and validate one rule file."""
    rule_id = path.stem
    where = f"rule file {path.name}"
    if not RULE_ID.match(rule_id):
        raise RuleError(f"{where}: the file stem must be a SCREAMING_SNAKE rule ID")
    data = read_toml(path, RuleError, where)
    allowed = {
        "severity",
        "table",
        "summary",
        "message",
        "evidence",
        "when",
        "source",
        "expectation",
        "category",
        "meaning",
        "innocent",
        "verify",
        "questions",
        "evidence_optional",
    }
    if extra := sorted(set(data) - allowed):
        raise RuleError(f"{where}: unknown keys {extra}")
    for key in ("severity", "table", "summary", "message"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise RuleError(f"{where}: `{key}` (text) is required")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{where}: severity must be one of {SEVERITIES}")
    if data.get("category", "compliance") not in CATEGORIES:
        raise RuleError(f"{where}: category must be one of {CATEGORIES}")
    for key in ("meaning", "innocent", "verify"):
        if not isinstance(data.get(key, ""), str):
            raise RuleError(f"{where}: `{key}` must be text")
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not all(isinstance(q, str) and q for q in questions):
        raise RuleError(f"{where}: `questions` must be a list of texts")
    optional = data.get("evidence_optional", [])
    if not isinstance(optional, list) or not all(isinstance(n, str) and n for n in optional):
        raise RuleError(f"{where}: `evidence_optional` must be a list of column names")
    exp = data.get("expectation")
    if (
        not isinstance(exp, dict)
        or not isinstance(exp.get("type"), str)
        or not isinstance(exp.get("kwargs"), dict)
        or "column" not in exp["kwargs"]
    ):
        raise RuleError(f"{where}: [expectation] needs `type` and `kwargs` with a `column`")
    return Rule(
        id=rule_id,
        severity=data["severity"],
        table=data["table"],
        summary=data["summary"],
        message=data["message"],
        evidence=tuple(data.get("evidence", ())),
        expectation_type=exp["type"],
        expectation_kwargs=dict(exp["kwargs"]),
        when=data.get("when"),
        source=data.get("source", ""),
        category=data.get("category", "compliance"),
        meaning=data.get("meaning", ""),
        innocent=data.get("innocent", ""),
        verify=data.get("verify", ""),
        questions=tuple(questions),
        evidence_optional=tuple(data.get("evidence_optional", ())),
    )


def rules_for(policy: Policy, rules: list[Rule] | None = None) -> list[Rule]:
    """The rules a policy applies (its programme's), with the severities `[severity]` sets."""
    rules = programme_rules(policy.programme) if rules is None else rules
    known = {r.id for r in rules}
    if unknown := sorted(set(policy.severity) - known):
        raise PolicyError(f"policy {policy.id}: [severity] names unknown rules {unknown}")
    return [
        replace(r, severity=policy.severity.get(r.id, r.severity))
        for r in rules
        if r.applies_to(policy)
    ]
