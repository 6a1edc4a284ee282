-- moodle-log/sessions: every event of a person in a project counts (a course or page viewed,
-- a post written, ...): sorted by time, an event more than gap_seconds after the previous one
-- starts a new session, and a session runs from its first to its last event (a lone event is
-- a session of length 0). Log times have whole minutes only. Exam time is not study time: the
-- events of a quiz attempt (started, viewed, submitted, reviewed: a Description naming "the
-- attempt with id 'N' ... for the quiz") are left out.
CREATE OR REPLACE TEMP TABLE moodle_sessions AS
WITH marked AS (
    SELECT *,
           CASE WHEN lag(event_at) OVER w IS NULL
                  OR epoch_seconds(event_at) - epoch_seconds(lag(event_at) OVER w)
                     > ${gap_seconds}
                THEN 1 ELSE 0 END AS starts
    FROM moodle_events
    WHERE NOT in_quiz
    WINDOW w AS (PARTITION BY person_id, project_id ORDER BY event_at, _row DESC)
),
numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY person_id, project_id ORDER BY event_at, _row DESC
                                ROWS UNBOUNDED PRECEDING) AS session_no
    FROM marked
)
SELECT
    person_id,
    project_id,
    min(event_at) AS started_at,
    max(event_at) AS ended_at,
    arg_min(_row, (event_at, -_row)) AS _row,
    arg_min(lesson_id, (event_at, -_row)) AS lesson_id,
    arg_min(ip, (event_at, -_row)) AS ip,
    min(_row) AS _first_row,
    max(_row) AS _last_row
FROM numbered
GROUP BY person_id, project_id, session_no;

CREATE OR REPLACE TABLE out_study_sessions AS
SELECT _row, project_id, person_id, started_at, ended_at, lesson_id,
       CAST(NULL AS VARCHAR) AS device_id, ip,
       (SELECT file FROM input_files WHERE input_table = 'log') AS _source_file,
       _first_row, _last_row
FROM moodle_sessions
ORDER BY _row;
