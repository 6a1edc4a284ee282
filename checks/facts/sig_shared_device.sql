-- sig_shared_device: one device carrying several trainees' study (grain: project_id, person_id;
-- claims with a session on a shared device). Empty device ids never count.
-- shared_device          1 when a device of the claim's sessions carries sessions of at least
--                        shared_device_min_trainees persons, or of another person within
--                        shared_device_gap_minutes of one of this person's (overlapping or
--                        back to back)
-- shared_device_id       that device (the one with the most persons)
-- device_trainees        persons with sessions on it
-- device_near_person     a person whose session on it came within the gap, '' when none
-- device_near_at         start of the first of this person's sessions in such a near pair
-- device_near_text       the near pair as a clause of the message, '' when none
-- device_rows            data rows in study_sessions of this person's first and last session
--                        on the device, "12-40"
-- NOTE: only devices of two or more persons are looked at (most devices are one person's);
-- distinct persons are counted by grouping twice, not count(DISTINCT), which cannot spill
-- under a small memory limit. Extended to [start, end + gap], sessions on one device form islands (sorted by start, a
-- new island begins past the furthest end so far); two persons come within the gap exactly
-- when they share an island, so no pair of sessions is compared.
WITH device_people AS (
    SELECT device, count(*) AS persons
    FROM (SELECT DISTINCT device, person_id FROM sessions WHERE device <> '') d
    GROUP BY device
    HAVING count(*) >= 2
),
on_device AS (
    SELECT s._row, s.project_id, s.person_id, s.device, s.started_at, s.start_s,
           s.end_s + pol.shared_device_gap_minutes * 60 AS reach_s
    FROM sessions s
    JOIN device_people d ON d.device = s.device
    CROSS JOIN policy pol
),
marked AS (
    SELECT _row, device, start_s,
           CASE WHEN start_s > max(reach_s) OVER (
                    PARTITION BY device ORDER BY start_s, _row
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 1 ELSE 0 END AS new_island
    FROM on_device
),
numbered AS (
    SELECT _row, sum(new_island) OVER (PARTITION BY device ORDER BY start_s, _row
                                       ROWS UNBOUNDED PRECEDING) AS island
    FROM marked
),
islands AS (
    SELECT d._row, d.project_id, d.person_id, d.device, d.started_at, n.island
    FROM on_device d
    JOIN numbered n ON n._row = d._row
),
island_people AS (
    SELECT device, island, min(person_id) AS min_person, max(person_id) AS max_person
    FROM islands
    GROUP BY device, island
),
near AS (
    SELECT i.project_id, i.person_id, i.device,
           min(CASE WHEN p.min_person <> i.person_id THEN p.min_person ELSE p.max_person END)
               AS near_person,
           min(i.started_at) AS near_at
    FROM islands i
    JOIN island_people p ON p.device = i.device AND p.island = i.island
    WHERE p.min_person <> p.max_person
    GROUP BY i.project_id, i.person_id, i.device
),
per_device AS (
    SELECT
        s.project_id, s.person_id, s.device, d.persons,
        n.near_person, n.near_at,
        min(s._row) AS first_row, max(s._row) AS last_row
    FROM on_device s
    JOIN device_people d ON d.device = s.device
    LEFT JOIN near n
        ON n.project_id = s.project_id AND n.person_id = s.person_id AND n.device = s.device
    CROSS JOIN policy pol
    WHERE d.persons >= pol.shared_device_min_trainees OR n.near_person IS NOT NULL
    GROUP BY s.project_id, s.person_id, s.device, d.persons, n.near_person, n.near_at
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY project_id, person_id
                                 ORDER BY persons DESC, device) AS nth
    FROM per_device
)
SELECT
    project_id,
    person_id,
    1 AS shared_device,
    device AS shared_device_id,
    persons AS device_trainees,
    coalesce(near_person, '') AS device_near_person,
    near_at AS device_near_at,
    CASE WHEN near_person IS NULL THEN ''
         ELSE concat('；学员 ', near_person, ' 与本人（', CAST(near_at AS VARCHAR),
                     ' 起）相隔不超过 ', CAST(pol.shared_device_gap_minutes AS VARCHAR),
                     ' 分钟也在该设备上学习') END AS device_near_text,
    concat(CAST(first_row AS VARCHAR), '-', CAST(last_row AS VARCHAR)) AS device_rows
FROM ranked
CROSS JOIN policy pol
WHERE nth = 1
