-- sessions: the study sessions the authenticity signals compare (grain: _row; one session).
-- Sessions without both times or ending at or before their start are BAD_TIMESTAMP's, not
-- compared here.
-- _row           the session's data row in study_sessions (1 = first after the header)
-- start_s/end_s  epoch seconds of started_at/ended_at, for bucketing and differences
-- length_s       ended_at - started_at in seconds
-- device         device_id trimmed; '' when none
-- enterprise_id  the project's enterprise; '' when the project is unknown
-- claim_key, enterprise_key   64-bit hashes of (project_id, person_id) and of enterprise_id:
--                compact keys for counting crowded buckets (a collision only merges counts,
--                so it can let a bucket through, never hide one; results use the real keys)
SELECT
    s._row,
    s.project_id,
    s.person_id,
    coalesce(p.enterprise_id, '') AS enterprise_id,
    key_of(s.project_id, s.person_id) AS claim_key,
    key_of(coalesce(p.enterprise_id, ''), '') AS enterprise_key,
    s.started_at,
    s.ended_at,
    epoch_seconds(s.started_at) AS start_s,
    epoch_seconds(s.ended_at) AS end_s,
    epoch_seconds(s.ended_at) - epoch_seconds(s.started_at) AS length_s,
    coalesce(trim(s.device_id), '') AS device
FROM study_sessions s
LEFT JOIN (SELECT project_id, min(enterprise_id) AS enterprise_id FROM projects
           GROUP BY project_id) p ON p.project_id = s.project_id
WHERE s.started_at IS NOT NULL AND s.ended_at IS NOT NULL AND s.ended_at > s.started_at
  AND s.project_id IS NOT NULL AND s.person_id IS NOT NULL
