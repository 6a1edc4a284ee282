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


def test_tenth_working_day_across_national_day_2022() -> None:
    # 09-30 is the 1st; 1-7 Oct are holidays; Sat 8 and Sun 9 Oct are make-up working days.
    assert chinese_calendar.is_workday(D(2022, 10, 8)) and chinese_calendar.is_workday(
        D(2022, 10, 9)
    )
    assert nth_workday_after(D(2022, 9, 29), 1) == D(2022, 9, 30)
    assert nth_workday_after(D(2022, 9, 29), 2) == D(2022, 10, 8)
    assert nth_workday_after(D(2022, 9, 29), 10) == D(2022, 10, 18)


def test_an_ordinary_fortnight_and_the_day_itself_not_counted() -> None:
    assert nth_workday_after(D(2022, 3, 3), 1) == D(2022, 3, 4)  # Thursday -> Friday
    assert nth_workday_after(D(2022, 3, 3), 10) == D(2022, 3, 17)
    assert nth_workday_after(D(2022, 3, 5), 1) == D(2022, 3, 7)  # Saturday -> Monday


def test_beyond_the_official_calendar_asks_for_a_holidays_file() -> None:
    with pytest.raises(CalendarError, match=r"covers 2004-2026.*2027-01-01.*--holidays"):
        workdays(D(2026, 12, 30), D(2027, 1, 5))


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


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("date,is_workday\n2027-01-01,false\n2027-13-01,true\n", 2, "date"),
        ("date,is_workday\n2027-01-01,maybe\n", 1, "is_workday"),
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
    assert con.execute(
        "SELECT count(*) FILTER (WHERE is_workday), typeof(min(day)) FROM calendar"
    ).fetchall() == [(18, "DATE")]


@settings(max_examples=50, deadline=None)
@given(
    st.dates(min_value=D(2010, 1, 1), max_value=D(2025, 10, 1)),
    st.integers(min_value=1, max_value=30),
)
def test_nth_workday_after_is_a_workday_with_n_workdays_up_to_it(day: dt.date, n: int) -> None:
    result = nth_workday_after(day, n)
    assert chinese_calendar.is_workday(result)
    between = [d for d, w in workdays(day + dt.timedelta(days=1), result) if w]
    assert len(between) == n


def test_policy_workday_overrides(tmp_path: Path) -> None:
    good = tmp_path / "p.toml"
    base = 'title = "t"\n[parameters]\nsubsidy_yuan = 1\nmin_study_minutes = 1\nmax_claims_per_year = 1\n'
    good.write_text(base + '[workday_overrides]\n"2022-10-08" = false\n', encoding="utf-8")
    assert load_policy(good).workday_overrides == {D(2022, 10, 8): False}
    bad = tmp_path / "q.toml"
    bad.write_text(base + '[workday_overrides]\n"2022-10-32" = false\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="not YYYY-MM-DD"):
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
