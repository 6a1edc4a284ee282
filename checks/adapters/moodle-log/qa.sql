-- moodle-log/qa: each forum post a trainee created (`\mod_forum\event\post_created` "Post
-- created", `discussion_created` "Discussion created") is a question. Starting a discussion
-- may log both events for its first post: the two, same person, discussion and minute, count
-- once. The log holds no post text: text is empty.
CREATE OR REPLACE TABLE out_qa AS
SELECT
    max(_row) AS _row,
    project_id,
    person_id,
    event_at AS posted_at,
    'question' AS role,
    CAST(NULL AS VARCHAR) AS text,
    (SELECT file FROM input_files WHERE input_table = 'log') AS _source_file,
    min(_row) AS _first_row,
    max(_row) AS _last_row
FROM moodle_events
WHERE kind = 'forum_post'
GROUP BY project_id, person_id, event_at, coalesce(nullif(discussion_id, ''), CAST(_row AS VARCHAR))
ORDER BY 1;
