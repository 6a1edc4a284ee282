-- _dialect: the DuckDB spellings of the few functions the facts need that differ between
-- engines. This file is the one dialect-specific place: a Spark port replaces it (Spark has
-- add_months, datediff and unix_timestamp natively) and leaves every fact file unchanged.
CREATE OR REPLACE MACRO add_months(d, n) AS CAST(d + to_months(CAST(n AS INTEGER)) AS DATE);
CREATE OR REPLACE MACRO seconds_between(a, b) AS date_diff('second', a, b);
CREATE OR REPLACE MACRO days_between(a, b) AS date_diff('day', CAST(a AS DATE), CAST(b AS DATE));
CREATE OR REPLACE MACRO day_of(ts) AS CAST(ts AS DATE);
CREATE OR REPLACE MACRO start_of_day(d) AS CAST(CAST(d AS DATE) AS TIMESTAMP);
CREATE OR REPLACE MACRO add_days(d, n) AS CAST(CAST(d AS DATE) + CAST(n AS INTEGER) AS DATE);
CREATE OR REPLACE MACRO year_of(ts) AS CAST(year(ts) AS INTEGER);
CREATE OR REPLACE MACRO epoch_seconds(ts) AS epoch(ts);
CREATE OR REPLACE MACRO second_of_day(ts) AS (hour(ts) * 3600 + minute(ts) * 60 + second(ts));
CREATE OR REPLACE MACRO days_spanned(a, b) AS generate_series(CAST(a AS DATE), CAST(b AS DATE), INTERVAL 1 DAY);
CREATE OR REPLACE MACRO birth_date_of(id) AS CAST(try_strptime(substr(id, 7, 8), '%Y%m%d') AS DATE);
CREATE OR REPLACE MACRO months_between_dates(a, b) AS ((year(b) - year(a)) * 12 + month(b) - month(a));
CREATE OR REPLACE MACRO add_hours(ts, n) AS ts + to_hours(CAST(n AS INTEGER));
CREATE OR REPLACE MACRO strip_punctuation(t) AS regexp_replace(t, '[[:space:][:punct:]\p{P}\p{S}\p{Z}]', '', 'g');
CREATE OR REPLACE MACRO key_of(a, b) AS hash(a, b);
CREATE OR REPLACE MACRO add_seconds(ts, n) AS ts + to_seconds(CAST(n AS BIGINT));
CREATE OR REPLACE MACRO add_exact_seconds(ts, s) AS ts + to_microseconds(CAST(round(s * 1000000) AS BIGINT));
CREATE OR REPLACE MACRO text_matches(t, pattern) AS regexp_matches(t, pattern);
CREATE OR REPLACE MACRO parse_time(t, fmt) AS try_strptime(t, fmt);
CREATE OR REPLACE MACRO raise_error(message) AS error(message);
CREATE OR REPLACE MACRO iso_duration_part(d, unit) AS coalesce(try_cast(replace(regexp_extract(d, '([0-9]+(?:[.,][0-9]+)?)' || unit, 1), ',', '.') AS DOUBLE), 0);
-- iso_duration_seconds: an ISO 8601 duration (ISO 8601:2004 4.4.3.2, as xAPI 4.6 requires) in
-- seconds: weeks, days, hours, minutes, seconds (a decimal point or comma in any of them);
-- NULL for anything else, years and months included (they have no fixed length).
CREATE OR REPLACE MACRO iso_duration_seconds(d) AS CASE WHEN regexp_full_match(d, 'P(?:[0-9]+(?:[.,][0-9]+)?W|(?:[0-9]+(?:[.,][0-9]+)?D)?(?:T(?:[0-9]+(?:[.,][0-9]+)?H)?(?:[0-9]+(?:[.,][0-9]+)?M)?(?:[0-9]+(?:[.,][0-9]+)?S)?)?)') AND d NOT IN ('P', 'PT') AND NOT ends_with(d, 'T') THEN iso_duration_part(d, 'W') * 604800 + iso_duration_part(regexp_extract(d, '^P([^T]*)', 1), 'D') * 86400 + iso_duration_part(regexp_extract(d, 'T(.*)$', 1), 'H') * 3600 + iso_duration_part(regexp_extract(d, 'T(.*)$', 1), 'M') * 60 + iso_duration_part(regexp_extract(d, 'T(.*)$', 1), 'S') END;
