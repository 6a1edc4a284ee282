-- xapi/qa: `asked` (a question put to the tutor) and `commented` (a written comment on the
-- course) are the trainee's questions; the text is result.response. Answers are the tutor's,
-- whose statements have no trainee actor and are not read.
CREATE OR REPLACE TABLE out_qa AS
SELECT
    _row,
    project_id,
    person_id,
    event_at AS posted_at,
    'question' AS role,
    nullif(trim(response), '') AS text,
    (SELECT file FROM input_files WHERE input_table = 'statements') AS _source_file,
    _row AS _first_row,
    _row AS _last_row
FROM xapi_events
WHERE use = 'qa'
ORDER BY _row;
