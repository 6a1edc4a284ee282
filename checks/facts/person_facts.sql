-- person_facts: checks of each claimed person's ID number (grain: person_id).
-- person_id_valid   GB 11643 check digit and a real birth date (region not judged)
-- region_known      the birth-place code is one python-stdnum knows for the birth year; true
--                   for an invalid ID, which ID_INVALID already reports
-- NOTE: the birth place depends only on the region code and the birth year, so it is looked
-- up once per pair (a few hundred) rather than once per person (hundreds of thousands).
WITH checked AS (
    SELECT person_id, ric_valid(person_id) AS person_id_valid
    FROM (SELECT DISTINCT person_id FROM claims) d
),
regions AS (
    SELECT
        substr(person_id, 1, 6) AS region_code,
        substr(person_id, 7, 4) AS birth_year,
        ric_region_known(min(person_id)) AS region_known
    FROM checked
    WHERE person_id_valid
    GROUP BY substr(person_id, 1, 6), substr(person_id, 7, 4)
)
SELECT
    c.person_id,
    c.person_id_valid,
    CASE WHEN c.person_id_valid THEN coalesce(r.region_known, false) ELSE true END AS region_known
FROM checked c
LEFT JOIN regions r
    ON r.region_code = substr(c.person_id, 1, 6) AND r.birth_year = substr(c.person_id, 7, 4)
