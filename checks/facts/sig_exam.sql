-- sig_exam: exams taken too fast, or with the same wrong answers as other trainees (grain:
-- project_id, person_id; claims with a timed exam).
-- fastest_exam_minutes     shortest time from start to submission of the claim's exams
-- fastest_exam_row         that exam's data row in exams
-- shared_answer_trainees   most persons of the project who submitted the same non-empty
--                          answers_digest as one of this claim's exams, counting this person,
--                          not counting digests of the project's best score (the answer key)
-- shared_answers_digest    that digest, '' when none is shared
WITH timed AS (
    SELECT _row, project_id, person_id, started_at, submitted_at, score,
           coalesce(trim(answers_digest), '') AS digest,
           seconds_between(started_at, submitted_at) / 60.0 AS minutes
    FROM exams
    WHERE project_id IS NOT NULL AND person_id IS NOT NULL
),
fastest AS (
    SELECT project_id, person_id, minutes, _row,
           row_number() OVER (PARTITION BY project_id, person_id ORDER BY minutes, _row) AS nth
    FROM timed
    WHERE started_at IS NOT NULL AND submitted_at IS NOT NULL AND submitted_at >= started_at
),
answer_keys AS (
    SELECT DISTINCT t.project_id, t.digest
    FROM timed t
    JOIN (SELECT project_id, max(score) AS best FROM timed GROUP BY project_id) b
        ON b.project_id = t.project_id AND t.score = b.best
),
shared AS (
    SELECT t.project_id, t.digest, count(DISTINCT t.person_id) AS persons
    FROM timed t
    LEFT JOIN answer_keys k ON k.project_id = t.project_id AND k.digest = t.digest
    WHERE t.digest <> '' AND k.digest IS NULL
    GROUP BY t.project_id, t.digest
    HAVING count(DISTINCT t.person_id) >= 2
),
claim_shared AS (
    SELECT t.project_id, t.person_id, s.persons, s.digest,
           row_number() OVER (PARTITION BY t.project_id, t.person_id
                              ORDER BY s.persons DESC, s.digest) AS nth
    FROM timed t
    JOIN shared s ON s.project_id = t.project_id AND s.digest = t.digest
),
claims_with_exams AS (
    SELECT DISTINCT project_id, person_id FROM timed
)
SELECT
    c.project_id,
    c.person_id,
    coalesce(f.minutes, 1e9) AS fastest_exam_minutes,
    f._row AS fastest_exam_row,
    coalesce(s.persons, 1) AS shared_answer_trainees,
    coalesce(s.digest, '') AS shared_answers_digest
FROM claims_with_exams c
LEFT JOIN fastest f ON f.project_id = c.project_id AND f.person_id = c.person_id AND f.nth = 1
LEFT JOIN claim_shared s
    ON s.project_id = c.project_id AND s.person_id = c.person_id AND s.nth = 1
