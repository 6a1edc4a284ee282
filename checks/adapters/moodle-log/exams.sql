-- moodle-log/exams: each submitted quiz attempt (`\mod_quiz\event\attempt_submitted`, "Quiz
-- attempt submitted") is an exam, submitted at its time; it started at the time of the
-- `attempt_started` event of the same attempt ID (Description "the attempt with id 'N'"). When
-- that event is not in the log (a log cut by date, a filtered download) the start is empty and
-- BAD_TIMESTAMP names the row: the log has no other record of when an attempt began. The log
-- holds no grades: score and pass mark are empty.
CREATE OR REPLACE TABLE out_exams AS
SELECT
    s._row,
    s.project_id,
    s.person_id,
    st.event_at AS started_at,
    s.event_at AS submitted_at,
    CAST(NULL AS DECIMAL(14, 2)) AS score,
    CAST(NULL AS DECIMAL(14, 2)) AS pass_score,
    CAST(NULL AS VARCHAR) AS answers_digest,
    (SELECT file FROM input_files WHERE input_table = 'log') AS _source_file,
    least(s._row, coalesce(st._row, s._row)) AS _first_row,
    greatest(s._row, coalesce(st._row, s._row)) AS _last_row
FROM moodle_events s
LEFT JOIN (SELECT attempt_id, person_id, min(event_at) AS event_at, max(_row) AS _row
           FROM moodle_events WHERE kind = 'quiz_started' AND attempt_id <> ''
           GROUP BY ALL) st
       ON st.attempt_id = s.attempt_id AND st.person_id = s.person_id
WHERE s.kind = 'quiz_submitted'
ORDER BY s._row;
