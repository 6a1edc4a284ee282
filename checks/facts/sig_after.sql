-- sig_after: records made after they should have ended (grain: project_id, person_id; claims).
-- sessions_after_exam    study sessions starting after the person's last exam submission in
--                        the project; first_after_exam_row the first one's data row
-- records_after_import   sign-ins, study sessions (by their end) and exam submissions after the
--                        claim's imported_at: records back-filled after the claim was made
-- first_after_import_at  the earliest of those times
WITH after_exam AS (
    SELECT b.project_id, b.person_id, count(*) AS n, min(s._row) AS first_row
    FROM claim_base b
    JOIN study_sessions s ON s.project_id = b.project_id AND s.person_id = b.person_id
    WHERE b.last_exam_at IS NOT NULL AND s.started_at > b.last_exam_at
    GROUP BY b.project_id, b.person_id
),
after_import AS (
    SELECT b.project_id, b.person_id, count(*) AS n, min(a.at_end) AS first_at
    FROM claim_base b
    JOIN activity a ON a.project_id = b.project_id AND a.person_id = b.person_id
    WHERE b.imported_at IS NOT NULL AND a.at_end > b.imported_at
    GROUP BY b.project_id, b.person_id
)
SELECT
    b.project_id,
    b.person_id,
    coalesce(e.n, 0) AS sessions_after_exam,
    e.first_row AS first_after_exam_row,
    coalesce(i.n, 0) AS records_after_import,
    i.first_at AS first_after_import_at
FROM claim_base b
LEFT JOIN after_exam e ON e.project_id = b.project_id AND e.person_id = b.person_id
LEFT JOIN after_import i ON i.project_id = b.project_id AND i.person_id = b.person_id
WHERE e.n IS NOT NULL OR i.n IS NOT NULL
