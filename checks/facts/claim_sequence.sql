-- claim_sequence: training periods of one person that overlap (grain: project_id, person_id;
-- claims that overlap an earlier-starting claim of the same person).
-- Projects must follow one another: the claim whose period starts later (on a tie, the larger
-- project_id) is the one that breaks the rule.
-- overlapped_claims     how many earlier-starting claims of the person it overlaps
-- overlapped_project_id the first of them
SELECT
    b.project_id,
    b.person_id,
    count(*) AS overlapped_claims,
    min(e.project_id) AS overlapped_project_id
FROM claim_base b
JOIN claim_base e
    ON e.person_id = b.person_id
   AND e.project_id <> b.project_id
   AND (e.first_activity_at < b.first_activity_at
        OR (e.first_activity_at = b.first_activity_at AND e.project_id < b.project_id))
   AND e.last_activity_at >= b.first_activity_at
WHERE b.first_activity_at IS NOT NULL AND e.first_activity_at IS NOT NULL
GROUP BY b.project_id, b.person_id
