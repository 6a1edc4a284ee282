"""A CSV whose lines end with CR alone (classic Mac OS, Excel's "CSV (Macintosh)", some LMS
downloads such as a Moodle log saved on a Mac) is read whole: every record, numbered as in the
file, with broken rows rejected by number as in any other CSV."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from auditor.ingest import ingest
from auditor.mapping import Mapping
from auditor.sources import UNCLOSED
from tests.exports import clean_world, write_export


def _cr_only(path: Path, encoding: str = "utf-8", gz: bool = False) -> Path:
    """Rewrite `path` with CR line breaks (in `encoding`, gzipped when asked); the new path."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\r").replace("\n", "\r")
    data = text.encode(encoding)
    path.unlink()
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _export(tmp_path: Path, sessions: int) -> Path:
    rows = clean_world("shanghai-2022")
    base = rows["study_sessions"][0]
    rows["study_sessions"] = [
        {**base, "lesson_id": f"L{k}", "started_at": f"2022-03-02 {8 + k % 9:02d}:00:00",
         "ended_at": f"2022-03-02 {8 + k % 9:02d}:30:00"}
        for k in range(1, sessions + 1)
    ]  # fmt: skip
    rows["qa"][0]["text"] = '第一行\n第二行，"引号"'  # a quoted field that spans lines
    return write_export(tmp_path / "export", rows)


def _read(export: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    (tmp_path / "work").mkdir(exist_ok=True)
    ingest(con, export, Mapping(), tmp_path / "work")
    return con


@pytest.mark.parametrize(
    ("encoding", "gz"), [("utf-8", False), ("gb18030", False), ("utf-8", True)]
)
def test_every_record_of_a_cr_only_file_is_read(tmp_path: Path, encoding: str, gz: bool) -> None:
    export = _export(tmp_path, 40)
    for table in ("study_sessions", "qa", "claims"):
        _cr_only(export / f"{table}.csv", encoding, gz)
    con = _read(export, tmp_path)
    got = con.execute("SELECT _row, lesson_id FROM study_sessions ORDER BY _row").fetchall()
    assert got == [(k, f"L{k}") for k in range(1, 41)]
    assert con.execute("SELECT text FROM qa").fetchall() == [('第一行\n第二行，"引号"',)]
    assert con.execute("SELECT count(*) FROM claims").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]


def test_a_broken_row_of_a_cr_only_file_is_rejected_by_number(tmp_path: Path) -> None:
    export = _export(tmp_path, 30)
    path = export / "study_sessions.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",L17,", ',"L17,'), encoding="utf-8"
    )  # a quote that never closes, in record 17
    _cr_only(path)
    con = _read(export, tmp_path)
    rows = [r[0] for r in con.execute("SELECT _row FROM study_sessions ORDER BY _row").fetchall()]
    assert rows == [k for k in range(1, 31) if k != 17]
    assert con.execute("SELECT file, source_row, reason FROM rejects").fetchall() == [
        ("study_sessions.csv", 17, UNCLOSED)
    ]
