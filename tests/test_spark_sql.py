"""Spark SQL keeps DuckDB's semantics: the comparison of fact tables both engines' tests use,
probe queries where the engines' SQL differs, DuckDB's round() as a Spark function, and a
local Spark that listens on loopback only.

`compare` checks a fact table of DuckDB against Spark's: the same columns in the same order,
the same types up to TYPE_MAP, and the same rows as multisets (EXCEPT ALL both ways; doubles
exactly). tests/test_spark_audit.py runs it on every fact of whole audits on both engines.
pyspark is a test dependency (`make setup-spark`): without it this module fails, it is never
skipped.

The one column pair that cannot be equal: sessions.claim_key and enterprise_key are DuckDB's
hash() (UBIGINT) there and xxhash64 (BIGINT) on Spark; no engine has the other's hash. They are
compact grouping keys no result shows, so they are compared by what they do: one key per
(project_id, person_id) resp. enterprise_id and one such pair per key, on both engines.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from auditor import facts
from auditor.engines import spark as spark_engine

try:
    import pyspark  # noqa: F401
except ImportError:  # NOTE: fail, never skip: the Spark facts are part of the suite
    pytest.fail(spark_engine.INSTALL_HINT, pytrace=False)

# DuckDB's type -> the type Spark's result has when read back by DuckDB. sum() of integers is
# HUGEINT in DuckDB and BIGINT in Spark; a DECIMAL's precision follows each engine's rules for
# arithmetic (the scale and every value are the same): compared as DECIMAL(*, scale).
TYPE_MAP = {"HUGEINT": "BIGINT"}
# Compact hash keys: see the module's docstring. table -> {key column: the columns it hashes}
HASH_KEYS = {
    "sessions": {"claim_key": ("project_id", "person_id"), "enterprise_key": ("enterprise_id",)}
}

pytestmark = pytest.mark.xdist_group("spark")  # one JVM for the module, on one worker


def _type(name: str) -> str:
    name = TYPE_MAP.get(name, name)
    return "DECIMAL(*," + name.split(",")[1] if name.startswith("DECIMAL(") else name


def compare(con: duckdb.DuckDBPyConnection, fact: str, spark_dir: Path | str) -> list[str]:
    """Differences between DuckDB's fact table and Spark's (its Parquet output in `spark_dir`,
    or a relation holding it); [] when equal."""
    if isinstance(spark_dir, Path):
        path = str(spark_dir / f"{fact}.parquet" / "*.parquet")
        spark_dir = f"read_parquet('{path}')"
    con.execute(f"CREATE OR REPLACE TEMP VIEW spark_{fact} AS SELECT * FROM {spark_dir}")
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


def _listening(pid: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp* shows them) of the sockets `pid` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        for fields in (line.split() for line in lines):
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1].rsplit(":", 1)[0])
    return found


def test_spark_listens_on_loopback_only(spark) -> None:
    """The driver, its block manager and the Python gateway bind 127.0.0.1, nothing else."""
    loopback = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    addresses = _listening(pid)
    assert addresses, "found no listening socket of the JVM: the check would check nothing"
    assert set(addresses) <= loopback, addresses


# The rewrites of auditor/engines/spark_sql.py on the values where DuckDB and Spark differ:
# round() of a DOUBLE at a decimal tie, DECIMAL rounding, division by zero, second boundaries,
# sub-second epochs, NULL ordering, concat of NULL, string_agg order, POSIX classes, invalid
# birth dates, month ends, days spanned. Each query runs on both engines and is compared as
# the facts are.
PROBE_INPUT = """
SELECT * FROM (VALUES
    (1, 'a', 1.005, CAST(1.005 AS DECIMAL(10, 3)), 0, TIMESTAMP '2023-01-01 00:00:00.9',
     TIMESTAMP '2023-01-01 00:00:01.1', '谢谢老师！ a,b;c', DATE '2022-01-31'),
    (2, 'a', 0.35, CAST(-2.675 AS DECIMAL(10, 3)), 3, TIMESTAMP '2023-03-01 23:59:59.999999',
     TIMESTAMP '2023-03-03 00:00:00', '110101199002301234', DATE '2024-02-29'),
    (3, 'b', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 'b', -2.675, CAST(0.125 AS DECIMAL(10, 3)), -7, TIMESTAMP '1969-12-31 23:59:59.5',
     TIMESTAMP '1970-01-01 00:00:00.5', '  x\ty！', DATE '2023-12-31')
) v(id, g, x0, d, n, a, b, s, day)
"""
PROBE_INPUT = f"SELECT id, g, CAST(x0 AS DOUBLE) AS x, d, n, a, b, s, day FROM ({PROBE_INPUT})"
PROBES = {
    "probe_values": """
        SELECT id, round(x, 2) AS r2, round(x, 1) AS r1, round(x / 3, 2) AS rq,
               round(d, 2) AS rd, x / n AS q, id / n AS iq, d / 3 AS dq,
               id / (CAST('-0.0' AS DOUBLE) * n) AS negative_zero,
               seconds_between(a, b) AS sb, epoch_seconds(a) AS ea, days_between(a, b) AS db,
               strip_punctuation(s) AS sp, birth_date_of(s) AS bd, add_months(day, 1) AS am,
               add_days(day, 1) AS ad, second_of_day(a) AS sd, start_of_day(a) AS sa,
               concat(s, NULL, g) AS c, year_of(a) AS y,
               row_number() OVER (ORDER BY x, id) AS rn,
               first_value(id) OVER (PARTITION BY g ORDER BY n) AS fv
        FROM probe_input""",
    "probe_agg": """
        SELECT g, string_agg(CAST(id AS VARCHAR), ', ' ORDER BY x, id) AS ids,
               count(*) FILTER (WHERE x > 0) AS positive, sum(n) AS total
        FROM probe_input GROUP BY g""",
    "probe_days": """
        SELECT id, CAST(unnest(days_spanned(a, b)) AS DATE) AS day
        FROM probe_input WHERE a IS NOT NULL""",
}


def test_spark_rewrites_keep_duckdb_semantics(spark, tmp_path: Path) -> None:
    from auditor.engines.spark_sql import SparkDialect, to_spark

    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    facts.load_dialect(con)
    con.execute(f"CREATE TABLE probe_input AS {PROBE_INPUT}")
    path = tmp_path / "probe_input.parquet"
    con.execute(f"COPY probe_input TO '{path}' (FORMAT parquet)")
    spark.read.parquet(str(path)).createOrReplaceTempView("probe_input")
    dialect = SparkDialect.load()
    problems = []
    for name, sql in PROBES.items():
        con.execute(f"CREATE TABLE {name} AS {sql}")
        spark_sql = to_spark(sql, dialect, double_columns=["x"])
        spark.sql(spark_sql).write.parquet(str(tmp_path / f"{name}.parquet"))
        problems += compare(con, name, tmp_path)
    assert not problems, "\n".join(problems)


def test_round_double_is_duckdbs() -> None:
    """The Spark side's round() of a DOUBLE gives DuckDB's round(), ties and signs included."""
    import random

    rng = random.Random(20230630)
    values = [(1.005, 2), (0.35, 1), (-2.675, 2), (2.5, 0), (-0.5, 0), (0.125, 2), (-0.0, 1)]
    values += [(1e300, 2), (5e-324, 2), (123456789012.345, 2), (1234.5, -1)]
    for _ in range(5000):
        digits = rng.choice([0, 1, 2, 3])
        tie = (rng.randint(-(10**6), 10**6) + 0.5) / 10**digits
        values.append((tie if rng.random() < 0.5 else rng.uniform(-1e4, 1e4), digits))
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x DOUBLE, n INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)", values)
    for x, n, duck in con.execute("SELECT x, n, round(x, n) FROM t").fetchall():
        assert spark_engine.round_double(x, n) == duck, (x, n)
