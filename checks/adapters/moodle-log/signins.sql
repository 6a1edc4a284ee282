-- moodle-log/signins: `\core\event\user_loggedin` ("User has logged in") only. A login is to
-- the site, not to a course: it is the sign-in of the project of its own context when the
-- contexts table maps it, else of the project the person went to after it (their first event
-- in a mapped project at or after the login), else of the last one before it. A login with no
-- such event is counted in adapter_ignored. The first event of a day is no sign-in unless
-- signin_from_first_event is true; then each day's first event of a person in a project is
-- one too (when no login that day already is).
CREATE OR REPLACE TEMP TABLE moodle_logins AS
SELECT _row, person_id, event_at, ip, mapped_project_id
FROM moodle_resolved
WHERE kind = 'login' AND person_id IS NOT NULL AND origin NOT IN ('cli', 'restore');

-- NOTE: one window pass per person over logins and events in time order (no join of every
-- login with every event): the first project at or after a login, else the last before it
CREATE OR REPLACE TEMP TABLE moodle_login_signins AS
WITH timeline AS (
    SELECT _row, person_id, event_at, ip, mapped_project_id, true AS is_login,
           CAST(NULL AS VARCHAR) AS project_id
    FROM moodle_logins
    UNION ALL
    SELECT _row, person_id, event_at, ip, NULL, false, project_id
    FROM moodle_events
    WHERE kind <> 'login'
),
placed AS (
    SELECT *,
           first_value(project_id IGNORE NULLS) OVER (
               PARTITION BY person_id ORDER BY event_at, -_row
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_project_id,
           last_value(project_id IGNORE NULLS) OVER (
               PARTITION BY person_id ORDER BY event_at, -_row
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS previous_project_id
    FROM timeline
)
SELECT _row, coalesce(mapped_project_id, next_project_id, previous_project_id) AS project_id,
       person_id, event_at AS signed_in_at, ip
FROM placed
WHERE is_login;

CREATE OR REPLACE TEMP TABLE moodle_signins AS
SELECT _row, project_id, person_id, signed_in_at, ip
FROM moodle_login_signins
WHERE project_id IS NOT NULL
UNION ALL
SELECT arg_min(e._row, (e.event_at, -e._row)), e.project_id, e.person_id, min(e.event_at),
       arg_min(e.ip, (e.event_at, -e._row))
FROM moodle_events e
WHERE ${signin_from_first_event} AND e.kind <> 'login'
  AND NOT EXISTS (SELECT 1 FROM moodle_login_signins s
                  WHERE s.person_id = e.person_id AND s.project_id = e.project_id
                    AND day_of(s.signed_in_at) = day_of(e.event_at))
GROUP BY e.person_id, e.project_id, day_of(e.event_at);

CREATE OR REPLACE TABLE out_signins AS
SELECT _row, project_id, person_id, signed_in_at, CAST(NULL AS VARCHAR) AS device_id, ip,
       (SELECT file FROM input_files WHERE input_table = 'log') AS _source_file,
       _row AS _first_row, _row AS _last_row
FROM moodle_signins
ORDER BY _row;

-- Rows read but left out, counted by reason and context in the audit database's table
-- adapter_ignored: an event whose context maps to no project, an event of origin cli or
-- restore, a login with no event of the person in a mapped project (rows of users no person
-- owns are UNMAPPED_ACTOR's)
CREATE OR REPLACE TABLE adapter_ignored AS
SELECT
    (SELECT file FROM input_files WHERE input_table = 'log') AS source_file,
    reason,
    detail,
    count(*) AS event_rows,
    min(_row) AS first_row,
    max(_row) AS last_row
FROM (
    SELECT _row,
           CASE WHEN projects = 0 THEN 'event context not in contexts'
                ELSE 'event context of several projects, none claimed by the person' END
               AS reason,
           coalesce(context, '') AS detail
    FROM moodle_resolved
    WHERE person_id IS NOT NULL AND mapped_project_id IS NULL AND kind <> 'login'
      AND origin NOT IN ('cli', 'restore')
    UNION ALL
    SELECT _row, 'origin ' || origin || ': the system''s action, not the user''s', coalesce(context, '')
    FROM moodle_resolved
    WHERE person_id IS NOT NULL AND origin IN ('cli', 'restore')
    UNION ALL
    SELECT _row, 'login with no event of the person in a mapped context', ''
    FROM moodle_login_signins
    WHERE project_id IS NULL
) ignored
GROUP BY reason, detail
ORDER BY first_row;
