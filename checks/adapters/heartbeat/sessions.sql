-- heartbeat/sessions: heartbeats -> out_study_sessions, one row per session.
-- A session is a maximal run of one person's heartbeats in one project with no gap longer than
-- ${gap_seconds} (measured to the microsecond: 30:00.5 is longer than 30:00); it ends one interval (${interval_seconds} s) after its last heartbeat.
-- _source_file       the heartbeats file's name (input_files)
-- _row / _first_row   row of its first heartbeat in heartbeats;  _last_row  of its last one.
-- NOTE: one sorted pass over the events marks the heartbeats that open a session (the gap
-- before them is too long) and those that close one (the gap after them is); in each person's
-- project these alternate, so the n-th opening and the n-th closing heartbeat are one session.
-- A running count over every event would sort the whole log a second time.
CREATE TABLE out_study_sessions AS
WITH events AS (
    SELECT h._row, h.project_id, a.person_id, h.beat_at
    FROM in_heartbeats h
    JOIN actor_map a ON a.actor = h.actor
),
edges AS (
    SELECT
        e._row, e.project_id, e.person_id, e.beat_at,
        lag(e.beat_at) OVER w AS before_at,
        lead(e.beat_at) OVER w AS after_at
    FROM events e
    WINDOW w AS (PARTITION BY e.person_id, e.project_id ORDER BY e.beat_at, e._row)
),
opening AS (
    SELECT _row, project_id, person_id, beat_at,
           row_number() OVER (PARTITION BY person_id, project_id ORDER BY beat_at, _row) AS n
    FROM edges
    WHERE before_at IS NULL OR epoch_seconds(beat_at) - epoch_seconds(before_at) > ${gap_seconds}
),
closing AS (
    SELECT _row, project_id, person_id, beat_at,
           row_number() OVER (PARTITION BY person_id, project_id ORDER BY beat_at, _row) AS n
    FROM edges
    WHERE after_at IS NULL OR epoch_seconds(after_at) - epoch_seconds(beat_at) > ${gap_seconds}
)
SELECT
    o._row,
    o.project_id,
    o.person_id,
    o.beat_at AS started_at,
    add_seconds(c.beat_at, ${interval_seconds}) AS ended_at,
    h.lesson_id,
    h.device_id,
    h.ip,
    src.file AS _source_file,
    o._row AS _first_row,
    c._row AS _last_row
FROM opening o
JOIN closing c ON c.person_id = o.person_id AND c.project_id = o.project_id AND c.n = o.n
JOIN in_heartbeats h ON h._row = o._row
CROSS JOIN (SELECT file FROM input_files WHERE input_table = 'heartbeats') src
