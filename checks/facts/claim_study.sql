-- claim_study: credited study time (grain: project_id, person_id; pairs with credited time).
-- credited_seconds      length of the union of the person's study intervals in the project
--                       (overlaps count once), clipped to [credit_from, credit_until);
--                       sessions with ended_at <= started_at count zero.
-- raw_credited_seconds  the same for the sessions an adapter derived from raw events beside the
--                       platform's own study_sessions (raw_study_sessions, the tie-out); 0 when
--                       the claim has none
-- NOTE: sorted by start, each interval adds only what lies beyond the furthest end seen
-- before it, which sums to the union's length in one window pass.
WITH sessions AS (
    SELECT 'platform' AS src, project_id, person_id, started_at, ended_at FROM study_sessions
    UNION ALL
    SELECT 'raw' AS src, project_id, person_id, started_at, ended_at FROM raw_study_sessions
),
clipped AS (
    SELECT
        s.src,
        s.project_id,
        s.person_id,
        CASE WHEN s.started_at > w.credit_from THEN s.started_at ELSE w.credit_from END AS s_at,
        CASE WHEN s.ended_at < w.credit_until THEN s.ended_at ELSE w.credit_until END AS e_at
    FROM sessions s
    JOIN project_window w ON w.project_id = s.project_id
    WHERE s.started_at IS NOT NULL AND s.ended_at IS NOT NULL AND s.ended_at > s.started_at
),
ordered AS (
    SELECT
        src, project_id, person_id, s_at, e_at,
        max(e_at) OVER (PARTITION BY src, project_id, person_id ORDER BY s_at, e_at
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM clipped
    WHERE e_at > s_at
),
added AS (
    SELECT
        src,
        project_id,
        person_id,
        CASE
            WHEN covered_until IS NULL OR covered_until <= s_at THEN seconds_between(s_at, e_at)
            WHEN covered_until < e_at THEN seconds_between(covered_until, e_at)
            ELSE 0
        END AS seconds
    FROM ordered
)
SELECT
    project_id,
    person_id,
    sum(CASE WHEN src = 'platform' THEN seconds ELSE 0 END) AS credited_seconds,
    sum(CASE WHEN src = 'raw' THEN seconds ELSE 0 END) AS raw_credited_seconds
FROM added
GROUP BY project_id, person_id
