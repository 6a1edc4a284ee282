-- claim_import: the import deadline of each claim (grain: project_id, person_id; claims with a
-- training period, when the policy sets import_deadline_workdays).
-- import_deadline   the Nth working day after the last training day (that day not counted),
--                   per the official calendar incl. make-up working days
-- import_late_days  calendar days the import came after the deadline; 0 when on time
WITH last_days AS (
    SELECT DISTINCT day_of(last_activity_at) AS last_day
    FROM claim_base
    WHERE last_activity_at IS NOT NULL
),
numbered AS (
    SELECT
        l.last_day,
        c.day,
        row_number() OVER (PARTITION BY l.last_day ORDER BY c.day) AS workday_number
    FROM last_days l
    JOIN calendar c ON c.day > l.last_day AND c.is_workday
    CROSS JOIN policy pol
    WHERE pol.import_deadline_workdays IS NOT NULL
      AND c.day <= add_days(l.last_day, 7 * pol.import_deadline_workdays + 40)
),
deadlines AS (
    SELECT n.last_day, n.day AS import_deadline
    FROM numbered n
    CROSS JOIN policy pol
    WHERE n.workday_number = pol.import_deadline_workdays
)
SELECT
    b.project_id,
    b.person_id,
    d.import_deadline,
    CASE WHEN day_of(b.imported_at) > d.import_deadline
         THEN days_between(d.import_deadline, b.imported_at) ELSE 0 END AS import_late_days
FROM claim_base b
JOIN deadlines d ON d.last_day = day_of(b.last_activity_at)
