-- row_rejects: export rows the auditor could not accept (grain: source_table, source_row).
-- As the online programme's (the shared rule BAD_ROW reads it): rows DuckDB could not split,
-- and rows with a value the contract forbids; not audited further.
-- rejected_rows    always 1: every row here is a finding
-- institution_id   given in the row, or that of its class when the class is known
SELECT
    r.source_table,
    r.source_row,
    r.file,
    coalesce(r.column_name, '') AS column_name,
    r.reason,
    coalesce(r.institution_id, c.institution_id) AS institution_id,
    r.class_id,
    r.person_id,
    r.payment_id,
    1 AS rejected_rows
FROM rejects r
LEFT JOIN (SELECT class_id, min(institution_id) AS institution_id FROM classes GROUP BY class_id) c
    ON c.class_id = r.class_id
