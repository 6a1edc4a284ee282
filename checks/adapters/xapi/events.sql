-- xapi/events: every statement read, with its verb's meaning, its person and its project.
-- xapi_verbs    the verbs this adapter reads and what each is (any other verb is ignored,
--               and counted in xapi_ignored)
-- xapi_events   one row per statement whose verb, person and project are known
-- xapi_ignored  one row per statement left out, with why (unknown verb, unmapped actor or
--               activity, LMS bookkeeping verb)
CREATE OR REPLACE TEMP TABLE xapi_verbs (verb_id VARCHAR, verb VARCHAR, use VARCHAR);
INSERT INTO xapi_verbs VALUES
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
    ('http://adlnet.gov/expapi/verbs/voided', 'voided', 'void');

-- NOTE: ISO 8601 durations (xAPI 4.6: ISO 8601:2004 4.4.3.2) to seconds in plain SQL. Weeks,
-- days, hours, minutes and seconds have fixed lengths; years and months do not, so a duration
-- with Y or M before T is not read (NULL), nor is anything else that is not the format.
CREATE OR REPLACE MACRO xapi_duration_part(d, unit) AS
    coalesce(try_cast(replace(regexp_extract(d, '([0-9]+(?:[.,][0-9]+)?)' || unit, 1), ',', '.')
                      AS DOUBLE), 0);
CREATE OR REPLACE MACRO xapi_duration_seconds(d) AS
    CASE WHEN regexp_full_match(d, 'P(?:[0-9]+(?:[.,][0-9]+)?W|(?:[0-9]+(?:[.,][0-9]+)?D)?'
                                   || '(?:T(?:[0-9]+(?:[.,][0-9]+)?H)?(?:[0-9]+(?:[.,][0-9]+)?M)?'
                                   || '(?:[0-9]+(?:[.,][0-9]+)?S)?)?)')
              AND d NOT IN ('P', 'PT') AND NOT ends_with(d, 'T')
         THEN xapi_duration_part(d, 'W') * 604800
              + xapi_duration_part(regexp_extract(d, '^P([^T]*)', 1), 'D') * 86400
              + xapi_duration_part(regexp_extract(d, 'T(.*)$', 1), 'H') * 3600
              + xapi_duration_part(regexp_extract(d, 'T(.*)$', 1), 'M') * 60
              + xapi_duration_part(regexp_extract(d, 'T(.*)$', 1), 'S')
    END;

CREATE OR REPLACE TEMP TABLE xapi_statements AS
SELECT
    s._row,
    s.statement_id,
    s.happened_at AS event_at,
    coalesce(v.verb, 'unknown') AS verb,
    coalesce(v.use, 'unknown') AS use,
    s.verb_id,
    s.object_id,
    nullif(trim(s.registration), '') AS registration,
    nullif(trim(s.session_id), '') AS session_id,
    s.duration,
    xapi_duration_seconds(trim(s.duration)) AS duration_s,
    s.score_raw,
    s.score_scaled,
    s.score_min,
    s.score_max,
    s.mastery_score,
    s.response,
    -- the actor: an account (name at its home page) or an e-mail address
    coalesce(a_acc.person_id, a_any.person_id, a_box.person_id) AS person_id,
    coalesce(m_obj.project_id, m_par.project_id, m_grp.project_id) AS project_id,
    coalesce(m_obj.lesson_id, m_par.lesson_id, m_grp.lesson_id, s.object_id) AS lesson_id
FROM in_statements s
LEFT JOIN xapi_verbs v ON v.verb_id = trim(s.verb_id)
LEFT JOIN (SELECT actor, home_page, min(person_id) AS person_id FROM in_actors
           WHERE home_page IS NOT NULL GROUP BY ALL) a_acc
       ON a_acc.actor = s.actor_name AND a_acc.home_page = s.actor_home_page
LEFT JOIN (SELECT actor, min(person_id) AS person_id FROM in_actors
           WHERE home_page IS NULL GROUP BY ALL) a_any
       ON a_any.actor = s.actor_name
LEFT JOIN (SELECT lower(actor) AS actor, min(person_id) AS person_id FROM in_actors
           WHERE lower(actor) LIKE 'mailto:%' GROUP BY ALL) a_box
       ON a_box.actor = lower(s.actor_mbox)
LEFT JOIN (SELECT activity_id, min(project_id) AS project_id, min(lesson_id) AS lesson_id
           FROM in_activities GROUP BY ALL) m_obj ON m_obj.activity_id = s.object_id
LEFT JOIN (SELECT activity_id, min(project_id) AS project_id, min(lesson_id) AS lesson_id
           FROM in_activities GROUP BY ALL) m_par ON m_par.activity_id = s.parent_id
LEFT JOIN (SELECT activity_id, min(project_id) AS project_id, min(lesson_id) AS lesson_id
           FROM in_activities GROUP BY ALL) m_grp ON m_grp.activity_id = s.grouping_id;

-- NOTE: statements voided by a voiding statement in the export are as if never sent
CREATE OR REPLACE TEMP TABLE xapi_voided AS
SELECT t._row, min(v._row) AS voided_by
FROM xapi_statements t
JOIN xapi_statements v ON v.use = 'void' AND lower(v.object_id) = lower(t.statement_id)
WHERE t.use <> 'void'
GROUP BY t._row;

CREATE OR REPLACE TEMP TABLE xapi_ignored AS
SELECT _row, verb_id,
       CASE WHEN _row IN (SELECT _row FROM xapi_voided) THEN 'voided'
            WHEN use = 'void' THEN 'voiding statement'
            WHEN use = 'unknown' THEN 'verb not read by this adapter'
            WHEN use = 'lms' THEN 'LMS bookkeeping (' || verb || '), not learner activity'
            WHEN person_id IS NULL THEN 'actor not in actors'
            ELSE 'activity not in activities' END AS reason
FROM xapi_statements
WHERE use IN ('unknown', 'lms', 'void') OR person_id IS NULL OR project_id IS NULL
   OR _row IN (SELECT _row FROM xapi_voided);

CREATE OR REPLACE TEMP TABLE xapi_events AS
SELECT * FROM xapi_statements
WHERE use NOT IN ('unknown', 'lms', 'void') AND person_id IS NOT NULL AND project_id IS NOT NULL
  AND _row NOT IN (SELECT _row FROM xapi_voided);
