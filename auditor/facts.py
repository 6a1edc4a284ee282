"""Materialise the fact tables: a programme's facts/*.sql, in the order their reads require.

A programme's facts folder is its contract's `facts` (online-subsidy: checks/facts/,
otherwise checks/programmes/<name>/facts/). Each file is one SELECT; its stem names the table it becomes. The order comes from the tables
each query reads (sqlglot), so files need no numeric prefixes. `_dialect.sql` defines the few
engine-specific macros and runs first; it is the engine's, so it stays in checks/facts/ and
serves every programme.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

from .contract import DEFAULT_PROGRAMME, load_contract
from .errors import RuleError
from .policy import Policy, load_schema
from .resources import checks_dir

DIALECT_FILE = "_dialect.sql"
# Tables the auditor builds itself, besides the export's: facts may read them.
BUILT_INPUTS = ("policy", "policy_size_classes", "calendar", "audit_context", "prior_blocks")
REFERENCE_DIR = "reference"  # checks/reference/<table>.toml: fixed tables the facts read


@dataclass(frozen=True)
class FactQuery:
    """One fact file: its table name, SQL, the tables it reads, and its grain."""

    name: str
    sql: str
    reads: frozenset[str]
    grain: tuple[str, ...]


def facts_dir(programme: str = DEFAULT_PROGRAMME) -> Path:
    """The programme's facts folder (online-subsidy: checks/facts/)."""
    folder = load_contract(programme).facts_dir
    assert folder is not None  # a loaded contract always has one
    return folder


def _grain(sql: str) -> tuple[str, ...]:
    """The key columns named in the header's `(grain: a, b; ...)`; empty when none are."""
    if "(grain:" not in sql:
        return ()
    text = sql[sql.index("(grain:") + len("(grain:") :]
    text = text.split(")")[0].split(";")[0].replace("--", " ")
    cols = [c.strip() for c in text.split(",")]
    return tuple(cols) if all(c.isidentifier() for c in cols) else ()


def load_fact_queries(
    folder: Path | None = None, programme: str = DEFAULT_PROGRAMME
) -> list[FactQuery]:
    """The programme's fact files (or those in `folder`), each after the facts it reads."""
    folder = folder or facts_dir(programme)
    queries: dict[str, FactQuery] = {}
    for path in sorted(folder.glob("*.sql")):
        if path.name == DIALECT_FILE:
            continue
        sql = path.read_text(encoding="utf-8")
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise RuleError(f"fact file {path.name} does not parse: {exc}") from exc
        queries[path.stem] = FactQuery(path.stem, sql, _reads(tree), _grain(sql))
    # NOTE: sorted, so that the order is the same in every process (sets of str are not)
    graph = {n: sorted(r for r in q.reads if r in queries) for n, q in sorted(queries.items())}
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise RuleError(f"fact files read each other in a cycle: {exc.args[1]}") from exc
    return [queries[n] for n in order]


def _reads(tree: exp.Expr) -> frozenset[str]:
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table)) - ctes


def reads_of(sql: str) -> frozenset[str]:
    """The tables a SELECT in DuckDB's SQL reads (its CTEs aside)."""
    return _reads(sqlglot.parse_one(sql, read="duckdb"))


def depends_on(queries: list[FactQuery], table: str) -> set[str]:
    """Fact tables that read `table`, directly or through other facts."""
    found: set[str] = set()
    for q in queries:  # topological order: readers come after what they read
        if table in q.reads or q.reads & found:
            found.add(q.name)
    return found


def load_dialect(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> None:
    """Define the engine-specific macros the facts call."""
    con.execute(((folder or checks_dir() / "facts") / DIALECT_FILE).read_text(encoding="utf-8"))


def load_policy_tables(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: dt.date) -> None:
    """The one-row `policy` table, `policy_size_classes` and `audit_context`."""
    scalars = [p for p in load_schema(policy.programme).parameters if p.kind is not list]
    types = {int: pa.int64(), dt.date: pa.date32()}
    con.register(
        "policy_arrow",
        pa.table({p.name: pa.array([policy.parameters[p.name]], types[p.kind]) for p in scalars}),
    )
    con.execute("CREATE OR REPLACE TABLE policy AS SELECT * FROM policy_arrow")
    con.unregister("policy_arrow")
    sizes = policy.parameters.get("eligible_size_classes") or []
    con.execute("CREATE OR REPLACE TABLE policy_size_classes (size_class VARCHAR)")
    if sizes:
        con.executemany("INSERT INTO policy_size_classes VALUES (?)", [[s] for s in sizes])
    con.execute("CREATE OR REPLACE TABLE audit_context AS SELECT CAST(? AS DATE) AS as_of", [as_of])


def load_reference_tables(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> None:
    """Each checks/reference/<name>.toml (a list of `[[rows]]`) becomes table <name>.

    Reference data that is not a policy's choice, such as the statutory retirement schedule.
    """
    folder = folder or checks_dir() / REFERENCE_DIR
    types = {str: pa.string(), int: pa.int64(), dt.date: pa.date32(), float: pa.float64()}
    for path in sorted(folder.glob("*.toml")):
        rows = tomllib.loads(path.read_text(encoding="utf-8")).get("rows")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise RuleError(f"reference file {path.name}: needs one or more [[rows]]")
        names = list(rows[0])
        if any(list(r) != names for r in rows):
            raise RuleError(f"reference file {path.name}: every row needs the same keys in order")
        columns = {}
        for name in names:
            kinds = {type(r[name]) for r in rows}
            if len(kinds) != 1 or next(iter(kinds)) not in types:
                raise RuleError(f"reference file {path.name}: column {name} mixes or has bad types")
            columns[name] = pa.array([r[name] for r in rows], types[next(iter(kinds))])
        con.register("reference_arrow", pa.table(columns))
        con.execute(f'CREATE OR REPLACE TABLE "{path.stem}" AS SELECT * FROM reference_arrow')
        con.unregister("reference_arrow")


def materialize(con: duckdb.DuckDBPyConnection, queries: list[FactQuery]) -> dict[str, float]:
    """Create each fact table from its query, in the given order; seconds per fact table."""
    seconds: dict[str, float] = {}
    for q in queries:
        start = time.perf_counter()
        try:
            con.execute(f"CREATE OR REPLACE TABLE {q.name} AS {q.sql}")
        except duckdb.Error as exc:
            raise RuleError(f"fact file {q.name}.sql failed: {exc}") from exc
        seconds[q.name] = round(time.perf_counter() - start, 3)
    return seconds
