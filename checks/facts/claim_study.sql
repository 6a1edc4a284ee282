-- claim_study: credited study time (grain: project_id, person_id; pairs with credited time).
-- credited_seconds  length of the union of the person's study intervals in the project
--                   (overlaps count once), clipped to [credit_from, credit_until);
--                   sessions with ended_at <= started_at count zero.
-- NOTE: sorted by start, each interval adds only what lies beyond the furthest end seen
-- before it, which sums to the union's length in one window pass.
WITH clipped AS (
    SELECT
        s.project_id,
        s.person_id,
        CASE WHEN s.started_at > w.credit_from THEN s.started_at ELSE w.credit_from END AS s_at,
        CASE WHEN s.ended_at < w.credit_until THEN s.ended_at ELSE w.credit_until END AS e_at
    FROM study_sessions s
    JOIN project_window w ON w.project_id = s.project_id
    WHERE s.started_at IS NOT NULL AND s.ended_at IS NOT NULL AND s.ended_at > s.started_at
),
ordered AS (
    SELECT
        project_id, person_id, s_at, e_at,
        max(e_at) OVER (PARTITION BY project_id, person_id ORDER BY s_at, e_at
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM clipped
    WHERE e_at > s_at
)
SELECT
    project_id,
    person_id,
    sum(CASE
            WHEN covered_until IS NULL OR covered_until <= s_at THEN seconds_between(s_at, e_at)
            WHEN covered_until < e_at THEN seconds_between(covered_until, e_at)
            ELSE 0
        END) AS credited_seconds
FROM ordered
GROUP BY project_id, person_id
