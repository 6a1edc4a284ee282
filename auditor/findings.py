"""Failed expectations become findings: every failing row, fetched from DuckDB, with its message.

GX says which rule failed and gives the query for its failing rows; this module runs that query
inside DuckDB, joined back to the fact table, and writes message and evidence in SQL, so no
fact table passes through Python.
"""

from __future__ import annotations

import duckdb

from .contract import ONLINE
from .expectations import RuleOutcome
from .policy import load_schema
from .rules import PLACEHOLDER, Rule

KEY_COLUMNS = ONLINE.keys  # the online programme's; a programme's own are its contract's keys


def findings_ddl(keys: tuple[str, ...] = KEY_COLUMNS) -> str:
    """The `findings` table: a finding's ID, rule, severity, the programme's keys, message."""
    columns = ", ".join(f"{k} VARCHAR" for k in keys)
    return (
        "CREATE OR REPLACE TABLE findings (finding_id VARCHAR, rule_id VARCHAR, "
        f"severity VARCHAR, {columns}, message VARCHAR, evidence VARCHAR)"
    )


FINDINGS_DDL = findings_ddl()


def policy_scalars(programme: str = ONLINE.programme) -> set[str]:
    """The policy values a message or evidence may name: the programme's scalar parameters."""
    return {p.name for p in load_schema(programme).parameters if p.kind is not list}


POLICY_SCALARS = policy_scalars()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value_sql(name: str, columns: set[str]) -> str:
    """A fact column (f.), else a value of the one-row policy table (pol.)."""
    if name in columns:
        return f"f.{name}"
    return f"pol.{name}"


def message_sql(rule: Rule, columns: set[str]) -> str:
    """The rule's message as a SQL concat of literals and values (a NULL shows as —)."""
    parts: list[str] = []
    pos = 0
    for match in PLACEHOLDER.finditer(rule.message):
        if match.start() > pos:
            parts.append(_literal(rule.message[pos : match.start()]))
        value = _value_sql(match.group(1), columns)
        parts.append(f"coalesce(CAST({value} AS VARCHAR), '—')")
        pos = match.end()
    if pos < len(rule.message):
        parts.append(_literal(rule.message[pos:]))
    return "concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]


def evidence_names(rule: Rule) -> list[str]:
    """Facts and policy values behind a finding: evidence columns, then the thresholds."""
    names = list(
        dict.fromkeys([*rule.evidence, rule.column, *rule.placeholders, *rule.parameters()])
    )
    return names


def evidence_sql(rule: Rule, columns: set[str]) -> str:
    """A JSON object of the evidence. NOTE: DuckDB's json_object; Spark: to_json(named_struct)."""
    pairs = ", ".join(f"{_literal(n)}, {_value_sql(n, columns)}" for n in evidence_names(rule))
    if not rule.evidence_optional:
        return f"CAST(json_object({pairs}) AS VARCHAR)"
    # NOTE: DuckDB's json_merge_patch adds no key whose value is NULL (RFC 7396)
    more = ", ".join(f"{_literal(n)}, {_value_sql(n, columns)}" for n in rule.evidence_optional)
    return f"CAST(json_merge_patch(json_object({pairs}), json_object({more})) AS VARCHAR)"


def write_findings(
    con: duckdb.DuckDBPyConnection,
    outcome: RuleOutcome,
    grain: tuple[str, ...],
    keys: tuple[str, ...] = KEY_COLUMNS,
    rows: str | None = None,
) -> int:
    """Insert one finding per failing row of a failed rule; returns how many.

    `rows`: a relation holding exactly the failing rows of the fact table, every column (the
    Spark engine's Parquet of them); by default GX's query selects them from the fact table.
    """
    rule = outcome.rule
    if outcome.success or not (outcome.unexpected_index_query or rows):
        return 0
    source = rows or rule.table
    columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    if rows:
        selected = ""
    else:
        failing = str(outcome.unexpected_index_query).strip().rstrip(";")
        join = " AND ".join(f"f.{k} IS NOT DISTINCT FROM u.{k}" for k in grain)
        selected = f"JOIN ({failing}) u ON {join}"
    key_values = [f"f.{k}" if k in columns else "NULL" for k in keys]
    id_parts = ", ".join(
        [_literal(rule.id), *(f"coalesce(CAST(f.{k} AS VARCHAR), '')" for k in grain)]
    )
    before = con.execute("SELECT count(*) FROM findings").fetchall()[0]
    con.execute(
        f"""
        INSERT INTO findings
        SELECT
            substr(md5(concat_ws('|', {id_parts})), 1, 16),
            {_literal(rule.id)},
            {_literal(rule.severity)},
            {", ".join(key_values)},
            {message_sql(rule, columns)},
            {evidence_sql(rule, columns)}
        FROM {source} f
        {selected}
        CROSS JOIN policy pol
        """
    )
    after = con.execute("SELECT count(*) FROM findings").fetchall()[0]
    assert before is not None and after is not None
    return int(after[0]) - int(before[0])


def write_prior_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """`prior_blocks`: the claims block findings so far make unpayable (read by later facts)."""
    con.execute(
        "CREATE OR REPLACE TABLE prior_blocks AS SELECT DISTINCT project_id, person_id "
        "FROM findings WHERE severity = 'block' AND project_id IS NOT NULL "
        "AND person_id IS NOT NULL"
    )
