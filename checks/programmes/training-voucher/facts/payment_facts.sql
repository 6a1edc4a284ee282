-- payment_facts: each payment with its voucher, class and assessment (grain: payment_id).
-- voucher_id        the payment's voucher_id, or when empty that of the enrolment in its class
-- voucher_kind      subsidy | checkin_only; NULL when the voucher is not in vouchers
-- not_subsidy       1 when the voucher is a check-in-only voucher (no subsidy), else 0
-- earlier_payments  payments on the same voucher before this one (paid_at, then payment_id):
--                   the earliest stands, each later one is a second payment
-- first_payment_id  the earliest payment on the voucher
-- not_passed        1 when the trainee has no passed assessment in the class, else 0
-- expected_amount   standard_amount x the voucher's ratio, rounded half-up to the fen; NULL
--                   when the voucher, its ratio or the class is unknown
-- amount_wrong      1 when amount is not expected_amount (or that is unknown), else 0
WITH enrolled AS (
    SELECT class_id, person_id, min(voucher_id) AS voucher_id
    FROM enrolments
    GROUP BY class_id, person_id
),
passed AS (
    SELECT DISTINCT class_id, person_id FROM assessments WHERE passed
),
voucher AS (
    SELECT voucher_id, min(kind) AS kind, min(ratio) AS ratio
    FROM vouchers
    GROUP BY voucher_id
),
-- NOTE: one row per class even if the export repeats a class_id, so a payment stays one row
class_one AS (
    SELECT class_id, min(institution_id) AS institution_id,
           min(standard_amount) AS standard_amount
    FROM classes
    GROUP BY class_id
),
paid AS (
    SELECT
        p.payment_id,
        p.class_id,
        p.person_id,
        p.amount,
        p.paid_at,
        p.payee_kind,
        coalesce(p.voucher_id, e.voucher_id) AS voucher_id
    FROM payments p
    LEFT JOIN enrolled e ON e.class_id = p.class_id AND e.person_id = p.person_id
),
ranked AS (
    SELECT
        paid.*,
        CASE WHEN voucher_id IS NULL THEN 0
             ELSE row_number() OVER (PARTITION BY voucher_id ORDER BY paid_at, payment_id) - 1
        END AS earlier_payments,
        first_value(payment_id) OVER (
            PARTITION BY voucher_id ORDER BY paid_at, payment_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS first_payment_id
    FROM paid
),
priced AS (
    SELECT
        r.*,
        c.institution_id,
        c.standard_amount,
        v.kind AS voucher_kind,
        v.ratio,
        CAST(round(c.standard_amount * v.ratio, 2) AS DECIMAL(14, 2)) AS expected_amount,
        CASE WHEN pa.class_id IS NULL THEN 1 ELSE 0 END AS not_passed
    FROM ranked r
    LEFT JOIN class_one c ON c.class_id = r.class_id
    LEFT JOIN voucher v ON v.voucher_id = r.voucher_id
    LEFT JOIN passed pa ON pa.class_id = r.class_id AND pa.person_id = r.person_id
)
SELECT
    payment_id,
    institution_id,
    class_id,
    person_id,
    voucher_id,
    amount,
    paid_at,
    payee_kind,
    voucher_kind,
    CASE WHEN voucher_kind = 'checkin_only' THEN 1 ELSE 0 END AS not_subsidy,
    earlier_payments,
    first_payment_id,
    not_passed,
    standard_amount,
    ratio,
    expected_amount,
    CASE WHEN expected_amount IS NULL OR amount <> expected_amount THEN 1 ELSE 0 END
        AS amount_wrong
FROM priced
