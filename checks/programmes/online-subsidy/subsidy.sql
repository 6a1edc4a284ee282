-- subsidy: the verified subsidy, one row per claim (grain: project_id, person_id).
-- A claim is payable unless a block finding touches it: one of the claim itself, or one of
-- its enterprise as a whole (no project, no person). verified_amount is the policy's
-- subsidy_yuan when payable, else 0; blocking_rules lists the rules that block it.
WITH blocks AS (
    -- NOTE: two equi-joins, not one join on an OR: an OR condition cannot be hash-joined.
    SELECT project_id, person_id, rule_id
    FROM findings
    WHERE severity = 'block' AND project_id IS NOT NULL AND person_id IS NOT NULL
    UNION ALL
    SELECT c.project_id, c.person_id, f.rule_id
    FROM claim_facts c
    JOIN findings f ON f.enterprise_id = c.enterprise_id
    WHERE f.severity = 'block' AND f.project_id IS NULL AND f.person_id IS NULL
),
blocked AS (
    SELECT project_id, person_id, string_agg(DISTINCT rule_id, ',' ORDER BY rule_id) AS rules
    FROM blocks
    GROUP BY project_id, person_id
)
SELECT
    c.enterprise_id,
    c.project_id,
    c.person_id,
    CAST(c.amount AS DECIMAL(14, 2)) AS claimed_amount,
    b.rules IS NULL AS payable,
    CAST(CASE WHEN b.rules IS NULL THEN pol.subsidy_yuan ELSE 0 END AS DECIMAL(14, 2))
        AS verified_amount,
    coalesce(b.rules, '') AS blocking_rules
FROM claim_facts c
CROSS JOIN policy pol
LEFT JOIN blocked b ON b.project_id = c.project_id AND b.person_id = c.person_id
