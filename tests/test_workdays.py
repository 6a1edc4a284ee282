"""Working days: National Day 2022, make-up Saturdays, years beyond the official calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import CalendarError, ExportError, PolicyError
from auditor.policy import load_policy
from auditor.workdays import load_calendar, nth_workday_after, workdays

D = dt.date
POLICY_BASE = (
    'title = "t"\n[parameters]\nsubsidy_yuan = 1\nmin_study_minutes = 1\nmax_claims_per_year = 1\n'
)


def test_tenth_working_day_across_national_day_2022() -> None:
    # 09-30 is the 1st; 1-7 Oct are holidays; Sat 8 and Sun 9 Oct are make-up working days.
    assert chinese_calendar.is_workday(D(2022, 10, 8)) and chinese_calendar.is_workday(
        D(2022, 10, 9)
    )
    assert nth_workday_after(D(2022, 9, 29), 1) == D(2022, 9, 30)
    assert nth_workday_after(D(2022, 9, 29), 2) == D(2022, 10, 8)
    assert nth_workday_after(D(2022, 9, 29), 10) == D(2022, 10, 18)


def test_a_make_up_saturday_is_counted_and_a_holiday_is_not() -> None:
    assert D(2022, 10, 8).weekday() == 5  # Saturday
    assert nth_workday_after(D(2022, 10, 7), 1) == D(2022, 10, 8)
    assert nth_workday_after(D(2022, 9, 30), 1) == D(2022, 10, 8)  # 1-7 Oct skipped
    assert dict(workdays(D(2022, 10, 7), D(2022, 10, 10))) == {
        D(2022, 10, 7): False,
        D(2022, 10, 8): True,
        D(2022, 10, 9): True,
        D(2022, 10, 10): True,
    }


def test_zero_is_the_day_itself_and_negative_is_refused() -> None:
    assert nth_workday_after(D(2022, 10, 1), 0) == D(2022, 10, 1)
    with pytest.raises(ValueError, match="negative"):
        nth_workday_after(D(2022, 10, 1), -1)


def test_an_ordinary_fortnight_and_the_day_itself_not_counted() -> None:
    assert nth_workday_after(D(2022, 3, 3), 1) == D(2022, 3, 4)  # Thursday -> Friday
    assert nth_workday_after(D(2022, 3, 3), 10) == D(2022, 3, 17)
    assert nth_workday_after(D(2022, 3, 5), 1) == D(2022, 3, 7)  # Saturday -> Monday


def test_beyond_the_official_calendar_asks_for_a_holidays_file() -> None:
    with pytest.raises(CalendarError, match=r"covers 2004-2026.*2027-01-01.*--holidays"):
        workdays(D(2026, 12, 30), D(2027, 1, 5))
    with pytest.raises(CalendarError, match=r"first uncovered day 2027-01-01.*date,is_workday"):
        nth_workday_after(D(2026, 12, 30), 5)
    with pytest.raises(CalendarError, match=r"first uncovered day 2003-12-31"):
        workdays(D(2003, 12, 31), D(2004, 1, 2))


def test_the_last_official_days_need_no_file() -> None:
    assert workdays(D(2026, 12, 31), D(2026, 12, 31)) == [
        (D(2026, 12, 31), chinese_calendar.is_workday(D(2026, 12, 31)))
    ]
    assert workdays(D(2004, 1, 1), D(2004, 1, 1)) == [(D(2004, 1, 1), False)]  # New Year


def test_holidays_file_covers_a_later_year(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("date,is_workday\n2027-01-01,false\n2027-01-02,workday\n", encoding="utf-8-sig")
    days = dict(workdays(D(2027, 1, 1), D(2027, 1, 4), holidays_file=path))
    assert days == {
        D(2027, 1, 1): False,
        D(2027, 1, 2): True,
        D(2027, 1, 3): False,
        D(2027, 1, 4): True,
    }
    # Across the year boundary, and a listed make-up Saturday counted.
    assert nth_workday_after(D(2026, 12, 31), 1, holidays_file=path) == D(2027, 1, 2)
    assert nth_workday_after(D(2026, 12, 31), 2, holidays_file=path) == D(2027, 1, 4)


def test_holidays_file_accepts_every_documented_word_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    rows = [
        "2027-01-04,FALSE",
        "2027-01-05,0",
        "2027-01-06,Holiday",
        "2027-01-09,1",
        "2027-01-10,workday",
    ]
    path.write_bytes(("date, is_workday\r\n" + "\r\n".join(rows) + "\r\n").encode())
    days = dict(workdays(D(2027, 1, 4), D(2027, 1, 10), holidays_file=path))
    assert [d.day for d, w in days.items() if w] == [7, 8, 9, 10]


def test_precedence_overrides_then_file_then_official(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    # The file turns two official holidays into working days.
    path.write_text("date,is_workday\n2022-10-06,true\n2022-10-07,true\n", encoding="utf-8")
    days = dict(
        workdays(
            D(2022, 10, 5),
            D(2022, 10, 7),
            holidays_file=path,
            overrides={D(2022, 10, 7): False},
        )
    )
    assert days == {D(2022, 10, 5): False, D(2022, 10, 6): True, D(2022, 10, 7): False}


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("date,is_workday\n2027-01-01,false\n2027-13-01,true\n", 2, "date"),
        ("date,is_workday\n2027-01-01,maybe\n", 1, "is_workday"),
        ("date,is_workday\n2027-01-01,yes\n", 1, "is_workday"),
        ("date,is_workday\n2027-01-01,\n", 1, "is_workday"),
        ("date,is_workday\n2027-01-01,true\n,true\n", 2, "date"),
        ("date,is_workday\n20270101,true\n", 1, "date"),  # fromisoformat would take it
        ("date,is_workday\n2027-W01-1,true\n", 1, "date"),
        ("date,is_workday\n2027-1-1,true\n", 1, "date"),
        ("date,is_workday\n2027-01-01,true\n2027-01-02,false\n2027-01-01,false\n", 3, "is_workday"),
    ],
)
def test_bad_holidays_file_names_row_and_column(
    tmp_path: Path, text: str, row: int, column: str
) -> None:
    path = tmp_path / "h.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportError) as err:
        workdays(D(2027, 1, 1), D(2027, 1, 2), holidays_file=path)
    assert (err.value.file, err.value.row, err.value.column) == ("h.csv", row, column)


def test_a_repeated_day_with_the_same_value_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("date,is_workday\n2027-01-01,false\n2027-01-01,0\n", encoding="utf-8")
    assert workdays(D(2027, 1, 1), D(2027, 1, 1), holidays_file=path) == [(D(2027, 1, 1), False)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"datum,werktag\n2027-01-01,false\n", "header must be date,is_workday"),
        (b"", "header must be date,is_workday, got nothing"),
        ("date,is_workday\n2027-01-01,false\n# 元旦\n".encode("gb18030"), "not UTF-8"),
    ],
)
def test_unreadable_holidays_file_names_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(content)
    with pytest.raises(ExportError, match=message) as err:
        workdays(D(2027, 1, 1), D(2027, 1, 2), holidays_file=path)
    assert err.value.file == "h.csv"


def test_overrides_beat_the_official_calendar() -> None:
    days = dict(
        workdays(
            D(2022, 10, 7), D(2022, 10, 8), overrides={D(2022, 10, 8): False, D(2022, 10, 7): True}
        )
    )
    assert days == {D(2022, 10, 7): True, D(2022, 10, 8): False}


def test_load_calendar_builds_the_table() -> None:
    con = duckdb.connect()
    assert load_calendar(con, D(2022, 10, 1), D(2022, 10, 31)) == 31
    # October 2022: 21 weekdays - 5 holiday weekdays (3-7 Oct) + 2 make-up days (8, 9 Oct).
    assert con.execute(
        "SELECT count(*) FILTER (WHERE is_workday), typeof(min(day)), typeof(bool_or(is_workday)),"
        " min(day), max(day) FROM calendar"
    ).fetchall() == [(18, "DATE", "BOOLEAN", D(2022, 10, 1), D(2022, 10, 31))]
    columns = con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_name = 'calendar' ORDER BY ordinal_position"
    ).fetchall()
    assert columns == [("day", "DATE", "NO"), ("is_workday", "BOOLEAN", "NO")]
    with pytest.raises(duckdb.ConstraintException):  # day is the primary key
        con.execute("INSERT INTO calendar VALUES (DATE '2022-10-01', true)")
    # Replacing it (a second audit in the same database) works and the row count follows.
    assert load_calendar(con, D(2022, 1, 1), D(2026, 12, 31)) == 1826
    assert con.execute("SELECT count(*) FROM calendar").fetchall() == [(1826,)]
    assert con.execute(
        "SELECT list(day ORDER BY day) FROM calendar"
        " WHERE day BETWEEN DATE '2022-09-30' AND DATE '2022-10-18' AND is_workday"
    ).fetchall()[0][0][-1] == nth_workday_after(D(2022, 9, 29), 10)


def test_load_calendar_applies_overrides_and_raises_before_touching_the_table() -> None:
    con = duckdb.connect()
    load_calendar(con, D(2022, 10, 1), D(2022, 10, 2), overrides={D(2022, 10, 1): True})
    assert con.execute("SELECT day FROM calendar WHERE is_workday").fetchall() == [
        (D(2022, 10, 1),)
    ]
    with pytest.raises(CalendarError):
        load_calendar(con, D(2026, 12, 1), D(2027, 1, 1))
    assert con.execute("SELECT count(*) FROM calendar").fetchall() == [(2,)]


@settings(max_examples=50, deadline=None)
@given(
    st.dates(min_value=D(2010, 1, 1), max_value=D(2025, 12, 31)),
    st.integers(min_value=1, max_value=30),
)
def test_nth_workday_after_is_a_workday_with_n_workdays_up_to_it(day: dt.date, n: int) -> None:
    result = nth_workday_after(day, n)
    assert result > day
    assert chinese_calendar.is_workday(result)
    between = [d for d, w in workdays(day + dt.timedelta(days=1), result) if w]
    assert len(between) == n


def test_policy_workday_overrides(tmp_path: Path) -> None:
    good = tmp_path / "p.toml"
    base = POLICY_BASE
    good.write_text(base + '[workday_overrides]\n"2022-10-08" = false\n', encoding="utf-8")
    assert load_policy(good).workday_overrides == {D(2022, 10, 8): False}
    bare = tmp_path / "b.toml"  # a bare TOML key: still a string to parse
    bare.write_text(base + "[workday_overrides]\n2022-10-08 = true\n", encoding="utf-8")
    assert load_policy(bare).workday_overrides == {D(2022, 10, 8): True}
    assert load_policy("shanghai-2022").workday_overrides == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('"2022-10-32" = false', "not YYYY-MM-DD"),
        ('"20221008" = false', "not YYYY-MM-DD"),
        ('"2022-W40-6" = false', "not YYYY-MM-DD"),
        ('"2022-10-08" = "yes"', "must be true or false"),
        ('"2022-10-08" = 1', "must be true or false"),
    ],
)
def test_policy_bad_workday_overrides(tmp_path: Path, table: str, message: str) -> None:
    bad = tmp_path / "q.toml"
    bad.write_text(POLICY_BASE + f"[workday_overrides]\n{table}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(bad)


def test_policy_workday_overrides_must_be_a_table(tmp_path: Path) -> None:
    bad = tmp_path / "q.toml"
    bad.write_text('workday_overrides = ["2022-10-08"]\n' + POLICY_BASE, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"\[workday_overrides\] maps"):
        load_policy(bad)


def test_an_audit_needs_the_calendar_only_up_to_the_last_deadline(tmp_path: Path) -> None:
    """Training ending 2026-12-10 needs working days to 2026-12-24 only: no holidays file."""
    from auditor.pipeline import AuditOptions, audit
    from tests.exports import clean_world, write_export

    rows = clean_world("shanghai-2022")
    rows["projects"][0]["approved_on"] = D(2026, 12, 1)
    for table, cols in (("signins", ["signed_in_at"]), ("study_sessions", ["started_at", "ended_at"]),
                        ("qa", ["posted_at"]), ("exams", ["started_at", "submitted_at"])):  # fmt: skip
        for row in rows[table]:
            for col in cols:
                row[col] = row[col].replace(year=2026, month=12, day=row[col].day + 7)
    rows["claims"][0]["imported_at"] = dt.datetime(2026, 12, 20, 10)
    run = audit(write_export(tmp_path / "e", rows), "shanghai-2022", tmp_path / "out",
                AuditOptions(as_of=D(2026, 12, 31), reports=False))  # fmt: skip
    assert run.exit_code == 0
