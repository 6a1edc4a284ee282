-- sessions: the study sessions the authenticity signals compare (grain: _row; one session).
-- Sessions without both times or ending at or before their start are BAD_TIMESTAMP's, not
-- compared here.
-- _row           the session's data row in study_sessions (1 = first after the header)
-- start_s/end_s  epoch seconds of started_at/ended_at, for bucketing and differences
-- length_s       ended_at - started_at in seconds
-- device         device_id trimmed; '' when none
SELECT
    _row,
    project_id,
    person_id,
    started_at,
    ended_at,
    epoch_seconds(started_at) AS start_s,
    epoch_seconds(ended_at) AS end_s,
    epoch_seconds(ended_at) - epoch_seconds(started_at) AS length_s,
    coalesce(trim(device_id), '') AS device
FROM study_sessions
WHERE started_at IS NOT NULL AND ended_at IS NOT NULL AND ended_at > started_at
  AND project_id IS NOT NULL AND person_id IS NOT NULL
