-- heartbeat/unmapped: heartbeats whose actor maps to no person (absent from actors, or given
-- two ID numbers there), counted per actor -> out_unmapped; they credit no study.
CREATE TABLE out_unmapped AS
WITH mapped AS (
    SELECT actor, count(DISTINCT person_id) AS persons
    FROM in_actors
    GROUP BY actor
)
SELECT
    src.file AS source_file,
    h.actor,
    CASE WHEN m.actor IS NULL THEN 'actor not mapped'
         ELSE 'actor mapped to several person_id' END AS reason,
    count(*) AS event_rows,
    min(h._row) AS first_row,
    max(h._row) AS last_row
FROM in_heartbeats h
LEFT JOIN mapped m ON m.actor = h.actor
CROSS JOIN (SELECT file FROM input_files WHERE input_table = 'heartbeats') src
WHERE m.actor IS NULL OR m.persons > 1
GROUP BY src.file, h.actor, m.actor
