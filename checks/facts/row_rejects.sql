-- row_rejects: export rows the auditor could not accept (grain: source_table, source_row).
-- Filled at ingest: rows DuckDB could not split into the header's fields, and rows with a
-- value the contract forbids (empty required value, unreadable date or amount, a value
-- outside an enumeration). They are not audited further; BAD_ROW reports each one.
-- rejected_rows   always 1: every row here is a finding
SELECT
    source_table,
    source_row,
    file,
    coalesce(column_name, '') AS column_name,
    reason,
    enterprise_id,
    project_id,
    person_id,
    1 AS rejected_rows
FROM rejects
