"""Ingest an export directory into DuckDB as typed contract tables.

Each table becomes `<table>` with the contract's columns, typed, plus `_row` (the data record
in its file). Structural problems (a missing table or column, duplicate headers) raise an
ExportError. A row with a value the contract forbids moves to `rejects` with its file, row,
column and reason (BAD_ROW reports it; --strict makes it an error). An activity time that
cannot be parsed is kept as NULL and listed in `unparsed_values`, so BAD_TIMESTAMP reports it
instead of the row vanishing. Typed Parquet/JSONL columns are taken as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .contract import ACTIVITY_TABLES, ONLINE, Column, Contract, Table
from .errors import ExportError
from .mapping import Mapping, TableMapping
from .sources import (
    INT96,
    SourceFile,
    drop_raw,
    find_file,
    load_json_lines,
    load_raw,
    quote_ident,
)

REJECT_FIELDS = ("source_table", "file", "source_row", "column_name", "reason")


def rejects_ddl(keys: tuple[str, ...] = ONLINE.keys) -> str:
    """`rejects`: where a row was, why it was refused, and the programme's keys it names."""
    ids = "".join(f", {k} VARCHAR" for k in keys)
    return (
        "CREATE OR REPLACE TABLE rejects (source_table VARCHAR, file VARCHAR, source_row BIGINT, "
        f"column_name VARCHAR, reason VARCHAR{ids})"
    )


REJECTS_DDL = rejects_ddl()


def reject_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The key columns of this run's `rejects` (its programme's), after the fixed fields."""
    rows = con.execute("SELECT column_name FROM (DESCRIBE rejects)").fetchall()
    return [str(r[0]) for r in rows if r[0] not in REJECT_FIELDS]


# NOTE: the one place that knows how text becomes a typed value; DuckDB dialect.
# A time is local (Asia/Shanghai) text that DuckDB reads as a TIMESTAMP, or the same text with
# an ISO 8601 offset (Z, +hh, +hhmm, +hh:mm) right after the time, converted to Shanghai time.
# Any other trailing text (CST, UTC, +8, a space before the offset) leaves the value unread:
# DuckDB's own TIMESTAMP cast would drop it and read the time as local.
LOCAL_DATE = r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
LOCAL_TIME = r"(?:T| +)[0-9]{1,2}:[0-9]{1,2}(?::[0-9]{1,2}(?:\.[0-9]+)?)?"
UTC_OFFSET = r"(Z|([+-])([01][0-9]|2[0-3]):?([0-5][0-9])?)"
LOCAL_ZONE = "Asia/Shanghai"


@dataclass
class IngestResult:
    """What was read: per table its file, rows and ignored headers."""

    sources: dict[str, SourceFile | None] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # accepted
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, int] = field(default_factory=dict)
    ignored_headers: dict[str, list[str]] = field(default_factory=dict)


def _parse_expr(column: Column, text: str) -> str:
    trimmed = f"nullif(trim({text}), '')"
    if column.kind == "id":
        return f"upper({trimmed})"
    if column.kind == "date":
        return (
            f"coalesce(try_cast({trimmed} AS DATE), CAST(try_cast({trimmed} AS TIMESTAMP) AS DATE))"
        )
    if column.kind == "timestamp":
        return _timestamp_expr(trimmed)
    if column.kind == "decimal":
        return f"try_cast({trimmed} AS DECIMAL(14, 2))"
    if column.kind == "integer":
        return f"try_cast({trimmed} AS BIGINT)"
    if column.kind == "number":
        return f"try_cast({trimmed} AS {SQL_TYPES['number']})"
    if column.kind == "boolean":  # DuckDB reads true/false, t/f, yes/no, y/n, 1/0, any case
        return f"try_cast({trimmed} AS BOOLEAN)"
    return trimmed


def _timestamp_expr(text: str) -> str:
    """Local text as it is; with an ISO 8601 offset, the same instant in Shanghai; else NULL."""
    local = f"regexp_full_match({text}, '{LOCAL_DATE}(?:{LOCAL_TIME})?')"
    zoned = f"regexp_full_match({text}, '{LOCAL_DATE}{LOCAL_TIME}{UTC_OFFSET}')"
    offset = f"regexp_extract({text}, '{UTC_OFFSET}$', 1)"
    sign = f"CASE regexp_extract({text}, '{UTC_OFFSET}$', 2) WHEN '-' THEN -1 ELSE 1 END"
    minutes = (
        f"coalesce(try_cast(regexp_extract({text}, '{UTC_OFFSET}$', 3) AS INTEGER), 0) * 60 + "
        f"coalesce(try_cast(regexp_extract({text}, '{UTC_OFFSET}$', 4) AS INTEGER), 0)"
    )
    utc = (
        f"try_cast(left({text}, length({text}) - length({offset})) AS TIMESTAMP) "
        f"- to_minutes({sign} * ({minutes}))"
    )
    return (
        f"CASE WHEN {local} THEN try_cast({text} AS TIMESTAMP) "
        f"WHEN {zoned} THEN timezone('{LOCAL_ZONE}', timezone('UTC', {utc})) END"
    )


NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")  # fmt: skip


def _native_expr(column: Column, value: str, source_type: str) -> str | None:
    """The typed value when the source column already has a fitting type, else None."""
    base = source_type.split("(")[0].upper()
    if column.kind == "timestamp" and "TIME ZONE" in source_type.upper():
        return f"timezone('{LOCAL_ZONE}', {value})"  # an instant: Shanghai's wall-clock time
    if column.kind == "timestamp" and base.startswith("TIMESTAMP"):
        return f"CAST({value} AS TIMESTAMP)"
    if column.kind == "date" and (base == "DATE" or base.startswith("TIMESTAMP")):
        return f"CAST({value} AS DATE)"
    if column.kind == "decimal" and base in NUMERIC_TYPES:
        return f"try_cast({value} AS DECIMAL(14, 2))"
    if column.kind == "integer" and base in NUMERIC_TYPES:
        return f"try_cast({value} AS BIGINT)"
    if column.kind == "number" and base in NUMERIC_TYPES:
        return f"try_cast({value} AS {SQL_TYPES['number']})"
    if column.kind == "boolean" and base == "BOOLEAN":
        return value
    return None


def _column_sources(
    table: Table, src: SourceFile, mapping: TableMapping
) -> tuple[dict[str, int], list[str]]:
    """Contract column -> position in the file; and the headers that map to nothing."""
    positions: dict[str, int] = {}
    ignored: list[str] = []
    contract_names = {c.name for c in table.columns}
    for i, header in enumerate(src.headers):
        name = mapping.columns.get(header, header)
        if name not in contract_names:
            ignored.append(header)
            continue
        if name in positions:
            first = src.headers[positions[name]]
            raise ExportError(
                f"headers {first!r} and {header!r} both give column {name}",
                file=src.path.name,
                column=name,
            )
        positions[name] = i
    missing = [c for c in table.required_columns if c not in positions]
    if missing:
        found = ", ".join(src.headers) or "(none)"
        raise ExportError(
            f"table {table.name} lacks required column(s) {', '.join(missing)}; "
            f"the file has: {found}",
            file=src.path.name,
        )
    return positions, ignored


def _value_map(expr: str, column: Column, mapping: TableMapping, params: list[Any]) -> str:
    pairs = mapping.values.get(column.name)
    if not pairs:
        return expr
    whens = []
    for raw, value in pairs.items():
        whens.append("WHEN ? THEN ?")
        params.extend([raw, value])
    return f"CASE {expr} {' '.join(whens)} ELSE {expr} END"


def _type_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    src: SourceFile,
    mapping: TableMapping,
    activity: tuple[str, ...],
) -> list[str]:
    positions, ignored = _column_sources(table, src, mapping)
    params: list[Any] = []
    select = ["_row"]
    parsed_here: set[str] = set()  # columns whose text is parsed into a typed value here
    for col in table.columns:
        if col.name not in positions:
            select.append(f"CAST(NULL AS VARCHAR) AS r_{col.name}")
            select.append(f"false AS p_{col.name}")
            select.append(f"CAST(NULL AS {sql_type(col)}) AS {col.name}")
            continue
        value = f"c{positions[col.name]}"
        source_type = src.types[positions[col.name]] if src.types else "VARCHAR"
        if source_type == INT96:
            raise ExportError(
                f"column {src.headers[positions[col.name]]!r} ({col.name}) is a Parquet INT96 "
                "timestamp, which does not say whether it holds UTC (Spark) or local wall-clock "
                "time (Impala, Hive): the audit will not guess. Write it as a Parquet TIMESTAMP "
                "(INT64; Spark: spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS) or as "
                "text with an offset",
                file=src.path.name,
            )
        native = _native_expr(col, value, source_type)
        if native:  # r_ keeps the raw text for evidence; a typed value has none to keep
            select.append(f"CAST(NULL AS VARCHAR) AS r_{col.name}")
            select.append(f"{value} IS NOT NULL AS p_{col.name}")
            select.append(f"{native} AS {col.name}")
            continue
        text = value if source_type == "VARCHAR" else f"CAST({value} AS VARCHAR)"
        parsed = _value_map(_parse_expr(col, text), col, mapping, params)
        if col.kind in SQL_TYPES:
            parsed_here.add(col.name)
        select.append(f"{text} AS r_{col.name}")
        select.append(f"nullif(trim({text}), '') IS NOT NULL AS p_{col.name}")
        select.append(f"{parsed} AS {col.name}")
    # NOTE: a stage whose every value arrives typed (Parquet) or as plain text is a view: it is
    # read twice (bad values, then the table) straight from the file, which costs less than
    # writing 10 M rows of raw and typed columns once more. Text parsed into times, dates and
    # amounts is staged as a table, so the parsing runs once.
    kind = "TABLE" if parsed_here or params else "VIEW"  # a view takes no parameters
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP {kind} stage_{table.name} AS SELECT {', '.join(select)} "
            f"FROM raw_{table.name}",
            params,
        )
        bad = _reject_bad_values(con, table, src, activity)
        columns = ", ".join(c.name for c in table.columns)
        keep = f" WHERE _row NOT IN (SELECT _row FROM bad_{table.name})" if bad else ""
        con.execute(
            f"CREATE OR REPLACE TABLE {table.name} AS SELECT _row, {columns} "
            f"FROM stage_{table.name}{keep}"
        )
    except duckdb.Error as exc:  # a Parquet file read in place can fail only now
        raise ExportError(
            f"cannot be read: {str(exc).strip().splitlines()[0]}", file=src.path.name
        ) from exc
    if table.name in activity:
        names = {c.name for c in table.columns}  # a programme's table may lack either
        ids = ", ".join(k if k in names else "NULL" for k in ("project_id", "person_id"))
        for col in table.columns:
            if col.kind == "timestamp" and col.name in parsed_here:
                con.execute(
                    f"INSERT INTO unparsed_values SELECT ?, _row, {ids}, ?, "
                    f"r_{col.name} FROM stage_{table.name} "
                    f"WHERE p_{col.name} AND {col.name} IS NULL",
                    [table.name, col.name],
                )
    con.execute(f"DROP {kind} stage_{table.name}")
    con.execute(f"DROP TABLE IF EXISTS bad_{table.name}")
    drop_raw(con, src)
    return ignored


# The DuckDB type of each kind that is parsed from text (id and text stay VARCHAR).
SQL_TYPES = {
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": "DECIMAL(14, 2)",
    "integer": "BIGINT",
    "number": "DECIMAL(18, 6)",  # exact, so that standard x ratio rounds as written
    "boolean": "BOOLEAN",
}


def sql_type(col: Column) -> str:
    """The DuckDB type a column of this kind is stored as."""
    return SQL_TYPES.get(col.kind, "VARCHAR")


def _value_checks(table: Table, activity: tuple[str, ...]) -> list[tuple[Column, str, str]]:
    """(column, SQL condition on the stage table, reason) for every value rule of the contract."""
    checks: list[tuple[Column, str, str]] = []
    for col in table.columns:
        lenient_ts = col.kind == "timestamp" and table.name in activity
        if col.required and not lenient_ts:
            checks.append((col, f"{col.name} IS NULL", "is empty or cannot be read as " + col.kind))
        elif not lenient_ts and col.kind in SQL_TYPES:
            checks.append(
                (
                    col,
                    f"{col.name} IS NULL AND p_{col.name}",
                    f"cannot be read as {col.kind}",
                )
            )
        elif lenient_ts and col.required:
            checks.append((col, f"NOT p_{col.name}", "is empty"))
        if col.minimum is not None or col.maximum is not None:
            low, high = col.minimum, col.maximum
            outside = " OR ".join(
                [f"{col.name} < {low!r}"] * (low is not None)
                + [f"{col.name} > {high!r}"] * (high is not None)
            )
            checks.append((col, f"{col.name} IS NOT NULL AND ({outside})", "must be " + col.span))
        if col.values:
            allowed = ", ".join("'" + v + "'" for v in col.values)
            checks.append(
                (
                    col,
                    f"{col.name} IS NOT NULL AND {col.name} NOT IN ({allowed})",
                    "must be one of " + " | ".join(col.values),
                )
            )
    return checks


def _reject_bad_values(
    con: duckdb.DuckDBPyConnection, table: Table, src: SourceFile, activity: tuple[str, ...]
) -> bool:
    """List every row with a value the contract forbids in `rejects` (and `bad_<table>`), with
    its first reason; whether there was any."""
    checks = _value_checks(table, activity)
    if not checks:
        return False
    column = (
        "CASE " + " ".join(f"WHEN {cond} THEN '{col.name}'" for col, cond, _ in checks) + " END"
    )
    reason = (
        "CASE " + " ".join(f"WHEN {cond} THEN 'value {why}'" for _, cond, why in checks) + " END"
    )
    names = {c.name for c in table.columns}
    keys = reject_keys(con)
    ids = [f"upper(nullif(trim(r_{k}), '')) AS {k}" if k in names else f"NULL AS {k}" for k in keys]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad_{table.name} AS SELECT _row, {column} AS column_name, "
        f"{reason} AS reason, {', '.join(ids)} FROM stage_{table.name} "
        f"WHERE {' OR '.join(f'({cond})' for _, cond, _ in checks)}"
    )
    con.execute(
        f"INSERT INTO rejects BY NAME SELECT ? AS source_table, ? AS file, _row AS source_row, "
        f"column_name, reason, {', '.join(keys)} FROM bad_{table.name}",
        [table.name, src.path.name],
    )
    return bool(con.execute(f"SELECT count(*) FROM bad_{table.name}").fetchall()[0][0])


def _value_rejects(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rejects found after reading (bad values), as opposed to rows DuckDB could not parse."""
    return int(
        con.execute(
            "SELECT count(*) FROM rejects WHERE source_table = ? AND reason LIKE 'value %'", [table]
        ).fetchall()[0][0]
    )


def first_reject(con: duckdb.DuckDBPyConnection) -> ExportError | None:
    """The first rejected row as an error, for --strict."""
    rows = con.execute(
        "SELECT file, source_row, column_name, reason, (SELECT count(*) FROM rejects) FROM rejects "
        "ORDER BY file, source_row LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    file, row, column, reason, total = rows[0]
    return ExportError(
        f"{reason} ({total} row(s) rejected in all; see rejects.csv)",
        file=file,
        row=int(row),
        column=column,
    )


def empty_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Table `table.name` with its columns and no rows."""
    columns = ", ".join(f"CAST(NULL AS {sql_type(c)}) AS {c.name}" for c in table.columns)
    con.execute(
        f"CREATE OR REPLACE TABLE {table.name} AS SELECT CAST(NULL AS BIGINT) AS _row, "
        f"{columns} WHERE false"
    )


def ingest(
    con: duckdb.DuckDBPyConnection,
    export_dir: Path,
    mapping: Mapping,
    work_dir: Path,
    progress: Callable[[str], None] | None = None,
    supplied: frozenset[str] = frozenset(),
    contract: Contract = ONLINE,
) -> IngestResult:
    """Load every table of `contract` from `export_dir` into `con`, typed; raise ExportError on
    bad input.

    `supplied`: contract tables an adapter derives from raw inputs, so the export need not
    have their files (when it has them too, the adapter's become the tie-out's `raw_<table>`).
    """
    if not export_dir.is_dir():
        raise ExportError(f"export directory {export_dir} does not exist or is not a directory")
    con.execute(
        "CREATE OR REPLACE TABLE unparsed_values (source_table VARCHAR, source_row BIGINT, "
        "project_id VARCHAR, person_id VARCHAR, column_name VARCHAR, raw_value VARCHAR)"
    )
    con.execute(rejects_ddl(contract.keys))
    result = IngestResult()
    missing = []
    for table in contract.tables:
        tmap = mapping.for_table(table.name)
        path = find_file(export_dir, table.name, tmap.file or table.name)
        if path is None:
            if table.required and table.name not in supplied:
                missing.append(f"{tmap.file or table.name}{{.csv,.csv.gz,.parquet,.jsonl,.xlsx,/}}")
            continue
        ingest_file(
            con, table, path, tmap, work_dir, result, progress, activity=contract.activity_tables
        )
    if missing:
        present = sorted(p.name + "/" * p.is_dir() for p in export_dir.iterdir())
        raise ExportError(
            f"missing table file(s): {', '.join(missing)}; the directory has: "
            f"{', '.join(present) or '(nothing)'}"
        )
    for table in contract.tables:
        if table.name not in result.sources:
            empty_table(con, table)
            result.sources[table.name] = None
            result.rows[table.name] = result.rows_read[table.name] = 0
            result.rows_rejected[table.name] = 0
    _create_adapter_tables(con, contract.activity_tables)
    return result


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    tmap: TableMapping,
    work_dir: Path,
    result: IngestResult,
    progress: Callable[[str], None] | None = None,
    json_paths: dict[str, str] | None = None,
    key: str | None = None,
    *,
    activity: tuple[str, ...] = ACTIVITY_TABLES,
) -> None:
    """Read one file into table `table.name`, typed, and record its counts under `key`.

    `json_paths` (column -> JSON path): the file is JSON lines, each line one record, and each
    column is the text at its path in the line.
    """
    key = key or table.name
    if progress:
        progress(f"reading {path.name}")
    if json_paths:
        src = load_json_lines(con, table.name, path, json_paths)
    else:
        src = load_raw(con, table.name, path, work_dir, sheet=key)
    result.sources[key] = src
    read = con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchall()[0][0]
    if src.rows is not None and read != src.rows:  # Parquet: the footers, read by pyarrow
        raise ExportError(
            f"the Parquet footers hold {src.rows} rows, but DuckDB read "
            f"{read}: rows would be lost, so the audit stops",
            file=path.name,
        )
    result.ignored_headers[key] = _type_table(con, table, src, tmap, activity)
    accepted = con.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
    rejected = con.execute(
        "SELECT count(*) FROM rejects WHERE source_table = ?", [table.name]
    ).fetchall()[0][0]
    result.rows[key] = int(accepted)
    result.rows_rejected[key] = int(rejected)
    result.rows_read[key] = int(read) + int(rejected) - _value_rejects(con, table.name)


# Tables an adapter fills; empty without one, so that the facts read them either way.
ACTIVITY_SOURCES_DDL = (
    "CREATE OR REPLACE TABLE activity_sources (source_table VARCHAR, _row BIGINT, "
    "source_file VARCHAR, first_row BIGINT, last_row BIGINT)"
)
UNMAPPED_DDL = (
    "CREATE OR REPLACE TABLE unmapped_actors (source_file VARCHAR, actor VARCHAR, "
    "reason VARCHAR, event_rows BIGINT, first_row BIGINT, last_row BIGINT)"
)


def _create_adapter_tables(con: duckdb.DuckDBPyConnection, activity: tuple[str, ...]) -> None:
    """`raw_<activity table>` (the tie-out's derived rows), `tie_outs` (which tables have
    them), `activity_sources` (raw file rows behind derived rows) and `unmapped_actors`."""
    for name in activity:
        con.execute(f"CREATE OR REPLACE TABLE raw_{name} AS SELECT * FROM {name} WHERE false")
    con.execute("CREATE OR REPLACE TABLE tie_outs (contract_table VARCHAR)")
    con.execute(ACTIVITY_SOURCES_DDL)
    con.execute(UNMAPPED_DDL)


__all__ = [
    "IngestResult",
    "empty_table",
    "first_reject",
    "ingest",
    "ingest_file",
    "quote_ident",
    "sql_type",
]
