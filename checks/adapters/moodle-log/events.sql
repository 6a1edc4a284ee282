-- moodle-log/events: every log row with its time, person, project and kind.
-- moodle_times   each row's time read with time_format (and year, for a format without one)
-- moodle_events  rows whose person and project are known, with their kind:
--                login | quiz_started | quiz_submitted | forum_post | other
-- moodle_ignored rows left out, with why (person or context not mapped)
-- Kinds are told by the Description, which Moodle writes in English whatever the site's
-- language, else by the event name (English, Chinese, or the event class).
CREATE OR REPLACE TEMP TABLE moodle_times AS
SELECT
    _row,
    logged_at AS time_text,
    CASE WHEN regexp_matches(${time_format}, '%[Yy]')
         THEN try_strptime(trim(logged_at), ${time_format})
         ELSE try_strptime(CAST(${year} AS VARCHAR) || ' ' || trim(logged_at), '%Y ' || ${time_format})
    END AS event_at
FROM in_log;

-- NOTE: no year in the format and none given: the times cannot be placed, so the audit stops.
SELECT error('moodle-log: the time format ' || ${time_format} || ' has no year (%Y or %y): '
             || 'give the log''s year in the setting year')
WHERE NOT regexp_matches(${time_format}, '%[Yy]') AND ${year} = 0
  AND EXISTS (SELECT 1 FROM in_log);

-- NOTE: one Moodle log has one time format: a time it does not read means the wrong format.
SELECT error('moodle-log: row ' || _row || ': time ' || coalesce('''' || time_text || '''', 'empty')
             || ' cannot be read with time_format ' || ${time_format}
             || CASE WHEN regexp_matches(${time_format}, '%[Yy]') THEN ''
                     ELSE ' and year ' || ${year} END
             || ' (Moodle writes times in the site''s language and format: set time_format, '
             || 'e.g. ''%d %b, %H:%M'' for "11 May, 09:44" or ''%m月%d日 %H:%M'' for "5月11日 09:44")')
FROM (SELECT * FROM moodle_times WHERE event_at IS NULL ORDER BY _row LIMIT 1);

-- NOTE: a year-less log that crosses a new year cannot be read without guessing: Moodle lists
-- its rows newest first (an oldest-first file is read too), so with one year a crossing shows
-- as a step against the file's order ("1 Jan" then "31 Dec" in a newest-first file is a jump
-- forward by months). Any step against the order stops the audit, naming both rows.
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
SELECT error('moodle-log: rows ' || _row || ' (' || time_text || ') and ' || next_row || ' ('
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
    WHERE NOT regexp_matches(${time_format}, '%[Yy]')
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
    CASE
        WHEN regexp_matches(l.description, '^The user with id ''[0-9]+'' has logged in')
          OR trim(l.event_name) IN ('User has logged in', '用户已登录',
                                    '\core\event\user_loggedin') THEN 'login'
        WHEN regexp_matches(l.description, 'has started the attempt with id ''[0-9]+'' for the quiz')
          OR trim(l.event_name) IN ('Quiz attempt started', '尝试开始测验',
                                    '\mod_quiz\event\attempt_started') THEN 'quiz_started'
        WHEN regexp_matches(l.description, 'has submitted the attempt with id ''[0-9]+'' for the quiz')
          OR trim(l.event_name) IN ('Quiz attempt submitted', '提交了试答的测验',
                                    '\mod_quiz\event\attempt_submitted') THEN 'quiz_submitted'
        WHEN regexp_matches(l.description, 'has created the (post|discussion) with id ''[0-9]+'' '
                                           || '.*in the forum with course module id')
          OR trim(l.event_name) IN ('Post created', 'Discussion created', '帖文已建立', '话题已建立',
                                    '\mod_forum\event\post_created',
                                    '\mod_forum\event\discussion_created') THEN 'forum_post'
        ELSE 'other'
    END AS kind,
    regexp_matches(l.description, 'attempt with id ''[0-9]+''.* for the quiz with') AS in_quiz,
    regexp_extract(l.description, 'the attempt with id ''([0-9]+)''', 1) AS attempt_id,
    coalesce(nullif(regexp_extract(l.description, 'in the discussion with id ''([0-9]+)''', 1), ''),
             regexp_extract(l.description, 'created the discussion with id ''([0-9]+)''', 1))
        AS discussion_id
FROM in_log l
JOIN moodle_times t ON t._row = l._row;

-- the person: by the user id in the Description, else by the full name when it is one person's
CREATE OR REPLACE TEMP TABLE moodle_people AS
SELECT
    c.*,
    coalesce(by_id.person_id, by_name.person_id) AS person_id,
    coalesce(ctx.project_id, crs.project_id) AS mapped_project_id,
    coalesce(ctx.lesson_id, crs.lesson_id, c.context) AS lesson_id
FROM moodle_classified c
LEFT JOIN (SELECT trim(user_id) AS user_id, min(person_id) AS person_id FROM in_users
           WHERE nullif(trim(user_id), '') IS NOT NULL GROUP BY 1) by_id
       ON by_id.user_id = c.user_id
LEFT JOIN (SELECT trim(full_name) AS full_name, min(person_id) AS person_id FROM in_users
           WHERE nullif(trim(full_name), '') IS NOT NULL GROUP BY 1
           HAVING count(DISTINCT person_id) = 1) by_name
       ON by_name.full_name = c.full_name
LEFT JOIN (SELECT trim(context) AS context, min(project_id) AS project_id,
                  min(lesson_id) AS lesson_id FROM in_contexts GROUP BY 1) ctx
       ON ctx.context = c.context
LEFT JOIN (SELECT trim(context) AS context, min(project_id) AS project_id,
                  min(lesson_id) AS lesson_id FROM in_contexts GROUP BY 1) crs
       ON crs.context = c.course;

CREATE OR REPLACE TEMP TABLE moodle_events AS
SELECT *, mapped_project_id AS project_id
FROM moodle_people
WHERE person_id IS NOT NULL AND mapped_project_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE moodle_ignored AS
SELECT _row, CASE WHEN person_id IS NULL THEN 'user not in users'
                  ELSE 'event context not in contexts' END AS reason
FROM moodle_people
WHERE person_id IS NULL OR (mapped_project_id IS NULL AND kind <> 'login');
