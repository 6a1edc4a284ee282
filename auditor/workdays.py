"""Official working days: chinese-calendar's statutory holidays and make-up working days.

chinese-calendar covers 2004-2026 and raises beyond. For other years the user supplies a
holidays file (`--holidays FILE`), a CSV with the header `date,is_workday`:

    date,is_workday
    2027-01-01,false
    2027-02-20,true

is_workday is one of true/false, 1/0, workday/holiday. A day is decided, in this order, by a
policy's `[workday_overrides]`, the holidays file, then chinese-calendar. A day of a year that
chinese-calendar lacks counts as covered only when the holidays file lists at least one day of
that year; its unlisted days are then Monday-Friday working days, weekends not. A day nobody
covers stops the audit (CalendarError): guessing would silently move import deadlines.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import chinese_calendar
import duckdb
import pyarrow as pa

from .errors import CalendarError, ExportError

TRUE_WORDS = {"true", "1", "workday", "yes"}
FALSE_WORDS = {"false", "0", "holiday", "no"}


def official_years() -> tuple[int, int]:
    """First and last year chinese-calendar knows."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def read_holidays_file(path: Path) -> dict[dt.date, bool]:
    """The days a holidays file lists; bad rows name file, row and column."""
    days: dict[dt.date, bool] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"date", "is_workday"} <= set(reader.fieldnames):
            raise ExportError("the header must be date,is_workday", file=path.name)
        for row_number, row in enumerate(reader, start=1):
            try:
                day = dt.date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise ExportError(
                    "not a YYYY-MM-DD date", file=path.name, row=row_number, column="date"
                ) from None
            word = (row["is_workday"] or "").strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ExportError(
                    "must be true/false, 1/0 or workday/holiday",
                    file=path.name,
                    row=row_number,
                    column="is_workday",
                )
            days[day] = word in TRUE_WORDS
    return days


class _Calendar:
    """Decides one day at a time: overrides, then the holidays file, then chinese-calendar."""

    def __init__(self, holidays_file: Path | None, overrides: Mapping[dt.date, bool] | None):
        self.listed = read_holidays_file(holidays_file) if holidays_file else {}
        self.listed_years = {d.year for d in self.listed}
        self.overrides = overrides or {}
        self.first, self.last = official_years()

    def is_workday(self, day: dt.date, needed_until: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day in self.listed:
            return self.listed[day]
        if self.first <= day.year <= self.last:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self.listed_years:
            return day.weekday() < 5
        raise CalendarError(
            f"the official holiday calendar (chinese-calendar) covers {self.first}-{self.last}, "
            f"but working days are needed up to {needed_until} (first uncovered day {day}); "
            "give them with --holidays FILE (CSV: date,is_workday)"
        )


def workdays(
    start: dt.date,
    end: dt.date,
    *,
    holidays_file: Path | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
) -> list[tuple[dt.date, bool]]:
    """Every day from start to end inclusive, with whether it is a working day."""
    calendar = _Calendar(holidays_file, overrides)
    days = []
    day = start
    while day <= end:
        days.append((day, calendar.is_workday(day, end)))
        day += dt.timedelta(days=1)
    return days


def nth_workday_after(
    day: dt.date,
    n: int,
    *,
    holidays_file: Path | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
) -> dt.date:
    """The n-th working day after `day`, `day` itself not counted."""
    calendar = _Calendar(holidays_file, overrides)
    found = 0
    while found < n:
        day += dt.timedelta(days=1)
        found += calendar.is_workday(day, day)
    return day


def load_calendar(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    *,
    holidays_file: Path | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
) -> int:
    """Create the `calendar (day, is_workday)` table the facts join; returns its row count."""
    days = workdays(start, end, holidays_file=holidays_file, overrides=overrides)
    arrow = pa.table(
        {
            "day": pa.array([d for d, _ in days], pa.date32()),
            "is_workday": pa.array([w for _, w in days], pa.bool_()),
        }
    )
    con.register("calendar_arrow", arrow)
    con.execute("CREATE OR REPLACE TABLE calendar AS SELECT * FROM calendar_arrow ORDER BY day")
    con.unregister("calendar_arrow")
    return len(days)
