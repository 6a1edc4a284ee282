-- row_rejects: export rows the auditor could not accept (grain: source_table, source_row).
-- Filled at ingest: rows DuckDB could not split into the header's fields, and rows with a
-- value the contract forbids (empty required value, unreadable date or amount, a value
-- outside an enumeration). They are not audited further; BAD_ROW reports each one.
-- rejected_rows   always 1: every row here is a finding
-- enterprise_id      given in the row, or that of its project when the project is known
SELECT
    r.source_table,
    r.source_row,
    r.file,
    coalesce(r.column_name, '') AS column_name,
    r.reason,
    coalesce(r.enterprise_id, p.enterprise_id) AS enterprise_id,
    r.project_id,
    r.person_id,
    1 AS rejected_rows
FROM rejects r
LEFT JOIN projects p ON p.project_id = r.project_id
