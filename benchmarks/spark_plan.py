"""How the Spark plan of the facts shuffles and where it is skewed, from Spark's event log.

    python benchmarks/spark_plan.py EXPORT [--policy shanghai-2022] [--shuffle-partitions 200]
        [--master local[2]] [--json FILE] [--top 12]

The export (benchmarks/generate_export.py) is ingested into DuckDB as the audit does (policy,
reference and calendar tables, an empty prior_blocks: the second round's claim_cap reads none),
the tables the facts read go to Parquet, and every fact runs on Spark exactly as the Spark
engine runs it (auditor.engines.spark.write_query: transpiled, CTEs read twice checkpointed,
written to Parquet and read back), one fact after the other, each under the local property
`auditor.fact` so that Spark's event log attributes every job and stage to its fact.

Reported per fact, from the event log (spark.eventLog.enabled, JSON lines): seconds, jobs,
stages, the shuffle Exchange nodes of the final (adaptive) plans and the keys they partition
by, shuffle bytes written; and per stage that reads a shuffle: tasks, the largest and the median
task's shuffle-read bytes and records and run time (max / median: the skew).

The session takes `spark.sql.shuffle.partitions` from --shuffle-partitions (the engine's is N
under local[N], one per core; on a cluster and through Spark Connect it is Spark's default,
200, which shows how rows spread over partitions on a cluster) and
turns off AQE's coalescing of small partitions (--coalesce keeps it), so that one partition
per key hash is what the skew figures measure. AQE's skew-join splitting stays on, as Spark
ships it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from auditor import facts, pipeline, sqlfuncs  # noqa: E402
from auditor.contract import load_contract  # noqa: E402
from auditor.engines import spark as spark_engine  # noqa: E402
from auditor.engines.spark_sql import SparkDialect  # noqa: E402
from auditor.ingest import ingest  # noqa: E402
from auditor.mapping import resolve_mapping  # noqa: E402
from auditor.policy import load_policy  # noqa: E402

AS_OF = dt.date(2023, 6, 30)  # as run_benchmark.py: the generated trainings end by March 2023
FACT_PROPERTY = "auditor.fact"


def build_inputs(export: Path, policy_name: str, as_of: dt.date, work: Path) -> str:
    """DuckDB's side as pipeline._run builds it, the facts' input tables written to
    work/inputs/<table>.parquet; the programme's name."""
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
    con.close()
    return policy.programme


def needed(queries: list[facts.FactQuery], only: set[str]) -> set[str]:
    """The facts in `only` and every fact they read, directly or not."""
    names = {q.name for q in queries}
    keep = set(only)
    for q in reversed(queries):
        if q.name in keep:
            keep |= q.reads & names
    return keep


def run_facts_labelled(
    spark: Any, inputs: Path, out: Path, programme: str, only: set[str] | None = None
) -> dict[str, float]:
    """spark_engine.run_facts, with each fact's jobs under the local property auditor.fact
    (only the facts `only` needs, when given)."""
    spark_engine.register_inputs(spark, inputs, programme)
    dialect = SparkDialect.load()
    seconds = {}
    queries = facts.load_fact_queries(programme=programme)
    keep = needed(queries, only) if only else {q.name for q in queries}
    for q in queries:
        if q.name not in keep:
            continue
        spark.sparkContext.setLocalProperty(FACT_PROPERTY, q.name)
        start = time.perf_counter()
        spark_engine.write_query(spark, q.name, q.sql, q.reads, out / f"{q.name}.parquet", dialect)
        seconds[q.name] = round(time.perf_counter() - start, 3)
    spark.sparkContext.setLocalProperty(FACT_PROPERTY, None)
    return seconds


def _plan_nodes(info: dict) -> list[dict]:
    nodes, todo = [], [info]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("children", []))
    return nodes


def _shuffle_keys(simple: str) -> str:
    """'Exchange hashpartitioning(enterprise_id#12, 200), ENSURE_REQUIREMENTS, [plan_id=7]'
    -> 'hashpartitioning(enterprise_id, 200)' (expression ids dropped)."""
    import re

    text = simple.removeprefix("Exchange ").split(", ENSURE_REQUIREMENTS")[0]
    text = text.split(", REPARTITION")[0].split(", [plan_id")[0]
    return re.sub(r"#\d+L?", "", text)


def _event_lines(path: Path) -> Iterator[str]:
    """The JSON lines of an event log: a file, or Spark 4's rolling folder (eventlog_v2_<app>:
    events_<n>_<app>[.inprogress] files in order)."""
    files = (
        [path]
        if path.is_file()
        else sorted(
            (f for f in path.iterdir() if f.name.startswith("events_")),
            key=lambda f: int(f.name.split("_")[1]),
        )
    )
    for file in files:
        raw = file.read_bytes()
        if ".zstd" in file.name:  # spark.eventLog.compress: Spark 4 compresses with zstd
            import zstandard

            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
            raw = reader.read()
        # a log still being written (.inprogress, or a killed run) may end in half a line
        yield from (line for line in raw.decode("utf-8", "replace").splitlines() if line.strip())


def parse_event_log(path: Path) -> dict[str, dict]:
    """Per fact (the auditor.fact property of the job): jobs, stages, shuffles and skew."""
    job_fact: dict[int, str] = {}
    stage_fact: dict[int, str] = {}
    execution_fact: dict[int, str] = {}
    plans: dict[int, dict] = {}  # execution id -> its last (final adaptive) plan
    tasks: dict[int, list[dict]] = defaultdict(list)
    stage_names: dict[int, str] = {}
    stage_seconds: dict[int, float] = {}
    for line in _event_lines(path):
        if True:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # the cut-off last line of an unfinished log
                continue
            kind = event["Event"]
            if kind == "SparkListenerJobStart":
                props = event.get("Properties") or {}
                fact = props.get(FACT_PROPERTY)
                if fact is None:
                    continue
                job_fact[event["Job ID"]] = fact
                for stage in event.get("Stage IDs", []):
                    stage_fact.setdefault(stage, fact)
                execution = props.get("spark.sql.execution.id")
                if execution is not None:
                    execution_fact[int(execution)] = fact
            elif kind.endswith("SparkListenerSQLExecutionStart") or kind.endswith(
                "SparkListenerSQLAdaptiveExecutionUpdate"
            ):
                plans[event["executionId"]] = event["sparkPlanInfo"]
            elif kind == "SparkListenerTaskEnd":
                metrics = event.get("Task Metrics") or {}
                read = metrics.get("Shuffle Read Metrics") or {}
                write = metrics.get("Shuffle Write Metrics") or {}
                tasks[event["Stage ID"]].append(
                    {
                        "read_bytes": read.get("Remote Bytes Read", 0)
                        + read.get("Local Bytes Read", 0),
                        "read_records": read.get("Total Records Read", 0),
                        "written_bytes": write.get("Shuffle Bytes Written", 0),
                        "run_ms": metrics.get("Executor Run Time", 0),
                    }
                )
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stage_names[info["Stage ID"]] = info.get("Stage Name", "")
                if info.get("Completion Time") and info.get("Submission Time"):
                    stage_seconds[info["Stage ID"]] = (
                        info["Completion Time"] - info["Submission Time"]
                    ) / 1000
    report: dict[str, dict] = defaultdict(
        lambda: {
            "jobs": 0,
            "stages": 0,
            "stage_seconds": 0.0,
            "exchanges": [],
            "broadcasts": 0,
            "shuffle_written_bytes": 0,
            "shuffle_stages": [],
        }
    )
    for fact in job_fact.values():
        report[fact]["jobs"] += 1
    for execution, fact in execution_fact.items():
        for node in _plan_nodes(plans.get(execution, {})):
            name = node.get("nodeName", "")
            if name == "Exchange":
                report[fact]["exchanges"].append(_shuffle_keys(node.get("simpleString", "")))
            elif name == "BroadcastExchange":
                report[fact]["broadcasts"] += 1
    for stage, fact in sorted(stage_fact.items()):
        if stage not in stage_seconds:  # skipped: its shuffle output was reused
            continue
        entry, done = report[fact], tasks.get(stage, [])
        entry["stages"] += 1
        entry["stage_seconds"] = round(entry["stage_seconds"] + stage_seconds[stage], 3)
        entry["shuffle_written_bytes"] += sum(t["written_bytes"] for t in done)
        reading = [t for t in done if t["read_records"] or t["read_bytes"]]
        if not reading:
            continue
        row = {"stage": stage, "name": stage_names.get(stage, ""), "tasks": len(done)}
        row["seconds"] = stage_seconds[stage]
        row["nonempty_tasks"] = len(reading)
        for key in ("read_bytes", "read_records", "run_ms"):
            values = [t[key] for t in done]
            row[f"max_{key}"] = max(values)
            row[f"median_{key}"] = statistics.median(values)
            row[f"total_{key}"] = sum(values)
            row[f"median_nonempty_{key}"] = statistics.median(t[key] for t in reading)
        entry["shuffle_stages"].append(row)
    return dict(report)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(_size(p) for p in path.iterdir())


def _ratio(top: float, median: float) -> str:
    return f"{top / median:.1f}x" if median else ("inf" if top else "-")


def print_report(seconds: dict[str, float], report: dict[str, dict], top: int) -> None:
    empty: dict[str, Any] = {"exchanges": [], "shuffle_stages": [], "broadcasts": 0}
    print(f"{'fact':22} {'seconds':>8} {'jobs':>5} {'stages':>6} {'shuffles':>8} "
          f"{'bcast':>5} {'shuffle MiB':>11}")  # fmt: skip
    for name, secs in seconds.items():
        r = report.get(name, {**empty, "jobs": 0, "stages": 0, "shuffle_written_bytes": 0})
        print(
            f"{name:22} {secs:8.2f} {r['jobs']:5} {r['stages']:6} {len(r['exchanges']):8} "
            f"{r['broadcasts']:5} {r['shuffle_written_bytes'] / 2**20:11.1f}"
        )
    print(
        f"{'all facts':22} {sum(seconds.values()):8.2f} "
        f"{sum(r['jobs'] for r in report.values()):5} "
        f"{sum(r['stages'] for r in report.values()):6} "
        f"{sum(len(r['exchanges']) for r in report.values()):8}"
    )
    print(f"\nshuffle keys of the {top} slowest facts (final adaptive plans)")
    slowest = sorted(seconds, key=lambda n: -seconds[n])[:top]
    for name in slowest:
        keys = defaultdict(int)
        for key in report.get(name, empty)["exchanges"]:
            keys[key] += 1
        listed = "; ".join(f"{n} x {k}" if n > 1 else k for k, n in keys.items()) or "none"
        print(f"  {name}: {listed}")
    print(
        "\nshuffle-read stages with the largest single task (rows) first: tasks (with rows), "
        "stage seconds, the largest task's rows / the median task's (of those with rows), its "
        "share of the stage's rows, MiB and run time likewise"
    )
    print(f"{'fact':22} {'stage':>5} {'tasks':>9} {'sec':>6} {'rows max/med':>20} {'share':>6} "
          f"{'MiB max/med':>14} {'run ms max/med':>16}")  # fmt: skip
    rows = [(n, s) for n, r in report.items() for s in r["shuffle_stages"]]

    for name, s in sorted(rows, key=lambda item: -item[1]["max_read_records"])[: top * 2]:
        share = s["max_read_records"] / max(s["total_read_records"], 1)
        print(
            f"{name:22} {s['stage']:5} {s['tasks']:>4}({s['nonempty_tasks']:>3}) "
            f"{s['seconds']:6.1f} "
            f"{s['max_read_records']:>10,}/{s['median_nonempty_read_records']:<9,.0f}"
            f"{share:6.0%} "
            f"{s['max_read_bytes'] / 2**20:6.1f}/{s['median_nonempty_read_bytes'] / 2**20:<7.1f}"
            f"{s['max_run_ms']:>7,}/{s['median_nonempty_run_ms']:<8,.0f} "
            f"{_ratio(s['max_read_records'], s['median_nonempty_read_records'])}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="a generated export (generate_export.py)")
    parser.add_argument(
        "--from-log",
        type=Path,
        help="only report from this event log (file or eventlog_v2_* folder, e.g. a --keep run's "
        "or an unfinished one's); seconds are then the facts' summed stage seconds",
    )
    parser.add_argument("--policy", default="shanghai-2022")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--shuffle-partitions",
        type=int,
        default=200,
        help="spark.sql.shuffle.partitions (the engine's own is 2; default 200, Spark's)",
    )
    parser.add_argument(
        "--coalesce", action="store_true", help="keep AQE's coalescing of small partitions"
    )
    parser.add_argument(
        "--only", help="comma-separated facts: run these and the facts they read, no others"
    )
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--keep", type=Path, help="keep the work folder and event log here")
    parser.add_argument("--top", type=int, default=12, help="facts and stages listed")
    args = parser.parse_args()
    if args.from_log:
        report = parse_event_log(args.from_log)
        print_report({k: v["stage_seconds"] for k, v in report.items()}, report, args.top)
        return 0

    with tempfile.TemporaryDirectory(prefix="auditor-spark-plan-") as tmp:
        work = args.keep or Path(tmp)
        events = work / "events"
        events.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        programme = build_inputs(args.export, args.policy, args.as_of, work)
        print(f"inputs (DuckDB ingest, Parquet) in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        spark = spark_engine.session(
            args.master,
            local_dir=work / "local",
            **{
                "spark.eventLog.enabled": "true",
                "spark.eventLog.dir": events.as_uri(),
                "spark.sql.shuffle.partitions": str(args.shuffle_partitions),
                "spark.sql.adaptive.coalescePartitions.enabled": str(args.coalesce).lower(),
            },
        )
        app = spark.sparkContext.applicationId
        print(f"Spark session in {time.perf_counter() - start:.1f} s ({app}, {args.master})")
        start = time.perf_counter()
        only = set(args.only.split(",")) if args.only else None
        seconds = run_facts_labelled(spark, work / "inputs", work / "facts", programme, only)
        print(f"{len(seconds)} facts in {time.perf_counter() - start:.1f} s")
        spark.stop()
        log = next(p for p in events.iterdir() if app in p.name)
        report = parse_event_log(log)
        print(
            f"event log {log.name}: {_size(log) / 2**20:.1f} MiB; "
            f"spark.sql.shuffle.partitions={args.shuffle_partitions}, "
            f"AQE coalescing {'on' if args.coalesce else 'off'}\n"
        )
        print_report(seconds, report, args.top)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "export": str(args.export),
                        "master": args.master,
                        "shuffle_partitions": args.shuffle_partitions,
                        "coalesce": args.coalesce,
                        "fact_seconds": seconds,
                        "facts": report,
                    },
                    indent=1,
                )
                + "\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
