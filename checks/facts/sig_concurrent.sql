-- sig_concurrent: a person's study sessions running at the same time, in any projects (grain:
-- project_id, person_id; claims with a session that overlaps another of the same person).
-- overlap_minutes        the person's doubled-up study time: sum of session lengths minus the
--                        length of their union (two sessions sharing 10 minutes: 10)
-- overlap_minutes_shown  the same, to 0.1 minute, for messages
-- overlap_at             start of the person's first session that overlaps an earlier one
-- overlap_row            its data row in study_sessions; overlapped_row the earlier session's
-- overlap_projects       the projects of those two sessions, "P1/P2"
-- NOTE: sorted by start, a session overlaps what came before by its part before the furthest
-- end seen so far (one window pass, no pairwise comparison); that furthest-reaching earlier
-- session is the one it overlaps.
WITH ordered AS (
    SELECT
        _row, project_id, person_id, started_at, start_s, end_s,
        max(end_s) OVER w AS covered_until_s,
        arg_max(_row, end_s) OVER w AS covering_row
    FROM sessions
    WINDOW w AS (PARTITION BY person_id ORDER BY start_s, end_s, _row
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
overlapping AS (
    SELECT o._row, o.project_id, o.person_id, o.started_at, o.start_s,
           least(o.end_s, o.covered_until_s) - o.start_s AS overlap_s,
           o.covering_row, c.project_id AS covering_project_id,
           row_number() OVER (PARTITION BY o.person_id ORDER BY o.start_s, o._row) AS nth
    FROM ordered o
    JOIN sessions c ON c._row = o.covering_row
    WHERE o.covered_until_s > o.start_s
),
per_person AS (
    SELECT person_id, sum(overlap_s) AS overlap_s
    FROM overlapping
    GROUP BY person_id
),
involved AS (
    SELECT project_id, person_id FROM overlapping
    UNION
    SELECT covering_project_id, person_id FROM overlapping
)
SELECT
    i.project_id,
    i.person_id,
    p.overlap_s / 60.0 AS overlap_minutes,
    round(p.overlap_s / 60.0, 1) AS overlap_minutes_shown,
    f.started_at AS overlap_at,
    f._row AS overlap_row,
    f.covering_row AS overlapped_row,
    concat(f.covering_project_id, '/', f.project_id) AS overlap_projects
FROM involved i
JOIN per_person p ON p.person_id = i.person_id
JOIN overlapping f ON f.person_id = i.person_id AND f.nth = 1
