-- checkin_facts: each check-in at a known class, with its distance from the class's site
-- (grain: source_row; the report's check-in distance chart reads it).
-- distance_m   great-circle metres after converting both points to WGS-84 ([FAQ] 七: the
--              check-in must be within the site's area; map apps report GCJ-02 or BD-09)
-- off_site     distance_m greater than site_radius_m (exactly the radius is on site)
-- NOTE: checkin_distance_m is a Python function over python's prcoords (auditor/sqlfuncs.py).
SELECT
    institution_id,
    class_id,
    person_id,
    source_row,
    checked_in_at,
    distance_m,
    site_radius_m,
    coalesce(distance_m > site_radius_m, false) AS off_site
FROM (
    SELECT
        c.institution_id,
        k.class_id,
        k.person_id,
        k._row AS source_row,
        k.checked_in_at,
        checkin_distance_m(
            CAST(k.lat AS DOUBLE), CAST(k.lon AS DOUBLE), k.coord_system,
            CAST(c.site_lat AS DOUBLE), CAST(c.site_lon AS DOUBLE), c.coord_system
        ) AS distance_m,
        c.site_radius_m
    FROM checkins k
    -- NOTE: one site per class even if the export repeats a class_id (the first row's)
    JOIN (
        SELECT * FROM (
            SELECT *, row_number() OVER (PARTITION BY class_id ORDER BY _row) AS nth FROM classes
        ) numbered
        WHERE nth = 1
    ) c ON c.class_id = k.class_id
) measured
