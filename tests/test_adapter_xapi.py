"""The xapi adapter, end to end through the CLI, on a realistic LRS export (tests/xapi_export.py):
cmi5 sessions and gap sessions, sign-ins, exams, Q&A, and the faults of a real dump."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from auditor import facts
from auditor.cli import cli
from tests.adapter_exports import LI, ZHANG
from tests.xapi_export import build


def _audit(export: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        cli,
        ["audit", str(export), "--adapter", "xapi", "--policy", "shanghai-2022", "--out",
         str(out), "--as-of", "2023-06-30", "--no-reports", "--quiet", *extra],
    )  # fmt: skip


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Any]:
    base = tmp_path_factory.mktemp("xapi")
    rows = build(base / "export")
    return rows, base / "out", _audit(base / "export", base / "out")


def _query(out: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(out / "audit.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _findings(out: Path) -> list[dict[str, str]]:
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def t(day: int, h: int, mi: int, s: int = 0, us: int = 0) -> dt.datetime:
    return dt.datetime(2022, 3, day, h, mi, s, us)


def test_the_audit_runs_and_the_clean_trainee_is_payable(audited) -> None:
    _, out, result = audited
    assert result.exit_code == 1, result.output  # 李娜 studied 75 minutes: HOURS_SHORT blocks
    with (out / "subsidy.csv").open(encoding="utf-8") as fh:
        payable = {r["person_id"]: r["payable"] for r in csv.DictReader(fh)}
    assert payable == {ZHANG: "true", LI: "false"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["adapter"]["name"] == "xapi"
    assert manifest["adapter"]["settings"] == {"gap_seconds": 1800}


def test_sessions_cmi5_pairs_and_gaps_with_their_raw_rows(audited) -> None:
    rows, out, _ = audited
    got = _query(
        out,
        "SELECT s.person_id, s.started_at, s.ended_at, s.lesson_id, a.source_file, s._row, "
        "a.first_row, a.last_row FROM study_sessions s JOIN activity_sources a "
        "ON a.source_table = 'study_sessions' AND a._row = s._row ORDER BY s.person_id, 2",
    )
    f = "statements.jsonl"
    assert got == [
        # cmi5: initialized .. terminated of one session ID; the hourly `progressed` inside it
        # and the `launched` before it add no session
        (ZHANG, t(2, 8, 0), t(2, 17, 0), "L1", f, rows["init1"], rows["init1"], rows["term1"]),
        # the question posted during the session (stored before its `terminated`) is no study
        # a cmi5 session without `terminated` (abandoned by the LMS): by gap, to its last
        # statement; the LMS's `abandoned` two hours later is no activity
        (ZHANG, t(2, 18, 0, 30), t(2, 18, 25), "L2", f, rows["init_lost"], rows["init_lost"],
         rows["last_lost"]),
        (ZHANG, t(3, 6, 0), t(3, 15, 0), "L2", f, rows["init2"], rows["init2"], rows["term2"]),
        # the exam's own cmi5 session is exam time: no study session
        # no session IDs: by gap. 09:00 -> 09:30:00 is 30:00 and joins; 10:00:01 is 30:01 after
        # and splits; the stray 09:45 statement was voided and bridges nothing
        (LI, t(2, 7, 0), t(2, 7, 0), "V1", f, rows["li_early1"], rows["li_early1"],
         rows["li_early1"]),
        (LI, t(2, 7, 30, 0, 500000), t(2, 7, 30, 0, 500000), "V1", f, rows["li_early2"],
         rows["li_early2"], rows["li_early2"]),
        (LI, t(2, 9, 0), t(2, 9, 30), "V1", f, rows["li_a1"], rows["li_a1"], rows["li_a2"]),
        (LI, t(2, 10, 0, 1), t(2, 10, 45, 0, 250000), "V1", f, rows["li_b1"], rows["li_b1"],
         rows["li_b3"]),
    ]  # fmt: skip


def test_a_wider_gap_setting_joins_the_split_sessions(audited, tmp_path: Path) -> None:
    rows, _, _ = audited
    export = tmp_path / "export"
    build(export)
    result = _audit(export, tmp_path / "out", "--adapter-setting", "gap_seconds=1801")
    assert result.exit_code == 1, result.output
    got = _query(
        tmp_path / "out",
        f"SELECT started_at, ended_at, _row FROM study_sessions WHERE person_id = '{LI}' "
        "ORDER BY started_at",
    )
    assert got == [  # 30:00.5 and 30:01 are within 1801 seconds now
        (t(2, 7, 0), t(2, 7, 30, 0, 500000), rows["li_early1"]),
        (t(2, 9, 0), t(2, 10, 45, 0, 250000), rows["li_a1"]),
    ]


def test_launched_statements_are_the_sign_ins(audited) -> None:
    rows, out, _ = audited
    got = _query(out, "SELECT person_id, signed_in_at, _row FROM signins ORDER BY _row")
    assert got == [
        (ZHANG, t(2, 7, 55), rows["launch1"]),
        (ZHANG, t(3, 5, 55), rows["launch2"]),
        (ZHANG, t(3, 15, 0), rows["launch_exam"]),
        (LI, t(2, 8, 59, 30), rows["li_launch"]),  # written with +08:00, not Z: same reading
        (ZHANG, t(2, 18, 0), rows["launch_lost"]),
    ]


def test_passed_and_failed_are_exams_started_duration_before(audited) -> None:
    rows, out, _ = audited
    got = _query(
        out,
        "SELECT person_id, started_at, submitted_at, score, pass_score, _row FROM exams "
        "ORDER BY _row",
    )
    assert [(p, s, e, float(sc), ps and float(ps), r) for p, s, e, sc, ps, r in got] == [
        # PT30M before 15:30:05; raw 85 of 0..100; masteryScore 0.6 -> 60 on that scale
        (ZHANG, t(3, 15, 0, 5), t(3, 15, 30, 5), 85.0, 60.0, rows["passed"]),
        # PT1H2M3.5S before 11:30:00; scaled 0.45 -> 45
        (LI, t(2, 10, 27, 56, 500000), t(2, 11, 30), 45.0, 60.0, rows["li_failed"]),
        # "1 hour" is no ISO 8601 duration: the start is not guessed
        (LI, None, t(2, 12, 0), 50.0, None, rows["li_bad_duration"]),
    ]


def test_an_unreadable_duration_is_reported_with_its_line(audited) -> None:
    rows, out, _ = audited
    bad = [f for f in _findings(out) if f["rule_id"] == "BAD_TIMESTAMP"]
    assert [(f["person_id"], json.loads(f["evidence"])["first_bad_row"]) for f in bad] == [
        (LI, rows["li_bad_duration"])
    ]


def test_asked_and_commented_are_questions(audited) -> None:
    rows, out, _ = audited
    got = _query(out, "SELECT person_id, posted_at, role, text, _row FROM qa ORDER BY _row")
    assert got == [
        (ZHANG, t(3, 14, 10), "question", "请问数据透视表如何分组？", rows["asked"]),
        (LI, t(2, 10, 50), "question", "视频第三节的公式看不清楚", rows["li_comment"]),
    ]


def test_a_malformed_line_is_rejected_by_its_line_and_the_rest_is_read(audited) -> None:
    rows, out, _ = audited
    with (out / "rejects.csv").open(encoding="utf-8") as fh:
        rejects = [(r["file"], int(r["source_row"]), r["reason"]) for r in csv.DictReader(fh)]
    assert rejects == [
        ("statements.jsonl", rows["malformed"], "line is not valid JSON"),
        ("statements.jsonl", rows["bad_stamp"], "value is empty or cannot be read as timestamp"),
    ]
    assert any(
        f["rule_id"] == "BAD_ROW" and json.loads(f["evidence"])["source_row"] == rows["malformed"]
        for f in _findings(out)
    )
    inputs = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert inputs["statements"]["rows_read"] == rows["total"]
    assert inputs["statements"]["rows_rejected"] == 2


def test_statements_left_out_are_counted_never_dropped_unseen(audited) -> None:
    rows, out, _ = audited
    assert _query(
        out, "SELECT reason, detail, event_rows, first_row FROM adapter_ignored ORDER BY first_row"
    ) == [
        ("LMS bookkeeping, not the learner's activity",
         "https://w3id.org/xapi/adl/verbs/satisfied", 1, rows["satisfied"]),
        ("voided by a voiding statement", "https://w3id.org/xapi/video/verbs/played", 1,
         rows["li_stray"]),
        ("voiding statement", "http://adlnet.gov/expapi/verbs/voided", 1, rows["li_voiding"]),
        ("verb not read by adapter xapi", "https://example.com.cn/xapi/verbs/liked", 1,
         rows["li_unknown"]),
        ("LMS bookkeeping, not the learner's activity",
         "https://w3id.org/xapi/adl/verbs/abandoned", 1, rows["abandoned"]),
        ("statement ID repeated from an earlier line", "http://adlnet.gov/expapi/verbs/asked", 1,
         rows["repeated"]),
    ]  # fmt: skip
    unmapped = [f for f in _findings(out) if f["rule_id"] == "UNMAPPED_ACTOR"]
    assert [json.loads(f["evidence"]) for f in unmapped] == [
        {"source_file": "statements.jsonl", "actor": "visitor @ https://learn.example.com.cn",
         "reason": "actor not mapped", "event_rows": 1, "first_row": rows["stranger"],
         "last_row": rows["stranger"]}
    ]  # fmt: skip


def test_findings_cite_the_raw_file_and_rows(audited) -> None:
    rows, out, _ = audited
    short = next(f for f in _findings(out) if f["rule_id"] == "HOURS_SHORT")
    assert short["person_id"] == LI
    evidence = json.loads(short["evidence"])
    assert evidence["credited_minutes"] == pytest.approx(74.98, abs=0.01)
    assert evidence["study_rows"] == (
        f"statements.jsonl rows {rows['li_early1']}, {rows['li_early2']}, "
        f"{rows['li_a1']}–{rows['li_a2']}, {rows['li_b1']}–{rows['li_b3']}"
    )


def test_iso_8601_durations_in_sql() -> None:
    con = duckdb.connect()
    facts.load_dialect(con)  # iso_duration_seconds: the engine-specific part, in _dialect.sql
    cases = {
        "PT1H2M3.5S": 3723.5, "PT16559.14S": 16559.14, "PT4H35M59.14S": 16559.14,
        "P1DT2H": 93600, "P4W": 2419200, "PT0,5S": 0.5, "PT30M": 1800, "P2D": 172800,
        "PT9H": 32400, "P3Y": None, "P1M": None, "PT": None, "P": None, "1 hour": None,
        "PT1H2M3.5": None, "P1DT": None, "": None,
    }  # fmt: skip
    for text, seconds in cases.items():
        got = con.execute("SELECT iso_duration_seconds(?)", [text]).fetchall()[0][0]
        assert got == (pytest.approx(seconds) if seconds is not None else None), text


@pytest.mark.parametrize("chunk", [7, 1 << 20], ids=["tiny-chunks", "1MB-chunks"])
def test_json_lines_are_numbered_as_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from auditor import sources

    monkeypatch.setattr(sources, "CHUNK_BYTES", chunk)  # lines across chunk boundaries too
    path = tmp_path / "statements.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"v": "a"}\r\n'  # 1: a byte order mark, CRLF
        b"\n"  # 2: blank
        b'{"v": "\xe4\xb8\xad"}\n'  # 3: 中
        b"   \t\n"  # 4: blank
        b'{"v": "b"\n'  # 5: not JSON
        b'{"v": "\xff"}\n'  # 6: not UTF-8
        b'{"v": "' + b"x" * 50 + b'"}'  # 7: long, and no line break at the end
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE rejects (source_table VARCHAR, file VARCHAR, source_row BIGINT, "
        "column_name VARCHAR, reason VARCHAR, enterprise_id VARCHAR, project_id VARCHAR, "
        "person_id VARCHAR)"
    )
    sources.load_json_lines(con, "statements", path, {"v": "$.v"})
    assert con.execute("SELECT _row, c0 FROM raw_statements ORDER BY _row").fetchall() == [
        (1, "a"), (3, "中"), (7, "x" * 50)
    ]  # fmt: skip
    assert con.execute("SELECT source_row, reason FROM rejects ORDER BY 1").fetchall() == [
        (5, "line is not valid JSON"), (6, "line is not valid JSON")
    ]  # fmt: skip


def test_examples_xapi_is_this_export(tmp_path: Path) -> None:
    """examples/xapi is the export these tests audit (rewrite it with build() when it changes)."""
    example = Path(__file__).parent.parent / "examples" / "xapi"
    build(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in example.iterdir() if p.name != "mapping.toml")
    for name in made:
        assert (example / name).read_bytes() == (tmp_path / name).read_bytes(), name
