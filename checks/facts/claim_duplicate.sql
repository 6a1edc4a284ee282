-- claim_duplicate: claims of a person for a course already claimed (grain: project_id,
-- person_id; every claim). The earliest import stands (on a tie, the smaller project_id).
-- earlier_course_claims   claims of the same person and course_id imported before this one
-- first_course_project_id the project whose claim stands
SELECT
    project_id,
    person_id,
    row_number() OVER (PARTITION BY person_id, course_id ORDER BY imported_at, project_id) - 1
        AS earlier_course_claims,
    first_value(project_id) OVER (PARTITION BY person_id, course_id
                                  ORDER BY imported_at, project_id) AS first_course_project_id
FROM claim_base
WHERE course_id IS NOT NULL
