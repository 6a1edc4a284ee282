-- claim_employment: whether the roster covers the claim (grain: project_id, person_id).
-- employment_covered  a roster row of the project's enterprise for this person, as
--                     labor_contract or dispatch, whose employed_from/employed_to (when
--                     given) cover the whole training period
SELECT
    b.project_id,
    b.person_id,
    max(CASE WHEN t.employment IN ('labor_contract', 'dispatch')
              AND (t.employed_from IS NULL OR b.first_activity_at IS NULL
                   OR t.employed_from <= day_of(b.first_activity_at))
              AND (t.employed_to IS NULL OR b.last_activity_at IS NULL
                   OR t.employed_to >= day_of(b.last_activity_at))
             THEN 1 ELSE 0 END) AS employment_covered
FROM claim_base b
JOIN trainees t ON t.enterprise_id = b.enterprise_id AND t.person_id = b.person_id
GROUP BY b.project_id, b.person_id
