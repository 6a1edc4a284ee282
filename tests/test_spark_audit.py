"""`auditor audit --engine spark` gives the DuckDB engine's audit, byte for byte.

Each export is audited twice, on DuckDB and on Spark (`local[2]`, one session for the whole
suite: the `spark` fixture, reused by the pipeline's getOrCreate). findings.csv and
subsidy.csv must be byte-identical (the issue's promise), and so must every other paper and
report page; every fact table the Spark run loaded into its audit database must equal
DuckDB's (tests/test_spark_sql.py: compare), and the manifests' counts and GX results
must agree. Exports: the three samples (online, Yingkou, vouchers), the heartbeat example (raw logs through
an adapter), generated exports with
fraud planted (200 claims; 1 M sessions), and every rule case of tests/rules/, merged into
batches (see BATCHES).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.engines.spark_rules import condition_of, failing_rows
from auditor.errors import EvaluationError
from auditor.expectations import RuleOutcome
from auditor.pipeline import AuditOptions, AuditRun, audit
from tests.rules.batches import Batch, findings_by_member, rule_case_batches, write_batch
from tests.rules.test_rule_cases import check_case, findings
from tests.test_spark_sql import compare

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "online": (ROOT / "sample_exports", "shanghai-2022", dt.date(2023, 6, 30)),
    "yingkou": (ROOT / "sample_exports" / "yingkou-2020", "yingkou-2020", dt.date(2023, 6, 30)),
    "voucher": (
        ROOT / "sample_exports" / "shanghai-voucher-2021",
        "shanghai-voucher-2021",
        dt.date(2021, 12, 31),
    ),
    # raw player heartbeats through the heartbeat adapter (mapping.toml's [adapter]): the
    # adapter runs at ingest, the tie-out facts on Spark
    "heartbeat-adapter": (ROOT / "examples" / "heartbeat", "shanghai-2022", dt.date(2023, 6, 30)),
}
# Files both engines write that differ by design: the manifest records the engine, its
# settings and timings; the audit database is compared table by table instead.
NOT_BYTES = {"manifest.json", "audit.duckdb"}

# Every rule case of tests/rules/ runs on both engines, merged into a few exports (batches:
# tests/rules/batches.py): a Spark audit has a fixed cost of ~30 s (some 400 Spark jobs) however
# small the export, so 302 cases alone would take hours on two cores; nine batches take minutes.
# tests/rules/test_rule_case_batches.py proves on DuckDB that a batch keeps every case's findings.
BATCHES = rule_case_batches()
MILLION = 1_000_000

pytestmark = pytest.mark.xdist_group("spark")


def _audit(
    export: Path, policy: str, out: Path, as_of: dt.date, engine: str, **options: object
) -> AuditRun:
    return audit(export, policy, out, AuditOptions(as_of=as_of, engine=engine, **options))  # type: ignore[arg-type]


def _files(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in NOT_BYTES
    }


def assert_same_audit(duck: Path, spark: Path, facts: bool = True) -> None:
    """The two engines' outputs in `duck` and `spark` are the same audit."""
    for paper in ("findings.csv", "subsidy.csv"):
        assert (spark / paper).read_bytes() == (duck / paper).read_bytes(), paper
    ours, theirs = _files(duck), _files(spark)
    assert sorted(ours) == sorted(theirs)
    differ = [name for name in ours if ours[name] != theirs[name]]
    assert not differ, f"files that differ between the engines: {differ}"
    manifests = [json.loads((o / "manifest.json").read_text()) for o in (duck, spark)]
    assert manifests[0]["counts"] == manifests[1]["counts"]
    assert manifests[0]["validation"] == manifests[1]["validation"]
    assert [m["engine"]["name"] for m in manifests] == ["duckdb", "spark"]
    leftovers = [p for p in spark.parent.rglob("*") if ".spark" in p.parts or ".partial" in p.name]
    assert not leftovers, leftovers  # the Spark work folder goes with the run
    if facts:
        con = duckdb.connect(str(duck / "audit.duckdb"), read_only=True)
        con.execute(f"ATTACH '{spark / 'audit.duckdb'}' AS spark_run (READ_ONLY)")
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        problems = [p for n in names for p in compare(con, n, f"spark_run.main.{n}")]
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_both_engines_give_the_same_audit(sample: str, spark, tmp_path: Path) -> None:
    export, policy, as_of = SAMPLES[sample]
    duck = _audit(export, policy, tmp_path / "duckdb", as_of, "duckdb")
    start = time.perf_counter()
    run = _audit(export, policy, tmp_path / "spark", as_of, "spark")
    print(f"\n{sample} on Spark: {time.perf_counter() - start:.1f} s {run.timings}")
    assert run.exit_code == duck.exit_code
    assert run.counts["findings"] > 0  # the comparison compares findings
    assert_same_audit(tmp_path / "duckdb", tmp_path / "spark")


@pytest.mark.parametrize("sessions", [4_000, MILLION], ids=["fraud-200-claims", "fraud-1M"])
def test_generated_exports_give_the_same_audit(sessions: int, spark, tmp_path: Path) -> None:
    """Generated exports with fraud planted: every signal fires on more than a few rows."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_export import default_fraud_enterprises, generate

    export = tmp_path / "export"
    generate(sessions, export, "parquet", 7, default_fraud_enterprises(sessions))
    as_of = dt.date(2023, 6, 30)
    reports = sessions < MILLION  # the reports of 1 M sessions add minutes, not coverage
    seconds = {}
    for engine in ("duckdb", "spark"):
        start = time.perf_counter()
        _audit(export, "shanghai-2022", tmp_path / engine, as_of, engine, reports=reports)
        seconds[engine] = round(time.perf_counter() - start, 1)
    print(f"\n{sessions} sessions: seconds per engine {seconds}")
    assert_same_audit(tmp_path / "duckdb", tmp_path / "spark", facts=sessions < MILLION)


@pytest.mark.parametrize("batch", BATCHES, ids=[b.id for b in BATCHES])
def test_rule_cases_on_both_engines(batch: Batch, spark, tmp_path: Path) -> None:
    """Each case gives exactly its expected findings on Spark too, and the whole batch's
    audit is the same on both engines."""
    export, owners = write_batch(tmp_path / "export", batch)
    findings(export, tmp_path / "duckdb", batch.policy, batch.as_of, batch.case)
    start = time.perf_counter()
    rows = findings(export, tmp_path / "spark", batch.policy, batch.as_of, batch.case, "spark")
    print(
        f"\n{batch.id}: {len(batch.members)} cases on Spark in {time.perf_counter() - start:.1f} s"
    )
    for member, found in zip(batch.members, findings_by_member(batch, rows, owners), strict=True):
        try:
            check_case(member.rule_id, member.case, found)
        except AssertionError as error:
            raise AssertionError(f"{member.test_id} (slot {member.slot}): {error}") from error
    assert_same_audit(tmp_path / "duckdb", tmp_path / "spark")


def test_redacted_spark_audit_keeps_no_ids(spark, tmp_path: Path) -> None:
    """--redact on Spark: the same pseudonymised papers, and no database or Parquet with
    whole IDs left behind (the work folder with Spark's inputs and facts is removed)."""
    export, policy, as_of = SAMPLES["voucher"]  # person IDs in papers; the quickest on Spark
    key = b"k" * 32
    for engine in ("duckdb", "spark"):
        _audit(export, policy, tmp_path / engine, as_of, engine, redact_key=key, reports=False)
    assert not list((tmp_path / "spark").glob("audit.duckdb*"))
    parquet = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")}
    assert parquet == {"duckdb/findings.parquet", "spark/findings.parquet"}
    assert_same_audit(tmp_path / "duckdb", tmp_path / "spark", facts=False)


# --- usage and errors (no Spark needed) ---


def test_condition_of_reads_gx_spark_query() -> None:
    query = "df.filter(F.expr('(t.x IS NOT NULL) AND (NOT (CAST(t.x AS DOUBLE) <= 3.0D))'))"
    assert condition_of(query) == "(t.x IS NOT NULL) AND (NOT (CAST(t.x AS DOUBLE) <= 3.0D))"
    assert condition_of("df.filter(F.expr(\"t.s = '它'\"))") == "t.s = '它'"


@pytest.mark.parametrize(
    "query",
    [
        "df.filter(F.expr(\"Column<'(x > 3)'>\"))",  # GX's display-string fallback: not SQL
        "df.filter(F.expr(''))",
        "df.filter(x > 3)",
        "__import__('os').system('true')",
        "df.filter(F.expr('a'), F.expr('b'))",
    ],
)
def test_condition_of_refuses_what_is_not_gx_spark_sql(query: str) -> None:
    with pytest.raises(EvaluationError, match="GX gave no Spark SQL"):
        condition_of(query)


def _cli_audit(tmp_path: Path, *args: str) -> object:
    return CliRunner().invoke(
        cli,
        ["audit", str(SAMPLES["online"][0]), "--policy", "shanghai-2022", "--out",
         str(tmp_path / "o"), *args],
    )  # fmt: skip


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("master", "message"),
    [
        ("sc://127.0.0.1:{closed}", "no Spark Connect server answers at 127.0.0.1:"),
        ("sc://127.0.0.1:connect", "is not a Spark Connect address"),
        ("local[two]", "is not a Spark master"),
        ("http://spark:7077", "is not a Spark master"),
    ],
)
def test_unusable_spark_master_is_exit_2_before_any_work(
    master: str, message: str, tmp_path: Path
) -> None:
    master = master.replace("{closed}", str(_closed_port()))  # in the ID: one for every worker
    result = _cli_audit(tmp_path, "--engine", "spark", "--spark-master", master)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.partial*"))


def test_spark_without_java_or_pyspark_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from auditor.engines import spark as spark_engine

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
    result = _cli_audit(tmp_path, "--engine", "spark")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no `java`: run `make setup-spark`" in result.output  # type: ignore[attr-defined]
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    result = _cli_audit(tmp_path, "--engine", "spark")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "pyspark is not installed: run `make setup-spark`" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "o").exists()


def test_a_connect_client_needs_no_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.engines import spark as spark_engine

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda name: None)
    master = f"sc://127.0.0.1:{_closed_port()}"
    result = _cli_audit(tmp_path, "--engine", "spark", "--spark-master", master)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no Spark Connect server answers" in result.output  # type: ignore[attr-defined]
    assert "java" not in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("master", "shown"),
    [
        ("local[2]", "local[2]"),
        ("sc://spark.example", "sc://spark.example:15002"),
        ("sc://10.0.0.5:443/;token=SECRET;use_ssl=true", "sc://10.0.0.5:443"),
        ("sc://[::1]:15002/;user_id=auditor", "sc://[::1]:15002"),
    ],
)
def test_manifest_shows_no_connect_parameters(master: str, shown: str) -> None:
    from auditor.engines.spark import shown_master

    assert shown_master(master) == shown


def test_manifest_masks_credentials_in_settings() -> None:
    from auditor.engines.spark import shown_conf

    conf = ("spark.hadoop.fs.s3a.secret.key=abc", "spark.hadoop.fs.s3a.access.key=AKIA",
            "spark.driver.memory=8g", "spark.some.token=x=y")  # fmt: skip
    assert shown_conf(conf) == [
        "spark.hadoop.fs.s3a.secret.key=***",
        "spark.hadoop.fs.s3a.access.key=***",
        "spark.driver.memory=8g",
        "spark.some.token=***",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "polars"], "'polars' is not one of 'duckdb', 'spark'"),
        (["--spark-master", "local[4]"], "--spark-master goes with --engine spark"),
        (["--spark-conf", "spark.driver.memory=8g"], "engine is not spark"),
        (["--engine", "spark", "--spark-conf", "driver.memory=8g"], "is not KEY=VALUE"),
        (["--engine", "spark", "--spark-conf", "spark.driver.memory"], "is not KEY=VALUE"),
    ],
)
def test_bad_engine_options_are_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = _cli_audit(tmp_path, *args)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]


def _outcome(entries: list[dict[str, object]] | None, count: int) -> RuleOutcome:
    rule = SimpleNamespace(id="PROBE", table="probe_fact")
    return RuleOutcome(rule, False, 9, count, None, entries)  # type: ignore[arg-type]


def test_failing_rows_by_gx_index_list(spark, tmp_path: Path) -> None:
    """Spark Connect's way: the fact rows whose grain and column equal an entry of GX's list,
    null-safe, exact for doubles, decimals and times, each failing row once."""
    from decimal import Decimal

    when = dt.datetime(2023, 3, 1, 23, 59, 59, 500000)
    rows = [
        (1, None, 5.0, Decimal("1.10"), when),  # fails
        (1, None, 6.0, Decimal("1.10"), when),  # same grain, another value
        (1, "a", 5.0, Decimal("1.10"), when),  # same value, another grain
        (2, None, 5.0, Decimal("1.10"), when),
        (3, "b", 0.1 + 0.2, Decimal("2.00"), when),  # fails, twice (a duplicate row)
        (3, "b", 0.1 + 0.2, Decimal("2.00"), when),
        (3, "b", 0.3, Decimal("2.00"), when),  # 0.3 is not 0.1 + 0.2
    ]
    schema = "id long, k string, x double, d decimal(10,2), ts timestamp_ntz"
    spark.createDataFrame(rows, schema).createOrReplaceTempView("probe_fact")
    entries: list[dict[str, object]] = [
        {"id": 1, "k": None, "x": 5.0, "d": Decimal("1.10"), "ts": when},
        {"id": 3, "k": "b", "x": 0.1 + 0.2, "d": Decimal("2.00"), "ts": when},
        {"id": 3, "k": "b", "x": 0.1 + 0.2, "d": Decimal("2.00"), "ts": when},
    ]
    target = failing_rows(spark, _outcome(entries, 3), tmp_path / "f.parquet", by_index=True)
    got = sorted(tuple(r) for r in spark.read.parquet(str(target)).collect())
    assert got == sorted([rows[0], rows[4], rows[5]])

    with pytest.raises(EvaluationError, match="GX counted 4 failing rows of probe_fact, but 3"):
        failing_rows(spark, _outcome(entries, 4), tmp_path / "g.parquet", by_index=True)
    with pytest.raises(EvaluationError, match="GX gave no index list"):
        failing_rows(spark, _outcome(None, 1), tmp_path / "h.parquet", by_index=True)
    spark.catalog.dropTempView("probe_fact")


def test_failing_rows_by_query_are_counted_too(spark, tmp_path: Path) -> None:
    spark.createDataFrame([(1, 5.0), (2, 50.0)], "id long, x double").createOrReplaceTempView(
        "probe_fact"
    )
    query = "df.filter(F.expr('(x IS NOT NULL) AND (NOT ((x >= 0.0) AND (x <= 10.0)))'))"
    outcome = RuleOutcome(SimpleNamespace(id="PROBE", table="probe_fact"), False, 2, 1, query)  # type: ignore[arg-type]
    target = failing_rows(spark, outcome, tmp_path / "f.parquet")
    assert [tuple(r) for r in spark.read.parquet(str(target)).collect()] == [(2, 50.0)]
    wrong = RuleOutcome(outcome.rule, False, 2, 2, query)
    with pytest.raises(EvaluationError, match="GX counted 2 failing rows"):
        failing_rows(spark, wrong, tmp_path / "g.parquet")
    spark.catalog.dropTempView("probe_fact")


def test_spark_submit_arguments_reach_the_driver() -> None:
    """On a cluster the auditor is its own spark-submit client: PYSPARK_SUBMIT_ARGS carries what
    spark-submit would (docs/engines.md); a local[N] master shuffles into N parts."""
    probe = (
        "from auditor.engines import spark as s\n"
        "sp = s.session('local[3]')\n"
        "c = sp.sparkContext.getConf()\n"
        "print(c.get('spark.driver.memory'), c.get('spark.yarn.queue'),"
        " sp.conf.get('spark.sql.shuffle.partitions'))\n"
        "sp.stop()\n"
    )
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": "--driver-memory 1200m --conf "
           "spark.yarn.queue=audit pyspark-shell"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1200m", "audit", "3"]
