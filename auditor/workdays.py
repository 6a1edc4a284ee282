"""Official working days: chinese-calendar's statutory holidays and make-up working days.

IMPORT_LATE needs the 10th working day after a training's last day, and the fact SQL counts them
by joining a DuckDB table `calendar(day, is_workday)` that this module builds.

chinese-calendar covers 2004-2026 and raises beyond. For other years the user supplies a
holidays file (`--holidays FILE`; docs/holidays.md), a CSV with the header `date,is_workday`:

    date,is_workday
    2027-01-01,false
    2027-02-20,true

Dates are YYYY-MM-DD; is_workday is one of true/false, 1/0, workday/holiday (any case); the file
is UTF-8 with or without a BOM. A day is decided, in this order, by a policy's
`[workday_overrides]`, the holidays file, then chinese-calendar. A day of a year that
chinese-calendar lacks counts as covered only when the holidays file lists at least one day of
that year; its unlisted days are then Monday-Friday working days, weekends not. A day nobody
covers stops the audit (CalendarError): guessing would silently move import deadlines.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from pathlib import Path

import chinese_calendar
import duckdb
import pyarrow as pa

from .errors import CalendarError, ExportError

TRUE_WORDS = {"true", "1", "workday"}
FALSE_WORDS = {"false", "0", "holiday"}
# date.fromisoformat also takes 20270101 and 2027-W01-1; the file format is YYYY-MM-DD only.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def official_years() -> tuple[int, int]:
    """First and last year chinese-calendar knows."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def read_holidays_file(path: Path) -> dict[dt.date, bool]:
    """The days a holidays file lists; bad rows name file, row (1 = first data row) and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"not UTF-8 text (byte {exc.start}); save the holidays file as UTF-8", file=path.name
        ) from None
    except OSError as exc:
        raise ExportError(
            f"cannot read the holidays file: {exc.strerror}", file=path.name
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or ()]
    if not {"date", "is_workday"} <= set(header):
        raise ExportError(
            f"the header must be date,is_workday, got {','.join(header) or 'nothing'}",
            file=path.name,
        )
    reader.fieldnames = header
    days: dict[dt.date, bool] = {}
    first_row: dict[dt.date, int] = {}
    for row_number, row in enumerate(reader, start=1):
        text = (row["date"] or "").strip()
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ExportError(
                f"{row['date']!r} is not a YYYY-MM-DD date",
                file=path.name,
                row=row_number,
                column="date",
            ) from None
        word = (row["is_workday"] or "").strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ExportError(
                f"{row['is_workday']!r} is not one of true/false, 1/0, workday/holiday",
                file=path.name,
                row=row_number,
                column="is_workday",
            )
        is_workday = word in TRUE_WORDS
        if days.get(day, is_workday) != is_workday:
            raise ExportError(
                f"{day} is listed again with the other value (first at row {first_row[day]})",
                file=path.name,
                row=row_number,
                column="is_workday",
            )
        days[day] = is_workday
        first_row.setdefault(day, row_number)
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
            "give them with --holidays FILE, a CSV with the header date,is_workday and one "
            "row per day (2027-01-01,false), is_workday true/false, 1/0 or workday/holiday"
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
    """The n-th working day after `day`, `day` itself not counted (n = 0 gives `day`).

    A pure-Python reference for tests and messages; the audit itself joins `calendar` in SQL.

    Raises:
        ValueError: n is negative.
        CalendarError: a day up to the answer is in no calendar given.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
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
    """Create or replace the table `calendar(day, is_workday)` the facts join.

    One row per day from start to end inclusive, handed to DuckDB as one Arrow table.

    Returns:
        The number of rows (days) written.
    """
    days = workdays(start, end, holidays_file=holidays_file, overrides=overrides)
    arrow = pa.table(
        {
            "day": pa.array([d for d, _ in days], pa.date32()),
            "is_workday": pa.array([w for _, w in days], pa.bool_()),
        }
    )
    con.execute(
        "CREATE OR REPLACE TABLE calendar "
        "(day DATE NOT NULL PRIMARY KEY, is_workday BOOLEAN NOT NULL)"
    )
    con.register("calendar_arrow", arrow)
    try:
        con.execute("INSERT INTO calendar SELECT day, is_workday FROM calendar_arrow ORDER BY day")
    finally:
        con.unregister("calendar_arrow")
    return len(days)
