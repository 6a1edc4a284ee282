"""Working papers: findings.{csv,parquet,xlsx}, subsidy.csv, callbacks.csv, risk.csv,
rejects.csv, public_notice.{csv,xlsx} and manifest.json.

They keep ID numbers whole (they are the auditor's evidence), except the public notice, which is
for publication and masks them; text cells that a spreadsheet would run as a formula (starting
= + - @) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from .contract import ONLINE, Contract
from .partitions import is_hidden
from .workbook import RowXml, Sheet, row_xml_sql, write_sheets, write_table

TEXT_COLUMNS = {"source_table", "file", "column_name", "reason", "enterprise_name", "name", "phone", "rules", "finding_id", "rule_id", "severity", "enterprise_id", "project_id", "person_id",
                "message", "evidence", "blocking_rules"}  # fmt: skip


CALLBACK_COLUMNS = (
    "priority", "enterprise_id", "enterprise_name", "project_id", "person_id", "name", "phone",
    "rules",
)  # fmt: skip
CALLBACK_ORDER = "priority, enterprise_id, project_id, person_id"
# The phone call-back list: trainees with a block or review finding, blocked claims first.
CALLBACKS_SQL = """
SELECT
    min(CASE f.severity WHEN 'block' THEN 1 ELSE 2 END) AS priority,
    f.enterprise_id,
    min(e.name) AS enterprise_name,
    f.project_id,
    f.person_id,
    min(t.name) AS name,
    min(t.phone) AS phone,
    string_agg(DISTINCT f.rule_id, ',' ORDER BY f.rule_id) AS rules
FROM findings f
LEFT JOIN enterprises e ON e.enterprise_id = f.enterprise_id
LEFT JOIN trainees t ON t.enterprise_id = f.enterprise_id AND t.person_id = f.person_id
WHERE f.severity IN ('block', 'review') AND f.person_id IS NOT NULL AND f.project_id IS NOT NULL
GROUP BY f.enterprise_id, f.project_id, f.person_id
"""


RISK_COLUMNS = (
    "rank", "enterprise_id", "name", "score", "claims", "flagged_claims", "amount_at_stake",
)  # fmt: skip


def risk_sql(con: duckdb.DuckDBPyConnection) -> tuple[str, tuple[str, ...]]:
    """risk.csv's query and columns: the ranking, then one column per authenticity rule of the
    audit (its count of flagged trainees at the enterprise), in rule ID order."""
    signals = tuple(
        r[0]
        for r in con.execute(
            "SELECT rule_id FROM rule_catalogue WHERE category = 'authenticity' ORDER BY rule_id"
        ).fetchall()
    )  # NOTE: rule IDs are SCREAMING_SNAKE (auditor.rules.RULE_ID), safe as identifiers
    counts = "".join(
        f", count(DISTINCT c.person_id) FILTER (WHERE list_contains(c.signals, '{s}')) AS {s}"
        for s in signals
    )
    inner = (
        f"SELECT {', '.join(f'r.{c}' for c in RISK_COLUMNS)}{counts} FROM risk r "
        "LEFT JOIN claim_flags c ON c.enterprise_id = r.enterprise_id "
        f"GROUP BY {', '.join(f'r.{c}' for c in RISK_COLUMNS)}"
    )
    columns = (*RISK_COLUMNS, *signals)
    return _select(f"({inner})", columns, "rank"), columns


def findings_columns(keys: tuple[str, ...]) -> tuple[str, ...]:
    """findings.csv's columns for a programme's keys."""
    return ("finding_id", "rule_id", "severity", *keys, "message", "evidence")


def findings_order(keys: tuple[str, ...]) -> str:
    """Findings by organisation, then the narrower keys, rule and ID (missing keys last)."""
    return ", ".join([*(f"{k} NULLS LAST" for k in keys), "rule_id", "finding_id"])


def _safe(column: str, redact: bool, text: frozenset[str] = frozenset()) -> str:
    """NOTE: formula injection: a cell starting = + - @ is shown as text, not run."""
    if redact and column == "person_id":
        return "pseudonym(person_id) AS person_id"
    if redact and column == "phone":  # kept whole only in an unredacted audit, to call people
        return "CASE WHEN length(phone) > 7 THEN concat(substr(phone, 1, 3), repeat('*', length(phone) - 7), substr(phone, length(phone) - 3)) ELSE phone END AS phone"
    if column not in TEXT_COLUMNS and column not in text:
        return column
    return f"{_formula_safe(column)} AS {column}"


def _formula_safe(expr: str) -> str:
    """SQL for a text value a spreadsheet shows as text: = + - @ first gets an apostrophe."""
    return (
        f"CASE WHEN substr({expr}, 1, 1) IN ('=', '+', '-', '@') "
        f"THEN concat('''', {expr}) ELSE {expr} END"
    )


def _select(
    table: str,
    columns: tuple[str, ...],
    order: str,
    redact: bool = False,
    text: frozenset[str] = frozenset(),
) -> str:
    """Rows for a working paper: stable order, formula-safe, person IDs pseudonymised if asked.

    `text`: more text columns than TEXT_COLUMNS (a programme's keys)."""
    select = ", ".join(_safe(c, redact, text) for c in columns)
    return f"SELECT {select} FROM {table} ORDER BY {order}"


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_papers(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    redact: bool = False,
    id_mask: tuple[int, int] = (6, 4),
    as_of: dt.date | None = None,
    contract: Contract = ONLINE,
) -> None:
    """findings.csv/.parquet/.xlsx, subsidy.csv, rejects.csv, and the programme's extras
    (online: callbacks.csv, risk.csv, public_notice.csv/.xlsx), in a stable order.

    With `redact`, person IDs are replaced by `pseudonym()` (sqlfuncs.register_pseudonym). The
    public notice is the same either way: it masks ID numbers with `id_mask` (leading, trailing
    characters kept) and publishes names by design. `as_of` dates the notice workbook.
    """
    keys, text = contract.keys, frozenset(contract.keys)
    columns, order = findings_columns(keys), findings_order(keys)
    findings = _select("findings", columns, order, redact, text)
    con.execute(f"COPY ({findings}) TO {_path_literal(out / 'findings.csv')} (HEADER)")
    con.execute(f"COPY ({findings}) TO {_path_literal(out / 'findings.parquet')} (FORMAT parquet)")
    subsidy_columns = tuple(
        str(r[0]) for r in con.execute("SELECT column_name FROM (DESCRIBE subsidy)").fetchall()
    )
    subsidy_order = ", ".join(k for k in keys if k in subsidy_columns)
    subsidy = _select("subsidy", subsidy_columns, subsidy_order, redact, text)
    con.execute(f"COPY ({subsidy}) TO {_path_literal(out / 'subsidy.csv')} (HEADER)")
    if "callbacks" in contract.extras:
        callbacks = _select(f"({CALLBACKS_SQL})", CALLBACK_COLUMNS, CALLBACK_ORDER, redact)
        con.execute(f"COPY ({callbacks}) TO {_path_literal(out / 'callbacks.csv')} (HEADER)")
    if "risk" in contract.extras:
        risk, _columns = risk_sql(con)
        con.execute(f"COPY ({risk}) TO {_path_literal(out / 'risk.csv')} (HEADER)")
    rejects = _select("rejects", ("source_table", "file", "source_row", "column_name", "reason",
                                  *keys), "file, source_row", redact, text)  # fmt: skip
    con.execute(f"COPY ({rejects}) TO {_path_literal(out / 'rejects.csv')} (HEADER)")
    write_findings_xlsx(con, out / "findings.xlsx", findings, as_of, keys)
    if "public_notice" in contract.extras:
        write_public_notice(con, out, id_mask, as_of)


def write_findings_xlsx(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    findings_sql: str,
    as_of: dt.date | None = None,
    keys: tuple[str, ...] = ONLINE.keys,
) -> None:
    """One sheet per rule (a second sheet when a rule exceeds Excel's row limit), after a
    summary; byte-reproducible (workbook.py), dated `as_of`."""
    counts = con.execute(
        "SELECT rule_id, min(severity), count(*) FROM findings GROUP BY rule_id ORDER BY rule_id"
    ).fetchall()

    def rule_rows(rule_id: str) -> Iterator[tuple[Any, ...]]:
        cursor = con.execute(
            f"SELECT * FROM ({findings_sql}) WHERE rule_id = ? ORDER BY {findings_order(keys)}",
            [rule_id],
        )
        while batch := cursor.fetchmany(10_000):
            yield from batch

    sheets: list[Sheet] = [("summary", ("rule_id", "severity", "findings"), counts)]
    columns = findings_columns(keys)
    sheets += [(rule_id, columns, rule_rows(rule_id)) for rule_id, _, _ in counts]
    stamp = dt.datetime.combine(as_of or dt.date(2000, 1, 1), dt.time())
    write_sheets(path, sheets, stamp)


# The public notice (公示) of the subsidised trainees as district offices publish it: payable
# claims only, ID numbers masked. `auditor check-notice` (notice.py) recognises these headers.
NOTICE_HEADERS = ("序号", "企业名称", "姓名", "身份证号", "培训项目", "补贴金额(元)")
NOTICE_SHEET = "公示名单"
# Each claim with the names people read: its enterprise's name, its project's title and the
# trainee's name on that enterprise's roster ('' where unknown). The notice and check-notice
# both read claims this way.
NAMED_CLAIMS_SQL = """
SELECT
    s.*,
    e.name AS enterprise_name,
    p.title AS project_title,
    coalesce(t.name, '') AS trainee_name
FROM subsidy s
LEFT JOIN (SELECT enterprise_id, min(name) AS name FROM enterprises GROUP BY enterprise_id) e
    ON e.enterprise_id = s.enterprise_id
LEFT JOIN (SELECT project_id, min(title) AS title FROM projects GROUP BY project_id) p
    ON p.project_id = s.project_id
LEFT JOIN (
    SELECT enterprise_id, person_id, min(name) AS name
    FROM trainees
    GROUP BY enterprise_id, person_id
) t ON t.enterprise_id = s.enterprise_id AND t.person_id = s.person_id
"""
NOTICE_SQL = (
    "SELECT row_number() OVER (ORDER BY s.enterprise_id, s.project_id, s.person_id) AS number, "
    "{enterprise} AS enterprise_name, {name} AS name, {person} AS person_id, "
    "{project} AS project, s.verified_amount FROM (" + NAMED_CLAIMS_SQL + ") s "
    "WHERE s.payable ORDER BY s.enterprise_id, s.project_id, s.person_id"
)
NOTICE_CELLS = (("number", "int"), ("enterprise_name", "text"), ("name", "text"),
                ("person_id", "text"), ("project", "text"), ("verified_amount", "decimal"))  # fmt: skip


def mask_sql(expr: str, keep_head: int, keep_tail: int) -> str:
    """SQL twin of privacy.mask: keep the leading and trailing characters, star the rest."""
    n = f"length({expr})"
    return (
        f"CASE WHEN {expr} IS NULL THEN '' WHEN {n} <= {keep_head + keep_tail} "
        f"THEN repeat('*', {n}) ELSE concat(left({expr}, {keep_head}), "
        f"repeat('*', {n} - {keep_head + keep_tail}), right({expr}, {keep_tail})) END"
    )


def public_notice_sql(id_mask: tuple[int, int]) -> str:
    """The notice's rows: enterprise name, trainee name, masked ID, project title, amount."""
    return NOTICE_SQL.format(
        enterprise=_formula_safe("coalesce(s.enterprise_name, s.enterprise_id, '')"),
        name=_formula_safe("s.trainee_name"),
        person=_formula_safe(mask_sql("s.person_id", *id_mask)),
        project=_formula_safe("coalesce(s.project_title, s.project_id)"),
    )


def write_public_notice(
    con: duckdb.DuckDBPyConnection, out: Path, id_mask: tuple[int, int], as_of: dt.date | None
) -> None:
    """public_notice.csv (UTF-8 with BOM, so that Excel opens it) and public_notice.xlsx.

    The workbook is dated `as_of` (or 2000-01-01) and otherwise byte-reproducible.
    """
    # NOTE: DuckDB renders each row's CSV line and sheet XML where the text needs no escaping
    # (nearly always); Python's csv module and the workbook writer do the rest.
    texts = [c for c, kind in NOTICE_CELLS if kind == "text"]
    plain_csv = " AND ".join(f"NOT regexp_matches(coalesce({c}, ''), '[\",\\r\\n]')" for c in texts)
    line = " || ',' || ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c, _ in NOTICE_CELLS)
    values = ", ".join(
        f"CASE WHEN line IS NULL OR xml IS NULL THEN {c} END" for c, _ in NOTICE_CELLS
    )
    cursor = con.execute(
        f"SELECT line, xml, {values} FROM (SELECT *, "
        f"CASE WHEN {plain_csv} THEN {line} || chr(10) END AS line, "
        f"{row_xml_sql(NOTICE_CELLS)} AS xml FROM ({public_notice_sql(id_mask)})) ORDER BY number"
    )
    with (out / "public_notice.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(NOTICE_HEADERS)

        def rows() -> Iterator[tuple[int, str, str, str, str, Decimal] | RowXml]:
            while batch := cursor.fetchmany(10_000):
                for csv_line, xml, *values in batch:
                    if csv_line is None or xml is None:
                        row = (*values[:5], Decimal(values[5]))
                    if csv_line is None:
                        writer.writerow(row)
                    else:
                        fh.write(csv_line)
                    yield row if xml is None else RowXml(xml)

        stamp = dt.datetime.combine(as_of or dt.date(2000, 1, 1), dt.time())
        write_table(out / "public_notice.xlsx", NOTICE_SHEET, NOTICE_HEADERS, rows(), stamp)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks; of a table folder (Parquet part files, flat or in
    partition folders), the SHA-256 of its visible files' paths relative to it and SHA-256s,
    one `path NUL sha256 LF` line each, in path order: a file changed, added or moved between
    partitions changes it (hidden names are skipped at every level, as readers skip them)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for name, part in sorted(_visible_files(path)):
            digest.update(f"{name}\0{sha256_of(part)}\n".encode())
        return digest.hexdigest()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _visible_files(folder: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """Every file under `folder` not hidden, nor in a hidden folder: (relative path, path)."""
    for entry in folder.iterdir():
        if is_hidden(entry.name):
            continue
        if entry.is_dir():
            yield from _visible_files(entry, f"{prefix}{entry.name}/")
        elif entry.is_file():
            yield f"{prefix}{entry.name}", entry


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """manifest.json, keys sorted so two runs differ only where their facts do."""
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
