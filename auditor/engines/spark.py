"""Run a programme's facts on Apache Spark (local, bound to loopback), from Parquet to Parquet.

The input is a folder of Parquet files, one per table the facts read (`<table>.parquet`: the
contract's tables after DuckDB's ingest and the tables the engine builds: policy, calendar,
audit_context, prior_blocks, rejects, the checks/reference tables, ...), as `export_inputs`
writes them from a DuckDB connection. Each fact of the programme is transpiled
(auditor/engines/spark_sql.py), run, written to `<out>/<fact>.parquet` and read back as the
view the later facts read: nothing the size of an event table reaches the driver. The Python
functions the facts call (auditor/sqlfuncs.py: ric_valid, ric_region_known, uscc_valid,
checkin_distance_m) are registered as Arrow UDFs around the same vectorised functions DuckDB
calls, so the ID and credit-code checks are python-stdnum's in both engines.
"""

from __future__ import annotations

import decimal
import importlib.util
import math
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .. import facts, sqlfuncs
from ..contract import DEFAULT_PROGRAMME
from ..errors import RuleError
from .spark_sql import DUCKDB_ROUND, SparkDialect, to_spark

INSTALL_HINT = (
    "pyspark is not installed: run `make setup-spark` (pyspark from the `spark` dependency "
    "group, and Debian's openjdk-17-jre-headless when `java` is missing)"
)

# A local master listens on loopback only: nothing listens beyond 127.0.0.1. (A cluster's
# executors must reach the driver, so a cluster master keeps Spark's own addresses.)
LOOPBACK_CONF = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
# Session settings the facts rely on.
SESSION_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # DuckDB runs with TimeZone Asia/Shanghai and reads times as TIMESTAMP (wall clock, no zone):
    # Spark's TIMESTAMP_NTZ is the same type, and Parquet's zone-less timestamps become it
    "spark.sql.session.timeZone": "Asia/Shanghai",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.ansi.enabled": "true",  # an overflow or bad cast stops, as in DuckDB
    "spark.sql.adaptive.enabled": "true",
}


def local_cores(master: str) -> int | None:
    """N of local[N] (local: 1, local[*]: this machine's cores); None for any other master."""
    match = re.fullmatch(r"local(\[(\d+|\*)\])?", master)
    if match is None:
        return None
    if match[2] in (None, "*"):
        return 1 if match[2] is None else os.cpu_count() or 1
    return int(match[2])


_MASTER = re.compile(r"local(\[(\d+|\*)\])?|spark://\S+|yarn|k8s://\S+")
# Spark Connect: sc://HOST[:PORT][/;key=value;...] (pyspark's own grammar; 15002 by default)
_CONNECT = re.compile(r"sc://(?P<host>\[[^\]]+\]|[^:/;\s]+)(:(?P<port>\d+))?(?P<params>/;\S*)?/?")
CONNECT_PORT = 15002
CONNECT_MODULES = ("grpc", "grpc_status", "google.protobuf", "pandas", "pyarrow")


def is_connect(master: str) -> bool:
    """Whether `master` is a Spark Connect address (sc://): the driver is a server elsewhere."""
    return master.startswith("sc://")


def connect_address(master: str) -> tuple[str, int]:
    """(host, port) of a Spark Connect URL; RuleError when it is not one."""
    match = _CONNECT.fullmatch(master)
    if match is None:
        raise RuleError(
            f"--spark-master {master!r} is not a Spark Connect address: sc://HOST[:PORT][/;...]"
        )
    return match["host"].strip("[]"), int(match["port"] or CONNECT_PORT)


def shown_master(master: str) -> str:
    """The master as the manifest records it: a Connect URL without its parameters (a token
    or a user name is no business of the papers)."""
    if not is_connect(master):
        return master
    host, port = connect_address(master)
    return f"sc://[{host}]:{port}" if ":" in host else f"sc://{host}:{port}"


_SECRET = re.compile(r"secret|password|token|credential|access\.key|\.key$", re.IGNORECASE)


def shown_conf(conf: tuple[str, ...]) -> list[str]:
    """The KEY=VALUE settings as the manifest records them, a credential's value masked."""
    return [
        f"{key}=***" if _SECRET.search(key) else f"{key}={value}"
        for key, _, value in (c.partition("=") for c in conf)
    ]


def check_available(master: str) -> None:
    """Stop before any work when Spark cannot run here: no pyspark, no Java (a local or
    cluster driver runs in this process's JVM), a Connect server that does not answer, or a
    master this engine does not drive."""
    if importlib.util.find_spec("pyspark") is None:
        raise RuleError(INSTALL_HINT)
    if is_connect(master):
        _check_connect(master)
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuleError(
            "Spark needs a Java runtime and there is no `java`: run `make setup-spark` "
            "(Debian's openjdk-17-jre-headless) or set JAVA_HOME"
        )
    if not _MASTER.fullmatch(master):
        raise RuleError(
            f"--spark-master {master!r} is not a Spark master: local[N], local[*], "
            "spark://HOST:PORT, yarn, k8s://URL or a Spark Connect sc://HOST:PORT"
        )


def _check_connect(master: str) -> None:
    """A Connect client needs no Java, but pyspark's `connect` extra and a server that answers."""
    host, port = connect_address(master)
    missing = [m for m in CONNECT_MODULES if not _importable(m)]
    if missing:
        raise RuleError(
            f"Spark Connect needs pyspark's `connect` extra ({', '.join(missing)} missing): "
            "run `make setup-spark`"
        )
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise RuleError(
            f"no Spark Connect server answers at {host}:{port} ({exc.strerror or exc}); "
            "start one (docs/engines.md) or check --spark-master"
        ) from None


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def active_session() -> Any:
    """The process's running SparkSession, or None (also when pyspark is not installed)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def session(master: str = "local[2]", local_dir: Path | None = None, **conf: str) -> Any:
    """A SparkSession (local: bound to 127.0.0.1) with the settings above; for sc:// a Spark
    Connect client session, given the SQL settings (the server's own settings are its
    operator's: a setting a client may not change stops the audit, with Spark's reason)."""
    check_available(master)
    from pyspark.sql import SparkSession

    if is_connect(master):
        return _connect_session(SparkSession, master, conf)
    local = master.startswith("local")
    if local:
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # UDF workers: this interpreter
    builder = SparkSession.builder.master(master).appName("auditor")
    # a shuffle in as many parts as a local master has cores (Spark's 200 are for a cluster,
    # where they stay: AQE coalesces small ones there)
    cores = local_cores(master)
    shuffle = {"spark.sql.shuffle.partitions": str(cores)} if cores else {}
    settings = {**(LOOPBACK_CONF if local else {}), **SESSION_CONF, **shuffle, **conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    if local_dir is not None:
        builder = builder.config("spark.local.dir", str(local_dir))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    register_functions(spark)
    return spark


def _connect_session(session_class: Any, master: str, conf: dict[str, str]) -> Any:
    spark = session_class.builder.remote(master).getOrCreate()
    sql_conf = {k: v for k, v in SESSION_CONF.items() if k.startswith("spark.sql.")}
    for key, value in {**sql_conf, **conf}.items():
        try:
            spark.conf.set(key, value)
        except Exception as exc:  # CANNOT_MODIFY_CONFIG: a static or server-side setting
            spark.stop()
            first = str(exc).strip().splitlines()[0]
            (shown,) = shown_conf((f"{key}={value}",))  # a credential stays out of the message
            raise RuleError(
                f"the Spark Connect server refused the setting {shown}: {first} "
                "(a cluster setting is the server's: set it where the server is started)"
            ) from None
    register_functions(spark)
    return spark


def register_functions(spark: Any) -> None:
    """ric_valid, ric_region_known, uscc_valid and checkin_distance_m as Arrow UDFs over the
    very functions DuckDB calls (auditor/sqlfuncs.py)."""
    from pyspark.sql.functions import arrow_udf

    for name, fn in (
        ("ric_valid", sqlfuncs.is_valid_ric),
        ("ric_region_known", sqlfuncs.is_known_ric_region),
        ("uscc_valid", sqlfuncs.is_valid_uscc),
    ):
        spark.udf.register(name, arrow_udf(sqlfuncs.vectorised(fn), "boolean"))  # type: ignore[call-overload]
    spark.udf.register(DUCKDB_ROUND, arrow_udf(_round_doubles, "double"))  # type: ignore[call-overload]
    spark.udf.register("checkin_distance_m", arrow_udf(sqlfuncs.checkin_distances, "double"))  # type: ignore[call-overload]


_EXACT = decimal.Context(prec=1200)  # a double's exact value has at most ~1100 digits


def round_double(x: float | None, digits: int | None) -> float | None:
    """DuckDB's round(DOUBLE, n): the double's exact binary value rounded half away from zero
    (checked against DuckDB on 20,000 values, ties included). Spark's round() rounds the
    shortest decimal text instead (round(0.35, 1): DuckDB 0.3, Spark 0.4)."""
    if x is None or digits is None:
        return None
    if math.isnan(x) or math.isinf(x):
        return x
    step = decimal.Decimal(1).scaleb(-digits)
    return float(decimal.Decimal(x).quantize(step, decimal.ROUND_HALF_UP, _EXACT))


def _round_doubles(xs: pa.Array, digits: pa.Array) -> pa.Array:
    pairs = zip(xs.to_pylist(), digits.to_pylist(), strict=True)
    return pa.array([round_double(x, n) for x, n in pairs], type=pa.float64())


def input_tables(programme: str = DEFAULT_PROGRAMME) -> list[str]:
    """The tables a programme's facts read that are not facts themselves."""
    queries = facts.load_fact_queries(programme=programme)
    names = {q.name for q in queries}
    return sorted({t for q in queries for t in q.reads} - names)


def export_inputs(
    con: duckdb.DuckDBPyConnection, folder: Path, programme: str = DEFAULT_PROGRAMME
) -> list[str]:
    """Write every table the programme's facts read from `con` to `folder/<table>.parquet`."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = input_tables(programme)
    for table in tables:
        path = str(folder / f"{table}.parquet").replace("'", "''")
        con.execute(f"COPY \"{table}\" TO '{path}' (FORMAT parquet)")
    return tables


def register_inputs(
    spark: Any, inputs: Path, programme: str = DEFAULT_PROGRAMME, tables: list[str] | None = None
) -> None:
    """Read `inputs/<table>.parquet` as the temp view `<table>`, for every table the programme's
    facts read (or just `tables`)."""
    for table in tables if tables is not None else input_tables(programme):
        path = inputs / f"{table}.parquet"
        if not path.exists():
            raise RuleError(f"Spark facts: input table {table} is missing ({path})")
        spark.read.parquet(str(path)).createOrReplaceTempView(table)


def run_facts(
    spark: Any,
    inputs: Path | None,
    out: Path,
    programme: str = DEFAULT_PROGRAMME,
    names: set[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Materialise the programme's facts into `out/<fact>.parquet`, in load_fact_queries order
    (only `names` when given); seconds per fact. `inputs`: register the input tables from
    there first (None: they are registered already). `progress` hears each fact as it starts
    (on a cluster a fact can take minutes)."""
    if inputs is not None:
        register_inputs(spark, inputs, programme)
    dialect = SparkDialect.load()
    seconds: dict[str, float] = {}
    queries = [
        q for q in facts.load_fact_queries(programme=programme) if names is None or q.name in names
    ]
    for number, q in enumerate(queries, 1):
        if progress:
            progress(f"fact {number}/{len(queries)} on Spark: {q.name}")
        start = time.perf_counter()
        write_query(spark, q.name, q.sql, q.reads, out / f"{q.name}.parquet", dialect)
        seconds[q.name] = round(time.perf_counter() - start, 3)
    return seconds


def write_query(
    spark: Any,
    name: str,
    duckdb_sql: str,
    reads: frozenset[str],
    target: Path,
    dialect: SparkDialect | None = None,
    label: str = "",
) -> None:
    """Transpile one DuckDB SELECT, run it on Spark into `target` (Parquet), and read that back
    as the view `name`. `label` names the query in an error (default: fact file NAME.sql)."""
    dialect = dialect or SparkDialect.load()
    doubles = {
        f.name
        for t in reads
        for f in spark.table(t).schema.fields
        if f.dataType.simpleString() in ("double", "float")
    }
    steps: list[tuple[str, str]] = []
    sql = to_spark(
        duckdb_sql,
        dialect,
        scalar=lambda s: _scalar(spark, s),
        double_columns=doubles,
        steps=steps,
        prefix=f"__{name}__",
    )
    kept = []
    try:
        for step_name, step in steps:  # CTEs read more than once: each computed once
            kept.append(spark.sql(step).localCheckpoint())
            kept[-1].createOrReplaceTempView(step_name)
        spark.sql(sql).write.mode("overwrite").parquet(str(target))
    except Exception as exc:  # Spark's AnalysisException and friends: name the query
        raise RuleError(f"{label or f'fact file {name}.sql'} failed on Spark: {exc}") from exc
    finally:
        for (step_name, _), frame in zip(steps, kept, strict=False):
            spark.catalog.dropTempView(step_name)
            frame.unpersist()
    spark.read.parquet(str(target)).createOrReplaceTempView(name)


def _scalar(spark: Any, sql: str) -> Any:
    rows = spark.sql(sql).take(2)  # a one-row table's value (policy): two rows would be a bug
    if len(rows) != 1 or len(rows[0]) != 1:
        raise RuleError(f"expected one value from {sql}")
    return rows[0][0]
