-- person_facts: checks of each claimed person's ID number (grain: person_id).
-- person_id_valid   GB 11643 check digit and a real birth date (region not judged)
-- region_known      the birth-place code is one python-stdnum knows for that year; true for an
--                   invalid ID, which ID_INVALID already reports
SELECT
    person_id,
    person_id_valid,
    CASE WHEN person_id_valid THEN ric_region_known(person_id) ELSE true END AS region_known
FROM (SELECT person_id, ric_valid(person_id) AS person_id_valid
      FROM (SELECT DISTINCT person_id FROM claims) d) p
