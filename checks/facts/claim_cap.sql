-- claim_cap: each claim's place among the person's payable claims of its year (grain:
-- project_id, person_id). Reads prior_blocks, the claims other block rules already blocked,
-- so it is evaluated after them; the earliest imports stand (ties: smaller project_id).
-- claim_year             calendar year of imported_at
-- payable_claim_number   1, 2, 3... among the person's otherwise-payable claims that year;
--                        0 for a claim blocked by another rule (ANNUAL_CAP)
WITH marked AS (
    SELECT
        c.project_id,
        c.person_id,
        c.enterprise_id,
        c.imported_at,
        year_of(c.imported_at) AS claim_year,
        CASE WHEN pb.project_id IS NULL THEN 0 ELSE 1 END AS blocked
    FROM claim_facts c
    LEFT JOIN prior_blocks pb ON pb.project_id = c.project_id AND pb.person_id = c.person_id
)
SELECT
    project_id,
    person_id,
    enterprise_id,
    imported_at,
    claim_year,
    CASE WHEN blocked = 1 THEN 0
         ELSE row_number() OVER (PARTITION BY person_id, claim_year, blocked
                                 ORDER BY imported_at, project_id) END AS payable_claim_number
FROM marked
