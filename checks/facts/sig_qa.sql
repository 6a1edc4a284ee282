-- sig_qa: the same question posted by several trainees of a project (grain: project_id,
-- person_id; claims with a copied question).
-- Questions are compared without whitespace, punctuation and symbols, and only when at least
-- qa_copied_min_chars characters remain ("谢谢老师！" is too short to count).
-- copied_question_trainees  most persons of the project who posted one of this claim's
--                           questions, counting this person
-- copied_question           that question as this person wrote it (first post)
-- copied_question_row       its data row in qa
WITH questions AS (
    SELECT q._row, q.project_id, q.person_id, q.text, strip_punctuation(q.text) AS norm
    FROM qa q
    WHERE q.role = 'question' AND q.text IS NOT NULL
      AND q.project_id IS NOT NULL AND q.person_id IS NOT NULL
),
long_enough AS (
    SELECT q.*
    FROM questions q
    CROSS JOIN policy pol
    WHERE length(q.norm) >= pol.qa_copied_min_chars
),
shared AS (
    SELECT project_id, norm, count(DISTINCT person_id) AS persons
    FROM long_enough
    GROUP BY project_id, norm
    HAVING count(DISTINCT person_id) >= 2
),
ranked AS (
    SELECT l.project_id, l.person_id, s.persons, l.text, l._row,
           row_number() OVER (PARTITION BY l.project_id, l.person_id
                              ORDER BY s.persons DESC, l._row) AS nth
    FROM long_enough l
    JOIN shared s ON s.project_id = l.project_id AND s.norm = l.norm
)
SELECT
    project_id,
    person_id,
    persons AS copied_question_trainees,
    text AS copied_question,
    _row AS copied_question_row
FROM ranked
WHERE nth = 1
