-- claim_activity: what the records show of each pair of project and person (grain: project_id,
-- person_id; every pair with any activity, claimed or not).
-- first_activity_at / last_activity_at   the training period
-- signin_count, study_count, exam_count  records of each kind
-- last_study_end_at, last_exam_at        for EXAM_BEFORE_STUDY_END
-- early_activity_count                   events on a day before approved_on
-- late_activity_count                    events ending on a day after window_end
-- outside_period_count                   events outside the policy period
SELECT
    a.project_id,
    a.person_id,
    min(a.at_start) AS first_activity_at,
    max(a.at_end) AS last_activity_at,
    count(*) FILTER (WHERE a.kind = 'signin') AS signin_count,
    count(*) FILTER (WHERE a.kind = 'study') AS study_count,
    count(*) FILTER (WHERE a.kind = 'exam') AS exam_count,
    max(a.at_end) FILTER (WHERE a.kind = 'study') AS last_study_end_at,
    max(a.at_end) FILTER (WHERE a.kind = 'exam') AS last_exam_at,
    count(*) FILTER (WHERE day_of(a.at_start) < w.approved_on) AS early_activity_count,
    count(*) FILTER (WHERE w.window_end IS NOT NULL AND day_of(a.at_end) > w.window_end)
        AS late_activity_count,
    count(*) FILTER (WHERE pol.period_start IS NOT NULL
                       AND (day_of(a.at_start) < pol.period_start
                            OR day_of(a.at_end) > pol.period_end)) AS outside_period_count
FROM activity a
JOIN project_window w ON w.project_id = a.project_id
CROSS JOIN policy pol
GROUP BY a.project_id, a.person_id
