"""Render the HTML reports: one Jinja environment, the masking filters, the page files.

Reports are shareable, so ID numbers and phones are masked here and nowhere else; every value is
autoescaped (Q&A text and names are typed by trainees and enterprises). Pages are
byte-identical across runs: no clock, and every list has a total order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from ..policy import Policy
from ..privacy import ID_IN_TEXT, PHONE_IN_TEXT, mask, parse_mask
from ..resources import reports_dir
from . import patterns
from .charts import BINS, bin_edges_minutes, gap_chart, histogram_frame, rules_chart
from .context import (
    EnterpriseContext,
    EnterpriseRow,
    FindingView,
    IndexContext,
    RiskTerm,
    RiskView,
    RuleCount,
    SignalCount,
    SignalGroup,
    TraineeRow,
)
from .pages import PageWriter, fields_of, write_page
from .pattern_charts import devices_chart, heatmap_frame, timeline_chart
from .patterns import AUTHENTICITY, DEVICE_TRAINEES, EnterprisePatterns

SAFE_NAME = re.compile(r"[^0-9A-Za-z_-]")
GAP_CHART_ENTERPRISES = 30
MAX_NAME_CHARS = 80  # file names stay far below the usual 255-byte limit
PAGE_BATCH = 1000  # enterprises whose rows are held in memory at once


# Findings per rule, most first, with the rule's summary: every programme's index shows them.
RULE_COUNTS_SQL = """
SELECT f.rule_id, min(f.severity), coalesce(min(c.summary), ''), count(*)
FROM findings f LEFT JOIN rule_catalogue c ON c.rule_id = f.rule_id
GROUP BY f.rule_id ORDER BY count(*) DESC, f.rule_id
"""


def page_name(enterprise_id: str) -> str:
    """A file name for an enterprise page that cannot leave enterprises/.

    Characters outside [0-9A-Za-z_-] become `_`; a changed or over-long ID gets a hash of the
    original, so `a/b` and `a_b` stay apart. `page_names` settles the remaining collisions.
    """
    safe = SAFE_NAME.sub("_", enterprise_id) or "_"
    if safe != enterprise_id or len(safe) > MAX_NAME_CHARS:
        safe = safe[:MAX_NAME_CHARS] + "-" + _digest(enterprise_id, 10)
    return f"{safe}.html"


def page_names(enterprise_ids: Iterable[str]) -> dict[str, str]:
    """Each enterprise's page name, distinct even on a case-insensitive file system.

    A name already taken (case-insensitively) gets a numbered suffix; IDs are visited in sorted
    order, so the same set of IDs always gives the same names.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for enterprise_id in sorted(set(enterprise_ids)):
        name = page_name(enterprise_id)
        stem, n = name.removesuffix(".html"), 1
        while name.casefold() in taken:
            n += 1
            name = f"{stem}-{n}.html"
        taken.add(name.casefold())
        names[enterprise_id] = name
    return names


def _digest(text: str, chars: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:chars]


def environment(id_mask: str = "6*4", templates_dir: Path | None = None) -> jinja2.Environment:
    """The one Jinja environment: autoescape, StrictUndefined, the report filters.

    Filters: `mask_id` (the `id_mask` pattern), `mask_phone` (3 + 4), `yuan` (2 decimals,
    thousands separators), `hours` (minutes as hours, rounded down), `thousands` (a count with separators).
    """
    head, tail = parse_mask(id_mask)
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders.append(jinja2.FileSystemLoader(str(reports_dir() / "templates")))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mask_id"] = lambda v: mask(v, head, tail)
    env.filters["mask_phone"] = lambda v: mask(v, 3, 4)
    env.filters["yuan"] = lambda v: f"{float(v):,.2f}"
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.filters["hours"] = hours
    env.globals["css"] = (reports_dir() / "static" / "report.css").read_text(encoding="utf-8")
    return env


ENTERPRISES_SQL = """
WITH s AS (
    SELECT enterprise_id, count(*) AS claims, count(*) FILTER (WHERE payable) AS payable,
           sum(claimed_amount) AS claimed, sum(verified_amount) AS verified
    FROM subsidy GROUP BY enterprise_id
),
f AS (
    SELECT enterprise_id,
           count(*) FILTER (WHERE severity = 'block') AS block,
           count(*) FILTER (WHERE severity = 'review') AS review,
           count(*) FILTER (WHERE severity = 'info') AS info
    FROM findings WHERE enterprise_id IS NOT NULL GROUP BY enterprise_id
),
ids AS (SELECT enterprise_id FROM enterprises UNION SELECT enterprise_id FROM s
        UNION SELECT enterprise_id FROM f)
SELECT ids.enterprise_id, coalesce(e.name, ''), coalesce(e.district, ''),
       coalesce(s.claims, 0), coalesce(s.payable, 0), coalesce(s.claimed, 0),
       coalesce(s.verified, 0), coalesce(s.claimed, 0) - coalesce(s.verified, 0) AS unpayable,
       coalesce(f.block, 0) AS block, coalesce(f.review, 0), coalesce(f.info, 0),
       {risk_columns}
FROM ids
LEFT JOIN (SELECT enterprise_id, min(name) AS name, min(district) AS district
           FROM enterprises GROUP BY enterprise_id) e ON e.enterprise_id = ids.enterprise_id
LEFT JOIN s ON s.enterprise_id = ids.enterprise_id
LEFT JOIN f ON f.enterprise_id = ids.enterprise_id
{risk_join}
WHERE ids.enterprise_id IS NOT NULL
ORDER BY {risk_order} unpayable DESC, block DESC, ids.enterprise_id
"""
# With the risk ranking (auditor/risk.py), the index sorts by score first, then as before.
RISK_PARTS = {
    "risk_columns": "coalesce(r.rank, 0), coalesce(r.score, 0), coalesce(r.flagged_claims, 0), "
    "coalesce(r.amount_at_stake, 0), coalesce(r.flagged_trainees, 0)",
    "risk_join": "LEFT JOIN risk r ON r.enterprise_id = ids.enterprise_id",
    "risk_order": "coalesce(r.score, 0) DESC, r.rank NULLS LAST,",
}
# NOTE: tables built without the risk step (report tests, benchmarks/report_bench.py) rank
# nothing: every score is 0 and the order is the unpayable amount's.
NO_RISK_PARTS = {"risk_columns": "0, 0, 0, 0, 0", "risk_join": "", "risk_order": ""}


# The per-page queries read only the enterprises in $ids (one batch of pages at a time), so
# memory holds PAGE_BATCH enterprises' rows, not every claim of the run.
IN_BATCH = "IN (SELECT unnest($ids))"

RISK_TERMS_SQL = f"""
SELECT enterprise_id, term, label, formula, points FROM risk_terms
WHERE enterprise_id {IN_BATCH} ORDER BY enterprise_id, term_order
"""

SIGNALS_SQL = f"""
SELECT s.enterprise_id, s.rule_id, coalesce(min(c.summary), ''), count(DISTINCT s.person_id)
FROM (SELECT enterprise_id, person_id, unnest(signals) AS rule_id FROM claim_flags
      WHERE enterprise_id {IN_BATCH}) s
LEFT JOIN rule_catalogue c ON c.rule_id = s.rule_id
GROUP BY s.enterprise_id, s.rule_id ORDER BY s.enterprise_id, s.rule_id
"""

NAMES_SQL = f"""
SELECT enterprise_id, person_id, min(name) AS name, min(phone) AS phone
FROM trainees WHERE enterprise_id {IN_BATCH} GROUP BY enterprise_id, person_id
"""

FINDINGS_SQL = f"""
SELECT f.enterprise_id, f.rule_id, f.severity, coalesce(f.project_id, ''),
       coalesce(f.person_id, ''), coalesce(n.name, ''), coalesce(f.message, ''),
       coalesce(f.evidence, '')
FROM findings f
LEFT JOIN ({NAMES_SQL}) n ON n.enterprise_id = f.enterprise_id AND n.person_id = f.person_id
WHERE f.enterprise_id {IN_BATCH}
ORDER BY f.enterprise_id,
         CASE f.severity WHEN 'block' THEN 0 WHEN 'review' THEN 1 ELSE 2 END,
         f.project_id NULLS FIRST, f.person_id NULLS FIRST, f.rule_id, f.finding_id,
         f.message, f.evidence
"""

# One row per claim; the histogram counts exactly these rows (a claim without facts is 0 min).
CLAIMS_FROM = """
FROM subsidy s
LEFT JOIN claim_facts c ON c.project_id = s.project_id AND c.person_id = s.person_id
"""

TRAINEES_SQL = f"""
SELECT s.enterprise_id, s.person_id, coalesce(n.name, ''), coalesce(n.phone, ''), s.project_id,
       coalesce(c.credited_minutes, 0) AS minutes, coalesce(s.payable, false) AS payable,
       coalesce(s.blocking_rules, '') AS blocking, coalesce(s.verified_amount, 0) AS verified,
       $tie_out_columns
{CLAIMS_FROM}
LEFT JOIN ({NAMES_SQL}) n ON n.enterprise_id = s.enterprise_id AND n.person_id = s.person_id
WHERE s.enterprise_id {IN_BATCH}
ORDER BY s.enterprise_id, s.project_id, s.person_id, payable DESC, verified DESC, blocking, minutes
"""

# Bin i holds [i * step, (i + 1) * step); the last bin (BINS) everything from twice the minimum.
HISTOGRAM_SQL = f"""
SELECT s.enterprise_id,
       CAST(least(greatest(floor(coalesce(c.credited_minutes, 0) / $step), 0), $bins) AS INTEGER),
       count(*)
{CLAIMS_FROM}
WHERE s.enterprise_id {IN_BATCH}
GROUP BY ALL ORDER BY 1, 2
"""


def grouped_rows(cursor: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """A batch's rows by their first column (the organisation a page is about), fetched in chunks."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    while batch := cursor.fetchmany(50_000):
        for row in batch:
            out.setdefault(row[0], []).append(row[1:])
    return out


def render_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    policy: Policy,
    *,
    id_mask: str = "6*4",
    templates_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write out_dir/index.html and out_dir/enterprises/<page>.html; returns pages written."""
    env = environment(id_mask, templates_dir)
    head_tail = parse_mask(id_mask)
    min_minutes = int(policy.parameters["min_study_minutes"])
    has_risk = _has_tables(con, "risk", "risk_terms", "claim_flags")
    summaries = con.execute(
        ENTERPRISES_SQL.format(**(RISK_PARTS if has_risk else NO_RISK_PARTS))
    ).fetchall()
    names = page_names(r[0] for r in summaries)
    rows = [
        EnterpriseRow(
            enterprise_id=r[0],
            name=r[1],
            district=r[2],
            page=names[r[0]],
            claims=r[3],
            payable=r[4],
            claimed_yuan=float(r[5]),
            verified_yuan=float(r[6]),
            unpayable_yuan=float(r[7]),
            block=r[8],
            review=r[9],
            info=r[10],
            risk_rank=int(r[11]),
            risk_score=float(r[12]),
            flagged_claims=int(r[13]),
            amount_at_stake=float(r[14]),
        )
        for r in summaries
    ]
    rule_counts = [RuleCount(*r) for r in con.execute(RULE_COUNTS_SQL).fetchall()]
    # NOTE: totals over every claim, including claims of projects no enterprise filed
    totals = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE payable), coalesce(sum(claimed_amount), 0), "
        "coalesce(sum(verified_amount), 0) FROM subsidy"
    ).fetchall()[0]
    gap = [e for e in rows if e.unpayable_yuan > 0][:GAP_CHART_ENTERPRISES]  # rows: largest first
    index = IndexContext(
        policy_title=policy.title,
        policy_id=policy.id,
        enterprises=rows,
        rules=rule_counts,
        claims=int(totals[0]),
        payable=int(totals[1]),
        claimed_yuan=float(totals[2]),
        verified_yuan=float(totals[3]),
        gap_chart_svg=gap_chart(
            [e.name or e.enterprise_id for e in gap],
            [e.claimed_yuan for e in gap],
            [e.verified_yuan for e in gap],
        ),
        rules_chart_svg=rules_chart(
            [r.rule_id for r in rule_counts], [r.findings for r in rule_counts]
        ),
    )
    ranked = sum(1 for e in rows if e.risk_rank)
    flagged_trainees = {r[0]: int(r[15]) for r in summaries}
    # the tie-out gives every claim both figures (docs/adapters.md); the claim_facts of an
    # audit made before it lacks their columns
    tie_out_columns = _has_columns(con, "claim_facts", "platform_minutes", "raw_minutes")
    tie_out = tie_out_columns and _any_row(
        con, "SELECT count(*) FROM claim_facts WHERE raw_minutes IS NOT NULL"
    )
    trainees_sql = TRAINEES_SQL.replace(
        "$tie_out_columns",
        "c.platform_minutes, c.raw_minutes" if tie_out_columns else "NULL, NULL",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_page(out_dir / "index.html", env.get_template("index.html.j2").render(**fields_of(index)))
    pages = out_dir / "enterprises"
    pages.mkdir(exist_ok=True)
    frame = histogram_frame(min_minutes)
    heat_frame = heatmap_frame()
    authenticity = {
        r[0]
        for r in con.execute(
            "SELECT rule_id FROM rule_catalogue WHERE category = ?", [AUTHENTICITY]
        ).fetchall()
    }
    rule_summaries = {r.rule_id: r.summary for r in rule_counts}
    patterns.prepare(con)  # every enterprise's activity patterns, read once
    step_minutes = bin_edges_minutes(min_minutes)[1]
    # NOTE: pages are written in enterprise_id order, a batch at a time, so that only one
    # batch's findings and claims are in memory (500,000 claims would take ~300 MB at once).
    by_id = sorted(rows, key=lambda e: e.enterprise_id)
    with PageWriter(
        env, "enterprise.html.j2", len(by_id), id_mask=id_mask, templates_dir=templates_dir
    ) as writer:
        written = 0

        def _announce(chunks: Iterator[int], done: int) -> int:
            for n in chunks:
                done += n
                if progress and (done // 500 > (done - n) // 500 or done == len(by_id)):
                    progress(done, len(rows))
            return done

        for start in range(0, len(by_id), PAGE_BATCH):
            in_flight = writer.queued  # the previous batch's chunks, still rendering
            batch = by_id[start : start + PAGE_BATCH]
            ids = {"ids": [e.enterprise_id for e in batch]}
            findings = grouped_rows(con.execute(FINDINGS_SQL, ids))
            trainees = grouped_rows(con.execute(trainees_sql, ids))
            bins = grouped_rows(
                con.execute(HISTOGRAM_SQL, {**ids, "step": step_minutes, "bins": BINS})
            )
            terms = grouped_rows(con.execute(RISK_TERMS_SQL, ids)) if has_risk else {}
            signals = grouped_rows(con.execute(SIGNALS_SQL, ids)) if has_risk else {}
            activity = patterns.fetch(con, ids["ids"])
            heat = heat_frame.render_batch(con, ids["ids"])
            for row in batch:
                hide = functools.partial(
                    mask_free_text, id_mask=head_tail, keep=frozenset({row.enterprise_id})
                )
                counts = [0] * (BINS + 1)
                for b, n in bins.get(row.enterprise_id, []):
                    counts[b] = n
                views = [
                    FindingView(
                        f[0], f[1], f[2], f[3], f[4], hide(f[5]), hide(pretty_evidence(f[6]))
                    )
                    for f in findings.get(row.enterprise_id, [])
                ]
                context = EnterpriseContext(
                    policy_title=policy.title,
                    enterprise=row,
                    findings=[v for v in views if v.rule_id not in authenticity],
                    trainees=[
                        TraineeRow(
                            t[0],
                            t[1],
                            t[2],
                            t[3],
                            float(t[4]),
                            t[5],
                            t[6],
                            float(t[7]),
                            *(None if v is None else float(v) for v in t[8:10]),
                        )
                        for t in trainees.get(row.enterprise_id, [])
                    ],
                    tie_out=tie_out,
                    min_study_minutes=min_minutes,
                    study_chart_svg=frame.render(counts),
                    risk=RiskView(
                        rank=row.risk_rank,
                        of=ranked,
                        score=row.risk_score,
                        flagged_trainees=flagged_trainees[row.enterprise_id],
                        terms=[
                            RiskTerm(t[0], t[1], t[2], float(t[3]))
                            for t in terms.get(row.enterprise_id, [])
                        ],
                        signals=[SignalCount(*g) for g in signals.get(row.enterprise_id, [])],
                    ),
                    signals=_signal_groups(
                        [v for v in views if v.rule_id in authenticity], rule_summaries
                    ),
                    **_patternfields_of(
                        activity.get(row.enterprise_id, EnterprisePatterns()),
                        heat.get(row.enterprise_id, ("", 0.0)),
                        hide,
                        head_tail,
                    ),
                )
                writer.submit(pages / row.page, context)
            written = _announce(writer.drain(keep=writer.queued - in_flight), written)
        _announce(writer.drain(), written)
    patterns.release(con)
    return len(rows) + 1


def _signal_groups(views: list[FindingView], summaries: dict[str, str]) -> list[SignalGroup]:
    """Authenticity findings grouped by rule (by rule ID), each group in the findings' order."""
    groups: dict[str, list[FindingView]] = {}
    for v in views:
        groups.setdefault(v.rule_id, []).append(v)
    return [
        SignalGroup(
            rule_id=rule_id,
            summary=summaries.get(rule_id, ""),
            trainees=len({v.person_id for v in group if v.person_id}),
            findings=group,
        )
        for rule_id, group in sorted(groups.items())
    ]


def _patternfields_of(
    page: EnterprisePatterns,
    heat: tuple[str, float],
    hide: Callable[[str], str],
    id_mask: tuple[int, int],
) -> dict[str, Any]:
    """The EnterpriseContext fields drawn from the enterprise's activity: charts and counts.

    Labels name a trainee by name (free text: IDs and phones typed into it masked) and masked
    ID; device IDs are shown, with anything that looks like an ID number or phone masked.
    """

    def label(name: str, person_id: str) -> str:
        shown = mask(person_id, *id_mask)
        return f"{hide(name)[:8]} {shown}" if name else shown

    drawn: dict[str, tuple[str, str, bool]] = {}
    for device in page.devices:
        for user in device.users:
            drawn.setdefault(user[0], user)
    trainees = list(drawn.values())[:DEVICE_TRAINEES]
    return {
        "heatmap_svg": heat[0],
        "heatmap_peak_minutes": heat[1],
        "flagged_trainees": page.flagged,
        "timeline_svg": timeline_chart(page.timeline, label) if page.timeline else "",
        "timeline_trainees": len(page.timeline),
        "timeline_capped": any(r.capped for r in page.timeline),
        "shared_devices": page.shared_devices,
        "devices_svg": devices_chart(page.devices, trainees, label, hide) if page.devices else "",
        "devices_shown": len(page.devices),
        "device_trainees_hidden": len(drawn) - len(trainees),
    }


def hours(minutes: float) -> str:
    """Minutes as hours with 2 decimals, rounded down: 1,079.99 min is 17.99 h, never 18.00.

    Rounding to nearest would show a claim blocked for short study at exactly the minimum.
    """
    hundredths = math.floor(round(float(minutes) * 100 / 60, 6))  # round(): 1080 -> 1800, not 1799
    return f"{hundredths / 100:.2f}"


def mask_free_text(text: str, id_mask: tuple[int, int], keep: frozenset[str]) -> str:
    """ID numbers and mobile phones inside free text (messages, evidence), masked.

    Evidence may quote what a trainee typed or a roster row, so the page masks whatever looks
    like an 18-character ID or an 11-digit mobile number there. `keep` spares the enterprise's
    own code, which can be 18 digits too and is public.
    """
    head, tail = id_mask
    text = ID_IN_TEXT.sub(lambda m: m[1] if m[1] in keep else mask(m[1], head, tail), text)
    return PHONE_IN_TEXT.sub(lambda m: mask(m[1], 3, 4), text)


def _any_row(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    row = con.execute(sql).fetchone()
    return bool(row and row[0])


def _has_columns(con: duckdb.DuckDBPyConnection, table: str, *names: str) -> bool:
    found = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    return all(n in found for n in names)


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return all(n in found for n in names)


def pretty_evidence(evidence: str) -> str:
    """Evidence JSON indented by 2, keys sorted; text that is not JSON as it is.

    A flat object (nearly every finding's) is written here key by key: json.dumps with an
    indent falls back to its pure-Python encoder, seconds for 40,000 findings. Same text.
    """
    try:
        value = json.loads(evidence)
    except (TypeError, ValueError):
        return str(evidence)
    if (
        isinstance(value, dict)
        and value
        and not any(isinstance(v, dict | list) for v in value.values())
    ):
        items = ",\n".join(
            f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(value[k], ensure_ascii=False)}"
            for k in sorted(value)
        )
        return "{\n" + items + "\n}"
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
