-- xapi/events: every statement read, with its verb's meaning, its person and its project.
-- xapi_verbs       the verbs this adapter reads and what each is for (any other verb is
--                  ignored, and counted in adapter_ignored)
-- xapi_events      one row per statement whose verb, person and project are known (not
--                  voided, not a repeat of an earlier line's statement ID)
-- out_unmapped     statements of actors no person owns, per actor (UNMAPPED_ACTOR)
-- adapter_ignored  every other statement left out, counted by reason and verb
CREATE OR REPLACE TEMP TABLE xapi_verbs AS
SELECT * FROM (VALUES
    -- cmi5 defined verbs (cmi5 section 9.3)
    ('http://adlnet.gov/expapi/verbs/launched', 'launched', 'signin'),
    ('http://adlnet.gov/expapi/verbs/initialized', 'initialized', 'activity'),
    ('http://adlnet.gov/expapi/verbs/terminated', 'terminated', 'activity'),
    ('http://adlnet.gov/expapi/verbs/completed', 'completed', 'activity'),
    ('http://adlnet.gov/expapi/verbs/passed', 'passed', 'exam'),
    ('http://adlnet.gov/expapi/verbs/failed', 'failed', 'exam'),
    ('https://w3id.org/xapi/adl/verbs/abandoned', 'abandoned', 'lms'),
    ('https://w3id.org/xapi/adl/verbs/waived', 'waived', 'lms'),
    ('https://w3id.org/xapi/adl/verbs/satisfied', 'satisfied', 'lms'),
    -- cmi5 allowed statements a course sends while the learner works (ADL vocabulary, the
    -- xAPI video profile)
    ('http://adlnet.gov/expapi/verbs/experienced', 'experienced', 'activity'),
    ('http://adlnet.gov/expapi/verbs/attempted', 'attempted', 'activity'),
    ('http://adlnet.gov/expapi/verbs/answered', 'answered', 'activity'),
    ('http://adlnet.gov/expapi/verbs/progressed', 'progressed', 'activity'),
    ('http://adlnet.gov/expapi/verbs/interacted', 'interacted', 'activity'),
    ('http://adlnet.gov/expapi/verbs/responded', 'responded', 'activity'),
    ('http://adlnet.gov/expapi/verbs/resumed', 'resumed', 'activity'),
    ('http://adlnet.gov/expapi/verbs/suspended', 'suspended', 'activity'),
    ('https://w3id.org/xapi/video/verbs/played', 'played', 'activity'),
    ('https://w3id.org/xapi/video/verbs/paused', 'paused', 'activity'),
    ('https://w3id.org/xapi/video/verbs/seeked', 'seeked', 'activity'),
    -- Q&A: a question put to the tutor, a written comment on the course
    ('http://adlnet.gov/expapi/verbs/asked', 'asked', 'qa'),
    ('http://adlnet.gov/expapi/verbs/commented', 'commented', 'qa'),
    -- xAPI 2.3.2: a voiding statement cancels the statement its object refers to
    ('http://adlnet.gov/expapi/verbs/voided', 'voided', 'void')
) AS v(verb_id, verb, use);

-- result.duration is read by iso_duration_seconds (checks/facts/_dialect.sql): weeks, days,
-- hours, minutes and seconds; NULL for years, months and anything not an ISO 8601 duration.

-- the actor's person: an account matches an actors row of its name at its homePage (or of
-- its name with no home_page), an e-mail address the row of that mailto: IRI (any case); an
-- actor that matches rows of two ID numbers is no one's
CREATE OR REPLACE TEMP TABLE xapi_actor_keys AS
SELECT DISTINCT
    actor_name, actor_home_page, lower(trim(actor_mbox)) AS mbox,
    CASE WHEN actor_name IS NOT NULL THEN actor_name || ' @ ' || coalesce(actor_home_page, '?')
         ELSE coalesce(trim(actor_mbox), '(no account or mbox)') END AS actor
FROM in_statements;

CREATE OR REPLACE TEMP TABLE xapi_actor_people AS
SELECT k.actor_name, k.actor_home_page, k.mbox, k.actor,
       count(DISTINCT a.person_id) AS persons, min(a.person_id) AS person_id
FROM xapi_actor_keys k
LEFT JOIN in_actors a
       ON (k.actor_name IS NOT NULL AND trim(a.actor) = k.actor_name
           AND (a.home_page IS NULL OR trim(a.home_page) = k.actor_home_page))
       OR (k.actor_name IS NULL AND k.mbox IS NOT NULL AND lower(trim(a.actor)) = k.mbox)
GROUP BY ALL;

-- the project: that of object.id, else of the first parent, else of the first grouping
-- activity; an activity of several projects (one course filed by several enterprises) is the
-- project among them in which the person has a claim
CREATE OR REPLACE TEMP TABLE xapi_keyed AS
SELECT
    s.*,
    coalesce(v.verb, 'unknown') AS verb,
    coalesce(v.use, 'unknown') AS use,
    k.actor,
    CASE WHEN k.persons = 1 THEN k.person_id END AS person_id,
    k.persons,
    CASE WHEN EXISTS (SELECT 1 FROM in_activities a WHERE a.activity_id = s.object_id)
              THEN s.object_id
         WHEN EXISTS (SELECT 1 FROM in_activities a WHERE a.activity_id = s.parent_activity_id)
              THEN s.parent_activity_id
         WHEN EXISTS (SELECT 1 FROM in_activities a WHERE a.activity_id = s.group_activity_id)
              THEN s.group_activity_id END AS mapped_activity
FROM in_statements s
LEFT JOIN xapi_verbs v ON v.verb_id = trim(s.verb_id)
LEFT JOIN xapi_actor_people k
       ON k.actor_name IS NOT DISTINCT FROM s.actor_name
      AND k.actor_home_page IS NOT DISTINCT FROM s.actor_home_page
      AND k.mbox IS NOT DISTINCT FROM lower(trim(s.actor_mbox));

CREATE OR REPLACE TEMP TABLE xapi_projects AS
SELECT k._row,
       count(DISTINCT a.project_id) AS projects,
       count(DISTINCT a.project_id) FILTER (WHERE c.project_id IS NOT NULL) AS claimed,
       coalesce(min(a.project_id) FILTER (WHERE c.project_id IS NOT NULL),
                min(a.project_id)) AS project_id,
       coalesce(min(a.lesson_id) FILTER (WHERE c.project_id IS NOT NULL),
                min(a.lesson_id)) AS lesson_id
FROM xapi_keyed k
JOIN in_activities a ON a.activity_id = k.mapped_activity
LEFT JOIN (SELECT DISTINCT project_id, person_id FROM claims) c
       ON c.project_id = a.project_id AND c.person_id = k.person_id
GROUP BY k._row;

CREATE OR REPLACE TEMP TABLE xapi_statements AS
SELECT
    k._row,
    k.statement_id,
    k.happened_at AS event_at,
    k.verb,
    k.use,
    k.verb_id,
    k.object_id,
    nullif(trim(k.registration), '') AS registration,
    nullif(trim(k.session_id), '') AS session_id,
    k.duration,
    iso_duration_seconds(trim(k.duration)) AS duration_s,
    k.score_raw,
    k.score_scaled,
    k.score_min,
    k.score_max,
    k.mastery_score,
    k.response,
    k.actor,
    k.persons,
    k.person_id,
    coalesce(p.projects, 0) AS projects,
    CASE WHEN p.projects = 1 OR p.claimed = 1 THEN p.project_id END AS project_id,
    coalesce(p.lesson_id, k.object_id) AS lesson_id
FROM xapi_keyed k
LEFT JOIN xapi_projects p ON p._row = k._row;

-- NOTE: statements voided by a voiding statement in the export are as if never sent
CREATE OR REPLACE TEMP TABLE xapi_voided AS
SELECT t._row, min(v._row) AS voided_by
FROM xapi_statements t
JOIN xapi_statements v ON v.use = 'void' AND lower(v.object_id) = lower(t.statement_id)
WHERE t.use <> 'void'
GROUP BY t._row;

-- NOTE: an LRS export fetched page by page may hold a statement twice: a statement ID already
-- on an earlier line is that statement again (xAPI: IDs are unique), read once
CREATE OR REPLACE TEMP TABLE xapi_repeated AS
SELECT _row
FROM (SELECT _row, row_number() OVER (PARTITION BY lower(statement_id) ORDER BY _row) AS nth
      FROM xapi_statements
      WHERE statement_id IS NOT NULL) numbered
WHERE nth > 1;

CREATE OR REPLACE TEMP TABLE xapi_events AS
SELECT * FROM xapi_statements
WHERE use NOT IN ('unknown', 'lms', 'void') AND person_id IS NOT NULL AND project_id IS NOT NULL
  AND _row NOT IN (SELECT _row FROM xapi_voided)
  AND _row NOT IN (SELECT _row FROM xapi_repeated);

-- Statements of actors no person owns: UNMAPPED_ACTOR reports them, per actor.
CREATE TABLE out_unmapped AS
SELECT
    (SELECT file FROM input_files WHERE input_table = 'statements') AS source_file,
    actor,
    CASE WHEN persons = 0 THEN 'actor not mapped'
         ELSE 'actor mapped to several person_id' END AS reason,
    count(*) AS event_rows,
    min(_row) AS first_row,
    max(_row) AS last_row
FROM xapi_statements
WHERE person_id IS NULL AND use NOT IN ('lms', 'void')
  AND _row NOT IN (SELECT _row FROM xapi_repeated)
GROUP BY actor, persons;

-- Every other statement read but left out, counted by reason and verb, kept in the audit's
-- database as table adapter_ignored
CREATE OR REPLACE TABLE adapter_ignored AS
SELECT
    (SELECT file FROM input_files WHERE input_table = 'statements') AS source_file,
    reason,
    verb_id AS detail,
    count(*) AS event_rows,
    min(_row) AS first_row,
    max(_row) AS last_row
FROM (
    SELECT _row, verb_id,
           CASE WHEN _row IN (SELECT _row FROM xapi_repeated)
                    THEN 'statement ID repeated from an earlier line'
                WHEN _row IN (SELECT _row FROM xapi_voided) THEN 'voided by a voiding statement'
                WHEN use = 'void' THEN 'voiding statement'
                WHEN use = 'unknown' THEN 'verb not read by adapter xapi'
                WHEN use = 'lms' THEN 'LMS bookkeeping, not the learner''s activity'
                WHEN projects = 0 THEN 'activity not in activities'
                ELSE 'activity of several projects, none claimed by the person' END AS reason
    FROM xapi_statements
    WHERE person_id IS NOT NULL OR use IN ('lms', 'void')
) ignored
WHERE reason IS NOT NULL
  AND _row NOT IN (SELECT _row FROM xapi_events)
GROUP BY reason, verb_id
ORDER BY first_row;
