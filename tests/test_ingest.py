"""The export contract at the door: formats, encodings, mappings, and clear errors."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from auditor.contract import TABLES
from auditor.errors import ExportError
from auditor.ingest import first_reject, ingest
from auditor.mapping import Mapping, load_mapping
from auditor.sources import MISPLACED
from auditor.sources import UNCLOSED as BROKEN_REASON
from tests.exports import clean_world, write_export


def _ingest(
    export: Path, tmp_path: Path, mapping: Mapping | None = None
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ingest(con, export, mapping or Mapping(), work)
    return con


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export", clean_world("shanghai-2022"))


def _study_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT project_id, person_id, started_at, ended_at FROM study_sessions ORDER BY started_at"
    ).fetchall()


def _convert(export: Path, table: str, fmt: str) -> None:
    src = export / f"{table}.csv"
    con = duckdb.connect()
    rel = f"read_csv('{src}', all_varchar = true)"
    if fmt == "parquet":
        con.execute(
            f"COPY (SELECT * FROM {rel}) TO '{export / (table + '.parquet')}' (FORMAT parquet)"
        )
    elif fmt == "jsonl":
        con.execute(f"COPY (SELECT * FROM {rel}) TO '{export / (table + '.jsonl')}' (FORMAT json)")
    elif fmt == "csv.gz":
        with src.open("rb") as fh, gzip.open(export / f"{table}.csv.gz", "wb") as gz:
            shutil.copyfileobj(fh, gz)
    elif fmt == "xlsx":
        import csv

        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        with src.open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                sheet.append(row)
        book.save(export / f"{table}.xlsx")
    src.unlink()


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv.gz", "xlsx"])
def test_every_format_reads_the_same_rows(fmt: str, export: Path, tmp_path: Path) -> None:
    expected = _study_rows(_ingest(export, tmp_path))
    _convert(export, "study_sessions", fmt)
    assert _study_rows(_ingest(export, tmp_path)) == expected


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_bom_and_gb18030_csv(encoding: str, export: Path, tmp_path: Path) -> None:
    path = export / "trainees.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    con = _ingest(export, tmp_path)
    assert con.execute("SELECT name FROM trainees").fetchall() == [("张伟",)]


def test_iso_timestamps_with_and_without_offset(export: Path, tmp_path: Path) -> None:
    path = export / "signins.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("2022-03-02 07:55:00", "2022-03-02T07:55:00").replace(
        "2022-03-03 07:55:00", "2022-03-02T23:55:00Z"
    )
    path.write_text(text, encoding="utf-8")
    con = _ingest(export, tmp_path)
    got = [str(r[0]) for r in con.execute("SELECT signed_in_at FROM signins ORDER BY 1").fetchall()]
    assert got == ["2022-03-02 07:55:00", "2022-03-03 07:55:00"]  # Z is UTC: +8 h local


def test_missing_table_names_it_and_lists_the_folder(export: Path, tmp_path: Path) -> None:
    (export / "claims.csv").unlink()
    with pytest.raises(
        ExportError, match=r"missing table file\(s\): claims.*the directory has: enterprises.csv"
    ):
        _ingest(export, tmp_path)


def test_optional_tables_may_be_absent(export: Path, tmp_path: Path) -> None:
    (export / "qa.csv").unlink()
    con = _ingest(export, tmp_path)
    assert con.execute("SELECT count(*) FROM qa").fetchall() == [(0,)]


def test_missing_column_names_it_and_lists_the_headers(export: Path, tmp_path: Path) -> None:
    path = export / "claims.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("imported_at", "import_time"), encoding="utf-8"
    )
    with pytest.raises(
        ExportError, match=r"claims.csv.*lacks required column\(s\) imported_at.*import_time"
    ):
        _ingest(export, tmp_path)


def _rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT file, source_row, column_name, reason FROM rejects ORDER BY 1, 2"
    ).fetchall()


def test_bad_date_is_rejected_naming_file_row_and_column(export: Path, tmp_path: Path) -> None:
    path = export / "projects.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2022-03-01", "2022-02-30"), encoding="utf-8"
    )
    con = _ingest(export, tmp_path)
    assert _rejects(con) == [
        ("projects.csv", 1, "approved_on", "value is empty or cannot be read as date")
    ]
    assert con.execute("SELECT count(*) FROM projects").fetchall() == [(0,)]
    error = first_reject(con)
    assert error is not None
    assert (error.file, error.row, error.column) == ("projects.csv", 1, "approved_on")


def test_bad_amount_names_row_and_column(export: Path, tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"].append({**rows["claims"][0], "project_id": "P2", "amount": "六百"})
    con = _ingest(write_export(tmp_path / "e2", rows), tmp_path)
    assert _rejects(con) == [
        ("claims.csv", 2, "amount", "value is empty or cannot be read as decimal")
    ]
    assert con.execute("SELECT project_id FROM claims").fetchall() == [("P1",)]


def test_enumeration_value_outside_the_contract(export: Path, tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["trainees"][0]["employment"] = "intern"
    con = _ingest(write_export(tmp_path / "e2", rows), tmp_path)
    assert _rejects(con) == [
        ("trainees.csv", 1, "employment", "value must be one of labor_contract | dispatch | other")
    ]


def test_malformed_csv_rows_are_rejected_and_numbered(export: Path, tmp_path: Path) -> None:
    path = export / "signins.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "P1,310101199001011234")  # record 2: too few fields
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = _ingest(export, tmp_path)
    assert _rejects(con) == [("signins.csv", 2, None, "row has fewer fields than the header")]
    assert con.execute("SELECT _row FROM signins ORDER BY _row").fetchall() == [(1,), (3,)]


def test_unparseable_activity_time_is_kept_for_bad_timestamp(export: Path, tmp_path: Path) -> None:
    path = export / "signins.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2022-03-03 07:55:00", "2022-13-45 25:00:00"),
        encoding="utf-8",
    )
    con = _ingest(export, tmp_path)
    assert con.execute("SELECT count(*) FROM signins").fetchall() == [(2,)]
    assert con.execute("SELECT source_row, raw_value FROM unparsed_values").fetchall() == [
        (2, "2022-13-45 25:00:00")
    ]


def test_empty_file_is_an_error(export: Path, tmp_path: Path) -> None:
    (export / "exams.csv").write_bytes(b"")
    with pytest.raises(ExportError, match=r"exams\.csv.*empty"):
        _ingest(export, tmp_path)


def test_two_files_for_one_table(export: Path, tmp_path: Path) -> None:
    _convert(export, "qa", "parquet")
    (export / "qa.csv").write_text("project_id,person_id,posted_at,role\n", encoding="utf-8")
    with pytest.raises(ExportError, match="several files"):
        _ingest(export, tmp_path)


def test_mapping_renames_headers_values_and_files(export: Path, tmp_path: Path) -> None:
    path = export / "trainees.csv"
    text = path.read_text(encoding="utf-8")
    text = (
        text.replace("person_id", "身份证号码")
        .replace("employment", "用工形式")
        .replace("labor_contract", "劳动合同")
    )
    (export / "花名册.csv").write_text(text, encoding="utf-8")
    path.unlink()
    mapping_file = tmp_path / "mapping.toml"
    mapping_file.write_text(
        '[tables.trainees]\nfile = "花名册"\n[tables.trainees.columns]\n"身份证号码" = "person_id"\n'
        '"用工形式" = "employment"\n[tables.trainees.values.employment]\n"劳动合同" = "labor_contract"\n',
        encoding="utf-8",
    )
    con = _ingest(export, tmp_path, load_mapping(mapping_file))
    assert con.execute("SELECT person_id, employment FROM trainees").fetchall() == [
        ("310101199001011234", "labor_contract")
    ]


def test_mapping_two_headers_onto_one_column(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[tables.claims.columns]\n"a" = "person_id"\n"b" = "person_id"\n', encoding="utf-8"
    )
    with pytest.raises(ExportError, match="maps both 'a' and 'b' onto 'person_id'"):
        load_mapping(path)


def test_hostile_header_never_reaches_sql_as_text(export: Path, tmp_path: Path) -> None:
    path = export / "qa.csv"
    text = path.read_text(encoding="utf-8")
    hostile = '"x"" AS y; DROP TABLE claims; --"'
    path.write_text(text.replace("text", hostile, 1), encoding="utf-8")
    mapping_file = tmp_path / "m.toml"
    mapping_file.write_text(
        '[tables.qa.columns]\n\'x" AS y; DROP TABLE claims; --\' = "text"\n', encoding="utf-8"
    )
    con = _ingest(export, tmp_path, load_mapping(mapping_file))
    assert con.execute("SELECT count(*) FROM claims").fetchall() == [(1,)]
    assert con.execute("SELECT text FROM qa").fetchall() == [("请问数据透视表如何分组？",)]


def test_typed_parquet_columns_are_taken_as_they_are(export: Path, tmp_path: Path) -> None:
    expected = _study_rows(_ingest(export, tmp_path))
    src = export / "study_sessions.csv"
    writer = duckdb.connect()
    writer.execute("SET TimeZone = 'Asia/Shanghai'")  # a TIMESTAMPTZ is an instant: local noon
    writer.execute(
        f"COPY (SELECT project_id, person_id, CAST(started_at AS TIMESTAMP) AS started_at, "
        f"CAST(ended_at AS TIMESTAMPTZ) AS ended_at FROM read_csv('{src}', all_varchar = true)) "
        f"TO '{export / 'study_sessions.parquet'}' (FORMAT parquet)"
    )
    src.unlink()
    assert _study_rows(_ingest(export, tmp_path)) == expected


@pytest.mark.parametrize("int96", [True, False], ids=["int96-refused", "int64-taken"])
def test_an_int96_time_is_refused_not_guessed(int96: bool, export: Path, tmp_path: Path) -> None:
    """A Parquet INT96 time does not say whether it is UTC (Spark) or wall-clock (Impala): the
    audit stops naming the column; the same times as INT64 TIMESTAMP are read as they are."""
    import pyarrow.parquet as pq

    expected = _study_rows(_ingest(export, tmp_path))
    src = export / "study_sessions.csv"
    table = duckdb.sql(
        f"SELECT project_id, person_id, CAST(started_at AS TIMESTAMP) AS started_at, "
        f"CAST(ended_at AS TIMESTAMP) AS ended_at FROM read_csv('{src}', all_varchar = true)"
    ).to_arrow_table()
    pq.write_table(table, export / "study_sessions.parquet", use_deprecated_int96_timestamps=int96)
    src.unlink()
    if int96:
        with pytest.raises(ExportError, match=r"'started_at' \(started_at\) is a Parquet INT96"):
            _ingest(export, tmp_path)
    else:
        assert _study_rows(_ingest(export, tmp_path)) == expected


def test_a_broken_parquet_file_is_named(export: Path, tmp_path: Path) -> None:
    src = export / "qa.csv"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{src}', all_varchar = true)) TO '{export / 'qa.parquet'}' (FORMAT parquet)"
    )
    src.unlink()
    data = (export / "qa.parquet").read_bytes()
    (export / "qa.parquet").write_bytes(data[:20] + b"\x00" * 40 + data[60:])
    with pytest.raises(ExportError, match=r"qa\.parquet"):
        _ingest(export, tmp_path)


# --- times as real exports write them: every ISO 8601 offset form, at a day boundary ---

LOCAL_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})")
# (suffix, offset from UTC in minutes, date-time separator): PostgreSQL prints `+00`/`+08`
OFFSET_FORMS = [
    ("Z", 0, "T"),
    ("+00", 0, " "),
    ("+0000", 0, "T"),
    ("+00:00", 0, "T"),
    ("+08", 480, " "),
    ("+08:00", 480, "T"),
    ("-05:30", -330, " "),
    ("+0545", 345, "T"),
]
TIME_COLUMNS = {
    t.name: [c.name for c in t.columns if c.kind == "timestamp"]
    for t in TABLES
    if any(c.kind == "timestamp" for c in t.columns)
}


def _as_offset(suffix: str, minutes: int, sep: str) -> Callable[[re.Match[str]], str]:
    def write(m: re.Match[str]) -> str:
        local = dt.datetime.fromisoformat(f"{m[1]} {m[2]}")  # Shanghai local, UTC+8
        there = local - dt.timedelta(minutes=480 - minutes)
        return there.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + suffix

    return write


def _times(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        table: con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY _row").fetchall()
        for table, cols in TIME_COLUMNS.items()
    }


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx", "parquet"])
@pytest.mark.parametrize(("suffix", "minutes", "sep"), OFFSET_FORMS)
def test_every_offset_form_is_the_same_shanghai_instant(
    suffix: str, minutes: int, sep: str, fmt: str, export: Path, tmp_path: Path
) -> None:
    expected = _times(_ingest(export, tmp_path))
    assert expected["signins"][0] == (dt.datetime(2022, 3, 2, 7, 55),)
    for table in TIME_COLUMNS:
        path = export / f"{table}.csv"
        text = LOCAL_TIME.sub(_as_offset(suffix, minutes, sep), path.read_text(encoding="utf-8"))
        if table == "signins" and minutes <= 0:  # 07:55 in Shanghai: the day before in UTC
            assert text.count("2022-03-01") == 1 and text.count("2022-03-02") == 1
        path.write_text(text, encoding="utf-8")
        if fmt != "csv":
            _convert(export, table, fmt)
    con = _ingest(export, tmp_path)
    assert _times(con) == expected
    assert con.execute("SELECT count(*) FROM unparsed_values").fetchall() == [(0,)]


ZONE_JUNK = [
    "2022-03-02 07:55:00 CST",
    "2022-03-02 07:55:00+8",
    "2022-03-02 07:55:00 UTC",
    "2022-03-02T07:55:00 +08:00",
    "2022-03-02T07:55:00+0800x",
    "2022-03-02T07:55:00+24",
    "2022-03-02T07:55:00z",
    "2022-03-02 07:55:00 Asia/Shanghai",
]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("junk", ZONE_JUNK)
def test_other_zone_text_is_bad_timestamp_never_dropped(
    junk: str, fmt: str, export: Path, tmp_path: Path
) -> None:
    path = export / "signins.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2022-03-02 07:55:00", junk), encoding="utf-8"
    )
    if fmt != "csv":
        _convert(export, "signins", fmt)
    con = _ingest(export, tmp_path)
    assert con.execute("SELECT _row, signed_in_at FROM signins ORDER BY _row").fetchall() == [
        (1, None),
        (2, dt.datetime(2022, 3, 3, 7, 55)),
    ]
    assert con.execute("SELECT source_row, raw_value FROM unparsed_values").fetchall() == [
        (1, junk)
    ]


@pytest.mark.parametrize("junk", ZONE_JUNK[:3])
def test_other_zone_text_in_a_required_time_rejects_the_row(
    junk: str, export: Path, tmp_path: Path
) -> None:
    path = export / "claims.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2022-03-10 10:00:00", junk), encoding="utf-8"
    )
    con = _ingest(export, tmp_path)
    assert _rejects(con) == [
        ("claims.csv", 1, "imported_at", "value is empty or cannot be read as timestamp")
    ]


def test_jsonl_times_in_mixed_forms_are_all_read(export: Path, tmp_path: Path) -> None:
    """DuckDB guesses a JSON time type from a sample; a later offset must not break the read."""
    rows = [
        {"project_id": "P1", "person_id": "310101199001011234", "signed_in_at": f"2022-03-02 {h:02d}:{m:02d}:00"}
        for h in range(8, 24) for m in range(60)
    ] * 25  # fmt: skip
    rows.append({**rows[0], "signed_in_at": "2022-03-02T23:59:00+00"})
    rows.append({**rows[0], "signed_in_at": "2022-03-02 23:59:00 CST"})
    (export / "signins.csv").unlink()
    with (export / "signins.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    con = _ingest(export, tmp_path)
    assert con.execute(
        "SELECT signed_in_at FROM signins ORDER BY _row DESC LIMIT 2"
    ).fetchall() == [
        (None,),
        (dt.datetime(2022, 3, 3, 7, 59),),
    ]
    assert con.execute("SELECT count(*) FROM signins").fetchall() == [(len(rows),)]


# --- a broken CSV loses nothing: every record is read or rejected, counted apart from DuckDB ---


def _sessions(export: Path, n: int) -> list[str]:
    """study_sessions.csv with n one-hour sessions; its lines (header first)."""
    rows = clean_world("shanghai-2022")
    base = rows["study_sessions"][0]
    start = dt.datetime(2022, 3, 2, 8)
    rows["study_sessions"] = [
        {**base, "started_at": start + dt.timedelta(hours=k), "lesson_id": f"L{k + 1}",
         "ended_at": start + dt.timedelta(hours=k, minutes=50)}
        for k in range(n)
    ]  # fmt: skip
    write_export(export, rows)
    return (export / "study_sessions.csv").read_text(encoding="utf-8").splitlines()


def _write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)


def _read_back(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("SELECT _row FROM study_sessions ORDER BY _row").fetchall()]


@pytest.mark.parametrize("record", [1, 42, 454], ids=["first", "middle", "last"])
def test_an_unterminated_quote_loses_no_later_row(record: int, tmp_path: Path) -> None:
    export = tmp_path / "export"
    lines = _sessions(export, 454)
    lines[record] = lines[record].replace(f",L{record},", f',"L{record},')  # never closes
    _write_lines(export / "study_sessions.csv", lines)
    con = _ingest(export, tmp_path)
    assert _read_back(con) == [k for k in range(1, 455) if k != record]
    assert _rejects(con) == [("study_sessions.csv", record, None, BROKEN_REASON)]
    # the lines after it keep their own values, not a neighbour's
    assert con.execute(
        "SELECT count(*) FROM study_sessions WHERE lesson_id = 'L' || _row"
    ).fetchall() == [(453,)]


@pytest.mark.parametrize("where", ["csv.gz", "gb18030"])
def test_an_unterminated_quote_in_a_compressed_or_gb18030_file(where: str, tmp_path: Path) -> None:
    export = tmp_path / "export"
    lines = _sessions(export, 100)
    lines[42] = lines[42].replace(",L42,", ',"L42,')
    lines[50] = lines[50].replace(",L50,", ',"L50 第五十",')  # a legitimately quoted field
    (export / "study_sessions.csv").unlink()
    if where == "csv.gz":
        _write_lines(export / "study_sessions.csv.gz", lines)
    else:
        _write_lines(export / "study_sessions.csv", lines, "gb18030")
    con = _ingest(export, tmp_path)
    assert _read_back(con) == [k for k in range(1, 101) if k != 42]
    assert _rejects(con) == [(f"study_sessions.{where[:6].replace('gb1803', 'csv')}", 42, None,
                              BROKEN_REASON)]  # fmt: skip


def test_a_broken_quote_then_quoted_fields_later(tmp_path: Path) -> None:
    """DuckDB closes the broken quote at a later quoted field's quote and resumes after it."""
    export = tmp_path / "export"
    lines = _sessions(export, 60)
    lines[10] = lines[10].replace(",L10,", ',"L10,')
    lines[20] = lines[20].replace(",L20,", ',"L20",')  # a valid quoted field
    lines[30] = lines[30] + '"'  # a closing-looking quote at a line's end: a chance close
    _write_lines(export / "study_sessions.csv", lines)
    con = _ingest(export, tmp_path)
    assert _read_back(con) == [k for k in range(1, 61) if k != 10]
    assert con.execute("SELECT ip FROM study_sessions WHERE _row = 30").fetchall() == [
        ('10.0.0.1"',)
    ]


def test_a_stray_quote_inside_an_unquoted_field_is_kept(tmp_path: Path) -> None:
    export = tmp_path / "export"
    lines = _sessions(export, 50)
    lines[42] = lines[42].replace(",L42,", ',L4"2,')
    _write_lines(export / "study_sessions.csv", lines)
    con = _ingest(export, tmp_path)
    assert _read_back(con) == list(range(1, 51))
    assert _rejects(con) == []
    assert con.execute("SELECT lesson_id FROM study_sessions WHERE _row = 42").fetchall() == [
        ('L4"2',)
    ]


def test_a_quoted_field_may_span_lines(tmp_path: Path) -> None:
    export = tmp_path / "export"
    lines = _sessions(export, 50)
    lines[42] = lines[42].replace(",L42,", ',"L42\r\n第二行, ""引号""\r\n",')
    _write_lines(export / "study_sessions.csv", lines)
    rows = clean_world("shanghai-2022")
    rows["qa"][0]["text"] = '第一行\n第二行，"引号", 逗号'
    write_export(tmp_path / "qa", {"qa": rows["qa"]})
    shutil.copy(tmp_path / "qa" / "qa.csv", export / "qa.csv")
    con = _ingest(export, tmp_path)
    assert _read_back(con) == list(range(1, 51))
    assert _rejects(con) == []
    assert con.execute("SELECT lesson_id FROM study_sessions WHERE _row = 42").fetchall() == [
        ('L42\r\n第二行, "引号"\r\n',)
    ]
    assert con.execute("SELECT text FROM qa").fetchall() == [('第一行\n第二行，"引号", 逗号',)]


@pytest.mark.parametrize("record", [1, 15, 30])
def test_a_broken_claims_file_keeps_the_other_claims(record: int, tmp_path: Path) -> None:
    rows = clean_world("shanghai-2022")
    rows["claims"] = [{**rows["claims"][0], "project_id": f"P{k}"} for k in range(1, 31)]
    export = write_export(tmp_path / "export", rows)
    lines = (export / "claims.csv").read_text(encoding="utf-8").splitlines()
    lines[record] = lines[record].replace(f"P{record},", f'"P{record},')
    _write_lines(export / "claims.csv", lines)
    con = _ingest(export, tmp_path)
    assert con.execute("SELECT project_id FROM claims ORDER BY _row").fetchall() == [
        (f"P{k}",) for k in range(1, 31) if k != record
    ]
    assert _rejects(con) == [("claims.csv", record, None, BROKEN_REASON)]


def test_a_broken_header_is_an_error(export: Path, tmp_path: Path) -> None:
    path = export / "claims.csv"
    path.write_text('"project_id' + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ExportError, match=r"claims\.csv.*header row has a quote"):
        _ingest(export, tmp_path)


def test_a_quote_that_neither_opens_nor_closes_rejects_its_line_alone(tmp_path: Path) -> None:
    """DuckDB rejects `"L7"x` but reads on from inside the quote that `,"` opens after it."""
    export = tmp_path / "export"
    lines = _sessions(export, 20)
    lines[7] = lines[7].replace(",L7,", ',"L7"x,"')
    _write_lines(export / "study_sessions.csv", lines)
    con = _ingest(export, tmp_path)
    assert _read_back(con) == [k for k in range(1, 21) if k != 7]
    assert _rejects(con) == [("study_sessions.csv", 7, None, MISPLACED)]


def test_blank_lines_before_a_broken_quote_keep_the_numbers_right(tmp_path: Path) -> None:
    export = tmp_path / "export"
    lines = _sessions(export, 30)
    lines[20] = lines[20].replace(",L20,", ',"L20,')
    lines[5:5] = ["", ""]  # two blank lines, which DuckDB skips, before record 5
    _write_lines(export / "study_sessions.csv", lines)
    con = _ingest(export, tmp_path)
    assert _read_back(con) == [k for k in range(1, 31) if k != 20]
    assert _rejects(con) == [("study_sessions.csv", 20, None, BROKEN_REASON)]
