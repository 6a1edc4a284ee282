"""The training-voucher programme's HTML report: an index of institutions, a page for each.

The pages read the finished tables of a voucher audit (institutions, classes, subsidy,
findings, rule_catalogue, checkin_facts); DuckDB computes every aggregate, and Python holds one
batch of institutions' rows at a time. Masking, escaping, file names and the page writer are
the online report's (render.py, pages.py): ID numbers reach the templates whole and are masked
there; IDs and phones inside messages and evidence are masked here. Findings and payments that
name no institution are listed on the index; an institution ID that is not in `institutions`
gets a page under its ID.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from ..policy import Policy
from ..privacy import parse_mask
from .charts import rules_chart
from .checkin_chart import MAX_CLASSES, ChartClass, distance_frame
from .context import (
    LOOSE_FINDINGS,
    ClassRow,
    InstitutionContext,
    InstitutionRow,
    PaymentRow,
    RuleCount,
    VoucherFindingView,
    VoucherIndexContext,
)
from .pages import PageWriter, fields_of, write_page
from .render import (
    IN_BATCH,
    PAGE_BATCH,
    RULE_COUNTS_SQL,
    environment,
    grouped_rows,
    mask_free_text,
    page_names,
    pretty_evidence,
)

PAGES_DIR = "institutions"

INSTITUTIONS_SQL = """
WITH s AS (
    SELECT institution_id, count(*) AS payments, count(*) FILTER (WHERE payable) AS payable,
           sum(paid_amount) AS paid, sum(coalesce(verified_amount, 0)) AS verified
    FROM subsidy GROUP BY institution_id
),
f AS (
    SELECT institution_id,
           count(*) FILTER (WHERE severity = 'block') AS block,
           count(*) FILTER (WHERE severity = 'review') AS review,
           count(*) FILTER (WHERE severity = 'info') AS info
    FROM findings GROUP BY institution_id
),
ids AS (SELECT institution_id FROM institutions UNION SELECT institution_id FROM classes
        UNION SELECT institution_id FROM s UNION SELECT institution_id FROM f)
SELECT ids.institution_id, coalesce(i.name, ''), coalesce(i.district, ''),
       coalesce(s.payments, 0), coalesce(s.payable, 0), coalesce(s.paid, 0),
       coalesce(s.verified, 0), coalesce(s.paid, 0) - coalesce(s.verified, 0) AS unverified,
       coalesce(f.block, 0) AS block, coalesce(f.review, 0), coalesce(f.info, 0)
FROM ids
LEFT JOIN (SELECT institution_id, min(name) AS name, min(district) AS district
           FROM institutions GROUP BY institution_id) i ON i.institution_id = ids.institution_id
LEFT JOIN s ON s.institution_id = ids.institution_id
LEFT JOIN f ON f.institution_id = ids.institution_id
WHERE ids.institution_id IS NOT NULL
ORDER BY unverified DESC, block DESC, ids.institution_id
"""


# NOTE: over every payment, the institution-less ones too
TOTALS_SQL = """
SELECT count(*), count(*) FILTER (WHERE payable), coalesce(sum(paid_amount), 0),
       coalesce(sum(verified_amount), 0),
       count(*) FILTER (WHERE institution_id IS NULL),
       coalesce(sum(paid_amount) FILTER (WHERE institution_id IS NULL), 0),
       coalesce(sum(verified_amount) FILTER (WHERE institution_id IS NULL), 0)
FROM subsidy
"""

_FINDING_COLUMNS = """
SELECT f.institution_id, f.rule_id, f.severity, coalesce(f.institution_id, ''),
       coalesce(f.class_id, ''), coalesce(f.person_id, ''), coalesce(f.payment_id, ''),
       coalesce(f.message, ''), coalesce(f.evidence, '')
FROM findings f
"""
_FINDING_ORDER = """
ORDER BY f.institution_id,
         CASE f.severity WHEN 'block' THEN 0 WHEN 'review' THEN 1 ELSE 2 END,
         f.class_id NULLS FIRST, f.person_id NULLS FIRST, f.payment_id NULLS FIRST,
         f.rule_id, f.finding_id, f.message, f.evidence
"""
FINDINGS_SQL = f"{_FINDING_COLUMNS} WHERE f.institution_id {IN_BATCH} {_FINDING_ORDER}"
LOOSE_FINDINGS_SQL = (
    f"{_FINDING_COLUMNS} WHERE f.institution_id IS NULL {_FINDING_ORDER} LIMIT {LOOSE_FINDINGS}"
)

# Every class a page names: its own, and any a payment or check-in of the institution names.
CLASSES_SQL = f"""
WITH ids AS (
    SELECT institution_id, class_id FROM classes WHERE institution_id {IN_BATCH}
    UNION SELECT institution_id, class_id FROM subsidy WHERE institution_id {IN_BATCH}
    UNION SELECT institution_id, class_id FROM checkin_facts WHERE institution_id {IN_BATCH}
),
p AS (
    SELECT institution_id, class_id, count(*) AS payments,
           count(*) FILTER (WHERE payable) AS payable, sum(paid_amount) AS paid,
           sum(coalesce(verified_amount, 0)) AS verified
    FROM subsidy WHERE institution_id {IN_BATCH} GROUP BY ALL
),
k AS (
    SELECT institution_id, class_id, count(*) FILTER (WHERE distance_m IS NOT NULL) AS checkins,
           count(*) FILTER (WHERE coalesce(off_site, distance_m > site_radius_m, false))
               AS off_site
    FROM checkin_facts WHERE institution_id {IN_BATCH} GROUP BY ALL
)
SELECT ids.institution_id, ids.class_id, c.class_id IS NOT NULL, coalesce(c.course_id, ''),
       coalesce(CAST(c.start_date AS VARCHAR), ''), coalesce(CAST(c.end_date AS VARCHAR), ''),
       coalesce(CAST(c.feedback_at AS VARCHAR), ''), c.site_radius_m,
       coalesce(c.coord_system, ''), c.standard_amount,
       coalesce(p.payments, 0), coalesce(p.payable, 0), coalesce(p.paid, 0),
       coalesce(p.verified, 0), coalesce(k.checkins, 0), coalesce(k.off_site, 0),
       coalesce(printf('%.6f, %.6f', CAST(c.site_lat AS DOUBLE), CAST(c.site_lon AS DOUBLE)), '')
FROM ids
LEFT JOIN classes c ON c.institution_id = ids.institution_id AND c.class_id = ids.class_id
LEFT JOIN p ON p.institution_id = ids.institution_id AND p.class_id = ids.class_id
LEFT JOIN k ON k.institution_id = ids.institution_id AND k.class_id = ids.class_id
WHERE ids.class_id IS NOT NULL
ORDER BY ids.institution_id, ids.class_id, c.start_date, c.course_id
"""

PAYMENTS_SQL = f"""
SELECT institution_id, payment_id, coalesce(class_id, ''), coalesce(person_id, ''),
       coalesce(paid_amount, 0), coalesce(payable, false), coalesce(verified_amount, 0),
       coalesce(blocking_rules, '')
FROM subsidy WHERE institution_id {IN_BATCH}
ORDER BY institution_id, class_id, person_id, payment_id
"""


def render_institution_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    policy: Policy,
    *,
    id_mask: str = "6*4",
    templates_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write out_dir/index.html and out_dir/institutions/<page>.html; returns pages written.

    Reads the voucher audit's tables institutions, classes, subsidy, findings,
    rule_catalogue and checkin_facts. `progress(done, total)` counts institution pages.
    """
    env = environment(id_mask, templates_dir)
    head_tail = parse_mask(id_mask)
    summaries = con.execute(INSTITUTIONS_SQL).fetchall()
    names = page_names(r[0] for r in summaries)
    rows = [
        InstitutionRow(
            institution_id=r[0],
            name=r[1],
            district=r[2],
            page=names[r[0]],
            payments=r[3],
            payable=r[4],
            paid_yuan=float(r[5]),
            verified_yuan=float(r[6]),
            unverified_yuan=float(r[7]),
            block=r[8],
            review=r[9],
            info=r[10],
        )
        for r in summaries
    ]
    rules = [RuleCount(*r) for r in con.execute(RULE_COUNTS_SQL).fetchall()]
    totals = con.execute(TOTALS_SQL).fetchall()[0]
    loose_total = con.execute(
        "SELECT count(*) FROM findings WHERE institution_id IS NULL"
    ).fetchall()[0][0]
    hide_loose = functools.partial(mask_free_text, id_mask=head_tail, keep=frozenset())
    index = VoucherIndexContext(
        policy_title=policy.title,
        policy_id=policy.id,
        institutions=rows,
        rules=rules,
        payments=int(totals[0]),
        payable=int(totals[1]),
        paid_yuan=float(totals[2]),
        verified_yuan=float(totals[3]),
        loose_payments=int(totals[4]),
        loose_paid_yuan=float(totals[5]),
        loose_verified_yuan=float(totals[6]),
        loose_findings=[
            _finding_view(f, hide_loose) for f in con.execute(LOOSE_FINDINGS_SQL).fetchall()
        ],
        loose_findings_total=int(loose_total),
        rules_chart_svg=rules_chart([r.rule_id for r in rules], [r.findings for r in rules]),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_page(
        out_dir / "index.html",
        env.get_template(VoucherIndexContext.documented_template).render(**fields_of(index)),
    )
    pages = out_dir / PAGES_DIR
    pages.mkdir(exist_ok=True)
    frame = distance_frame()
    # NOTE: pages are written in institution_id order, a batch at a time, so that only one
    # batch's payments and findings are in memory.
    by_id = sorted(rows, key=lambda r: r.institution_id)
    total = len(by_id)
    with PageWriter(
        env,
        InstitutionContext.documented_template,
        total,
        id_mask=id_mask,
        templates_dir=templates_dir,
    ) as writer:

        def _announce(chunks: Iterator[int], done: int) -> int:
            for n in chunks:
                done += n
                if progress and (done // 500 > (done - n) // 500 or done == total):
                    progress(done, total)
            return done

        written = 0
        for start in range(0, total, PAGE_BATCH):
            in_flight = writer.queued  # the previous batch's chunks, still rendering
            batch = by_id[start : start + PAGE_BATCH]
            ids = {"ids": [r.institution_id for r in batch]}
            findings = grouped_rows(con.execute(FINDINGS_SQL, ids))
            classes = grouped_rows(con.execute(CLASSES_SQL, ids))
            payments = grouped_rows(con.execute(PAYMENTS_SQL, ids))
            dots = frame.dots(con, ids["ids"])
            for row in batch:
                hide = functools.partial(
                    mask_free_text, id_mask=head_tail, keep=frozenset({row.institution_id})
                )
                class_rows = [_class_row(c) for c in classes.get(row.institution_id, [])]
                drawn = sorted(class_rows, key=lambda c: (-c.off_site, c.class_id))[:MAX_CLASSES]
                context = InstitutionContext(
                    policy_title=policy.title,
                    institution=row,
                    classes=class_rows,
                    payments=[
                        PaymentRow(p[0], p[1], p[2], float(p[3]), p[4], float(p[5]), p[6])
                        for p in payments.get(row.institution_id, [])
                    ],
                    findings=[
                        _finding_view((row.institution_id, *f), hide)
                        for f in findings.get(row.institution_id, [])
                    ],
                    checkins=sum(c.checkins for c in class_rows),
                    off_site=sum(c.off_site for c in class_rows),
                    checkin_chart_svg=frame.render(
                        [
                            ChartClass(
                                c.class_id,
                                c.site_radius_m,
                                dots.get((row.institution_id, c.class_id), ""),
                            )
                            for c in drawn
                        ]
                    ),
                    chart_classes_hidden=len(class_rows) - len(drawn),
                )
                writer.submit(pages / row.page, context)
            written = _announce(writer.drain(keep=writer.queued - in_flight), written)
        _announce(writer.drain(), written)
    return total + 1


def _class_row(c: tuple[Any, ...]) -> ClassRow:
    return ClassRow(
        class_id=c[0],
        known=bool(c[1]),
        course_id=c[2],
        start_date=c[3],
        end_date=c[4],
        feedback_at=c[5],
        site_radius_m=None if c[6] is None else int(c[6]),
        site=c[15],
        coord_system=c[7],
        standard_yuan=None if c[8] is None else float(c[8]),
        payments=int(c[9]),
        payable=int(c[10]),
        paid_yuan=float(c[11]),
        verified_yuan=float(c[12]),
        checkins=int(c[13]),
        off_site=int(c[14]),
    )


def _finding_view(f: tuple[Any, ...], hide: Callable[[str], str]) -> VoucherFindingView:
    """A row of FINDINGS_SQL (institution_id first) as a view, its free text masked."""
    return VoucherFindingView(
        f[1], f[2], f[3], f[4], f[5], f[6], hide(f[7]), hide(pretty_evidence(f[8]))
    )
