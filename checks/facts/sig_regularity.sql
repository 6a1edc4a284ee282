-- sig_regularity: sessions repeated like clockwork, a script replaying a lesson (grain:
-- project_id, person_id; claims whose sessions could form a group of regular_min_sessions).
-- regular_sessions   most sessions of the claim whose start times of day lie within
--                    regular_start_seconds of each other and whose lengths lie within
--                    regular_length_seconds of each other
-- regular_start_at   start of the group's session earliest in the day; regular_row its data row
-- regular_length_s   the group's shortest length in seconds
-- NOTE: a group is counted from its earliest start time of day (anchor) and its shortest length
-- (floor): starts are bucketed by regular_start_seconds, so only sessions in the anchor's and
-- the next bucket are compared, and only sessions in a bucket (of start time and length) crowded
-- enough to hold a group at all. Times of day do not wrap at midnight.
-- Before the buckets, one sorted pass keeps only sessions with regular_min_sessions - 1 others
-- of their claim within the length limit (every member of a group has them): a window is one
-- sort, where a hash aggregate per bucket grid over every session cost ~1.5 s each at 10 M.
-- The window frame's offset is a scalar subquery: DuckDB takes it, other engines want a literal.
WITH timed AS (
    SELECT s._row, s.project_id, s.person_id, s.claim_key, s.started_at,
           second_of_day(s.started_at) AS tod, s.length_s,
           CAST(floor(second_of_day(s.started_at) / pol.regular_start_seconds) AS BIGINT) AS tb,
           CAST(floor(s.length_s / greatest(pol.regular_length_seconds, 1)) AS BIGINT) AS lb
    FROM sessions s
    CROSS JOIN policy pol
),
length_near AS (
    SELECT t.*,
           count(*) OVER (
               PARTITION BY t.claim_key ORDER BY t.length_s
               RANGE BETWEEN (SELECT max(regular_length_seconds) FROM policy) PRECEDING
                         AND (SELECT max(regular_length_seconds) FROM policy) FOLLOWING
           ) AS near
    FROM timed t
),
length_suspects AS (
    SELECT _row, project_id, person_id, claim_key, started_at, tod, length_s, tb, lb
    FROM length_near
    WHERE near >= (SELECT max(regular_min_sessions) FROM policy)
),
keyed AS (
    -- two grids of buckets twice the limit wide, the second shifted by the limit: a group's start
    -- times of day (all within regular_start_seconds) lie in one bucket of at least one grid;
    -- so do its lengths
    SELECT t.*,
           CAST(floor(t.tod / (2 * pol.regular_start_seconds)) AS BIGINT) AS t1,
           CAST(floor((t.tod + pol.regular_start_seconds) / (2 * pol.regular_start_seconds))
                AS BIGINT) AS t2,
           CAST(floor(t.length_s / (2 * greatest(pol.regular_length_seconds, 1))) AS BIGINT) AS l1,
           CAST(floor((t.length_s + greatest(pol.regular_length_seconds, 1))
                      / (2 * greatest(pol.regular_length_seconds, 1))) AS BIGINT) AS l2
    FROM length_suspects t
    CROSS JOIN policy pol
),
crowded AS (
    SELECT claim_key, 1 AS grid, t1 AS tk, l1 AS lk FROM keyed
    GROUP BY claim_key, t1, l1
    HAVING count(*) >= max((SELECT regular_min_sessions FROM policy))
    UNION ALL
    SELECT claim_key, 2 AS grid, t1, l2 FROM keyed
    GROUP BY claim_key, t1, l2
    HAVING count(*) >= max((SELECT regular_min_sessions FROM policy))
    UNION ALL
    SELECT claim_key, 3 AS grid, t2, l1 FROM keyed
    GROUP BY claim_key, t2, l1
    HAVING count(*) >= max((SELECT regular_min_sessions FROM policy))
    UNION ALL
    SELECT claim_key, 4 AS grid, t2, l2 FROM keyed
    GROUP BY claim_key, t2, l2
    HAVING count(*) >= max((SELECT regular_min_sessions FROM policy))
),
suspects AS (
    -- only a session of a crowded (start, length) bucket of some pair of grids can be in a group
    SELECT DISTINCT k._row, k.project_id, k.person_id, k.started_at, k.tod, k.length_s, k.tb
    FROM keyed k
    JOIN crowded c ON c.claim_key = k.claim_key
                  AND ((c.grid = 1 AND c.tk = k.t1 AND c.lk = k.l1)
                    OR (c.grid = 2 AND c.tk = k.t1 AND c.lk = k.l2)
                    OR (c.grid = 3 AND c.tk = k.t2 AND c.lk = k.l1)
                    OR (c.grid = 4 AND c.tk = k.t2 AND c.lk = k.l2))
),
offsets AS (
    SELECT 0 AS d UNION ALL SELECT 1 AS d
),
near_start AS (
    SELECT a._row AS anchor, a.project_id, a.person_id, t._row, t.length_s
    FROM suspects a
    CROSS JOIN offsets o
    JOIN suspects t ON t.project_id = a.project_id AND t.person_id = a.person_id
                AND t.tb = a.tb + o.d
    CROSS JOIN policy pol
    WHERE t.tod >= a.tod AND t.tod <= a.tod + pol.regular_start_seconds
),
groups AS (
    SELECT f.anchor, f.project_id, f.person_id, f.length_s AS floor_s,
           count(DISTINCT m._row) AS sessions
    FROM near_start f
    JOIN near_start m ON m.anchor = f.anchor
    CROSS JOIN policy pol
    WHERE m.length_s >= f.length_s AND m.length_s <= f.length_s + pol.regular_length_seconds
    GROUP BY f.anchor, f.project_id, f.person_id, f.length_s
),
ranked AS (
    SELECT g.*, t.started_at,
           row_number() OVER (PARTITION BY g.project_id, g.person_id
                              ORDER BY g.sessions DESC, t.started_at, g.anchor) AS nth
    FROM groups g
    JOIN suspects t ON t._row = g.anchor
    WHERE g.sessions >= 2
)
SELECT
    project_id,
    person_id,
    sessions AS regular_sessions,
    started_at AS regular_start_at,
    anchor AS regular_row,
    CAST(floor_s AS BIGINT) AS regular_length_s
FROM ranked
WHERE nth = 1
