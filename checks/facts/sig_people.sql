-- sig_people: who the trainee is: on other enterprises' books, of working age, with a phone of
-- their own (grain: project_id, person_id; claims).
-- other_enterprises      other enterprises that have this person on their roster with
--                        employment overlapping this claim's enterprise's (open-ended dates
--                        overlap everything), or that claim the person in the same calendar
--                        year of imported_at unless both rosters show employment that does
--                        not overlap (a job change)
-- other_enterprise_id    one of them
-- birth_date, age_years  from the ID number, on the claim's first training day (not before
--                        the project's approval: a mistyped early time is BAD_TIMESTAMP's)
-- retires_on             the day the person reaches statutory retirement age, from
--                        retirement_schedule (women: the lower, workers' age)
-- age_out_of_range       1 when younger than min_trainee_age or at/after retires_on that day
-- phone_other_persons    other persons whose roster rows carry one of this person's phones
--                        (digits only, last 11); phone_other_person one of them
WITH roster AS (
    SELECT enterprise_id, person_id,
           min(coalesce(employed_from, DATE '0001-01-01')) AS from_day,
           max(coalesce(employed_to, DATE '9999-12-31')) AS to_day
    FROM trainees
    WHERE enterprise_id IS NOT NULL AND person_id IS NOT NULL
    GROUP BY enterprise_id, person_id
),
claim_years AS (
    SELECT DISTINCT enterprise_id, person_id, year_of(imported_at) AS year
    FROM claim_base
    WHERE enterprise_id IS NOT NULL AND imported_at IS NOT NULL
),
roster_overlaps AS (
    SELECT a.enterprise_id, a.person_id, b.enterprise_id AS other_id
    FROM roster a
    JOIN roster b ON b.person_id = a.person_id AND b.enterprise_id <> a.enterprise_id
    WHERE a.from_day <= b.to_day AND b.from_day <= a.to_day
),
claim_overlaps AS (
    SELECT a.enterprise_id, a.person_id, b.enterprise_id AS other_id
    FROM claim_years a
    JOIN claim_years b ON b.person_id = a.person_id AND b.year = a.year
                      AND b.enterprise_id <> a.enterprise_id
    LEFT JOIN roster ra ON ra.enterprise_id = a.enterprise_id AND ra.person_id = a.person_id
    LEFT JOIN roster rb ON rb.enterprise_id = b.enterprise_id AND rb.person_id = b.person_id
    WHERE ra.person_id IS NULL OR rb.person_id IS NULL
       OR (ra.from_day <= rb.to_day AND rb.from_day <= ra.to_day)
),
others AS (
    SELECT enterprise_id, person_id, count(DISTINCT other_id) AS n, min(other_id) AS other_id
    FROM (SELECT * FROM roster_overlaps UNION ALL SELECT * FROM claim_overlaps) o
    GROUP BY enterprise_id, person_id
),
phones AS (
    SELECT DISTINCT person_id, right(regexp_replace(phone, '[^0-9]', '', 'g'), 11) AS phone
    FROM trainees
    WHERE person_id IS NOT NULL AND length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7
),
shared_phones AS (
    SELECT a.person_id, count(DISTINCT b.person_id) AS n, min(b.person_id) AS other_person
    FROM phones a
    JOIN phones b ON b.phone = a.phone AND b.person_id <> a.person_id
    GROUP BY a.person_id
),
ages AS (
    SELECT
        b.project_id,
        b.person_id,
        birth_date_of(b.person_id) AS birth_date,
        CASE WHEN CAST(substr(b.person_id, 17, 1) AS INTEGER) % 2 = 1 THEN 'male' ELSE 'female'
        END AS sex,
        coalesce(greatest(day_of(b.first_activity_at), b.approved_on), day_of(b.imported_at))
            AS first_day
    FROM claim_base b
    JOIN person_facts pf ON pf.person_id = b.person_id AND pf.person_id_valid
),
retirement AS (
    SELECT
        a.*,
        add_months(a.birth_date, r.base_age_months + CASE
            WHEN a.birth_date < r.reform_from THEN 0
            ELSE least(r.max_delay_months,
                       CAST(floor(months_between_dates(r.reform_from, a.birth_date)
                                  / r.step_months) AS INTEGER) + 1)
            END) AS retires_on
    FROM ages a
    JOIN retirement_schedule r ON r.sex = a.sex AND r.category = 'worker'
)
SELECT
    b.project_id,
    b.person_id,
    coalesce(o.n, 0) AS other_enterprises,
    o.other_id AS other_enterprise_id,
    r.birth_date,
    r.sex,
    CASE WHEN r.birth_date IS NOT NULL AND r.first_day IS NOT NULL
         THEN year_of(r.first_day) - year_of(r.birth_date)
              - CASE WHEN month(r.first_day) * 100 + day(r.first_day)
                          < month(r.birth_date) * 100 + day(r.birth_date) THEN 1 ELSE 0 END
    END AS age_years,
    r.retires_on,
    CASE WHEN r.first_day IS NOT NULL AND r.birth_date IS NOT NULL
              AND (r.first_day < add_months(r.birth_date, 12 * pol.min_trainee_age)
                   OR r.first_day >= r.retires_on)
         THEN 1 ELSE 0 END AS age_out_of_range,
    coalesce(p.n, 0) AS phone_other_persons,
    p.other_person AS phone_other_person
FROM claim_base b
CROSS JOIN policy pol
LEFT JOIN others o ON o.enterprise_id = b.enterprise_id AND o.person_id = b.person_id
LEFT JOIN retirement r ON r.project_id = b.project_id AND r.person_id = b.person_id
LEFT JOIN shared_phones p ON p.person_id = b.person_id
