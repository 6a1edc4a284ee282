-- person_facts: checks of each claimed person's ID number (grain: person_id).
-- person_id_valid   GB 11643 check digit and a real birth date (region not judged)
-- region_known      the birth-place code is one python-stdnum knows for that year
SELECT person_id, ric_valid(person_id) AS person_id_valid, ric_region_known(person_id) AS region_known
FROM (SELECT DISTINCT person_id FROM claims) p
