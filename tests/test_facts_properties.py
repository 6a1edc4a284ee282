"""Property tests of the fact SQL against small Python references."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import facts
from auditor.policy import load_policy

APPROVED = dt.date(2022, 3, 1)
BASE = dt.datetime(2022, 2, 25)
QUERIES = {q.name: q for q in facts.load_fact_queries()}


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    facts.load_dialect(con)
    facts.load_policy_tables(con, load_policy("shanghai-2022"), dt.date(2023, 1, 1))
    facts.load_reference_tables(con)
    con.execute(
        "CREATE TABLE projects AS SELECT 'P1' AS project_id, 'E' AS enterprise_id, "
        "'C' AS course_id, ? AS approved_on",
        [APPROVED],
    )
    return con


def reference_seconds(intervals: list[tuple[dt.datetime, dt.datetime]]) -> int:
    """Union length of the intervals clipped to [approved_on, window end + 1 day)."""
    lo = dt.datetime.combine(APPROVED, dt.time())
    hi = dt.datetime(2022, 6, 2)  # 2022-03-01 + 3 months = 2022-06-01, inclusive
    clipped = sorted((max(s, lo), min(e, hi)) for s, e in intervals if e > s)
    total, end = 0, None
    for s, e in clipped:
        if e <= s:
            continue
        if end is None or s >= end:
            total += int((e - s).total_seconds())
            end = e
        elif e > end:
            total += int((e - end).total_seconds())
            end = e
    return total


def credited_seconds(intervals: list[tuple[dt.datetime, dt.datetime]]) -> int:
    con = _con()
    con.execute(
        "CREATE TABLE study_sessions (project_id VARCHAR, person_id VARCHAR, "
        "started_at TIMESTAMP, ended_at TIMESTAMP)"
    )
    if intervals:
        con.executemany(
            "INSERT INTO study_sessions VALUES ('P1', 'X', ?, ?)", [list(i) for i in intervals]
        )
    # the tie-out's sessions derived from raw events are credited by the same union
    con.execute("CREATE TABLE raw_study_sessions AS SELECT * FROM study_sessions")
    facts.materialize(con, [QUERIES["project_window"], QUERIES["claim_study"]])
    rows = con.execute("SELECT credited_seconds, raw_credited_seconds FROM claim_study").fetchall()
    if rows:
        assert rows[0][0] == rows[0][1]
    return int(rows[0][0]) if rows else 0


minutes = st.integers(min_value=0, max_value=60 * 24 * 110)
interval = st.tuples(minutes, st.integers(min_value=-30, max_value=600)).map(
    lambda t: (BASE + dt.timedelta(minutes=t[0]), BASE + dt.timedelta(minutes=t[0] + t[1]))
)


@settings(max_examples=60, deadline=None)
@given(st.lists(interval, max_size=12))
def test_credited_time_is_the_clipped_union(intervals) -> None:
    assert credited_seconds(intervals) == reference_seconds(intervals)


@settings(max_examples=30, deadline=None)
@given(st.lists(interval, min_size=1, max_size=8), st.randoms())
def test_credited_time_ignores_row_order_and_never_exceeds_the_sum(intervals, rnd) -> None:
    shuffled = list(intervals)
    rnd.shuffle(shuffled)
    got = credited_seconds(intervals)
    assert credited_seconds(shuffled) == got
    assert got <= sum(max(0, int((e - s).total_seconds())) for s, e in intervals)


def test_three_month_window_is_clamped_to_the_month_end() -> None:
    con = duckdb.connect()
    facts.load_dialect(con)
    got = con.execute(
        "SELECT add_months(DATE '2022-01-31', 3), add_months(DATE '2022-11-30', 3), "
        "add_months(DATE '2023-11-30', 3), add_months(DATE '2022-03-01', 3)"
    ).fetchall()[0]
    assert got == (
        dt.date(2022, 4, 30),
        dt.date(2023, 2, 28),
        dt.date(2024, 2, 29),
        dt.date(2022, 6, 1),
    )
