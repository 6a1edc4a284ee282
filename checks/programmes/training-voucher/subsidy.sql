-- subsidy: the verified subsidy, one row per payment (grain: payment_id).
-- A payment is payable unless a block finding touches it: one of the payment itself, of its
-- trainee in its class (no payment named), of its class (no trainee named) or of its
-- institution (no class named). verified_amount: when payable, the amount paid or, when less,
-- the standard x ratio the FAQ gives (payment_facts.expected_amount; unknown: the amount
-- paid); else 0. blocking_rules lists the rules that block it.
WITH blocks AS (
    -- NOTE: one equi-join per level, not one join on an OR: an OR cannot be hash-joined.
    SELECT p.payment_id, f.rule_id
    FROM payment_facts p JOIN findings f ON f.payment_id = p.payment_id
    WHERE f.severity = 'block'
    UNION ALL
    SELECT p.payment_id, f.rule_id
    FROM payment_facts p
    JOIN findings f ON f.class_id = p.class_id AND f.person_id = p.person_id
    WHERE f.severity = 'block' AND f.payment_id IS NULL
    UNION ALL
    SELECT p.payment_id, f.rule_id
    FROM payment_facts p JOIN findings f ON f.class_id = p.class_id
    WHERE f.severity = 'block' AND f.payment_id IS NULL AND f.person_id IS NULL
    UNION ALL
    SELECT p.payment_id, f.rule_id
    FROM payment_facts p JOIN findings f ON f.institution_id = p.institution_id
    WHERE f.severity = 'block' AND f.payment_id IS NULL AND f.person_id IS NULL
        AND f.class_id IS NULL
),
blocked AS (
    SELECT payment_id, string_agg(DISTINCT rule_id, ',' ORDER BY rule_id) AS rules
    FROM blocks
    GROUP BY payment_id
)
SELECT
    p.payment_id,
    p.institution_id,
    p.class_id,
    p.person_id,
    CAST(p.amount AS DECIMAL(14, 2)) AS paid_amount,
    b.rules IS NULL AS payable,
    CAST(CASE WHEN b.rules IS NULL THEN least(p.amount, coalesce(p.expected_amount, p.amount))
              ELSE 0 END AS DECIMAL(14, 2)) AS verified_amount,
    coalesce(b.rules, '') AS blocking_rules
FROM payment_facts p
LEFT JOIN blocked b ON b.payment_id = p.payment_id
