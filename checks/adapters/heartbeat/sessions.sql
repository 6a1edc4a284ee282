-- heartbeat/sessions: heartbeats -> out_study_sessions, one row per session.
-- A session is a maximal run of one person's heartbeats in one project with no gap longer than
-- ${gap_seconds}; it ends one interval (${interval_seconds} s) after its last heartbeat.
-- _source_file       the heartbeats file's name (input_files)
-- _row / _first_row   row of its first heartbeat in heartbeats;  _last_row  of its last one.
CREATE TABLE out_study_sessions AS
WITH actor_map AS (
    SELECT actor, min(person_id) AS person_id
    FROM in_actors
    GROUP BY actor
    HAVING count(DISTINCT person_id) = 1
),
events AS (
    SELECT h._row, h.project_id, a.person_id, h.lesson_id, h.beat_at, h.device_id, h.ip
    FROM in_heartbeats h
    JOIN actor_map a ON a.actor = h.actor
),
flagged AS (
    SELECT
        e.*,
        CASE WHEN lag(beat_at) OVER w IS NULL OR seconds_between(lag(beat_at) OVER w, beat_at) > ${gap_seconds}
             THEN 1 ELSE 0 END AS starts,
        CASE WHEN lead(beat_at) OVER w IS NULL OR seconds_between(beat_at, lead(beat_at) OVER w) > ${gap_seconds}
             THEN 1 ELSE 0 END AS ends
    FROM events e
    WINDOW w AS (PARTITION BY person_id, project_id ORDER BY beat_at, _row)
),
numbered AS (
    SELECT
        f.*,
        sum(starts) OVER (PARTITION BY person_id, project_id ORDER BY beat_at, _row
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
    FROM flagged f
)
SELECT
    max(CASE WHEN starts = 1 THEN _row END) AS _row,
    project_id,
    person_id,
    min(beat_at) AS started_at,
    add_seconds(max(beat_at), ${interval_seconds}) AS ended_at,
    max(CASE WHEN starts = 1 THEN lesson_id END) AS lesson_id,
    max(CASE WHEN starts = 1 THEN device_id END) AS device_id,
    max(CASE WHEN starts = 1 THEN ip END) AS ip,
    max(src.file) AS _source_file,
    max(CASE WHEN starts = 1 THEN _row END) AS _first_row,
    max(CASE WHEN ends = 1 THEN _row END) AS _last_row
FROM numbered
CROSS JOIN (SELECT file FROM input_files WHERE input_table = 'heartbeats') src
GROUP BY person_id, project_id, session_no
