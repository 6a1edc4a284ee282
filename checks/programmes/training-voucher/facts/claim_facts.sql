-- claim_facts: each trainee in a class (grain: class_id, person_id), enrolled or paid or both.
-- The voucher programme's per-enrolment checks; ID_INVALID (shared) reads person_id_valid here.
-- missing_vouchers        vouchers the enrolment or a payment names (a payment with none and
--                         no enrolment counts) that are not in vouchers
-- other_person_vouchers   named vouchers that belong to another person (voucher_holder)
-- expired_registrations   enrolments registered after their voucher's valid_until date
-- late_registration       1 when the class's feedback_at or the enrolment's registered_at is at
--                         or after due_before (the day after deadline_day), else 0
-- meetings_missed         meetings of the class with no check-in by the trainee from
--                         checkin_minutes_before before to checkin_minutes_after after the start
-- off_site_checkins       check-ins farther from the site than its radius (checkin_facts)
WITH units AS (
    SELECT class_id, person_id FROM enrolments
    UNION
    SELECT class_id, person_id FROM payments
),
class_one AS (
    SELECT class_id, min(institution_id) AS institution_id, min(site_radius_m) AS site_radius_m,
           min(deadline_day) AS deadline_day, min(due_before) AS due_before,
           min(feedback_at) AS feedback_at
    FROM class_facts
    GROUP BY class_id
),
voucher AS (
    SELECT voucher_id, min(person_id) AS holder, min(valid_until) AS valid_until
    FROM vouchers
    GROUP BY voucher_id
),
named AS (
    SELECT class_id, person_id, voucher_id FROM enrolments
    UNION ALL
    SELECT class_id, person_id, voucher_id FROM payment_facts
),
voucher_checks AS (
    SELECT
        n.class_id,
        n.person_id,
        sum(CASE WHEN v.voucher_id IS NULL THEN 1 ELSE 0 END) AS missing_vouchers,
        min(CASE WHEN v.voucher_id IS NULL THEN coalesce(n.voucher_id, '(无)') END)
            AS missing_voucher_id,
        sum(CASE WHEN v.holder <> n.person_id THEN 1 ELSE 0 END) AS other_person_vouchers,
        min(CASE WHEN v.holder <> n.person_id THEN n.voucher_id END) AS other_person_voucher_id,
        min(CASE WHEN v.holder <> n.person_id THEN v.holder END) AS voucher_holder
    FROM named n
    LEFT JOIN voucher v ON v.voucher_id = n.voucher_id
    GROUP BY n.class_id, n.person_id
),
registration AS (
    SELECT
        e.class_id,
        e.person_id,
        max(e.registered_at) AS registered_at,
        sum(CASE WHEN day_of(e.registered_at) > v.valid_until THEN 1 ELSE 0 END)
            AS expired_registrations,
        min(v.valid_until) AS valid_until
    FROM enrolments e
    LEFT JOIN voucher v ON v.voucher_id = e.voucher_id
    GROUP BY e.class_id, e.person_id
),
meeting_checkins AS (
    SELECT u.class_id, u.person_id, m._row, m.starts_at, count(k.person_id) AS checkins
    FROM units u
    JOIN class_meetings m ON m.class_id = u.class_id
    CROSS JOIN policy pol
    LEFT JOIN checkins k
        ON k.class_id = u.class_id AND k.person_id = u.person_id
        AND k.checked_in_at >= add_seconds(m.starts_at, -60 * pol.checkin_minutes_before)
        AND k.checked_in_at <= add_seconds(m.starts_at, 60 * pol.checkin_minutes_after)
    GROUP BY u.class_id, u.person_id, m._row, m.starts_at
),
attendance AS (
    SELECT
        class_id,
        person_id,
        count(*) AS meetings,
        sum(CASE WHEN checkins = 0 THEN 1 ELSE 0 END) AS meetings_missed,
        min(CASE WHEN checkins = 0 THEN starts_at END) AS first_missed_meeting
    FROM meeting_checkins
    GROUP BY class_id, person_id
),
distances AS (
    SELECT
        class_id,
        person_id,
        count(*) AS checkins,
        sum(CASE WHEN off_site THEN 1 ELSE 0 END) AS off_site_checkins,
        CAST(round(max(distance_m)) AS BIGINT) AS max_distance_m,
        min(CASE WHEN off_site THEN source_row END) AS first_off_site_row
    FROM checkin_facts
    GROUP BY class_id, person_id
),
ids AS (
    SELECT person_id, ric_valid(person_id) AS person_id_valid
    FROM (SELECT DISTINCT person_id FROM units) d
)
SELECT
    u.class_id,
    u.person_id,
    c.institution_id,
    coalesce(vc.missing_vouchers, 0) AS missing_vouchers,
    vc.missing_voucher_id,
    coalesce(vc.other_person_vouchers, 0) AS other_person_vouchers,
    vc.other_person_voucher_id,
    vc.voucher_holder,
    r.registered_at,
    r.valid_until,
    coalesce(r.expired_registrations, 0) AS expired_registrations,
    c.feedback_at,
    c.deadline_day,
    CASE WHEN c.feedback_at >= c.due_before OR r.registered_at >= c.due_before THEN 1 ELSE 0 END
        AS late_registration,
    coalesce(a.meetings, 0) AS meetings,
    coalesce(a.meetings_missed, 0) AS meetings_missed,
    a.first_missed_meeting,
    coalesce(d.checkins, 0) AS checkins,
    coalesce(d.off_site_checkins, 0) AS off_site_checkins,
    d.max_distance_m,
    d.first_off_site_row,
    c.site_radius_m,
    ids.person_id_valid
FROM units u
LEFT JOIN class_one c ON c.class_id = u.class_id
LEFT JOIN voucher_checks vc ON vc.class_id = u.class_id AND vc.person_id = u.person_id
LEFT JOIN registration r ON r.class_id = u.class_id AND r.person_id = u.person_id
LEFT JOIN attendance a ON a.class_id = u.class_id AND a.person_id = u.person_id
LEFT JOIN distances d ON d.class_id = u.class_id AND d.person_id = u.person_id
LEFT JOIN ids ON ids.person_id = u.person_id
