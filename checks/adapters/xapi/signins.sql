-- xapi/signins: every `launched` statement is a sign-in at its timestamp. cmi5 has the LMS
-- record `launched` before it starts a course unit for a learner it has authenticated, so it
-- is the learner entering the training; xAPI carries no device or IP.
CREATE OR REPLACE TABLE out_signins AS
SELECT
    _row,
    project_id,
    person_id,
    event_at AS signed_in_at,
    CAST(NULL AS VARCHAR) AS device_id,
    CAST(NULL AS VARCHAR) AS ip,
    (SELECT file FROM input_files WHERE input_table = 'statements') AS _source_file,
    _row AS _first_row,
    _row AS _last_row
FROM xapi_events
WHERE verb = 'launched'
ORDER BY _row;
