-- record_facts: activity rows that cannot be tied to a claim or whose times are wrong
-- (grain: source_table, project_id, person_id; every group of activity rows).
-- orphan_rows         rows whose project is unknown, or whose person has neither a claim in
--                     that project nor a roster row at the project's enterprise
-- bad_timestamp_rows  rows with an unparseable time, an end before its start, or a time after
--                     the end of the as_of day
-- first_orphan_row, first_bad_row   data row numbers in the file, for the evidence
WITH events AS (
    SELECT 'signins' AS source_table, _row, project_id, person_id,
           signed_in_at AS t_start, signed_in_at AS t_end FROM signins
    UNION ALL
    SELECT 'study_sessions', _row, project_id, person_id, started_at, ended_at
    FROM study_sessions
    UNION ALL
    SELECT 'qa', _row, project_id, person_id, posted_at, posted_at FROM qa
    UNION ALL
    SELECT 'exams', _row, project_id, person_id, started_at, submitted_at FROM exams
),
claimed AS (SELECT DISTINCT project_id, person_id FROM claims),
rostered AS (SELECT DISTINCT enterprise_id, person_id FROM trainees),
flagged AS (
    SELECT
        ev.source_table,
        ev._row,
        ev.project_id,
        ev.person_id,
        p.enterprise_id,
        CASE WHEN p.project_id IS NULL OR (c.person_id IS NULL AND r.person_id IS NULL)
             THEN 1 ELSE 0 END AS orphan,
        CASE WHEN ev.t_start IS NULL OR ev.t_end IS NULL OR ev.t_end < ev.t_start
                  OR ev.t_end >= start_of_day(add_days(ctx.as_of, 1))
                  OR ev.t_start >= start_of_day(add_days(ctx.as_of, 1))
             THEN 1 ELSE 0 END AS bad_timestamp
    FROM events ev
    CROSS JOIN audit_context ctx
    LEFT JOIN projects p ON p.project_id = ev.project_id
    LEFT JOIN claimed c ON c.project_id = ev.project_id AND c.person_id = ev.person_id
    LEFT JOIN rostered r ON r.enterprise_id = p.enterprise_id AND r.person_id = ev.person_id
)
SELECT
    source_table,
    project_id,
    person_id,
    min(enterprise_id) AS enterprise_id,
    count(*) AS record_rows,
    sum(orphan) AS orphan_rows,
    sum(bad_timestamp) AS bad_timestamp_rows,
    min(CASE WHEN orphan = 1 THEN _row END) AS first_orphan_row,
    min(CASE WHEN bad_timestamp = 1 THEN _row END) AS first_bad_row
FROM flagged
GROUP BY source_table, project_id, person_id
