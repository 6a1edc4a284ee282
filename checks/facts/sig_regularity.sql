-- sig_regularity: sessions repeated like clockwork, a script replaying a lesson (grain:
-- project_id, person_id; claims with at least two such sessions).
-- regular_sessions   most sessions of the claim whose start times of day lie within
--                    regular_start_seconds of each other and whose lengths lie within
--                    regular_length_seconds of each other
-- regular_start_at   start of the group's session earliest in the day; regular_row its data row
-- regular_length_s   the group's shortest length in seconds
-- NOTE: a group is counted from its earliest start time of day (anchor) and its shortest length
-- (floor): starts are bucketed by regular_start_seconds, so only sessions in the anchor's and
-- the next bucket are compared. Times of day do not wrap at midnight.
WITH timed AS (
    SELECT s._row, s.project_id, s.person_id, s.started_at,
           second_of_day(s.started_at) AS tod, s.length_s,
           CAST(floor(second_of_day(s.started_at) / pol.regular_start_seconds) AS BIGINT) AS tb
    FROM sessions s
    CROSS JOIN policy pol
),
offsets AS (
    SELECT 0 AS d UNION ALL SELECT 1 AS d
),
near_start AS (
    SELECT a._row AS anchor, a.project_id, a.person_id, t._row, t.length_s
    FROM timed a
    CROSS JOIN offsets o
    JOIN timed t ON t.project_id = a.project_id AND t.person_id = a.person_id
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
    JOIN timed t ON t._row = g.anchor
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
