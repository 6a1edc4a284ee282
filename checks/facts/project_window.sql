-- project_window: the dates between which a project's training counts (grain: project_id).
-- window_end      last day of the approval window: approved_on + window_months, same day of the
--                 month clamped to the month's end (2022-01-31 -> 2022-04-30); NULL: no window
-- credit_from     first instant study is credited: approved_on, or period_start if later
-- credit_until    first instant no longer credited: the day after window_end / period_end
SELECT
    p.project_id,
    p.enterprise_id,
    p.course_id,
    p.approved_on,
    CASE WHEN pol.window_months IS NOT NULL
         THEN add_months(p.approved_on, pol.window_months) END AS window_end,
    start_of_day(CASE WHEN pol.period_start IS NOT NULL AND pol.period_start > p.approved_on
                      THEN pol.period_start ELSE p.approved_on END) AS credit_from,
    start_of_day(add_days(least(
        coalesce(add_months(p.approved_on, pol.window_months), DATE '9999-12-30'),
        coalesce(pol.period_end, DATE '9999-12-30')), 1)) AS credit_until
FROM projects p
CROSS JOIN policy pol
