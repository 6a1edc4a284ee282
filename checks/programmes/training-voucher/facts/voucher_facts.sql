-- voucher_facts: each voucher's payments and write-off (grain: voucher_id).
-- [FAQ] 九: a voucher is written off automatically once its subsidy is paid.
-- payments              payments on it (payment_facts.voucher_id)
-- write_off_missing     1 when it was paid but not written off, else 0
-- written_off_unpaid    1 when it was written off but no payment is on it, else 0
-- institution_id, class_id   of its first payment, else of its enrolment
WITH voucher AS (
    SELECT voucher_id, min(person_id) AS person_id, min(written_off_at) AS written_off_at
    FROM vouchers
    GROUP BY voucher_id
),
paid AS (
    SELECT voucher_id, count(*) AS payments, min(first_payment_id) AS first_payment_id
    FROM payment_facts
    WHERE voucher_id IS NOT NULL
    GROUP BY voucher_id
),
enrolled AS (
    SELECT voucher_id, min(class_id) AS class_id FROM enrolments GROUP BY voucher_id
)
SELECT
    v.voucher_id,
    v.person_id,
    coalesce(pf.institution_id, c.institution_id) AS institution_id,
    coalesce(pf.class_id, e.class_id) AS class_id,
    v.written_off_at,
    coalesce(p.payments, 0) AS payments,
    p.first_payment_id,
    CASE WHEN p.payments > 0 AND v.written_off_at IS NULL THEN 1 ELSE 0 END AS write_off_missing,
    CASE WHEN v.written_off_at IS NOT NULL AND p.payments IS NULL THEN 1 ELSE 0 END
        AS written_off_unpaid
FROM voucher v
LEFT JOIN paid p ON p.voucher_id = v.voucher_id
LEFT JOIN payment_facts pf ON pf.payment_id = p.first_payment_id
LEFT JOIN enrolled e ON e.voucher_id = v.voucher_id
LEFT JOIN (SELECT class_id, min(institution_id) AS institution_id FROM classes GROUP BY class_id) c
    ON c.class_id = e.class_id
