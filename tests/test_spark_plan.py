"""benchmarks/spark_plan.py reads Spark's event log: jobs, stages, shuffles and skew per fact.

A hand-written event log (the JSON lines Spark writes, only the fields read), no Spark needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))
from spark_plan import needed, parse_event_log  # noqa: E402

from auditor import facts  # noqa: E402

PLAN = {
    "nodeName": "AdaptiveSparkPlan",
    "simpleString": "",
    "children": [
        {
            "nodeName": "Exchange",
            "simpleString": "Exchange hashpartitioning(enterprise_key#12L, 8), "
            "ENSURE_REQUIREMENTS, [plan_id=7]",
            "children": [{"nodeName": "BroadcastExchange", "simpleString": "", "children": []}],
        }
    ],
}


def _task(stage: int, records: int, run_ms: int, written: int = 0) -> dict:
    return {
        "Event": "SparkListenerTaskEnd",
        "Stage ID": stage,
        "Task Metrics": {
            "Executor Run Time": run_ms,
            "Shuffle Read Metrics": {
                "Remote Bytes Read": 0,
                "Local Bytes Read": records * 10,
                "Total Records Read": records,
            },
            "Shuffle Write Metrics": {"Shuffle Bytes Written": written},
        },
    }


def _stage(stage: int) -> dict:
    info = {"Stage ID": stage, "Stage Name": f"s{stage}", "Submission Time": 1000}
    return {"Event": "SparkListenerStageCompleted", "Stage Info": {**info, "Completion Time": 3000}}


def test_parse_event_log(tmp_path: Path) -> None:
    events = [
        {
            "Event": "SparkListenerJobStart",
            "Job ID": 0,
            "Stage IDs": [0, 1, 2],
            "Properties": {"auditor.fact": "sig_lockstep", "spark.sql.execution.id": "3"},
        },
        {"Event": "SparkListenerJobStart", "Job ID": 1, "Stage IDs": [9], "Properties": {}},
        {
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart",
            "executionId": 3,
            "sparkPlanInfo": {"nodeName": "X", "children": []},
        },
        {
            "Event": "org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate",
            "executionId": 3,
            "sparkPlanInfo": PLAN,
        },
        _task(0, 0, 5, written=100),
        _stage(0),
        *(_task(1, n, ms) for n, ms in ((900, 90), (10, 2), (30, 4), (0, 1))),
        _stage(1),
        _task(9, 5, 5),
        _stage(9),
    ]  # stage 2 never completes: skipped, its shuffle output reused
    folder = tmp_path / "eventlog_v2_local-1"
    folder.mkdir()
    lines = [json.dumps(e) for e in events]
    (folder / "events_1_local-1").write_text("\n".join(lines[:4]) + "\n")
    (folder / "events_2_local-1.inprogress").write_text("\n".join(lines[4:]) + '\n{"Event": "Sp')
    report = parse_event_log(folder)
    assert set(report) == {"sig_lockstep"}  # the unlabelled job's stage 9 is nobody's
    r = report["sig_lockstep"]
    assert (r["jobs"], r["stages"], r["broadcasts"]) == (1, 2, 1)
    assert r["exchanges"] == ["hashpartitioning(enterprise_key, 8)"]
    assert r["shuffle_written_bytes"] == 100 and r["stage_seconds"] == 4.0
    (stage,) = r["shuffle_stages"]
    assert (stage["stage"], stage["tasks"], stage["nonempty_tasks"]) == (1, 4, 3)
    assert (stage["max_read_records"], stage["median_nonempty_read_records"]) == (900, 30)
    assert (stage["total_read_records"], stage["max_run_ms"]) == (940, 90)


def test_needed_takes_what_the_facts_read() -> None:
    queries = facts.load_fact_queries(programme="online-subsidy")
    keep = needed(queries, {"sig_lockstep"})
    assert {"sig_lockstep", "sessions"} <= keep
    assert "claim_cap" not in keep and "sig_people" not in keep
