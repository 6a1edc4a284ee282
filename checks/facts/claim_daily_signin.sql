-- claim_daily_signin: study days without a sign-in that day (grain: project_id, person_id;
-- pairs with at least one such day).
-- unsigned_study_days   calendar days (of a session's start) with study and no sign-in
-- first_unsigned_day    the earliest such day
WITH study_days AS (
    SELECT DISTINCT project_id, person_id, day_of(started_at) AS day
    FROM study_sessions
    WHERE started_at IS NOT NULL
),
signin_days AS (
    SELECT DISTINCT project_id, person_id, day_of(signed_in_at) AS day
    FROM signins
    WHERE signed_in_at IS NOT NULL
)
SELECT s.project_id, s.person_id, count(*) AS unsigned_study_days, min(s.day) AS first_unsigned_day
FROM study_days s
LEFT JOIN signin_days g
    ON g.project_id = s.project_id AND g.person_id = s.person_id AND g.day = s.day
WHERE g.day IS NULL
GROUP BY s.project_id, s.person_id
