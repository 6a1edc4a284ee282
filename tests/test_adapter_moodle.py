"""The moodle-log adapter, end to end through the CLI, on realistic Moodle log downloads
(tests/moodle_export.py): a Chinese site's site-wide log with reordered headers, year-less times
and CR line breaks; an English course log; and the logs it must refuse rather than guess."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.adapter_exports import LI, ZHANG, write_csv
from tests.moodle_export import LI_USER, ZHANG_USER, Log, build


def _audit(export: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        cli,
        ["audit", str(export), "--policy", "shanghai-2022", "--out", str(out),
         "--as-of", "2023-06-30", "--no-reports", "--quiet", *extra],
    )  # fmt: skip


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Any]:
    base = tmp_path_factory.mktemp("moodle")
    rows = build(base / "export")
    result = _audit(
        base / "export", base / "out", "--mapping", "moodle-zh", "--adapter-setting", "year=2022"
    )
    return rows, base / "out", result


def _query(out: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(out / "audit.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _findings(out: Path) -> list[dict[str, str]]:
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def t(day: int, h: int, mi: int) -> dt.datetime:
    return dt.datetime(2022, 3, day, h, mi)


def test_the_chinese_cr_only_log_is_read_whole(audited, tmp_path: Path) -> None:
    rows, out, result = audited
    assert result.exit_code == 1, result.output  # 李娜: 49 minutes, no sign-in, no Q&A
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["adapter"]["name"] == "moodle-log"  # chosen by the moodle-zh mapping
    assert manifest["adapter"]["settings"]["time_format"] == "%m月%d日 %H:%M"
    assert manifest["inputs"]["log"]["rows_read"] == rows["total"]
    assert manifest["inputs"]["log"]["rows_rejected"] == 0
    with (out / "subsidy.csv").open(encoding="utf-8") as fh:
        payable = {r["person_id"]: r["payable"] for r in csv.DictReader(fh)}
    assert payable == {ZHANG: "true", LI: "false"}
    raw = tmp_path / "probe"  # the fixture's export, rebuilt here to look at its bytes
    build(raw)
    data = (raw / "log.csv").read_bytes()
    assert b"\n" not in data and data.count(b"\r") == rows["total"] + 1
    assert data.startswith("课程,事件名称,时间,用户全名".encode())


def test_sessions_by_gap_with_their_raw_rows(audited) -> None:
    rows, out, _ = audited
    got = _query(
        out,
        "SELECT s.person_id, s.started_at, s.ended_at, s.ip, a.source_file, s._row, "
        "a.first_row, a.last_row FROM study_sessions s JOIN activity_sources a "
        "ON a.source_table = 'study_sessions' AND a._row = s._row ORDER BY s.person_id, 2",
    )
    f = "log.csv"  # newest first: a session's first event has its highest row number
    assert got == [
        # every 20 minutes 08:00-17:00; the login at 07:55 is a sign-in, not study
        (ZHANG, t(2, 8, 0), t(2, 17, 0), "10.0.0.1", f, rows["z1_first"], rows["z1_last"],
         rows["z1_first"]),
        # every 30:00 06:00-15:00 joins; the quiz attempt 15:01-15:31 is exam time, not study
        (ZHANG, t(3, 6, 0), t(3, 15, 0), "10.0.0.1", f, rows["z2_first"], rows["z2_last"],
         rows["z2_first"]),
        # 09:00 -> 09:30 joins (30 minutes); 10:01 is 31 minutes later and splits
        (LI, t(2, 9, 0), t(2, 9, 30), "10.0.0.9", f, rows["l_a1"], rows["l_a2"], rows["l_a1"]),
        (LI, t(2, 10, 1), t(2, 10, 20), "10.0.0.9", f, rows["l_b1"], rows["l_b2"], rows["l_b1"]),
    ]  # fmt: skip


def test_logins_are_the_sign_ins(audited) -> None:
    rows, out, _ = audited
    got = _query(out, "SELECT person_id, project_id, signed_in_at, ip, _row FROM signins")
    assert sorted(got) == [
        (ZHANG, "P1", t(2, 7, 55), "10.0.0.8", rows["login1"]),
        (ZHANG, "P1", t(3, 5, 55), "10.0.0.1", rows["login2"]),
    ]
    no_signin = [f["person_id"] for f in _findings(out) if f["rule_id"] == "NO_SIGNIN"]
    assert no_signin == [LI]  # her first event of the day is no sign-in


def test_a_submitted_attempt_is_an_exam_started_by_its_attempt_started(audited) -> None:
    rows, out, _ = audited
    got = _query(
        out,
        "SELECT e.person_id, e.started_at, e.submitted_at, e.score, e._row, a.first_row, "
        "a.last_row FROM exams e JOIN activity_sources a ON a.source_table = 'exams' "
        "AND a._row = e._row ORDER BY e._row",
    )
    assert got == [
        (ZHANG, t(3, 15, 1), t(3, 15, 30), None, rows["quiz_submitted"], rows["quiz_submitted"],
         rows["quiz_started"]),
        # its attempt_started is not in the log: the start is not guessed; BAD_TIMESTAMP names it
        (LI, None, t(2, 11, 0), None, rows["l_quiz"], rows["l_quiz"], rows["l_quiz"]),
    ]  # fmt: skip
    bad = [f for f in _findings(out) if f["rule_id"] == "BAD_TIMESTAMP"]
    assert [(f["person_id"], json.loads(f["evidence"])["first_bad_row"]) for f in bad] == [
        (LI, rows["l_quiz"])
    ]


def test_a_new_discussion_is_one_question(audited) -> None:
    rows, out, _ = audited
    got = _query(out, "SELECT person_id, posted_at, role, text, _row FROM qa")
    assert got == [(ZHANG, t(3, 14, 10), "question", None, rows["discussion"])]
    assert _query(
        out, "SELECT first_row, last_row FROM activity_sources WHERE source_table = 'qa'"
    ) == [(rows["post"], rows["discussion"])]


def test_users_not_mapped_are_counted_and_findings_cite_log_rows(audited) -> None:
    rows, out, _ = audited
    # the cron job's row under 张伟's name is no study of his (it would be a session on 03-04)
    assert _query(out, "SELECT reason, detail, event_rows, first_row FROM adapter_ignored") == [
        ("origin cli: the system's action, not the user's", "课程: 数据分析基础", 1, rows["cron"])
    ]
    unmapped = [
        json.loads(f["evidence"]) for f in _findings(out) if f["rule_id"] == "UNMAPPED_ACTOR"
    ]
    assert unmapped == [
        {"source_file": "log.csv", "actor": "管理员 用户 (id 2)", "reason": "actor not mapped",
         "event_rows": 1, "first_row": rows["admin"], "last_row": rows["admin"]}
    ]  # fmt: skip
    short = next(f for f in _findings(out) if f["rule_id"] == "HOURS_SHORT")
    assert short["person_id"] == LI
    assert json.loads(short["evidence"])["study_rows"] == (
        f"log.csv rows {rows['l_a2']}–{rows['l_a1']}, {rows['l_b2']}–{rows['l_b1']}"
    )


def _english_export(folder: Path) -> tuple[Log, dict[int, int]]:
    """An English site's course log (no Course column), LF line breaks, the adapter's default
    time format: module contexts are mapped one by one."""
    build(folder)  # the contract tables and users; the log and contexts are replaced
    log = Log("en")
    log.add(dt.datetime(2022, 3, 2, 9, 0), LI_USER, "course_viewed")
    log.add(dt.datetime(2022, 3, 2, 9, 10), LI_USER, "page_viewed")
    log.add(dt.datetime(2022, 3, 2, 9, 40), LI_USER, "page_viewed")
    log.add(dt.datetime(2022, 3, 2, 9, 50), LI_USER, "quiz_started", attempt=8)
    log.add(dt.datetime(2022, 3, 2, 10, 0), LI_USER, "quiz_submitted", attempt=8)
    log.add(dt.datetime(2022, 3, 3, 8, 0), ZHANG_USER, "discussion")
    numbers = log.write(folder / "log.csv", "%d %b, %H:%M", newline="\n")
    write_csv(folder / "contexts.csv", ["context", "project_id", "lesson_id"],
              [["Course: Data analysis basics", "P1", ""], ["Page: Chapter 1", "P1", "L1"],
               ["Quiz: Final exam", "P1", ""]])  # fmt: skip
    return log, numbers


def test_an_english_course_log_with_the_default_format(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _, numbers = _english_export(export)
    assert (
        (export / "log.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith('"3 Mar, 08:00",张伟,-,Forum: Q&A,Forum,Discussion created,')
    )
    result = _audit(export, tmp_path / "out", "--mapping", "moodle-en", "--adapter-setting",
                    "year=2022", "--adapter-setting", "signin_from_first_event=true")  # fmt: skip
    assert result.exit_code == 1, result.output
    out = tmp_path / "out"
    assert _query(out, "SELECT person_id, started_at, ended_at, lesson_id FROM study_sessions") == [
        (LI, t(2, 9, 0), t(2, 9, 40), "Course: Data analysis basics")
    ]
    assert _query(out, "SELECT person_id, started_at, submitted_at FROM exams") == [
        (LI, t(2, 9, 50), t(2, 10, 0))
    ]
    # signin_from_first_event: each day's first event of a person in a project is a sign-in
    assert _query(out, "SELECT person_id, signed_in_at, _row FROM signins") == [
        (LI, t(2, 9, 0), numbers[0])
    ]
    # the forum's context is not in contexts: the post is counted, not guessed into P1
    assert _query(out, "SELECT reason, detail, event_rows, first_row FROM adapter_ignored") == [
        ("event context not in contexts", "Forum: Q&A", 1, numbers[5])
    ]


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_log_crossing_a_new_year_is_an_error_not_a_guess(tmp_path: Path) -> None:
    export = tmp_path / "export"
    build(export)
    log = Log("zh")
    for at in (dt.datetime(2022, 12, 31, 23, 40), dt.datetime(2022, 12, 31, 23, 50),
               dt.datetime(2023, 1, 1, 0, 10), dt.datetime(2023, 1, 1, 0, 20)):  # fmt: skip
        log.add(at, ZHANG_USER, "page_viewed")
    log.write(export / "log.csv", "%m月%d日 %H:%M")  # newest first: 01月1日 00:20 is row 1
    output = _error(
        _audit(export, tmp_path / "out", "--mapping", "moodle-zh", "--adapter-setting", "year=2022")
    )
    assert (
        "moodle-log: rows 2 (01月1日 00:10) and 3 (12月31日 23:50) are out of the log's "
        "newest-first order by 364 day(s): the year-less times cross a new year" in output
    )
    assert not (tmp_path / "out").exists()


def test_a_year_less_format_needs_the_year(tmp_path: Path) -> None:
    export = tmp_path / "export"
    build(export)
    output = _error(_audit(export, tmp_path / "out", "--mapping", "moodle-zh"))
    assert (
        "the time format %m月%d日 %H:%M has no year (%Y or %y): give the log's year: --adapter-setting year=YYYY"
        in output
    )


def test_a_time_the_format_does_not_read_is_an_error_naming_the_row(tmp_path: Path) -> None:
    export = tmp_path / "export"
    build(export)
    output = _error(_audit(export, tmp_path / "out", "--mapping", "moodle-zh",
                           "--adapter-setting", "time_format=%d %b, %H:%M",
                           "--adapter-setting", "year=2022"))  # fmt: skip
    assert "row 1: time '03月4日 03:00' cannot be read with time_format %d %b, %H:%M" in output


def test_a_format_with_the_year_reads_any_order(tmp_path: Path) -> None:
    export = tmp_path / "export"
    build(export)
    log = Log("zh")
    for at in (dt.datetime(2022, 12, 31, 23, 50), dt.datetime(2023, 1, 1, 0, 10)):
        log.add(at, ZHANG_USER, "page_viewed")
    log.write(export / "log.csv", "%d/%m/%y, %H:%M", oldest_first=True)
    result = _audit(export, tmp_path / "out", "--mapping", "moodle-zh",
                    "--adapter-setting", "time_format=%d/%m/%y, %H:%M")  # fmt: skip
    assert result.exit_code == 1, result.output
    assert _query(tmp_path / "out", "SELECT started_at, ended_at FROM study_sessions") == [
        (dt.datetime(2022, 12, 31, 23, 50), dt.datetime(2023, 1, 1, 0, 10))
    ]


def test_the_same_log_resaved_by_excel_in_gb18030_reads_the_same(audited, tmp_path: Path) -> None:
    _, out, _ = audited
    export = tmp_path / "export"
    build(export)
    log = export / "log.csv"
    log.write_bytes(log.read_bytes().decode("utf-8").encode("gb18030"))  # CR line breaks kept
    result = _audit(
        export, tmp_path / "out", "--mapping", "moodle-zh", "--adapter-setting", "year=2022"
    )
    assert result.exit_code == 1, result.output
    inputs = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert inputs["inputs"]["log"]["encoding"] == "gb18030"
    sql = "SELECT * FROM study_sessions ORDER BY _row"
    assert _query(tmp_path / "out", sql) == _query(out, sql)


def test_examples_moodle_log_is_this_export(tmp_path: Path) -> None:
    """examples/moodle-log is the export these tests audit (rewrite it with build())."""
    example = Path(__file__).parent.parent / "examples" / "moodle-log"
    build(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in example.iterdir() if p.name != "mapping.toml")
    for name in made:
        assert (example / name).read_bytes() == (tmp_path / name).read_bytes(), name
