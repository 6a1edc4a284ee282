-- moodle-log/events: every log row with its time, person, project and kind.
-- moodle_times      each row's time read with time_format (and year, for a format without
--                   one); three checks stop the audit rather than guess a time
-- moodle_classified each row's kind: login | quiz_started | quiz_submitted | forum_post |
--                   other, told by the Description, which Moodle writes in English whatever
--                   the site's language, else by the event name (English, Chinese, or the
--                   event class); in_quiz marks a quiz attempt's own events
-- moodle_resolved   each row with its person and project (NULL when not mapped)
-- moodle_events     rows whose person and project are known and that are the user's own
-- out_unmapped      rows of users no person owns, per user (UNMAPPED_ACTOR)
CREATE OR REPLACE TEMP TABLE moodle_times AS
SELECT
    _row,
    logged_at AS time_text,
    CASE WHEN text_matches(${time_format}, '%[Yy]')
         THEN parse_time(trim(logged_at), ${time_format})
         ELSE parse_time(CAST(${year} AS VARCHAR) || ' ' || trim(logged_at), '%Y ' || ${time_format})
    END AS event_at
FROM in_log;

-- NOTE: no year in the format and none given: the times cannot be placed, so the audit stops.
CREATE OR REPLACE TEMP TABLE moodle_check_year AS
SELECT raise_error('moodle-log: the time format ' || ${time_format} || ' has no year (%Y or %y): '
             || 'give the log''s year: --adapter-setting year=YYYY, or year in mapping.toml''s '
             || '[adapter.settings]')
WHERE NOT text_matches(${time_format}, '%[Yy]') AND ${year} = 0
  AND EXISTS (SELECT 1 FROM in_log);

-- NOTE: one Moodle log has one time format: a time it does not read means the wrong format.
CREATE OR REPLACE TEMP TABLE moodle_check_times AS
SELECT raise_error('moodle-log: row ' || _row || ': time ' || coalesce('''' || time_text || '''', 'empty')
             || ' cannot be read with time_format ' || ${time_format}
             || CASE WHEN text_matches(${time_format}, '%[Yy]') THEN ''
                     ELSE ' and year ' || ${year} END
             || ' (Moodle writes times in the site''s language and format: set time_format, '
             || 'e.g. ''%d %b, %H:%M'' for "11 May, 09:44" or ''%m月%d日 %H:%M'' for "05月11日 09:44")')
FROM (SELECT * FROM moodle_times WHERE event_at IS NULL ORDER BY _row LIMIT 1);

-- NOTE: a year-less log that crosses a new year cannot be read without guessing: Moodle lists
-- its rows newest first (an oldest-first file is read too), so with one year a crossing shows
-- as a step against the file's order ("1 Jan" then "31 Dec" in a newest-first file is a jump
-- forward by months). Any step against the order stops the audit, naming both rows.
CREATE OR REPLACE TEMP TABLE moodle_check_order AS
WITH steps AS (
    SELECT _row, time_text, event_at,
           lead(_row) OVER (ORDER BY _row) AS next_row,
           lead(time_text) OVER (ORDER BY _row) AS next_text,
           lead(event_at) OVER (ORDER BY _row) AS next_at
    FROM moodle_times
),
direction AS (
    SELECT CASE WHEN count(*) FILTER (WHERE next_at > event_at)
                     > count(*) FILTER (WHERE next_at < event_at) THEN 1 ELSE -1 END AS dir
    FROM steps
)
SELECT raise_error('moodle-log: rows ' || _row || ' (' || time_text || ') and ' || next_row || ' ('
             || next_text || ') are out of the log''s '
             || CASE WHEN dir = 1 THEN 'oldest-first' ELSE 'newest-first' END || ' order by '
             || abs(days_between(event_at, next_at)) || ' day(s)'
             || CASE WHEN abs(days_between(event_at, next_at)) > 28
                     THEN ': the year-less times cross a new year' ELSE '' END
             || '; the year cannot be told, so nothing is guessed: download the log with a time '
             || 'format that has the year, or split it at the new year and audit each part with '
             || 'its year')
FROM (
    SELECT s.*, d.dir FROM steps s CROSS JOIN direction d
    WHERE NOT text_matches(${time_format}, '%[Yy]')
      AND (d.dir = -1 AND s.next_at > s.event_at OR d.dir = 1 AND s.next_at < s.event_at)
    ORDER BY s._row LIMIT 1
);

CREATE OR REPLACE TEMP TABLE moodle_classified AS
SELECT
    l._row,
    t.event_at,
    regexp_extract(l.description, 'The user with id ''([0-9]+)''', 1) AS user_id,
    trim(l.user_full_name) AS full_name,
    trim(l.event_context) AS context,
    trim(l.course) AS course,
    nullif(trim(l.ip_address), '') AS ip,
    lower(trim(coalesce(l.origin, ''))) AS origin,
    CASE
        WHEN text_matches(l.description, '^The user with id ''[0-9]+'' has logged in')
          OR trim(l.event_name) IN ('User has logged in', '用户已登录',
                                    '\core\event\user_loggedin') THEN 'login'
        WHEN text_matches(l.description, 'has started the attempt with id ''[0-9]+'' for the quiz')
          OR trim(l.event_name) IN ('Quiz attempt started', '尝试开始测验',
                                    '\mod_quiz\event\attempt_started') THEN 'quiz_started'
        WHEN text_matches(l.description, 'has submitted the attempt with id ''[0-9]+'' for the quiz')
          OR trim(l.event_name) IN ('Quiz attempt submitted', '提交了试答的测验',
                                    '\mod_quiz\event\attempt_submitted') THEN 'quiz_submitted'
        WHEN text_matches(l.description, 'has created the (post|discussion) with id ''[0-9]+'' '
                                           || '.*in the forum with course module id')
          OR trim(l.event_name) IN ('Post created', 'Discussion created', '帖文已建立', '话题已建立',
                                    '\mod_forum\event\post_created',
                                    '\mod_forum\event\discussion_created') THEN 'forum_post'
        ELSE 'other'
    END AS kind,
    text_matches(l.description, 'attempt with id ''[0-9]+''.* for the quiz with') AS in_quiz,
    regexp_extract(l.description, 'the attempt with id ''([0-9]+)''', 1) AS attempt_id,
    coalesce(nullif(regexp_extract(l.description, 'in the discussion with id ''([0-9]+)''', 1), ''),
             regexp_extract(l.description, 'created the discussion with id ''([0-9]+)''', 1))
        AS discussion_id
FROM in_log l
JOIN moodle_times t ON t._row = l._row;

-- the person: the users rows of the user ID in the Description, else of the full name; a
-- user whose rows give two ID numbers is no one's
CREATE OR REPLACE TEMP TABLE moodle_user_people AS
SELECT c.user_id, c.full_name,
       CASE WHEN c.user_id <> '' AND count(DISTINCT i.person_id) > 0
            THEN count(DISTINCT i.person_id)
            ELSE count(DISTINCT n.person_id) END AS persons,
       CASE WHEN c.user_id <> '' AND count(DISTINCT i.person_id) > 0 THEN min(i.person_id)
            ELSE min(n.person_id) END AS person_id
FROM (SELECT DISTINCT user_id, full_name FROM moodle_classified) c
LEFT JOIN in_users i ON c.user_id <> '' AND trim(i.user_id) = c.user_id
LEFT JOIN in_users n ON trim(n.full_name) = c.full_name
GROUP BY c.user_id, c.full_name;

-- the project: that of the Event context, else of the Course column; a context of several
-- projects (one course filed by several enterprises) is the project among them in which the
-- person has a claim
CREATE OR REPLACE TEMP TABLE moodle_people AS
SELECT
    c.*,
    CASE WHEN u.persons = 1 THEN u.person_id END AS person_id,
    u.persons,
    CASE WHEN c.context IN (SELECT trim(context) FROM in_contexts) THEN c.context
         WHEN c.course IN (SELECT trim(context) FROM in_contexts) THEN c.course END
        AS mapped_context
FROM moodle_classified c
LEFT JOIN moodle_user_people u
       ON u.user_id IS NOT DISTINCT FROM c.user_id AND u.full_name IS NOT DISTINCT FROM c.full_name;

CREATE OR REPLACE TEMP TABLE moodle_projects AS
SELECT m._row,
       count(DISTINCT x.project_id) AS projects,
       count(DISTINCT x.project_id) FILTER (WHERE cl.project_id IS NOT NULL) AS claimed,
       coalesce(min(x.project_id) FILTER (WHERE cl.project_id IS NOT NULL),
                min(x.project_id)) AS project_id,
       coalesce(min(x.lesson_id) FILTER (WHERE cl.project_id IS NOT NULL),
                min(x.lesson_id)) AS lesson_id
FROM moodle_people m
JOIN in_contexts x ON trim(x.context) = m.mapped_context
LEFT JOIN (SELECT DISTINCT project_id, person_id FROM claims) cl
       ON cl.project_id = x.project_id AND cl.person_id = m.person_id
GROUP BY m._row;

CREATE OR REPLACE TEMP TABLE moodle_resolved AS
SELECT m.*,
       coalesce(p.projects, 0) AS projects,
       CASE WHEN p.projects = 1 OR p.claimed = 1 THEN p.project_id END AS mapped_project_id,
       coalesce(p.lesson_id, m.context) AS lesson_id
FROM moodle_people m
LEFT JOIN moodle_projects p ON p._row = m._row;

-- NOTE: Origin `cli` (a script, cron) and `restore` (a course restored) are the system's doing
-- under the user's name, not the user's: left out, and counted
CREATE OR REPLACE TEMP TABLE moodle_events AS
SELECT *, mapped_project_id AS project_id
FROM moodle_resolved
WHERE person_id IS NOT NULL AND mapped_project_id IS NOT NULL
  AND origin NOT IN ('cli', 'restore');

-- Rows of users no person owns: UNMAPPED_ACTOR reports them, per user.
CREATE TABLE out_unmapped AS
SELECT
    (SELECT file FROM input_files WHERE input_table = 'log') AS source_file,
    full_name || CASE WHEN user_id <> '' THEN ' (id ' || user_id || ')' ELSE '' END AS actor,
    CASE WHEN persons = 0 THEN 'actor not mapped'
         ELSE 'actor mapped to several person_id' END AS reason,
    count(*) AS event_rows,
    min(_row) AS first_row,
    max(_row) AS last_row
FROM moodle_resolved
WHERE person_id IS NULL
GROUP BY full_name, user_id, persons;
