-- claim_base: each claim with its project, enterprise and records (grain: project_id, person_id).
-- Duplicate claim rows (the same person imported twice into one project) collapse to the
-- earliest import; the working papers still count them.
-- raw_study          1 when the audit has the tie-out: the platform's study_sessions and an
--                    adapter's sessions derived from raw events beside them (raw_study_sessions)
-- credited_minutes   credited study; with the tie-out, the lower of the platform's and the raw
--                    events' (the platform's summary is written by the party under audit; the
--                    raw trail is the evidence, so only what both support is credited)
-- platform_seconds, raw_seconds   the two credited times in the tie-out (0 without it)
-- platform_minutes, raw_minutes   the same in minutes; NULL without the tie-out
WITH claim_rows AS (
    SELECT
        project_id, person_id, min(imported_at) AS imported_at, min(amount) AS amount,
        count(*) AS claim_rows
    FROM claims
    GROUP BY project_id, person_id
)
SELECT
    c.project_id,
    c.person_id,
    w.enterprise_id,
    w.course_id,
    w.approved_on,
    w.window_end,
    c.imported_at,
    c.amount,
    c.claim_rows,
    a.first_activity_at,
    a.last_activity_at,
    coalesce(a.signin_count, 0) AS signin_count,
    coalesce(a.study_count, 0) AS study_count,
    coalesce(a.exam_count, 0) AS exam_count,
    coalesce(a.signin_count, 0) + coalesce(a.study_count, 0) + coalesce(a.exam_count, 0)
        AS activity_count,
    a.last_study_end_at,
    a.last_exam_at,
    coalesce(a.early_activity_count, 0) AS early_activity_count,
    coalesce(a.late_activity_count, 0) AS late_activity_count,
    coalesce(a.outside_period_count, 0) AS outside_period_count,
    round(CASE WHEN t.raw_study = 1
               THEN least(coalesce(s.credited_seconds, 0), coalesce(s.raw_credited_seconds, 0))
               ELSE coalesce(s.credited_seconds, 0) END / 60.0, 2) AS credited_minutes,
    t.raw_study,
    CASE WHEN t.raw_study = 1 THEN coalesce(s.credited_seconds, 0) ELSE 0 END AS platform_seconds,
    CASE WHEN t.raw_study = 1 THEN coalesce(s.raw_credited_seconds, 0) ELSE 0 END AS raw_seconds,
    CASE WHEN t.raw_study = 1 THEN round(coalesce(s.credited_seconds, 0) / 60.0, 2) END
        AS platform_minutes,
    CASE WHEN t.raw_study = 1 THEN round(coalesce(s.raw_credited_seconds, 0) / 60.0, 2) END
        AS raw_minutes,
    coalesce(d.unsigned_study_days, 0) AS unsigned_study_days,
    d.first_unsigned_day,
    coalesce(q.qa_count, 0) AS qa_count
FROM claim_rows c
CROSS JOIN (SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END AS raw_study FROM tie_outs
            WHERE contract_table = 'study_sessions') t
LEFT JOIN project_window w ON w.project_id = c.project_id
LEFT JOIN claim_activity a ON a.project_id = c.project_id AND a.person_id = c.person_id
LEFT JOIN claim_study s ON s.project_id = c.project_id AND s.person_id = c.person_id
LEFT JOIN claim_daily_signin d ON d.project_id = c.project_id AND d.person_id = c.person_id
LEFT JOIN claim_qa q ON q.project_id = c.project_id AND q.person_id = c.person_id
