-- heartbeat/signins: with signin_from_first_event = true, the first heartbeat of each person's
-- day in each project -> out_signins (empty otherwise, and then not installed).
CREATE TABLE out_signins AS
WITH ranked AS (
    SELECT
        h._row, h.project_id, a.person_id, h.beat_at, h.device_id, h.ip,
        row_number() OVER (PARTITION BY a.person_id, h.project_id, day_of(h.beat_at)
                           ORDER BY h.beat_at, h._row) AS n
    FROM in_heartbeats h
    JOIN actor_map a ON a.actor = h.actor
    WHERE ${signin_from_first_event}
)
SELECT
    r._row,
    r.project_id,
    r.person_id,
    r.beat_at AS signed_in_at,
    r.device_id,
    r.ip,
    src.file AS _source_file,
    r._row AS _first_row,
    r._row AS _last_row
FROM ranked r
CROSS JOIN (SELECT file FROM input_files WHERE input_table = 'heartbeats') src
WHERE r.n = 1
