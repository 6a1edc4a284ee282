-- sig_day: implausible study days: too long, or at night, on the days of a claim's training
-- (grain: project_id, person_id; claims whose training days include such a day).
-- A person's study is the union of all their sessions (any projects), split at midnight.
-- busiest_day            the calendar day with the most study minutes; busiest_day_minutes those
-- night_days             days with study between 00:00 and night_until_hour:00
-- first_night_day        the earliest of them
-- implausible_day        1 when busiest_day_minutes > max_day_minutes or night_days >=
--                        night_min_days
-- NOTE: the union first (islands of a person's sessions), so overlapping sessions, which
-- CONCURRENT_SESSIONS reports, do not make a day longer here.
WITH marked AS (
    SELECT person_id, start_s, end_s, started_at, ended_at,
           CASE WHEN start_s > max(end_s) OVER (
                    PARTITION BY person_id ORDER BY start_s, _row
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 1 ELSE 0 END AS new_island
    FROM sessions
),
numbered AS (
    SELECT *, sum(new_island) OVER (PARTITION BY person_id ORDER BY start_s, end_s
                                    ROWS UNBOUNDED PRECEDING) AS island
    FROM marked
),
islands AS (
    SELECT person_id, island, min(started_at) AS s_at, max(ended_at) AS e_at
    FROM numbered
    GROUP BY person_id, island
),
island_days AS (
    SELECT person_id, s_at, e_at, CAST(unnest(days_spanned(s_at, e_at)) AS DATE) AS day
    FROM islands
),
pieces AS (
    SELECT person_id, day,
           greatest(s_at, start_of_day(day)) AS p_start,
           least(e_at, start_of_day(add_days(day, 1))) AS p_end
    FROM island_days
),
person_days AS (
    SELECT
        pc.person_id,
        pc.day,
        sum(seconds_between(pc.p_start, pc.p_end)) / 60.0 AS minutes,
        max(CASE WHEN pc.p_start < add_hours(start_of_day(pc.day), pol.night_until_hour)
                  AND pc.p_end > pc.p_start THEN 1 ELSE 0 END) AS night
    FROM pieces pc
    CROSS JOIN policy pol
    GROUP BY pc.person_id, pc.day
),
claim_days AS (
    SELECT b.project_id, b.person_id, d.day, d.minutes, d.night
    FROM claim_base b
    JOIN person_days d ON d.person_id = b.person_id
                      AND d.day BETWEEN day_of(b.first_activity_at) AND day_of(b.last_activity_at)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY project_id, person_id
                                 ORDER BY minutes DESC, day) AS nth
    FROM claim_days
),
nights AS (
    SELECT project_id, person_id, count(*) AS night_days, min(day) AS first_night_day
    FROM claim_days
    WHERE night = 1
    GROUP BY project_id, person_id
)
SELECT
    r.project_id,
    r.person_id,
    r.day AS busiest_day,
    round(r.minutes, 1) AS busiest_day_minutes,
    coalesce(n.night_days, 0) AS night_days,
    n.first_night_day,
    CASE WHEN r.minutes > pol.max_day_minutes OR coalesce(n.night_days, 0) >= pol.night_min_days
         THEN 1 ELSE 0 END AS implausible_day
FROM ranked r
CROSS JOIN policy pol
LEFT JOIN nights n ON n.project_id = r.project_id AND n.person_id = r.person_id
WHERE r.nth = 1
