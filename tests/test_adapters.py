"""Adapters: raw logs become contract activity tables in SQL, every raw row accounted for.

Sessionisation is checked on the heartbeat adapter through the same steps the audit runs
(ingest, then the adapter) without the rules; the audit itself through the CLI.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from auditor import facts
from auditor.adapters import (
    list_adapters,
    load_adapter,
    render_sql,
    resolve_adapter,
    run_adapter,
    sql_literal,
)
from auditor.cli import cli
from auditor.errors import AdapterError, ExportError
from auditor.ingest import ingest
from auditor.mapping import Mapping, load_mapping
from tests.exports import clean_world, write_export, write_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "heartbeat"
PERSON = "310101199001011234"  # the clean world's trainee, actor "zhangwei"
HEADER = ["actor", "project_id", "lesson_id", "beat_at", "device_id", "ip"]


def beat(at: str, actor: str = "zhangwei", project: str = "P1", device: str = "D1") -> dict:
    return {"actor": actor, "project_id": project, "lesson_id": "L1", "beat_at": at,
            "device_id": device, "ip": "10.0.0.1"}  # fmt: skip


def make_export(
    folder: Path,
    beats: list[dict[str, Any]],
    actors: list[dict[str, Any]] | None = None,
    keep: tuple[str, ...] = ("signins",),
) -> Path:
    """The shanghai clean world without study_sessions (unless kept), plus heartbeats."""
    world = clean_world("shanghai-2022")
    write_export(folder, world)
    for table in ("study_sessions", "signins"):
        if table not in keep:
            (folder / f"{table}.csv").unlink()
    write_rows(folder / "heartbeats.csv", beats)
    write_rows(folder / "actors.csv", actors or [{"actor": "zhangwei", "person_id": PERSON}])
    return folder


def derive(
    export: Path, tmp: Path, settings: tuple[str, ...] = (), mapping: Mapping | None = None
) -> duckdb.DuckDBPyConnection:
    """Ingest `export` and run the heartbeat adapter on it, as the audit does."""
    adapter = resolve_adapter("heartbeat")
    values = adapter.setting_values({}, settings)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    facts.load_dialect(con)
    mapping = mapping or Mapping()
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    result = ingest(con, export, mapping, work, supplied=frozenset(adapter.outputs(values)))
    run_adapter(con, adapter, values, export, mapping, work, result)
    con.execute("CREATE TABLE counts AS SELECT ? AS read, ? AS rejected",
                [result.rows_read["heartbeats"], result.rows_rejected["heartbeats"]])  # fmt: skip
    return con


def sessions(con: duckdb.DuckDBPyConnection, table: str = "study_sessions") -> list[tuple]:
    """(project, start, end, first row, last row) by project and start."""
    return con.execute(
        f"SELECT s.project_id, strftime(s.started_at, '%m-%d %H:%M:%S'), "
        f"strftime(s.ended_at, '%m-%d %H:%M:%S'), a.first_row, a.last_row FROM {table} s "
        f"JOIN activity_sources a ON a.source_table = '{table}' AND a._row = s._row "
        "ORDER BY 1, 2"
    ).fetchall()


# --- sessionisation ---------------------------------------------------------------------


def test_a_gap_of_exactly_30_minutes_joins_and_30_01_splits(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00"), beat("2022-03-02 08:30:00"), beat("2022-03-02 09:00:01")]
    con = derive(make_export(tmp_path / "e", beats), tmp_path)
    assert sessions(con) == [
        ("P1", "03-02 08:00:00", "03-02 08:31:00", 1, 2),  # 30:00 joins; ends 60 s after
        ("P1", "03-02 09:00:01", "03-02 09:01:01", 3, 3),  # 30:01 splits; a lone beat = 60 s
    ]


def test_a_gap_half_a_second_over_30_minutes_splits(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00.1"), beat("2022-03-02 08:30:00.6")]  # 30:00.5 apart
    con = derive(make_export(tmp_path / "e", beats), tmp_path)
    assert [s[3:] for s in sessions(con)] == [(1, 1), (2, 2)]


def test_the_gap_and_interval_are_settings(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00"), beat("2022-03-02 08:20:00")]
    export = make_export(tmp_path / "e", beats)
    con = derive(export, tmp_path, ("gap_seconds=900", "interval_seconds=300"))
    assert sessions(con) == [
        ("P1", "03-02 08:00:00", "03-02 08:05:00", 1, 1),
        ("P1", "03-02 08:20:00", "03-02 08:25:00", 2, 2),
    ]


def test_two_projects_interleaved_make_one_session_each(tmp_path: Path) -> None:
    beats = []
    for minute in range(0, 10):
        project = "P1" if minute % 2 == 0 else "P2"
        beats.append(beat(f"2022-03-02 08:{minute:02d}:00", project=project))
    con = derive(make_export(tmp_path / "e", beats), tmp_path)
    assert sessions(con) == [
        ("P1", "03-02 08:00:00", "03-02 08:09:00", 1, 9),
        ("P2", "03-02 08:01:00", "03-02 08:10:00", 2, 10),
    ]


def test_the_session_takes_its_first_heartbeats_device(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00", device="PC"), beat("2022-03-02 08:01:00", device="PHONE")]
    con = derive(make_export(tmp_path / "e", beats), tmp_path)
    assert con.execute("SELECT device_id FROM study_sessions").fetchall() == [("PC",)]


def test_an_unmapped_actor_is_counted_not_dropped(tmp_path: Path) -> None:
    beats = [
        beat("2022-03-02 08:00:00"),
        beat("2022-03-02 08:01:00", actor="ghost"),
        beat("2022-03-02 08:02:00"),
        beat("2022-03-02 08:03:00", actor="ghost"),
        beat("2022-03-02 08:04:00", actor="twice"),
    ]
    actors = [
        {"actor": "zhangwei", "person_id": PERSON},
        {"actor": "twice", "person_id": PERSON},
        {"actor": "twice", "person_id": "310104198805172468"},
    ]
    con = derive(make_export(tmp_path / "e", beats, actors), tmp_path)
    assert con.execute(
        "SELECT actor, reason, event_rows, first_row, last_row FROM unmapped_actors ORDER BY 1"
    ).fetchall() == [
        ("ghost", "actor not mapped", 2, 2, 4),
        ("twice", "actor mapped to several person_id", 1, 5, 5),
    ]
    assert sessions(con) == [("P1", "03-02 08:00:00", "03-02 08:03:00", 1, 3)]


def test_a_broken_heartbeat_line_loses_no_row(tmp_path: Path) -> None:
    export = make_export(tmp_path / "e", [beat("2022-03-02 08:00:00")])
    lines = [",".join(HEADER)]
    for minute in range(6):
        lines.append(f"zhangwei,P1,L1,2022-03-02 08:0{minute}:00,D1,10.0.0.1")
        if minute == 2:  # record 4: a quote that never closes
            lines.append('zhangwei,P1,"L1,2022-03-02 08:02:30,D1,10.0.0.1')
    (export / "heartbeats.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = derive(export, tmp_path)
    assert con.execute("SELECT source_row, reason FROM rejects").fetchall() == [
        (4, "row has a quote that does not close (the rows after it are read)")
    ]
    assert con.execute("SELECT read, rejected FROM counts").fetchall() == [(7, 1)]
    assert sessions(con) == [("P1", "03-02 08:00:00", "03-02 08:06:00", 1, 7)]


def test_an_offset_time_is_its_shanghai_instant_across_midnight(tmp_path: Path) -> None:
    # 15:50+00 is 23:50 in Shanghai on 03-02; 16:10+00 is 00:10 on 03-03
    beats = [beat("2022-03-02T15:50:00+00"), beat("2022-03-02 16:10:00+00")]
    export = make_export(tmp_path / "e", beats)
    con = derive(export, tmp_path, ("signin_from_first_event=true",))
    assert sessions(con) == [("P1", "03-02 23:50:00", "03-03 00:11:00", 1, 2)]
    # the platform's signins.csv is kept; the first heartbeat of each day sits beside it
    assert con.execute(
        "SELECT strftime(signed_in_at, '%m-%d %H:%M') FROM raw_signins ORDER BY 1"
    ).fetchall() == [("03-02 23:50",), ("03-03 00:10",)]


def test_first_heartbeat_is_no_signin_unless_asked(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00")]
    with pytest.raises(ExportError, match=r"missing table file\(s\): signins"):
        derive(make_export(tmp_path / "e", beats, keep=()), tmp_path)
    export = make_export(tmp_path / "f", beats, keep=())
    con = derive(export, tmp_path, ("signin_from_first_event=true",))
    assert con.execute("SELECT person_id, signed_in_at FROM signins").fetchall() == [
        (PERSON, dt.datetime(2022, 3, 2, 8, 0))
    ]


def test_mapping_renames_an_inputs_headers(tmp_path: Path) -> None:
    export = make_export(tmp_path / "e", [beat("2022-03-02 08:00:00")])
    rows = [{"用户": "zhangwei", "项目": "P1", "时间": "2022-03-02 08:00:00"}]
    write_rows(export / "心跳.csv", rows)
    (export / "heartbeats.csv").unlink()
    (export / "mapping.toml").write_text(
        '[tables.heartbeats]\nfile = "心跳"\n[tables.heartbeats.columns]\n'
        '"用户" = "actor"\n"项目" = "project_id"\n"时间" = "beat_at"\n',
        encoding="utf-8",
    )
    mapping = load_mapping(export / "mapping.toml")
    mapping.check_inputs(resolve_adapter("heartbeat").input_tables, "heartbeat")
    con = derive(export, tmp_path, mapping=mapping)
    assert con.execute("SELECT source_file FROM activity_sources").fetchall() == [("心跳.csv",)]


def test_an_input_workbook_is_read_from_the_sheet_named_like_the_input(tmp_path: Path) -> None:
    import openpyxl

    export = make_export(tmp_path / "e", [beat("2022-03-02 08:00:00")])
    (export / "heartbeats.csv").unlink()
    book = openpyxl.Workbook()
    book.active.append(["notes"])
    sheet = book.create_sheet("heartbeats")
    sheet.append(HEADER)
    sheet.append(["zhangwei", "P1", "L1", dt.datetime(2022, 3, 2, 8), "D1", "10.0.0.1"])
    sheet.append(["zhangwei", "P1", "L1", "2022-03-02 08:10:00", "D1", "10.0.0.1"])
    book.save(export / "heartbeats.xlsx")
    con = derive(export, tmp_path)
    assert sessions(con) == [("P1", "03-02 08:00:00", "03-02 08:11:00", 1, 2)]


# --- the audit, through the CLI -----------------------------------------------------------


def audit_cli(export: Path, out: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        ["audit", str(export), "--policy", "shanghai-2022", "--out", str(out), "--as-of",
         "2023-06-30", "--quiet", *args],
    )  # fmt: skip


def findings(out: Path) -> list[dict[str, str]]:
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_example_audit_cites_the_raw_rows(tmp_path: Path) -> None:
    result = audit_cli(EXAMPLE, tmp_path / "out")
    assert result.exit_code == 1, result.output
    found = findings(tmp_path / "out")
    assert sorted(f["rule_id"] for f in found) == [
        "BAD_ROW", "HOURS_SHORT", "SUMMARY_UNSUPPORTED", "UNMAPPED_ACTOR"
    ]  # fmt: skip
    short = next(f for f in found if f["rule_id"] == "HOURS_SHORT")
    evidence = json.loads(short["evidence"])
    assert evidence["platform_minutes"] == 1080 and evidence["raw_minutes"] == 720
    assert evidence["credited_minutes"] == 720  # the lower of the two
    assert evidence["study_rows"].startswith("heartbeats.csv rows ")
    # the rows cited are李娜's first and last heartbeats of each day
    with (EXAMPLE / "heartbeats.csv").open(encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for span in evidence["study_rows"].removeprefix("heartbeats.csv rows ").split(", "):
        first, last = (int(n) for n in span.split("–"))
        assert lines[first].startswith("lina,") and lines[last].startswith("lina,")
    unmapped = next(f for f in found if f["rule_id"] == "UNMAPPED_ACTOR")
    assert json.loads(unmapped["evidence"])["event_rows"] == 20
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    beats = manifest["inputs"]["heartbeats"]
    assert beats["rows_read"] == len(lines) - 1 == beats["rows_accepted"] + beats["rows_rejected"]
    assert manifest["adapter"]["installed"] == {"study_sessions": "raw_study_sessions"}
    page = next((tmp_path / "out" / "enterprises").glob("*.html")).read_text(encoding="utf-8")
    assert "平台记录学时" in page and "原始日志支持学时" in page


def test_sessions_from_heartbeats_alone_are_credited_and_cited(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00"), beat("2022-03-02 08:30:00"), beat("2022-03-02 09:00:00")]
    export = make_export(tmp_path / "e", beats)
    result = audit_cli(export, tmp_path / "out", "--adapter", "heartbeat")
    assert result.exit_code == 1, result.output
    short = next(f for f in findings(tmp_path / "out") if f["rule_id"] == "HOURS_SHORT")
    evidence = json.loads(short["evidence"])
    assert evidence["credited_minutes"] == 61
    assert evidence["study_rows"] == "heartbeats.csv rows 1–3"
    assert "platform_minutes" not in evidence  # no tie-out: one figure only


def test_an_audit_without_an_adapter_has_no_raw_evidence(tmp_path: Path) -> None:
    world = clean_world("shanghai-2022")
    world["study_sessions"] = world["study_sessions"][:1]
    export = write_export(tmp_path / "e", world)
    assert audit_cli(export, tmp_path / "out").exit_code == 1
    short = next(f for f in findings(tmp_path / "out") if f["rule_id"] == "HOURS_SHORT")
    assert list(json.loads(short["evidence"])) == [
        "credited_minutes", "first_activity_at", "last_activity_at", "min_study_minutes"
    ]  # fmt: skip


def test_settings_come_from_mapping_toml_then_the_cli(tmp_path: Path) -> None:
    beats = [beat("2022-03-02 08:00:00"), beat("2022-03-02 08:20:00")]
    export = make_export(tmp_path / "e", beats)
    (export / "mapping.toml").write_text(
        '[adapter]\nname = "heartbeat"\n[adapter.settings]\ngap_seconds = 900\n', encoding="utf-8"
    )
    assert audit_cli(export, tmp_path / "a").exit_code == 1
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["adapter"]["settings"]["gap_seconds"] == 900
    assert manifest["counts"]["rows.study_sessions"] == 2  # 20 min > 900 s: two sessions
    assert audit_cli(export, tmp_path / "b", "--adapter-setting", "gap_seconds=1800").exit_code == 1
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["rows.study_sessions"] == 1


# --- bad input ------------------------------------------------------------------------------


def test_an_unknown_adapter_names_the_shipped_ones(tmp_path: Path) -> None:
    result = audit_cli(EXAMPLE, tmp_path / "out", "--adapter", "xapii")
    assert result.exit_code == 2
    shipped = ", ".join(a.name for a in list_adapters())
    assert (
        f"unknown adapter 'xapii'; shipped adapters: {shipped} (or give a folder" in result.output
    )
    assert "heartbeat" in shipped
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("gap_seconds=half", "takes an int (default 1800)"),
        ("signin_from_first_event=yes", "takes a bool (default false)"),
        ("gap=900", "has no setting 'gap'; its settings: gap_seconds, interval_seconds"),
        ("gap_seconds", "write NAME=VALUE"),
    ],
)
def test_a_bad_setting_on_the_cli_is_an_error(tmp_path: Path, setting: str, message: str) -> None:
    result = audit_cli(EXAMPLE, tmp_path / "out", "--adapter-setting", setting)
    assert result.exit_code == 2 and message in result.output


def test_a_setting_of_the_wrong_type_in_mapping_toml_is_an_error(tmp_path: Path) -> None:
    export = shutil.copytree(EXAMPLE, tmp_path / "e")
    text = (export / "mapping.toml").read_text(encoding="utf-8")
    (export / "mapping.toml").write_text(text.replace("= 300", '= "300"'), encoding="utf-8")
    result = audit_cli(export, tmp_path / "out")
    assert result.exit_code == 2
    assert "setting interval_seconds of adapter heartbeat must be int, not '300'" in result.output


def test_a_missing_input_file_or_column_is_an_export_error(tmp_path: Path) -> None:
    export = make_export(tmp_path / "e", [beat("2022-03-02 08:00:00")])
    (export / "actors.csv").unlink()
    result = audit_cli(export, tmp_path / "a", "--adapter", "heartbeat")
    assert result.exit_code == 2 and "adapter heartbeat needs input file actors{" in result.output
    write_rows(export / "actors.csv", [{"actor": "zhangwei", "id_number": PERSON}])
    result = audit_cli(export, tmp_path / "b", "--adapter", "heartbeat")
    assert result.exit_code == 2
    assert "file actors.csv: table in_actors lacks required column(s) person_id" in result.output


def test_a_mapping_of_an_unknown_table_is_an_error(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    (export / "mapping.toml").write_text('[tables.heartbeats]\nfile = "x"\n', encoding="utf-8")
    result = audit_cli(export, tmp_path / "a")
    assert result.exit_code == 2 and "unknown table 'heartbeats'" in result.output
    (export / "mapping.toml").write_text(
        '[tables.heartbeats.columns]\n"t" = "at"\n', encoding="utf-8"
    )
    result = audit_cli(export, tmp_path / "b", "--adapter", "heartbeat")
    assert result.exit_code == 2 and "maps 't' to unknown column 'at'" in result.output


# --- a user's own adapter, by path ------------------------------------------------------------


def own_adapter(folder: Path, sql: str, toml_extra: str = "", columns: str = "") -> Path:
    """A one-input adapter reading statements.jsonl by JSON path."""
    folder.mkdir(parents=True)
    columns = columns or (
        '{ name = "who", kind = "text", required = true, json_path = "$.actor.name" },\n'
        '  { name = "course", kind = "id", required = true, json_path = "$.context.course" },\n'
        '  { name = "started", kind = "timestamp", required = true, json_path = "$.start" },\n'
        '  { name = "ended", kind = "timestamp", required = true, json_path = "$.end" },'
    )
    (folder / "adapter.toml").write_text(
        f'name = "{folder.name}"\ntitle = "Statements"\ndescription = "Reads statements."\n'
        f'produces = ["study_sessions"]\nsql = ["s.sql"]\n{toml_extra}\n'
        f'[[inputs]]\ntable = "statements"\ncolumns = [\n  {columns}\n]\n',
        encoding="utf-8",
    )
    (folder / "s.sql").write_text(sql, encoding="utf-8")
    return folder


STATEMENTS_SQL = """
CREATE TABLE out_study_sessions AS
SELECT s._row, s.course AS project_id, ${person} AS person_id, s.started AS started_at,
       s.ended AS ended_at, CAST(NULL AS VARCHAR) AS lesson_id, CAST(NULL AS VARCHAR) AS device_id,
       CAST(NULL AS VARCHAR) AS ip, f.file AS _source_file, s._row AS _first_row,
       s._row AS _last_row
FROM in_statements s CROSS JOIN (SELECT file FROM input_files) f
"""


def statements(export: Path) -> None:
    lines = [
        json.dumps({"actor": {"name": "zw"}, "context": {"course": "p1"},
                    "start": "2022-03-02T00:00:00Z", "end": "2022-03-02T09:00:00Z"}),
        "{not json",
        "",
        json.dumps({"actor": {"name": "zw"}, "context": {"course": "p1"},
                    "start": "2022-03-03 06:00:00", "end": "2022-03-03 15:00:00"}),
        json.dumps({"actor": {"name": "zw"}, "context": {}, "start": "2022-03-03 06:00:00"}),
    ]  # fmt: skip
    (export / "statements.jsonl").write_text("\n".join(lines), encoding="utf-8")


def test_a_folder_adapter_reads_json_lines_line_by_line(tmp_path: Path) -> None:
    folder = own_adapter(
        tmp_path / "stmts",
        STATEMENTS_SQL,
        f'[settings.person]\ndefault = "{PERSON}"\nhelp = "whose statements"',
    )
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    (export / "study_sessions.csv").unlink()
    statements(export)
    result = audit_cli(export, tmp_path / "out", "--adapter", str(folder))
    assert result.exit_code == 0, result.output  # BAD_ROW is review; 1080 minutes credited
    rows = {(f["rule_id"], f["message"]) for f in findings(tmp_path / "out")}
    assert {r for r, _ in rows} == {"BAD_ROW"}
    assert ("BAD_ROW", "statements.jsonl 第 2 行无法读取（）：line is not valid JSON") in rows
    assert any("statements.jsonl 第 5 行" in m and "course" in m for _, m in rows)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    info = manifest["inputs"]["statements"]
    assert (info["rows_read"], info["rows_accepted"], info["rows_rejected"]) == (4, 2, 2)
    con = duckdb.connect(str(tmp_path / "out" / "audit.duckdb"), read_only=True)
    assert con.execute(
        "SELECT project_id, started_at FROM study_sessions ORDER BY 2"
    ).fetchall() == [("P1", dt.datetime(2022, 3, 2, 8)), ("P1", dt.datetime(2022, 3, 3, 6))]


def test_an_adapter_that_breaks_its_promise_is_named(tmp_path: Path) -> None:
    export = write_export(tmp_path / "e", clean_world("shanghai-2022"))
    statements(export)
    none = own_adapter(tmp_path / "none", "CREATE TABLE other AS SELECT 1 AS x")
    result = audit_cli(export, tmp_path / "a", "--adapter", str(none))
    assert result.exit_code == 2
    assert f"{none / 'adapter.toml'}: produces study_sessions, but its SQL" in result.output
    lacking = own_adapter(
        tmp_path / "lacking",
        "CREATE TABLE out_study_sessions AS SELECT _row, course AS project_id FROM in_statements",
    )
    result = audit_cli(export, tmp_path / "b", "--adapter", str(lacking))
    assert result.exit_code == 2 and "out_study_sessions lacks column(s) person_id" in result.output


@pytest.mark.parametrize(
    ("extra", "columns", "message"),
    [
        ("", '{ name = "at", kind = "timestamp", json_path = "$.t" },', "'at' is a reserved SQL word"),
        ("", '{ name = "x", kind = "float" },', "`kind` is one of id, text"),
        ("", '{ name = "x", kind = "text", json_path = "$.x" }, { name = "y", kind = "text" },',
         "give json_path for every column or for none"),
        ("[settings.gap]\ndefault = [1]\nhelp = 'h'", "", "`default` (bool, int, float or text)"),
        ("[settings.on]\ndefault = 1\nhelp = 'h'\nadds = ['signins']", "",
         "only a bool setting adds tables"),
    ],
)  # fmt: skip
def test_a_malformed_adapter_toml_is_named(
    tmp_path: Path, extra: str, columns: str, message: str
) -> None:
    folder = own_adapter(tmp_path / "bad", "SELECT 1", extra, columns)
    with pytest.raises(AdapterError, match=str(folder / "adapter.toml")) as caught:
        load_adapter(folder)
    assert message in str(caught.value)


def test_placeholders_are_typed_literals(tmp_path: Path) -> None:
    assert sql_literal("O'Brien") == "'O''Brien'"
    assert (sql_literal(True), sql_literal(900), sql_literal(0.5)) == ("true", "900", "0.5")
    folder = own_adapter(tmp_path / "ph", "SELECT ${nope}")
    with pytest.raises(AdapterError, match=r"placeholder \$\{nope\} names no setting"):
        render_sql(load_adapter(folder), "s.sql", {})


# --- auditor adapters -----------------------------------------------------------------------


def test_adapters_command_lists_and_shows() -> None:
    listed = CliRunner().invoke(cli, ["adapters"])
    assert listed.exit_code == 0
    assert [line.split("\t")[0] for line in listed.output.splitlines()] == [
        a.name for a in list_adapters()
    ]
    assert "produces: study_sessions\tinputs: heartbeats, actors" in listed.output
    shown = CliRunner().invoke(cli, ["adapters", "heartbeat"])
    assert "gap_seconds = 1800  [int]" in shown.output and "beat_at *  timestamp" in shown.output
    data = json.loads(CliRunner().invoke(cli, ["adapters", "heartbeat", "--json"]).output)
    assert data["settings"]["interval_seconds"]["default"] == 60
    assert [i["table"] for i in data["inputs"]] == ["heartbeats", "actors"]
    unknown = CliRunner().invoke(cli, ["adapters", "nope"])
    assert unknown.exit_code == 2 and "shipped adapters: heartbeat" in unknown.output


@pytest.mark.parametrize("adapter", list_adapters(), ids=lambda a: a.name)
def test_shipped_adapter_sql_is_plain_sql_that_transpiles_to_spark(adapter) -> None:
    import sqlglot
    from sqlglot import exp

    values = adapter.setting_values()
    created = set()
    for file in adapter.sql:
        for tree in sqlglot.parse(render_sql(adapter, file, values), read="duckdb"):
            # plain SQL: every statement makes a table from a query (out_<table>, or a step
            # before it), none is procedural
            assert isinstance(tree, exp.Create), file
            spark = tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
            assert "CREATE " in spark, file
            created.add(tree.this.name)
    assert {f"out_{t}" for t in adapter.produces} <= created
