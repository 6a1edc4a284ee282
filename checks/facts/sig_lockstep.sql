-- sig_lockstep: trainees studying in lockstep, one operator driving many accounts (grain:
-- project_id, person_id; claims with at least one lockstep session).
-- A lockstep group is at least lockstep_min_trainees persons of one enterprise whose sessions
-- all start within lockstep_tolerance_seconds of each other and all end within as much of each
-- other (whatever their devices and projects); a session is in lockstep when it belongs to such
-- a group. Across a whole city, strangers at other enterprises coincide by chance; an operator
-- drives the accounts of one enterprise.
-- lockstep_days      calendar days (of the start) with a lockstep session of this claim
-- lockstep_first_at  start of the first such session; lockstep_row its data row
-- lockstep_partners  most other persons in a group with one of its sessions
-- lockstep_partner   one of them
-- NOTE: a group is found from its earliest-starting session (the anchor: every member starts at
-- most the tolerance after it and ends within the tolerance of its end) and its earliest end
-- (the floor). Starts and ends are bucketed by the tolerance, so an anchor meets only sessions
-- in neighbouring buckets of both: never every pair of sessions. Before that, counts per bucket
-- (hash aggregates, no sort) keep only sessions with enough neighbours to be in a group; and
-- before those, one sorted pass over starts and one over the ends of what is left keep only
-- sessions with lockstep_min_trainees - 1 others of their enterprise within the tolerance
-- (every member of a group has them), so the bucket grids see a few percent of the sessions.
-- The window frames' offsets are scalar subqueries: DuckDB takes them, other engines want literals.
WITH start_near AS (
    SELECT s._row, s.project_id, s.person_id, s.enterprise_id, s.enterprise_key, s.started_at,
           s.start_s, s.end_s,
           count(*) OVER (
               PARTITION BY s.enterprise_key ORDER BY s.start_s
               RANGE BETWEEN (SELECT max(lockstep_tolerance_seconds) FROM policy) PRECEDING
                         AND (SELECT max(lockstep_tolerance_seconds) FROM policy) FOLLOWING
           ) AS near
    FROM sessions s
    WHERE s.enterprise_id <> ''
),
end_near AS (
    SELECT s._row, s.project_id, s.person_id, s.enterprise_id, s.enterprise_key, s.started_at,
           s.start_s, s.end_s,
           count(*) OVER (
               PARTITION BY s.enterprise_key ORDER BY s.end_s
               RANGE BETWEEN (SELECT max(lockstep_tolerance_seconds) FROM policy) PRECEDING
                         AND (SELECT max(lockstep_tolerance_seconds) FROM policy) FOLLOWING
           ) AS near
    FROM start_near s
    WHERE s.near >= (SELECT max(lockstep_min_trainees) FROM policy)
),
bucketed AS (
    SELECT s._row, s.project_id, s.person_id, s.enterprise_id, s.enterprise_key, s.started_at,
           s.start_s, s.end_s,
           CAST(floor(s.start_s / pol.lockstep_tolerance_seconds) AS BIGINT) AS sb,
           CAST(floor(s.end_s / pol.lockstep_tolerance_seconds) AS BIGINT) AS eb
    FROM end_near s
    CROSS JOIN policy pol
    WHERE s.near >= pol.lockstep_min_trainees
),
keyed AS (
    -- two grids of buckets twice the tolerance wide, the second shifted by the tolerance: a
    -- group's starts (all within the tolerance) lie in one bucket of at least one grid; so do
    -- its ends
    SELECT b.*,
           CAST(floor(b.start_s / (2 * pol.lockstep_tolerance_seconds)) AS BIGINT) AS s1,
           CAST(floor((b.start_s + pol.lockstep_tolerance_seconds)
                      / (2 * pol.lockstep_tolerance_seconds)) AS BIGINT) AS s2,
           CAST(floor(b.end_s / (2 * pol.lockstep_tolerance_seconds)) AS BIGINT) AS e1,
           CAST(floor((b.end_s + pol.lockstep_tolerance_seconds)
                      / (2 * pol.lockstep_tolerance_seconds)) AS BIGINT) AS e2
    FROM bucketed b
    CROSS JOIN policy pol
),
crowded_s1 AS (
    SELECT enterprise_key, s1 FROM keyed GROUP BY enterprise_key, s1
    HAVING count(*) >= max((SELECT lockstep_min_trainees FROM policy))
),
crowded_s2 AS (
    SELECT enterprise_key, s2 FROM keyed GROUP BY enterprise_key, s2
    HAVING count(*) >= max((SELECT lockstep_min_trainees FROM policy))
),
crowded_e1 AS (
    SELECT enterprise_key, e1 FROM keyed GROUP BY enterprise_key, e1
    HAVING count(*) >= max((SELECT lockstep_min_trainees FROM policy))
),
crowded_e2 AS (
    SELECT enterprise_key, e2 FROM keyed GROUP BY enterprise_key, e2
    HAVING count(*) >= max((SELECT lockstep_min_trainees FROM policy))
),
suspects AS (
    -- only a session in a crowded start bucket and a crowded end bucket can be in a group
    SELECT k._row, k.project_id, k.person_id, k.enterprise_id, k.started_at, k.start_s, k.end_s,
           k.sb, k.eb
    FROM keyed k
    LEFT JOIN crowded_s1 a ON a.enterprise_key = k.enterprise_key AND a.s1 = k.s1
    LEFT JOIN crowded_s2 b ON b.enterprise_key = k.enterprise_key AND b.s2 = k.s2
    LEFT JOIN crowded_e1 c ON c.enterprise_key = k.enterprise_key AND c.e1 = k.e1
    LEFT JOIN crowded_e2 d ON d.enterprise_key = k.enterprise_key AND d.e2 = k.e2
    WHERE (a.s1 IS NOT NULL OR b.s2 IS NOT NULL) AND (c.e1 IS NOT NULL OR d.e2 IS NOT NULL)
),
start_offsets AS (
    SELECT 0 AS d UNION ALL SELECT 1 AS d
),
end_offsets AS (
    SELECT -1 AS d UNION ALL SELECT 0 AS d UNION ALL SELECT 1 AS d
),
candidates AS (
    SELECT a._row AS anchor, t._row, t.person_id, t.end_s
    FROM suspects a
    CROSS JOIN start_offsets o1
    CROSS JOIN end_offsets o2
    JOIN suspects t ON t.enterprise_id = a.enterprise_id AND t.sb = a.sb + o1.d
                   AND t.eb = a.eb + o2.d
    CROSS JOIN policy pol
    WHERE t.start_s >= a.start_s AND t.start_s <= a.start_s + pol.lockstep_tolerance_seconds
      AND abs(t.end_s - a.end_s) <= pol.lockstep_tolerance_seconds
),
crowded AS (
    SELECT anchor
    FROM candidates
    GROUP BY anchor
    HAVING count(DISTINCT person_id) >= (SELECT lockstep_min_trainees FROM policy)
),
groups AS (
    SELECT f.anchor, f.end_s AS floor_s, count(DISTINCT m.person_id) AS persons
    FROM candidates f
    JOIN crowded c ON c.anchor = f.anchor
    JOIN candidates m ON m.anchor = f.anchor
    CROSS JOIN policy pol
    WHERE m.end_s >= f.end_s AND m.end_s <= f.end_s + pol.lockstep_tolerance_seconds
    GROUP BY f.anchor, f.end_s
    HAVING count(DISTINCT m.person_id) >= max(pol.lockstep_min_trainees)
),
members AS (
    SELECT m._row, m.person_id, g.anchor, g.floor_s, g.persons
    FROM groups g
    JOIN candidates m ON m.anchor = g.anchor
    CROSS JOIN policy pol
    WHERE m.end_s >= g.floor_s AND m.end_s <= g.floor_s + pol.lockstep_tolerance_seconds
),
partners AS (
    SELECT a._row, max(a.persons) - 1 AS partners, min(b.person_id) AS partner
    FROM members a
    JOIN members b ON b.anchor = a.anchor AND b.floor_s = a.floor_s AND b.person_id <> a.person_id
    GROUP BY a._row
),
lockstep_sessions AS (
    SELECT s.project_id, s.person_id, s._row, s.started_at, p.partners, p.partner
    FROM partners p
    JOIN suspects s ON s._row = p._row
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
