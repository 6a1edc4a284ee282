-- activity: every dated sign-in, study session and exam submission (grain: one event).
-- Q&A posts are not activity: the training period is bounded by sign-ins, study and exams.
-- kind        signin | study | exam
-- at_start    when it began (a sign-in or a submission: its own time)
-- at_end      when it ended; a study session ending before it starts ends at its start
SELECT project_id, person_id, 'signin' AS kind, signed_in_at AS at_start, signed_in_at AS at_end
FROM signins
WHERE signed_in_at IS NOT NULL
UNION ALL
SELECT project_id, person_id, 'study' AS kind, started_at AS at_start,
       CASE WHEN ended_at > started_at THEN ended_at ELSE started_at END AS at_end
FROM study_sessions
WHERE started_at IS NOT NULL AND ended_at IS NOT NULL
UNION ALL
SELECT project_id, person_id, 'exam' AS kind, submitted_at AS at_start, submitted_at AS at_end
FROM exams
WHERE submitted_at IS NOT NULL
