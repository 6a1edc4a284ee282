-- checks/engines/spark/dialect.sql: the Spark SQL bodies of the macros in checks/facts/_dialect.sql
-- whose DuckDB body sqlglot cannot transpile faithfully. This file is the one Spark-specific place
-- for the facts: auditor/engines/spark_sql.py expands every macro call in a fact, taking the body
-- from here when the macro is named here and otherwise from _dialect.sql (then transpiled).
-- Same form as _dialect.sql: CREATE OR REPLACE MACRO name(args) AS <Spark SQL expression>;
-- Each body gives the DuckDB macro's result type (BIGINT where DuckDB's is BIGINT).
-- Times are TIMESTAMP_NTZ in Spark (spark.sql.timestampType = TIMESTAMP_NTZ): wall-clock Shanghai
-- time, as DuckDB's TIMESTAMP is; "µs since the epoch" below is the wall clock's, as DuckDB's epoch().

-- DuckDB: d + to_months(n): the same day of the month, clamped to the month's end (Spark 3+'s too)
CREATE OR REPLACE MACRO add_months(d, n) AS add_months(CAST(d AS DATE), CAST(n AS INT));
-- DuckDB: date_diff('second', a, b) counts second boundaries: whole epoch seconds of b minus
-- those of a, each floored (so 23:59:59.5 to 00:00:00.5 is 1), not the truncated difference
-- (Spark's timestampdiff); floor(µs / 1e6) in integers is (µs - pmod(µs, 1e6)) div 1e6
CREATE OR REPLACE MACRO seconds_between(a, b) AS CAST(
    (timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', b)
     - pmod(timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', b), 1000000)) div 1000000
    - (timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', a)
       - pmod(timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', a), 1000000)) div 1000000
    AS BIGINT);
CREATE OR REPLACE MACRO days_between(a, b) AS CAST(datediff(CAST(b AS DATE), CAST(a AS DATE)) AS BIGINT);
CREATE OR REPLACE MACRO add_days(d, n) AS date_add(CAST(d AS DATE), CAST(n AS INT));
-- DuckDB: epoch(ts), seconds since 1970-01-01 00:00 of the wall clock as DOUBLE (µs / 1e6)
CREATE OR REPLACE MACRO epoch_seconds(ts) AS
    CAST(timestampdiff(MICROSECOND, TIMESTAMP_NTZ '1970-01-01 00:00:00', ts) AS DOUBLE) / 1000000D;
CREATE OR REPLACE MACRO second_of_day(ts) AS CAST(hour(ts) * 3600 + minute(ts) * 60 + second(ts) AS BIGINT);
-- DuckDB: generate_series of TIMESTAMPs, each cast to DATE by the caller; here DATEs already
CREATE OR REPLACE MACRO days_spanned(a, b) AS sequence(CAST(a AS DATE), CAST(b AS DATE), INTERVAL 1 DAY);
CREATE OR REPLACE MACRO birth_date_of(id) AS CAST(try_to_timestamp(substr(id, 7, 8), 'yyyyMMdd') AS DATE);
CREATE OR REPLACE MACRO months_between_dates(a, b) AS CAST((year(b) - year(a)) * 12 + month(b) - month(a) AS BIGINT);
CREATE OR REPLACE MACRO add_hours(ts, n) AS timestampadd(HOUR, CAST(n AS INT), ts);
-- RE2's [:space:] and [:punct:] (ASCII) are Java's \p{Space} and \p{Punct}; \p{P}, \p{S}, \p{Z}
-- are the same Unicode categories in both (each engine's Unicode version)
CREATE OR REPLACE MACRO strip_punctuation(t) AS regexp_replace(t, '[\\p{Space}\\p{Punct}\\p{P}\\p{S}\\p{Z}]', '');
-- DuckDB's hash() has no Spark counterpart: the key is another 64-bit hash of the same values
-- (a compact grouping key only; no result shows it). See docs/engines.md.
CREATE OR REPLACE MACRO key_of(a, b) AS xxhash64(a, b);
CREATE OR REPLACE MACRO add_seconds(ts, n) AS timestampadd(SECOND, CAST(n AS BIGINT), ts);
CREATE OR REPLACE MACRO add_exact_seconds(ts, s) AS timestampadd(MICROSECOND, CAST(round(s * 1000000) AS BIGINT), ts);
