-- class_facts: each class's registration deadline and feedback (grain: class_id).
-- [FAQ] 六: feedback (开班反馈) and trainee registration are due 3 days before the class starts.
-- deadline_day      the last day for both: start_date - registration_lead_days (inclusive)
-- due_before        the first moment that is late: the start of the day after deadline_day
-- feedback_late     1 when feedback_at is missing or after the end of deadline_day, else 0
SELECT
    c.class_id,
    c.institution_id,
    c.course_id,
    c.start_date,
    c.feedback_at,
    c.site_radius_m,
    add_days(c.start_date, -pol.registration_lead_days) AS deadline_day,
    start_of_day(add_days(c.start_date, 1 - pol.registration_lead_days)) AS due_before,
    CASE WHEN c.feedback_at IS NULL
              OR c.feedback_at >= start_of_day(add_days(c.start_date, 1 - pol.registration_lead_days))
         THEN 1 ELSE 0 END AS feedback_late
FROM classes c
CROSS JOIN policy pol
