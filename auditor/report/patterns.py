"""The pattern behind an enterprise's authenticity signals, fetched a batch of pages at a time.

A *flagged trainee* is one with a finding of a rule whose `category` is `authenticity` in
`rule_catalogue`. `prepare` runs the three queries below once per run, each reading the
activity tables once, into temp tables that hold only their bounded results (no copy of the
activity); `fetch` reads one batch of pages from each (one query each, never one per
enterprise):

- HEATMAP_SQL: minutes of study per weekday × hour cell over all the enterprise's claims,
  computed in DuckDB (pattern_charts formats the cells there too: one SVG string an
  enterprise reaches Python, never the sessions);
- TIMELINE_SQL: the sessions, sign-ins and exam submissions of flagged trainees only, at most
  TIMELINE_TRAINEES trainees an enterprise and TIMELINE_EVENTS events a trainee;
- DEVICES_SQL: devices used by two or more of the enterprise's trainees, only at enterprises
  with a flagged trainee, at most SHARED_DEVICES devices an enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

AUTHENTICITY = "authenticity"  # rule_catalogue.category of the signals
TIMELINE_TRAINEES = 30  # rows of the timeline; the page says how many more were flagged
TIMELINE_EVENTS = 500  # sessions + sign-ins + exams drawn per trainee, earliest first
SHARED_DEVICES = 15  # devices in the picture, most trainees first
DEVICE_TRAINEES = 40  # trainees in the picture
# Device ids that mean "no device": never a device shared by everyone who lacks one.
BLANK_DEVICE_IDS = ("", "null", "none", "undefined", "unknown", "n/a", "-")

IN_BATCH = "IN (SELECT unnest($ids))"
FLAGGED_SQL = f"""
SELECT f.enterprise_id, f.person_id, count(DISTINCT f.rule_id) AS rules
FROM findings f JOIN rule_catalogue r ON r.rule_id = f.rule_id
WHERE r.category = '{AUTHENTICITY}' AND f.person_id IS NOT NULL AND f.enterprise_id IS NOT NULL
GROUP BY f.enterprise_id, f.person_id
"""
NAMES_SQL = """
SELECT enterprise_id, person_id, min(name) AS name FROM trainees GROUP BY enterprise_id, person_id
"""

# A session adds the time it spends in each clock hour it touches: Mon 23:30-Tue 00:30 is
# 30 min at Mon 23h and 30 at Tue 0h. Times are integer microseconds since the epoch, so sums
# are exact and the same in any order (the page is byte-identical across runs). Hours are
# counted from the epoch (a Thursday, hence +72 for Monday 00:00); the hours between a
# session's first and last each add a whole hour, and whole weeks of them add to all 168 cells
# at once, so a session with a typo'd end (years long) expands to at most 169 rows.
# Enterprises are numbered: grouping by an integer is ~3x faster than by the enterprise ID.
HEATMAP_SQL = """
CREATE OR REPLACE TEMP TABLE report_heat AS
WITH keys AS (
    SELECT enterprise_id, row_number() OVER (ORDER BY enterprise_id) AS k
    FROM (SELECT DISTINCT enterprise_id FROM subsidy WHERE enterprise_id IS NOT NULL)
),
claims AS (
    SELECT DISTINCT keys.k, s.project_id, s.person_id
    FROM subsidy s JOIN keys ON keys.enterprise_id = s.enterprise_id
),
s AS MATERIALIZED (
    SELECT k, a, b, CAST(floor(a / 3600e6) AS BIGINT) AS h0, CAST(floor(b / 3600e6) AS BIGINT) AS h1
    FROM (SELECT c.k, epoch_us(x.started_at) AS a, epoch_us(x.ended_at) AS b
          FROM study_sessions x
          JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
          WHERE x.ended_at > x.started_at)
),
pieces AS (
    SELECT k, h0 AS h, least(b, (h0 + 1) * 3600000000) - a AS us FROM s
    UNION ALL
    SELECT k, h1, b - h1 * 3600000000 FROM s WHERE h1 > h0
    UNION ALL
    SELECT k, unnest(range(h0 + 1, h0 + 1 + (h1 - h0 - 1) % 168)), 3600000000
    FROM s WHERE h1 > h0 + 1
    UNION ALL
    SELECT k, h, ((h1 - h0 - 1) // 168) * 3600000000
    FROM s, range(168) t(h) WHERE h1 - h0 - 1 >= 168
),
cells AS (
    SELECT k * 168 + ((h + 72) % 168 + 168) % 168 AS key, sum(us) AS us
    FROM pieces GROUP BY key HAVING sum(us) > 0
)
SELECT keys.enterprise_id, CAST(key % 168 AS INTEGER) AS cell, CAST(us AS DOUBLE) / 60e6 AS minutes
FROM cells JOIN keys ON keys.k = cells.key // 168
"""

TIMELINE_SQL = f"""
CREATE OR REPLACE TEMP TABLE report_timeline AS
WITH flagged AS ({FLAGGED_SQL}),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY enterprise_id ORDER BY rules DESC, person_id)
              AS rank,
           count(*) OVER (PARTITION BY enterprise_id) AS total
    FROM flagged
),
shown AS (SELECT * FROM ranked WHERE rank <= $trainees),
claims AS (
    SELECT DISTINCT s.enterprise_id, s.project_id, s.person_id
    FROM subsidy s JOIN shown ON shown.enterprise_id = s.enterprise_id
                             AND shown.person_id = s.person_id
),
events AS (
    SELECT c.enterprise_id, c.person_id, x.kind, x.a, x.b
    FROM (
        SELECT project_id, person_id, 'study' AS kind, started_at AS a,
               greatest(started_at, coalesce(ended_at, started_at)) AS b
        FROM study_sessions
        UNION ALL
        SELECT project_id, person_id, 'signin', signed_in_at, signed_in_at FROM signins
        UNION ALL
        SELECT project_id, person_id, 'exam', submitted_at, submitted_at FROM exams
    ) x
    JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
    WHERE x.a IS NOT NULL
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY enterprise_id, person_id ORDER BY a, kind, b) AS n
    FROM events
),
per_trainee AS (  -- times as epoch seconds of the wall-clock time: lists convert fast
    SELECT enterprise_id, person_id,
           list(epoch(a) ORDER BY n) FILTER (WHERE kind = 'study' AND n <= $events)
               AS study_from,
           list(epoch(b) ORDER BY n) FILTER (WHERE kind = 'study' AND n <= $events) AS study_to,
           list(epoch(a) ORDER BY n) FILTER (WHERE kind = 'signin' AND n <= $events) AS signins,
           list(epoch(a) ORDER BY n) FILTER (WHERE kind = 'exam' AND n <= $events) AS exams,
           min(epoch(a)) AS first_at, max(n) > $events AS capped
    FROM numbered WHERE n <= $events + 1 GROUP BY enterprise_id, person_id
)
SELECT shown.enterprise_id, shown.person_id, coalesce(nm.name, '') AS name, shown.total,
       coalesce(e.study_from, []) AS study_from, coalesce(e.study_to, []) AS study_to,
       coalesce(e.signins, []) AS signins, coalesce(e.exams, []) AS exams,
       coalesce(e.capped, false) AS capped, e.first_at
FROM shown
LEFT JOIN per_trainee e ON e.enterprise_id = shown.enterprise_id
                       AND e.person_id = shown.person_id
LEFT JOIN ({NAMES_SQL}) nm ON nm.enterprise_id = shown.enterprise_id
                          AND nm.person_id = shown.person_id
"""

DEVICES_SQL = f"""
CREATE OR REPLACE TEMP TABLE report_devices AS
WITH flagged AS ({FLAGGED_SQL}),
claims AS (
    SELECT DISTINCT s.enterprise_id, s.project_id, s.person_id
    FROM subsidy s WHERE s.enterprise_id IN (SELECT enterprise_id FROM flagged)
),
uses AS (
    SELECT c.enterprise_id, trim(x.device_id) AS device_id, c.person_id
    FROM (SELECT project_id, person_id, device_id FROM signins
          UNION ALL
          SELECT project_id, person_id, device_id FROM study_sessions) x
    JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
    WHERE lower(trim(x.device_id)) NOT IN (SELECT unnest($blank))
    GROUP BY ALL
),
shared AS (
    SELECT enterprise_id, device_id, count(*) AS people
    FROM uses GROUP BY ALL HAVING count(*) >= 2
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY enterprise_id ORDER BY people DESC, device_id)
              AS rank,
           count(*) OVER (PARTITION BY enterprise_id) AS total
    FROM shared
)
SELECT r.enterprise_id, r.rank, r.device_id, r.people, r.total, u.person_id,
       coalesce(nm.name, '') AS name,
       EXISTS (SELECT 1 FROM flagged f WHERE f.enterprise_id = u.enterprise_id
                                         AND f.person_id = u.person_id) AS flagged
FROM ranked r
JOIN uses u ON u.enterprise_id = r.enterprise_id AND u.device_id = r.device_id
LEFT JOIN ({NAMES_SQL}) nm ON nm.enterprise_id = u.enterprise_id AND nm.person_id = u.person_id
WHERE r.rank <= $devices
"""

TEMP_TABLES = ("report_heat", "report_timeline", "report_devices")


@dataclass
class TraineeEvents:
    """One flagged trainee's row of the timeline; times are epoch seconds of the wall clock."""

    person_id: str
    name: str
    sessions: list[tuple[float, float]] = field(default_factory=list)  # (start, end)
    signins: list[float] = field(default_factory=list)
    exams: list[float] = field(default_factory=list)  # submissions
    capped: bool = False  # more than TIMELINE_EVENTS events: the latest are left out


@dataclass(frozen=True)
class SharedDevice:
    """A device used by two or more trainees, with who used it."""

    device_id: str
    people: int  # trainees who used it, all of them
    users: tuple[tuple[str, str, bool], ...]  # (person_id, name, flagged), by person_id


@dataclass
class EnterprisePatterns:
    """What one enterprise's page draws from its study activity."""

    flagged: int = 0  # trainees with an authenticity finding
    timeline: list[TraineeEvents] = field(default_factory=list)  # at most TIMELINE_TRAINEES
    shared_devices: int = 0  # devices used by 2+ trainees
    devices: list[SharedDevice] = field(default_factory=list)  # at most SHARED_DEVICES


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Compute every enterprise's heat map, timeline events and shared devices once, in DuckDB.

    Each of these reads every session or sign-in; run per batch of pages they would read them
    once per batch. The results (temp tables, bounded by the caps) are read per batch by
    `fetch`; `release` drops them.
    """
    con.execute(HEATMAP_SQL)
    flagged = con.execute(f"SELECT count(*) FROM ({FLAGGED_SQL} LIMIT 1)").fetchall()[0][0]
    # without a flagged trainee (no authenticity rule, or none fired) skip reading activity
    limit = "" if flagged else " LIMIT 0"
    con.execute(TIMELINE_SQL + limit, {"trainees": TIMELINE_TRAINEES, "events": TIMELINE_EVENTS})
    con.execute(DEVICES_SQL + limit, {"devices": SHARED_DEVICES, "blank": list(BLANK_DEVICE_IDS)})


def release(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `prepare` made."""
    for table in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def fetch(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, EnterprisePatterns]:
    """Flagged trainees' events and shared devices of a batch of enterprises, one query each.

    Enterprises with neither are absent. The heat map's cells are read by
    pattern_charts.HeatmapFrame.render_batch.
    """
    out: dict[str, EnterprisePatterns] = {}

    def of(enterprise_id: str) -> EnterprisePatterns:
        page = out.get(enterprise_id)
        if page is None:
            page = out[enterprise_id] = EnterprisePatterns()
        return page

    batch = {"ids": ids}
    timeline = (
        "SELECT enterprise_id, person_id, name, total, study_from, study_to, signins, exams, "
        f"capped FROM report_timeline WHERE enterprise_id {IN_BATCH} "
        "ORDER BY enterprise_id, first_at NULLS LAST, person_id"  # lockstep rows side by side
    )
    for e, person, name, total, study_from, study_to, signins, exams, capped in _rows(
        con.execute(timeline, batch)
    ):
        page = of(e)
        page.flagged = int(total)
        sessions = list(zip(study_from, study_to, strict=True))
        page.timeline.append(TraineeEvents(person, name, sessions, signins, exams, capped))
    devices = (
        f"SELECT * FROM report_devices WHERE enterprise_id {IN_BATCH} "
        "ORDER BY enterprise_id, rank, person_id"
    )
    users: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for e, _, device, n_people, total, person, name, flagged in _rows(con.execute(devices, batch)):
        users.setdefault((e, device), []).append((person, name, bool(flagged)))
        counts[(e, device)] = (int(n_people), int(total))
    for (e, device), who in users.items():  # in enterprise, rank order
        n_people, total = counts[(e, device)]
        page = of(e)
        page.shared_devices = total
        page.devices.append(SharedDevice(device, n_people, tuple(who)))
    return out


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    while batch := cursor.fetchmany(50_000):
        rows.extend(batch)
    return rows
