"""Working papers: findings.{csv,parquet,xlsx}, subsidy.csv, risk.csv and manifest.json.

They keep ID numbers whole (they are the auditor's evidence); text cells that a spreadsheet
would run as a formula (starting = + - @) are prefixed with an apostrophe.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb

FINDINGS_ORDER = (
    "enterprise_id NULLS LAST, project_id NULLS LAST, person_id NULLS LAST, rule_id, finding_id"
)
SUBSIDY_ORDER = "enterprise_id, project_id, person_id"
FINDINGS_COLUMNS = (
    "finding_id", "rule_id", "severity", "enterprise_id", "project_id", "person_id", "message",
    "evidence",
)  # fmt: skip
SUBSIDY_COLUMNS = (
    "enterprise_id", "project_id", "person_id", "claimed_amount", "payable", "verified_amount",
    "blocking_rules",
)  # fmt: skip
REJECT_COLUMNS = (
    "source_table", "file", "source_row", "column_name", "reason", "enterprise_id", "project_id",
    "person_id",
)  # fmt: skip
TEXT_COLUMNS = {"source_table", "file", "column_name", "reason", "enterprise_name", "name", "phone", "rules", "finding_id", "rule_id", "severity", "enterprise_id", "project_id", "person_id",
                "message", "evidence", "blocking_rules"}  # fmt: skip
XLSX_MAX_ROWS = 1_048_575  # one header row


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


def _safe(column: str, redact: bool) -> str:
    """NOTE: formula injection: a cell starting = + - @ is shown as text, not run."""
    if redact and column == "person_id":
        return "pseudonym(person_id) AS person_id"
    if redact and column == "phone":  # kept whole only in an unredacted audit, to call people
        return "CASE WHEN length(phone) > 7 THEN concat(substr(phone, 1, 3), repeat('*', length(phone) - 7), substr(phone, length(phone) - 3)) ELSE phone END AS phone"
    if column not in TEXT_COLUMNS:
        return column
    return (
        f"CASE WHEN substr({column}, 1, 1) IN ('=', '+', '-', '@') "
        f"THEN concat('''', {column}) ELSE {column} END AS {column}"
    )


def _select(table: str, columns: tuple[str, ...], order: str, redact: bool = False) -> str:
    """Rows for a working paper: stable order, formula-safe, person IDs pseudonymised if asked."""
    select = ", ".join(_safe(c, redact) for c in columns)
    return f"SELECT {select} FROM {table} ORDER BY {order}"


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_papers(con: duckdb.DuckDBPyConnection, out: Path, redact: bool = False) -> None:
    """findings.csv/.parquet/.xlsx, subsidy.csv, callbacks.csv, risk.csv and rejects.csv, in a
    stable order.

    With `redact`, person IDs are replaced by `pseudonym()` (sqlfuncs.register_pseudonym).
    """
    findings = _select("findings", FINDINGS_COLUMNS, FINDINGS_ORDER, redact)
    con.execute(f"COPY ({findings}) TO {_path_literal(out / 'findings.csv')} (HEADER)")
    con.execute(f"COPY ({findings}) TO {_path_literal(out / 'findings.parquet')} (FORMAT parquet)")
    subsidy = _select("subsidy", SUBSIDY_COLUMNS, SUBSIDY_ORDER, redact)
    con.execute(f"COPY ({subsidy}) TO {_path_literal(out / 'subsidy.csv')} (HEADER)")
    callbacks = _select(f"({CALLBACKS_SQL})", CALLBACK_COLUMNS, CALLBACK_ORDER, redact)
    con.execute(f"COPY ({callbacks}) TO {_path_literal(out / 'callbacks.csv')} (HEADER)")
    risk, _columns = risk_sql(con)
    con.execute(f"COPY ({risk}) TO {_path_literal(out / 'risk.csv')} (HEADER)")
    rejects = _select("rejects", REJECT_COLUMNS, "file, source_row", redact)
    con.execute(f"COPY ({rejects}) TO {_path_literal(out / 'rejects.csv')} (HEADER)")
    write_findings_xlsx(con, out / "findings.xlsx", findings)


def write_findings_xlsx(con: duckdb.DuckDBPyConnection, path: Path, findings_sql: str) -> None:
    """One sheet per rule (a second sheet when a rule exceeds Excel's row limit)."""
    import openpyxl  # NOTE: only this output needs it

    book = openpyxl.Workbook(write_only=True)
    summary = book.create_sheet("summary")
    summary.append(["rule_id", "severity", "findings"])
    counts = con.execute(
        "SELECT rule_id, min(severity), count(*) FROM findings GROUP BY rule_id ORDER BY rule_id"
    ).fetchall()
    for row in counts:
        summary.append(list(row))
    for rule_id, _severity, _count in counts:
        cursor = con.execute(
            f"SELECT * FROM ({findings_sql}) WHERE rule_id = ? ORDER BY {FINDINGS_ORDER}", [rule_id]
        )
        part, sheet, written = 1, None, XLSX_MAX_ROWS
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                if written >= XLSX_MAX_ROWS:
                    sheet = book.create_sheet(rule_id if part == 1 else f"{rule_id} ({part})")
                    sheet.append(list(FINDINGS_COLUMNS))
                    part, written = part + 1, 0
                assert sheet is not None
                sheet.append([_xlsx_cell(v) for v in row])
                written += 1
    book.save(path)


def _xlsx_cell(value: object) -> object:
    """Control characters Excel cannot store, written as \\xNN (the CSV keeps them as they are)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """manifest.json, keys sorted so two runs differ only where their facts do."""
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
        encoding="utf-8",
    )
