-- record_facts: check-ins that cannot be tied to an enrolment or whose times are wrong
-- (grain: source_table, class_id, person_id). The shared rules ORPHAN_RECORD and BAD_TIMESTAMP
-- read it, as they read the online programme's.
-- orphan_rows         check-ins whose class is unknown, or whose person has neither an
--                     enrolment nor a payment in that class
-- bad_timestamp_rows  check-ins with an unreadable time or one after the end of the as_of day
-- first_orphan_row, first_bad_row   data row numbers in checkins, for the evidence
WITH units AS (
    SELECT class_id, person_id FROM enrolments
    UNION
    SELECT class_id, person_id FROM payments
),
class_one AS (
    SELECT class_id, min(institution_id) AS institution_id FROM classes GROUP BY class_id
),
flagged AS (
    SELECT
        k._row,
        k.class_id,
        k.person_id,
        c.institution_id,
        CASE WHEN c.class_id IS NULL OR u.person_id IS NULL THEN 1 ELSE 0 END AS orphan,
        CASE WHEN k.checked_in_at IS NULL
                  OR k.checked_in_at >= start_of_day(add_days(ctx.as_of, 1))
             THEN 1 ELSE 0 END AS bad_timestamp
    FROM checkins k
    CROSS JOIN audit_context ctx
    LEFT JOIN class_one c ON c.class_id = k.class_id
    LEFT JOIN units u ON u.class_id = k.class_id AND u.person_id = k.person_id
)
SELECT
    'checkins' AS source_table,
    class_id,
    person_id,
    min(institution_id) AS institution_id,
    count(*) AS record_rows,
    sum(orphan) AS orphan_rows,
    sum(bad_timestamp) AS bad_timestamp_rows,
    min(CASE WHEN orphan = 1 THEN _row END) AS first_orphan_row,
    min(CASE WHEN bad_timestamp = 1 THEN _row END) AS first_bad_row
FROM flagged
GROUP BY class_id, person_id
