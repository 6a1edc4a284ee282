-- moodle-log/signins: `\core\event\user_loggedin` ("User has logged in") only. A login is to
-- the site, not to a course: it is a sign-in in each project the person has events of in this
-- log (or in the project its own context maps to, when the contexts table maps it). The first
-- event of a day is no sign-in unless signin_from_first_event is true; then each day's first
-- event of a person in a project is one too (when no login that day already is).
CREATE OR REPLACE TEMP TABLE moodle_person_projects AS
SELECT DISTINCT person_id, project_id FROM moodle_events;

CREATE OR REPLACE TEMP TABLE moodle_signins AS
SELECT l._row, coalesce(l.mapped_project_id, pp.project_id) AS project_id, l.person_id,
       l.event_at AS signed_in_at, l.ip
FROM moodle_resolved l
LEFT JOIN moodle_person_projects pp
       ON pp.person_id = l.person_id AND l.mapped_project_id IS NULL
WHERE l.kind = 'login' AND l.person_id IS NOT NULL
  AND coalesce(l.mapped_project_id, pp.project_id) IS NOT NULL;

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
ORDER BY _row, project_id;
