"""Render the HTML reports: one Jinja environment, the masking filters, the page files.

Reports are shareable, so ID numbers and phones are masked here and nowhere else; every value is
autoescaped (Q&A text and names are typed by trainees and enterprises). Pages are
byte-identical across runs: no clock, and every list has a total order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from ..policy import Policy
from ..privacy import mask, parse_mask
from ..resources import reports_dir
from .charts import BINS, bin_edges_minutes, gap_chart, histogram_frame, rules_chart
from .context import (
    EnterpriseContext,
    EnterpriseRow,
    FindingView,
    IndexContext,
    RuleCount,
    TraineeRow,
)

SAFE_NAME = re.compile(r"[^0-9A-Za-z_-]")
SEVERITY_ORDER = {"block": 0, "review": 1, "info": 2}
GAP_CHART_ENTERPRISES = 30


def page_name(enterprise_id: str) -> str:
    """A file name for an enterprise page that cannot leave enterprises/ and cannot collide."""
    safe = SAFE_NAME.sub("_", enterprise_id) or "_"
    if safe != enterprise_id:
        safe += "-" + hashlib.sha256(enterprise_id.encode("utf-8")).hexdigest()[:10]
    return f"{safe}.html"


def environment(id_mask: str = "6*4", templates_dir: Path | None = None) -> jinja2.Environment:
    """The one Jinja environment: autoescape, StrictUndefined, the report filters."""
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
    env.filters["hours"] = lambda minutes: f"{float(minutes) / 60:.2f}"
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
       coalesce(s.verified, 0), coalesce(f.block, 0), coalesce(f.review, 0), coalesce(f.info, 0)
FROM ids
LEFT JOIN (SELECT enterprise_id, min(name) AS name, min(district) AS district
           FROM enterprises GROUP BY enterprise_id) e ON e.enterprise_id = ids.enterprise_id
LEFT JOIN s ON s.enterprise_id = ids.enterprise_id
LEFT JOIN f ON f.enterprise_id = ids.enterprise_id
WHERE ids.enterprise_id IS NOT NULL
ORDER BY coalesce(s.claimed, 0) - coalesce(s.verified, 0) DESC, coalesce(f.block, 0) DESC,
         ids.enterprise_id
"""

NAMES_SQL = """
SELECT enterprise_id, person_id, min(name) AS name, min(phone) AS phone
FROM trainees GROUP BY enterprise_id, person_id
"""

FINDINGS_SQL = f"""
SELECT f.enterprise_id, f.rule_id, f.severity, coalesce(f.project_id, ''),
       coalesce(f.person_id, ''), coalesce(n.name, ''), f.message, f.evidence
FROM findings f
LEFT JOIN ({NAMES_SQL}) n ON n.enterprise_id = f.enterprise_id AND n.person_id = f.person_id
WHERE f.enterprise_id IS NOT NULL
ORDER BY f.enterprise_id,
         CASE f.severity WHEN 'block' THEN 0 WHEN 'review' THEN 1 ELSE 2 END,
         f.project_id NULLS FIRST, f.person_id NULLS FIRST, f.rule_id, f.finding_id
"""

TRAINEES_SQL = f"""
SELECT s.enterprise_id, s.person_id, coalesce(n.name, ''), coalesce(n.phone, ''), s.project_id,
       coalesce(c.credited_minutes, 0), s.payable, s.blocking_rules, s.verified_amount
FROM subsidy s
LEFT JOIN claim_facts c ON c.project_id = s.project_id AND c.person_id = s.person_id
LEFT JOIN ({NAMES_SQL}) n ON n.enterprise_id = s.enterprise_id AND n.person_id = s.person_id
ORDER BY s.enterprise_id, s.project_id, s.person_id
"""


def _histogram_sql(min_study_minutes: int) -> tuple[str, list[Any]]:
    step = bin_edges_minutes(min_study_minutes)[1]
    return (
        "SELECT enterprise_id, least(CAST(floor(credited_minutes / ?) AS INTEGER), ?) AS bin, "
        "count(*) FROM claim_facts WHERE enterprise_id IS NOT NULL GROUP BY ALL ORDER BY 1, 2",
        [step, BINS],
    )


def _grouped(cursor: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
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
    min_minutes = int(policy.parameters["min_study_minutes"])
    rows = [
        EnterpriseRow(
            enterprise_id=r[0],
            name=r[1],
            district=r[2],
            page=page_name(r[0]),
            claims=r[3],
            payable=r[4],
            claimed_yuan=float(r[5]),
            verified_yuan=float(r[6]),
            block=r[7],
            review=r[8],
            info=r[9],
        )
        for r in con.execute(ENTERPRISES_SQL).fetchall()
    ]
    rule_counts = [
        RuleCount(*r)
        for r in con.execute(
            "SELECT f.rule_id, min(f.severity), coalesce(min(c.summary), ''), count(*) "
            "FROM findings f LEFT JOIN rule_catalogue c ON c.rule_id = f.rule_id "
            "GROUP BY f.rule_id ORDER BY count(*) DESC, f.rule_id"
        ).fetchall()
    ]
    # NOTE: totals over every claim, including claims of projects no enterprise filed
    totals = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE payable), coalesce(sum(claimed_amount), 0), "
        "coalesce(sum(verified_amount), 0) FROM subsidy"
    ).fetchall()[0]
    gap = sorted(rows, key=lambda e: (e.verified_yuan - e.claimed_yuan, e.enterprise_id))
    gap = [e for e in gap if e.claimed_yuan > e.verified_yuan][:GAP_CHART_ENTERPRISES]
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
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "index.html", env.get_template("index.html.j2").render(**_fields(index)))
    pages = out_dir / "enterprises"
    pages.mkdir(exist_ok=True)
    frame = histogram_frame(min_minutes)
    findings = _grouped(con.execute(FINDINGS_SQL))
    trainees = _grouped(con.execute(TRAINEES_SQL))
    sql, params = _histogram_sql(min_minutes)
    bins = _grouped(con.execute(sql, params))
    template = env.get_template("enterprise.html.j2")
    for done, row in enumerate(rows, start=1):
        counts = [0] * (BINS + 1)
        for b, n in bins.get(row.enterprise_id, []):
            counts[int(b)] = int(n)
        context = EnterpriseContext(
            policy_title=policy.title,
            enterprise=row,
            findings=[
                FindingView(f[0], f[1], f[2], f[3], f[4], f[5], _pretty(f[6]))
                for f in findings.get(row.enterprise_id, [])
            ],
            trainees=[
                TraineeRow(t[0], t[1], t[2], t[3], float(t[4]), bool(t[5]), t[6], float(t[7]))
                for t in trainees.get(row.enterprise_id, [])
            ],
            min_study_minutes=min_minutes,
            study_chart_svg=frame.render(counts),
        )
        _write(pages / row.page, template.render(**_fields(context)))
        if progress and (done % 500 == 0 or done == len(rows)):
            progress(done, len(rows))
    return len(rows) + 1


def _fields(context: Any) -> dict[str, Any]:
    """The context's fields as template variables (shallow: asdict would deep-copy every row)."""
    return {f.name: getattr(context, f.name) for f in fields(context)}


def _pretty(evidence: str) -> str:
    try:
        return json.dumps(json.loads(evidence), ensure_ascii=False, indent=2, sort_keys=True)
    except (TypeError, ValueError):
        return str(evidence)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
