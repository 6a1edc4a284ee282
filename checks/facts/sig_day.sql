-- sig_day: implausible study days: too long, or at night, on the days of a claim's training
-- (grain: project_id, person_id; claims whose training days include such a day).
-- A person's study is the union of all their sessions (any projects), split at midnight.
-- busiest_day            the day over max_day_minutes with the most study; NULL when none is
-- busiest_day_minutes    its minutes of study
-- long_days              days over max_day_minutes
-- night_days             days with study between 00:00 and night_until_hour:00
-- first_night_day        the earliest of them
-- implausible_day        1 when long_days > 0 or night_days >= night_min_days
-- NOTE: a day's summed session lengths bound its union from above, so the union (islands of
-- the day's pieces: overlapping sessions, which CONCURRENT_SESSIONS reports, count once) is
-- computed only for days whose sum is over the limit. Only sessions crossing midnight are
-- split into days.
WITH pieces AS (
    SELECT _row, person_id, day_of(started_at) AS day, started_at AS p_start, ended_at AS p_end
    FROM sessions
    WHERE day_of(ended_at) = day_of(started_at)
    UNION ALL
    SELECT _row, person_id, day,
           greatest(started_at, start_of_day(day)) AS p_start,
           least(ended_at, start_of_day(add_days(day, 1))) AS p_end
    FROM (
        SELECT _row, person_id, started_at, ended_at,
               CAST(unnest(days_spanned(started_at, ended_at)) AS DATE) AS day
        FROM sessions
        WHERE day_of(ended_at) > day_of(started_at)
    ) x
    WHERE least(ended_at, start_of_day(add_days(day, 1))) > greatest(started_at, start_of_day(day))
),
day_totals AS (
    SELECT
        pc.person_id,
        pc.day,
        sum(seconds_between(pc.p_start, pc.p_end)) / 60.0 AS summed_minutes,
        max(CASE WHEN pc.p_start < add_hours(start_of_day(pc.day), pol.night_until_hour)
                 THEN 1 ELSE 0 END) AS night
    FROM pieces pc
    CROSS JOIN policy pol
    GROUP BY pc.person_id, pc.day
),
candidates AS (
    SELECT t.person_id, t.day, t.summed_minutes, t.night
    FROM day_totals t
    CROSS JOIN policy pol
    WHERE t.summed_minutes > pol.max_day_minutes OR t.night = 1
),
long_pieces AS (
    SELECT pc.person_id, pc.day, pc.p_start, pc.p_end, pc._row,
           max(pc.p_end) OVER (PARTITION BY pc.person_id, pc.day ORDER BY pc.p_start, pc._row
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_until
    FROM pieces pc
    JOIN candidates c ON c.person_id = pc.person_id AND c.day = pc.day
    CROSS JOIN policy pol
    WHERE c.summed_minutes > pol.max_day_minutes
),
unions AS (
    SELECT person_id, day,
           sum(CASE WHEN covered_until IS NULL OR covered_until <= p_start
                    THEN seconds_between(p_start, p_end)
                    WHEN covered_until < p_end THEN seconds_between(covered_until, p_end)
                    ELSE 0 END) / 60.0 AS minutes
    FROM long_pieces
    GROUP BY person_id, day
),
flagged_days AS (
    SELECT c.person_id, c.day, c.night,
           CASE WHEN u.minutes > pol.max_day_minutes THEN u.minutes END AS long_minutes
    FROM candidates c
    CROSS JOIN policy pol
    LEFT JOIN unions u ON u.person_id = c.person_id AND u.day = c.day
),
claim_days AS (
    SELECT b.project_id, b.person_id, d.day, d.night, d.long_minutes
    FROM claim_base b
    JOIN flagged_days d ON d.person_id = b.person_id
                       AND d.day BETWEEN day_of(b.first_activity_at) AND day_of(b.last_activity_at)
    WHERE d.night = 1 OR d.long_minutes IS NOT NULL
),
per_claim AS (
    SELECT project_id, person_id,
           count(long_minutes) AS long_days,
           max(long_minutes) AS busiest_day_minutes,
           sum(night) AS night_days,
           min(CASE WHEN night = 1 THEN day END) AS first_night_day
    FROM claim_days
    GROUP BY project_id, person_id
),
busiest AS (
    SELECT project_id, person_id, day,
           row_number() OVER (PARTITION BY project_id, person_id
                              ORDER BY long_minutes DESC, day) AS nth
    FROM claim_days
    WHERE long_minutes IS NOT NULL
)
SELECT
    c.project_id,
    c.person_id,
    b.day AS busiest_day,
    round(c.busiest_day_minutes, 1) AS busiest_day_minutes,
    c.long_days,
    c.night_days,
    c.first_night_day,
    CASE WHEN c.long_days > 0 OR c.night_days >= pol.night_min_days THEN 1 ELSE 0 END
        AS implausible_day
FROM per_claim c
CROSS JOIN policy pol
LEFT JOIN busiest b ON b.project_id = c.project_id AND b.person_id = c.person_id AND b.nth = 1
