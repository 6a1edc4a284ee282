"""The facts of both programmes on Apache Spark equal DuckDB's, table by table, row for row.

Each sample is ingested into DuckDB as auditor.pipeline does, its facts materialised there; the
tables the facts read go to Parquet, Spark materialises every fact from them
(auditor/engines/spark.py), and each Spark fact table is read back into DuckDB and compared
with DuckDB's: the same columns in the same order, the same types up to TYPE_MAP, and the same
rows as multisets (EXCEPT ALL both ways; doubles exactly). pyspark is a test dependency
(`make setup-spark`): without it this module fails, it is never skipped.

The one column pair that cannot be equal: sessions.claim_key and enterprise_key are DuckDB's
hash() (UBIGINT) there and xxhash64 (BIGINT) on Spark; no engine has the other's hash. They are
compact grouping keys no result shows, so they are compared by what they do: one key per
(project_id, person_id) resp. enterprise_id and one such pair per key, on both engines.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pytest

from auditor import facts, pipeline, sqlfuncs
from auditor.contract import load_contract
from auditor.engines import spark as spark_engine
from auditor.ingest import ingest
from auditor.mapping import resolve_mapping
from auditor.policy import load_policy

try:
    import pyspark  # noqa: F401
except ImportError:  # NOTE: fail, never skip: the Spark facts are part of the suite
    pytest.fail(spark_engine.INSTALL_HINT, pytrace=False)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "online": (ROOT / "sample_exports", "shanghai-2022", dt.date(2023, 6, 30)),
    "yingkou": (ROOT / "sample_exports" / "yingkou-2020", "yingkou-2020", dt.date(2023, 6, 30)),
    "voucher": (
        ROOT / "sample_exports" / "shanghai-voucher-2021",
        "shanghai-voucher-2021",
        dt.date(2021, 12, 31),
    ),
}
# DuckDB's type -> the type Spark's result has when read back by DuckDB. sum() of integers is
# HUGEINT in DuckDB and BIGINT in Spark; a DECIMAL's precision follows each engine's rules for
# arithmetic (the scale and every value are the same): compared as DECIMAL(*, scale).
TYPE_MAP = {"HUGEINT": "BIGINT"}
# Compact hash keys: see the module's docstring. table -> {key column: the columns it hashes}
HASH_KEYS = {
    "sessions": {"claim_key": ("project_id", "person_id"), "enterprise_key": ("enterprise_id",)}
}

pytestmark = pytest.mark.xdist_group("spark")  # one JVM for the module, on one worker


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    start = time.perf_counter()
    session = spark_engine.session(local_dir=tmp_path_factory.mktemp("spark-local"))
    print(f"\nSpark session started in {time.perf_counter() - start:.1f} s")
    yield session
    session.stop()


def duckdb_facts(
    export: Path, policy_name: str, as_of: dt.date, work: Path
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """The DuckDB side, built as pipeline._run builds it; facts materialised."""
    policy = load_policy(policy_name)
    contract = load_contract(policy.programme)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    sqlfuncs.register(con)
    facts.load_dialect(con)
    ingest(con, export, resolve_mapping(export, None), work, contract=contract)
    facts.load_policy_tables(con, policy, as_of)
    facts.load_reference_tables(con)
    pipeline._load_calendar(con, policy, as_of, pipeline.AuditOptions(as_of=as_of))
    con.execute("CREATE OR REPLACE TABLE prior_blocks (project_id VARCHAR, person_id VARCHAR)")
    spark_engine.export_inputs(con, work / "inputs", policy.programme)
    facts.materialize(con, facts.load_fact_queries(programme=policy.programme))
    return con, policy.programme


def _type(name: str) -> str:
    name = TYPE_MAP.get(name, name)
    return "DECIMAL(*," + name.split(",")[1] if name.startswith("DECIMAL(") else name


def compare(con: duckdb.DuckDBPyConnection, fact: str, spark_dir: Path) -> list[str]:
    """Differences between DuckDB's fact table and Spark's Parquet output; [] when equal."""
    path = str(spark_dir / f"{fact}.parquet" / "*.parquet")
    con.execute(f"CREATE OR REPLACE TEMP VIEW spark_{fact} AS SELECT * FROM read_parquet('{path}')")
    ours = con.execute(f"DESCRIBE {fact}").fetchall()
    theirs = con.execute(f"DESCRIBE spark_{fact}").fetchall()
    problems = []
    if [c[0] for c in ours] != [c[0] for c in theirs]:
        return [f"{fact}: columns {[c[0] for c in ours]} != Spark's {[c[0] for c in theirs]}"]
    keys = HASH_KEYS.get(fact, {})
    for (name, duck_type, *_), (_, spark_type, *_) in zip(ours, theirs, strict=True):
        if name not in keys and _type(duck_type) != _type(spark_type):
            problems.append(f"{fact}.{name}: DuckDB {duck_type}, Spark {spark_type}")
    columns = ", ".join(f'"{c[0]}"' for c in ours if c[0] not in keys)
    for one, other, side in ((fact, f"spark_{fact}", "DuckDB"), (f"spark_{fact}", fact, "Spark")):
        extra = con.execute(
            f"SELECT {columns} FROM {one} EXCEPT ALL SELECT {columns} FROM {other} LIMIT 5"
        ).fetchall()
        if extra:
            problems.append(f"{fact}: rows only {side} has (up to 5): {extra}")
    for key, source in keys.items():
        for table in (fact, f"spark_{fact}"):
            cols = ", ".join(source)
            bad = con.execute(
                f"SELECT (SELECT count(DISTINCT {key}) FROM {table}),"
                f" (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {table})),"
                f" (SELECT count(*) FROM (SELECT DISTINCT {key}, {cols} FROM {table}))"
            ).fetchone()
            assert bad is not None
            if len(set(bad)) != 1:
                problems.append(f"{table}.{key} is not one key per ({cols}): {bad}")
    return problems


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_spark_facts_equal_duckdb(sample: str, spark, tmp_path: Path) -> None:
    export, policy_name, as_of = SAMPLES[sample]
    con, programme = duckdb_facts(export, policy_name, as_of, tmp_path)
    start = time.perf_counter()
    seconds = spark_engine.run_facts(spark, tmp_path / "inputs", tmp_path / "spark", programme)
    print(f"\n{sample}: {len(seconds)} Spark facts in {time.perf_counter() - start:.1f} s")
    queries = facts.load_fact_queries(programme=programme)
    assert list(seconds) == [q.name for q in queries]
    problems = [p for q in queries for p in compare(con, q.name, tmp_path / "spark")]
    rows = {q.name: con.execute(f"SELECT count(*) FROM {q.name}").fetchone() for q in queries}
    assert not problems, "\n".join(problems)
    assert any(n and n[0] for n in rows.values())  # the comparison compared something
