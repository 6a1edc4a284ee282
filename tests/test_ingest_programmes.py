"""Another programme's export at the door: the voucher tables are read by the same readers, with
the same rejects and row accounting, from its own contract.toml."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from auditor.contract import load_contract
from auditor.errors import ExportError
from auditor.ingest import IngestResult, ingest
from auditor.mapping import Mapping

P1 = "310101199001011234"
P2 = "31010119850202002X"
INST = "91310000MA1FL0XX0B"
VOUCHERS = {
    "vouchers.csv": (
        "voucher_id,person_id,kind,ratio,issued_at,valid_until,written_off_at\n"
        f"v1,{P1},subsidy,0.8,2021-05-01 09:00:00,2021-12-31,2021-07-20 10:00:00\n"
        f"v2,{P2.lower()},checkin_only,,2021-05-02 09:00:00,2021-12-31,\n"
        f"v3,{P1},gift,1,2021-05-03 09:00:00,2021-12-31,\n"  # not a kind of voucher
    ),
    "institutions.csv": f"institution_id,name,district\n{INST},上海某职业技能培训学校,黄浦区\n",
    "classes.csv": (
        "class_id,institution_id,course_id,start_date,end_date,feedback_at,site_lat,site_lon,"
        "site_radius_m,coord_system,standard_amount\n"
        f"c1,{INST},electrician,2021-06-10,2021-07-10,2021-06-07 23:59:59,31.2304,121.4737,"
        "300,gcj02,1500\n"
    ),
    "class_meetings.csv": (
        "class_id,starts_at,ends_at\nc1,2021-06-10 09:00,2021-06-10 12:00\n"
        "c1,2021-06-11 09:00,2021-06-11 12:00\n"
    ),
    "enrolments.csv": (
        f"class_id,person_id,voucher_id,registered_at\nc1,{P1},v1,2021-06-01 10:00:00\n"
        f"c1,{P2},v2,2021-06-01 11:00:00\n"
    ),
    "checkins.csv": (
        "class_id,person_id,checked_in_at,lat,lon,coord_system\n"
        f"c1,{P1},2021-06-10 08:50:00,31.2284,121.4781,gcj02\n"
        f"c1,{P1},yesterday,31.2284,121.4781,gcj02\n"  # kept, reported as BAD_TIMESTAMP
        f"c1,{P2},2021-06-10 08:55:00,31.2284,121.4781,google\n"  # not a datum
    ),
    "assessments.csv": (
        f"class_id,person_id,passed,assessed_on\nc1,{P1},TRUE,2021-07-10\n"
        f"c1,{P2},maybe,2021-07-10\n"
    ),
    "payments.csv": (
        "payment_id,class_id,person_id,voucher_id,amount,payee_kind,paid_at\n"
        f"pay1,c1,{P1},v1,1200.00,person,2021-07-20 09:00:00\n"
    ),
}


def _export(tmp_path: Path, files: dict[str, str]) -> Path:
    export = tmp_path / "export"
    export.mkdir()
    for name, text in files.items():
        (export / name).write_text(text, encoding="utf-8")
    return export


def _ingest(
    tmp_path: Path, files: dict[str, str]
) -> tuple[duckdb.DuckDBPyConnection, IngestResult]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    work = tmp_path / "work"
    work.mkdir()
    result = ingest(
        con, _export(tmp_path, files), Mapping(), work, contract=load_contract("training-voucher")
    )
    return con, result


def test_every_voucher_table_is_read_typed_and_accounted_for(tmp_path: Path) -> None:
    con, result = _ingest(tmp_path, VOUCHERS)
    read = {"vouchers": 3, "institutions": 1, "classes": 1, "class_meetings": 2,
            "enrolments": 2, "checkins": 3, "assessments": 2, "payments": 1}  # fmt: skip
    rejected = {"vouchers": 1, "checkins": 1, "assessments": 1}
    assert result.rows_read == read
    for table, n in read.items():
        assert result.rows_rejected[table] == rejected.get(table, 0), table
        assert result.rows[table] == n - rejected.get(table, 0), table
    assert con.execute(
        "SELECT voucher_id, person_id, ratio FROM vouchers ORDER BY 1"
    ).fetchall() == [
        ("V1", P1, Decimal("0.800000")),
        ("V2", P2, None),  # the x of the ID's check character upper-cased
    ]
    assert con.execute("SELECT passed FROM assessments").fetchall() == [(True,)]
    assert con.execute(
        "SELECT start_date, feedback_at, site_radius_m, standard_amount FROM classes"
    ).fetchall() == [(dt.date(2021, 6, 10), dt.datetime(2021, 6, 7, 23, 59, 59), 300, 1500)]


def test_bad_voucher_rows_are_rejected_naming_file_row_and_column(tmp_path: Path) -> None:
    con, _ = _ingest(tmp_path, VOUCHERS)
    assert con.execute(
        "SELECT file, source_row, column_name, reason, person_id FROM rejects ORDER BY file"
    ).fetchall() == [
        ("assessments.csv", 2, "passed", "value is empty or cannot be read as boolean", P2),
        ("checkins.csv", 3, "coord_system", "value must be one of wgs84 | gcj02 | bd09", P2),
        ("vouchers.csv", 3, "kind", "value must be one of subsidy | checkin_only", P1),
    ]


def test_an_unreadable_checkin_time_is_kept_for_bad_timestamp(tmp_path: Path) -> None:
    con, _ = _ingest(tmp_path, VOUCHERS)
    assert con.execute("SELECT count(*) FROM checkins WHERE checked_in_at IS NULL").fetchall() == [
        (1,)
    ]
    assert con.execute("SELECT * FROM unparsed_values").fetchall() == [
        ("checkins", 2, None, P1, "checked_in_at", "yesterday")
    ]


def test_an_unreadable_time_outside_the_activity_tables_rejects_its_row(tmp_path: Path) -> None:
    files = dict(VOUCHERS)
    files["payments.csv"] = files["payments.csv"].replace("2021-07-20 09:00:00", "soon")
    con, result = _ingest(tmp_path, files)
    assert result.rows["payments"] == 0
    assert con.execute(
        "SELECT column_name, reason FROM rejects WHERE file = 'payments.csv'"
    ).fetchall() == [("paid_at", "value is empty or cannot be read as timestamp")]


def test_a_missing_voucher_table_stops_the_audit_naming_it(tmp_path: Path) -> None:
    files = {k: v for k, v in VOUCHERS.items() if k != "class_meetings.csv"}
    with pytest.raises(ExportError, match=r"missing table file\(s\): class_meetings\{"):
        _ingest(tmp_path, files)


def test_a_ratio_above_one_or_a_latitude_off_the_globe_rejects_its_row(tmp_path: Path) -> None:
    files = dict(VOUCHERS)
    files["vouchers.csv"] = files["vouchers.csv"].replace("subsidy,0.8,", "subsidy,1.5,")
    files["checkins.csv"] = files["checkins.csv"].replace("08:50:00,31.2284,", "08:50:00,91,")
    con, _ = _ingest(tmp_path, files)
    assert con.execute(
        "SELECT file, source_row, column_name, reason FROM rejects "
        "WHERE reason LIKE '%from%' ORDER BY file"
    ).fetchall() == [
        ("checkins.csv", 1, "lat", "value must be from -90 to 90"),
        ("vouchers.csv", 1, "ratio", "value must be from 0 to 1"),
    ]
