"""The pattern behind an enterprise's authenticity signals, fetched a batch of pages at a time.

A *flagged trainee* is one with a finding of a rule whose `category` is `authenticity` in
`rule_catalogue`. Per batch of enterprises, three queries (never one per enterprise):

- HEATMAP_SQL: minutes of study per weekday × hour cell over all the enterprise's claims,
  computed in DuckDB (at most 7 × 24 rows an enterprise reach Python, never the sessions);
- TIMELINE_SQL: the sessions, sign-ins and exam submissions of flagged trainees only, at most
  TIMELINE_TRAINEES trainees an enterprise and TIMELINE_EVENTS events a trainee;
- DEVICES_SQL: devices used by two or more of the enterprise's trainees, only at enterprises
  with a flagged trainee, at most SHARED_DEVICES devices an enterprise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

AUTHENTICITY = "authenticity"  # rule_catalogue.category of the signals
TIMELINE_TRAINEES = 30  # rows of the timeline; the page says how many more were flagged
TIMELINE_EVENTS = 1000  # sessions + sign-ins + exams drawn per trainee, earliest first
SHARED_DEVICES = 15  # devices in the picture, most trainees first
DEVICE_TRAINEES = 40  # trainees in the picture
# Device ids that mean "no device": never a device shared by everyone who lacks one.
BLANK_DEVICE_IDS = ("", "null", "none", "undefined", "unknown", "n/a", "-")

IN_BATCH = "IN (SELECT unnest($ids))"
BATCH_CLAIMS = f"""
SELECT DISTINCT enterprise_id, project_id, person_id FROM subsidy WHERE enterprise_id {IN_BATCH}
"""
FLAGGED_SQL = f"""
SELECT f.enterprise_id, f.person_id, count(DISTINCT f.rule_id) AS rules
FROM findings f JOIN rule_catalogue r ON r.rule_id = f.rule_id
WHERE r.category = '{AUTHENTICITY}' AND f.person_id IS NOT NULL AND f.enterprise_id {IN_BATCH}
GROUP BY f.enterprise_id, f.person_id
"""
NAMES_SQL = f"""
SELECT enterprise_id, person_id, min(name) AS name
FROM trainees WHERE enterprise_id {IN_BATCH} GROUP BY enterprise_id, person_id
"""

# A session adds the minutes it spends in each clock hour it touches: Mon 23:30-Tue 00:30 is
# 30 min at Mon 23h and 30 at Tue 0h. Whole weeks of an overlong session add 60 min to every
# cell at once, so a session with a typo'd end (years long) expands to at most 169 hour rows.
HEATMAP_SQL = f"""
WITH claims AS ({BATCH_CLAIMS}),
s AS (
    SELECT c.enterprise_id, ss.started_at AS s_at, ss.ended_at AS e_at,
           floor((epoch(ss.ended_at) - epoch(ss.started_at)) / 604800) AS weeks
    FROM study_sessions ss
    JOIN claims c ON c.project_id = ss.project_id AND c.person_id = ss.person_id
    WHERE ss.started_at IS NOT NULL AND ss.ended_at > ss.started_at
),
rest AS (
    SELECT enterprise_id, s_at + to_weeks(CAST(weeks AS INTEGER)) AS s_at, e_at FROM s
),
pieces AS (
    SELECT enterprise_id, s_at, e_at,
           unnest(range(date_trunc('hour', s_at), e_at, INTERVAL 1 HOUR)) AS h
    FROM rest WHERE e_at > s_at
),
cells AS (
    SELECT enterprise_id, isodow(h) - 1 AS d, hour(h) AS hr,
           (epoch(least(e_at, h + INTERVAL 1 HOUR)) - epoch(greatest(s_at, h))) / 60 AS minutes
    FROM pieces
    UNION ALL
    SELECT enterprise_id, d, hr, weeks * 60
    FROM s, range(7) t(d), range(24) u(hr) WHERE weeks > 0
)
SELECT enterprise_id, CAST(d AS INTEGER), CAST(hr AS INTEGER), sum(minutes) AS minutes
FROM cells GROUP BY ALL HAVING sum(minutes) > 0 ORDER BY ALL
"""

TIMELINE_SQL = f"""
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
    SELECT c.enterprise_id, c.person_id, 'study' AS kind, x.started_at AS a,
           greatest(x.started_at, coalesce(x.ended_at, x.started_at)) AS b
    FROM study_sessions x
    JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
    WHERE x.started_at IS NOT NULL
    UNION ALL
    SELECT c.enterprise_id, c.person_id, 'signin', x.signed_in_at, x.signed_in_at
    FROM signins x
    JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
    WHERE x.signed_in_at IS NOT NULL
    UNION ALL
    SELECT c.enterprise_id, c.person_id, 'exam', x.submitted_at, x.submitted_at
    FROM exams x
    JOIN claims c ON c.project_id = x.project_id AND c.person_id = x.person_id
    WHERE x.submitted_at IS NOT NULL
),
numbered AS (
    SELECT *, row_number() OVER (PARTITION BY enterprise_id, person_id ORDER BY a, kind, b) AS n
    FROM events
)
SELECT shown.enterprise_id, shown.person_id, coalesce(nm.name, ''), shown.total, e.kind, e.a,
       e.b, e.n
FROM shown
LEFT JOIN numbered e ON e.enterprise_id = shown.enterprise_id
                    AND e.person_id = shown.person_id AND e.n <= $events + 1
LEFT JOIN ({NAMES_SQL}) nm ON nm.enterprise_id = shown.enterprise_id
                          AND nm.person_id = shown.person_id
ORDER BY shown.enterprise_id, shown.person_id, e.n
"""

DEVICES_SQL = f"""
WITH flagged AS ({FLAGGED_SQL}),
claims AS (
    SELECT DISTINCT s.enterprise_id, s.project_id, s.person_id
    FROM subsidy s WHERE s.enterprise_id IN (SELECT enterprise_id FROM flagged)
),
uses AS (
    SELECT c.enterprise_id, trim(x.device_id) AS device_id, c.person_id, count(*) AS n
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
SELECT r.enterprise_id, r.device_id, r.people, r.total, u.person_id, coalesce(nm.name, ''),
       f.person_id IS NOT NULL AS flagged
FROM ranked r
JOIN uses u ON u.enterprise_id = r.enterprise_id AND u.device_id = r.device_id
LEFT JOIN flagged f ON f.enterprise_id = u.enterprise_id AND f.person_id = u.person_id
LEFT JOIN ({NAMES_SQL}) nm ON nm.enterprise_id = u.enterprise_id AND nm.person_id = u.person_id
WHERE r.rank <= $devices
ORDER BY r.enterprise_id, r.rank, u.person_id
"""


@dataclass
class TraineeEvents:
    """One flagged trainee's row of the timeline."""

    person_id: str
    name: str
    sessions: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    signins: list[dt.datetime] = field(default_factory=list)
    exams: list[dt.datetime] = field(default_factory=list)
    capped: bool = False  # more than TIMELINE_EVENTS events: the latest are left out

    def first(self) -> dt.datetime | None:
        """When the trainee's first drawn event happened."""
        times = [s for s, _ in self.sessions] + self.signins + self.exams
        return min(times) if times else None


@dataclass(frozen=True)
class SharedDevice:
    """A device used by two or more trainees, with who used it."""

    device_id: str
    people: int  # trainees who used it, all of them
    users: tuple[tuple[str, str, bool], ...]  # (person_id, name, flagged), by person_id


@dataclass
class EnterprisePatterns:
    """What one enterprise's page draws from its study activity."""

    heat: dict[tuple[int, int], float] = field(default_factory=dict)  # (weekday, hour): minutes
    flagged: int = 0  # trainees with an authenticity finding
    timeline: list[TraineeEvents] = field(default_factory=list)  # at most TIMELINE_TRAINEES
    shared_devices: int = 0  # devices used by 2+ trainees
    devices: list[SharedDevice] = field(default_factory=list)  # at most SHARED_DEVICES


def fetch(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, EnterprisePatterns]:
    """The patterns of a batch of enterprises, in three queries; enterprises with none absent."""
    out: dict[str, EnterprisePatterns] = {}

    def of(enterprise_id: str) -> EnterprisePatterns:
        return out.setdefault(enterprise_id, EnterprisePatterns())

    for e, d, h, minutes in _rows(con.execute(HEATMAP_SQL, {"ids": ids})):
        of(e).heat[(d, h)] = float(minutes)
    people: dict[tuple[str, str], TraineeEvents] = {}
    params: dict[str, Any] = {"ids": ids, "trainees": TIMELINE_TRAINEES, "events": TIMELINE_EVENTS}
    for e, person, name, total, kind, a, b, n in _rows(con.execute(TIMELINE_SQL, params)):
        page = of(e)
        page.flagged = int(total)
        row = people.get((e, person))
        if row is None:
            row = people[(e, person)] = TraineeEvents(person, name)
            page.timeline.append(row)
        if kind is None:
            continue
        if n > TIMELINE_EVENTS:
            row.capped = True
        elif kind == "study":
            row.sessions.append((a, b))
        elif kind == "signin":
            row.signins.append(a)
        else:
            row.exams.append(a)
    for page in out.values():  # lockstep trainees start together: first activity order
        page.timeline.sort(
            key=lambda r: (r.first() is None, r.first() or dt.datetime.min, r.person_id)
        )
    users: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    params = {"ids": ids, "devices": SHARED_DEVICES, "blank": list(BLANK_DEVICE_IDS)}
    for e, device, n_people, total, person, name, flagged in _rows(
        con.execute(DEVICES_SQL, params)
    ):
        users.setdefault((e, device), []).append((person, name, bool(flagged)))
        counts[(e, device)] = (int(n_people), int(total))
    for (e, device), who in users.items():  # rows come by enterprise, rank
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
