-- claim_study_rows: the raw rows behind a claim's adapter-derived study sessions, for evidence
-- (grain: project_id, person_id; only claims with such sessions).
-- study_rows  per raw file, the first and last row of each session in start order, e.g.
--             "heartbeats.csv rows 12–340, 415–980" (a session's rows between its first and
--             last event hold its other events, interleaved with other trainees' rows)
WITH derived AS (
    SELECT s.project_id, s.person_id, s.started_at, a.source_file, a.first_row, a.last_row
    FROM study_sessions s
    JOIN activity_sources a ON a.source_table = 'study_sessions' AND a._row = s._row
    UNION ALL
    SELECT s.project_id, s.person_id, s.started_at, a.source_file, a.first_row, a.last_row
    FROM raw_study_sessions s
    JOIN activity_sources a ON a.source_table = 'raw_study_sessions' AND a._row = s._row
),
per_file AS (
    SELECT
        project_id,
        person_id,
        coalesce(source_file, '?') AS source_file,
        min(started_at) AS first_at,
        string_agg(
            CASE WHEN first_row = last_row THEN CAST(first_row AS VARCHAR)
                 ELSE concat(CAST(first_row AS VARCHAR), '–', CAST(last_row AS VARCHAR)) END,
            ', ' ORDER BY started_at, first_row) AS spans
    FROM derived
    GROUP BY project_id, person_id, coalesce(source_file, '?')
)
SELECT
    project_id,
    person_id,
    string_agg(concat(source_file, ' rows ', spans), '; ' ORDER BY first_at, source_file)
        AS study_rows
FROM per_file
GROUP BY project_id, person_id
