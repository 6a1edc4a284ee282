-- xapi/sessions: study sessions.
-- 1. cmi5 sessions: the statements of one person with one registration and one cmi5 session
--    ID that has both an `initialized` and a `terminated` statement make one session, from the
--    first `initialized` to the last `terminated` (by timestamp, as cmi5 orders a session).
-- 2. Every other activity statement (no session ID, or a session without that pair) that does
--    not fall inside a cmi5 session of the same person and project is sessionised by gap:
--    sorted by time per person and project, a statement more than gap_seconds after the one
--    before starts a new session (to the microsecond: 30:00.5 after it splits at 1800); a
--    session runs from its first to its last statement.
-- Exam time is not study time: a cmi5 session holding a `passed` or `failed` statement ends
-- where that exam started (its timestamp minus its duration), and is no study at all when the
-- exam started with the session; `passed`/`failed` never join a gap session. `launched` (an
-- LMS statement, read as a sign-in), Q&A and LMS bookkeeping are not study time either.
CREATE OR REPLACE TEMP TABLE xapi_cmi5_all AS
SELECT
    person_id,
    project_id,
    registration,
    session_id,
    min(event_at) FILTER (WHERE verb = 'initialized') AS started_at,
    max(event_at) FILTER (WHERE verb = 'terminated') AS terminated_at,
    min(add_exact_seconds(event_at, -duration_s))
        FILTER (WHERE use = 'exam') AS exam_started_at,
    arg_min(_row, event_at) FILTER (WHERE verb = 'initialized') AS _row,
    arg_min(lesson_id, event_at) FILTER (WHERE verb = 'initialized') AS lesson_id,
    min(_row) AS _first_row,
    max(_row) AS _last_row
FROM xapi_events
WHERE session_id IS NOT NULL AND use IN ('activity', 'exam')
GROUP BY person_id, project_id, registration, session_id
HAVING count(*) FILTER (WHERE verb = 'initialized') > 0
   AND count(*) FILTER (WHERE verb = 'terminated') > 0
   AND max(event_at) FILTER (WHERE verb = 'terminated') >= min(event_at) FILTER (WHERE verb = 'initialized');

CREATE OR REPLACE TEMP TABLE xapi_cmi5_sessions AS
SELECT *,
       CASE WHEN exam_started_at < terminated_at THEN exam_started_at ELSE terminated_at END
           AS ended_at
FROM xapi_cmi5_all
WHERE exam_started_at IS NULL OR exam_started_at > started_at;

CREATE OR REPLACE TEMP TABLE xapi_loose AS
SELECT e._row, e.person_id, e.project_id, e.event_at, e.lesson_id
FROM xapi_events e
WHERE e.use = 'activity' AND e.event_at IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM xapi_cmi5_all c
      WHERE c.person_id = e.person_id AND c.project_id = e.project_id
        AND c.session_id = e.session_id AND c.registration IS NOT DISTINCT FROM e.registration)
  AND NOT EXISTS (
      SELECT 1 FROM xapi_cmi5_all c
      WHERE c.person_id = e.person_id AND c.project_id = e.project_id
        AND e.event_at BETWEEN c.started_at AND c.terminated_at);

CREATE OR REPLACE TEMP TABLE xapi_gap_sessions AS
WITH marked AS (
    SELECT *,
           CASE WHEN lag(event_at) OVER w IS NULL
                  OR epoch_seconds(event_at) - epoch_seconds(lag(event_at) OVER w)
                     > ${gap_seconds}
                THEN 1 ELSE 0 END
               AS starts
    FROM xapi_loose
    WINDOW w AS (PARTITION BY person_id, project_id ORDER BY event_at, _row)
),
numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY person_id, project_id ORDER BY event_at, _row
                                ROWS UNBOUNDED PRECEDING) AS session_no
    FROM marked
)
SELECT
    person_id,
    project_id,
    min(event_at) AS started_at,
    max(event_at) AS ended_at,
    arg_min(_row, (event_at, _row)) AS _row,
    arg_min(lesson_id, (event_at, _row)) AS lesson_id,
    min(_row) AS _first_row,
    max(_row) AS _last_row
FROM numbered
GROUP BY person_id, project_id, session_no;

CREATE OR REPLACE TABLE out_study_sessions AS
SELECT
    _row,
    project_id,
    person_id,
    started_at,
    ended_at,
    lesson_id,
    CAST(NULL AS VARCHAR) AS device_id,
    CAST(NULL AS VARCHAR) AS ip,
    (SELECT file FROM input_files WHERE input_table = 'statements') AS _source_file,
    _first_row,
    _last_row
FROM (
    SELECT _row, project_id, person_id, started_at, ended_at, lesson_id, _first_row, _last_row
    FROM xapi_cmi5_sessions
    UNION ALL
    SELECT _row, project_id, person_id, started_at, ended_at, lesson_id, _first_row, _last_row
    FROM xapi_gap_sessions
)
ORDER BY _row;
