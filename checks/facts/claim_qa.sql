-- claim_qa: Q&A posts by a person in a project (grain: project_id, person_id).
-- qa_count   questions and answers posted
SELECT project_id, person_id, count(*) AS qa_count
FROM qa
GROUP BY project_id, person_id
