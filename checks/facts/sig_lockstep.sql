-- sig_lockstep: trainees studying in lockstep, one operator driving many accounts (grain:
-- project_id, person_id; claims with at least one lockstep session).
-- A session is in lockstep when at least lockstep_min_trainees - 1 other persons have a session
-- starting within lockstep_tolerance_seconds of its start and ending within as much of its end
-- (whatever their devices and projects).
-- lockstep_days      calendar days (of the start) with such a session of this claim
-- lockstep_first_at  start of the first such session; lockstep_row its data row
-- lockstep_partners  most other persons in step with one of its sessions
-- lockstep_partner   one of them
-- NOTE: starts and ends are bucketed by the tolerance, so only sessions in neighbouring
-- buckets of both are compared: never every pair of sessions.
WITH bucketed AS (
    SELECT s._row, s.project_id, s.person_id, s.started_at, s.start_s, s.end_s,
           CAST(floor(s.start_s / pol.lockstep_tolerance_seconds) AS BIGINT) AS sb,
           CAST(floor(s.end_s / pol.lockstep_tolerance_seconds) AS BIGINT) AS eb
    FROM sessions s
    CROSS JOIN policy pol
),
offsets AS (
    SELECT -1 AS d UNION ALL SELECT 0 AS d UNION ALL SELECT 1 AS d
),
probes AS (
    SELECT b._row, b.sb + o1.d AS sb, b.eb + o2.d AS eb
    FROM bucketed b
    CROSS JOIN offsets o1
    CROSS JOIN offsets o2
),
pairs AS (
    SELECT p._row, t.person_id AS partner
    FROM probes p
    JOIN bucketed t ON t.sb = p.sb AND t.eb = p.eb
    JOIN bucketed a ON a._row = p._row
    CROSS JOIN policy pol
    WHERE t.person_id <> a.person_id
      AND abs(t.start_s - a.start_s) <= pol.lockstep_tolerance_seconds
      AND abs(t.end_s - a.end_s) <= pol.lockstep_tolerance_seconds
),
in_step AS (
    SELECT _row, count(DISTINCT partner) AS partners, min(partner) AS partner
    FROM pairs
    GROUP BY _row
),
lockstep_sessions AS (
    SELECT b.project_id, b.person_id, b._row, b.started_at, i.partners, i.partner
    FROM in_step i
    JOIN bucketed b ON b._row = i._row
    CROSS JOIN policy pol
    WHERE i.partners + 1 >= pol.lockstep_min_trainees
),
per_claim AS (
    SELECT project_id, person_id, count(DISTINCT day_of(started_at)) AS lockstep_days,
           max(partners) AS lockstep_partners
    FROM lockstep_sessions
    GROUP BY project_id, person_id
),
firsts AS (
    SELECT *, row_number() OVER (PARTITION BY project_id, person_id
                                 ORDER BY started_at, _row) AS nth
    FROM lockstep_sessions
)
SELECT
    f.project_id,
    f.person_id,
    c.lockstep_days,
    f.started_at AS lockstep_first_at,
    f._row AS lockstep_row,
    c.lockstep_partners,
    f.partner AS lockstep_partner
FROM firsts f
JOIN per_claim c ON c.project_id = f.project_id AND c.person_id = f.person_id
WHERE f.nth = 1
