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
WHERE kind = 'login' AND person_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE moodle_signins AS
WITH after_login AS (
    SELECT l._row, arg_min(e.project_id, (e.event_at, -e._row)) AS project_id
    FROM moodle_logins l
    JOIN moodle_events e
      ON e.person_id = l.person_id AND e.kind <> 'login' AND e.event_at >= l.event_at
    GROUP BY l._row
),
before_login AS (
    SELECT l._row, arg_max(e.project_id, (e.event_at, -e._row)) AS project_id
    FROM moodle_logins l
    JOIN moodle_events e
      ON e.person_id = l.person_id AND e.kind <> 'login' AND e.event_at < l.event_at
    GROUP BY l._row
)
SELECT l._row, coalesce(l.mapped_project_id, a.project_id, b.project_id) AS project_id,
       l.person_id, l.event_at AS signed_in_at, l.ip
FROM moodle_logins l
LEFT JOIN after_login a ON a._row = l._row
LEFT JOIN before_login b ON b._row = l._row;

INSERT INTO adapter_ignored
SELECT (SELECT file FROM input_files WHERE input_table = 'log'),
       'login with no event of the person in a mapped context', '', count(*), min(_row),
       max(_row)
FROM moodle_signins
WHERE project_id IS NULL
HAVING count(*) > 0;

DELETE FROM moodle_signins WHERE project_id IS NULL;

INSERT INTO moodle_signins
SELECT arg_min(e._row, (e.event_at, -e._row)), e.project_id, e.person_id, min(e.event_at),
       arg_min(e.ip, (e.event_at, -e._row))
FROM moodle_events e
WHERE ${signin_from_first_event} AND e.kind <> 'login'
  AND NOT EXISTS (SELECT 1 FROM moodle_signins s
                  WHERE s.person_id = e.person_id AND s.project_id = e.project_id
                    AND day_of(s.signed_in_at) = day_of(e.event_at))
GROUP BY e.person_id, e.project_id, day_of(e.event_at);

CREATE OR REPLACE TABLE out_signins AS
SELECT _row, project_id, person_id, signed_in_at, CAST(NULL AS VARCHAR) AS device_id, ip,
       (SELECT file FROM input_files WHERE input_table = 'log') AS _source_file,
       _row AS _first_row, _row AS _last_row
FROM moodle_signins
ORDER BY _row;
