-- xapi/exams: every `passed` or `failed` statement is an exam (cmi5: the learner attempted a
-- judged activity). submitted_at is its timestamp; started_at is the timestamp minus
-- result.duration (cmi5 9.5.4.1: the time spent to attempt it), NULL when the duration is
-- missing or not a readable ISO 8601 duration (then BAD_TIMESTAMP names the row).
-- score: result.score.raw, else result.score.scaled x 100. pass_score: the cmi5 masteryScore
-- (a scaled 0..1 value) on the same scale: x 100 for a scaled score, min + mastery x (max -
-- min) for a raw one (min 0 when not given).
CREATE OR REPLACE TABLE out_exams AS
SELECT
    _row,
    project_id,
    person_id,
    add_exact_seconds(event_at, -duration_s) AS started_at,
    event_at AS submitted_at,
    CAST(coalesce(score_raw, score_scaled * 100) AS DECIMAL(14, 2)) AS score,
    CAST(CASE WHEN mastery_score IS NULL THEN NULL
              WHEN score_raw IS NULL THEN mastery_score * 100
              WHEN score_max IS NOT NULL
                  THEN coalesce(score_min, 0) + mastery_score * (score_max - coalesce(score_min, 0))
         END AS DECIMAL(14, 2)) AS pass_score,
    CAST(NULL AS VARCHAR) AS answers_digest,
    (SELECT file FROM input_files WHERE input_table = 'statements') AS _source_file,
    _row AS _first_row,
    _row AS _last_row
FROM xapi_events
WHERE verb IN ('passed', 'failed')
ORDER BY _row;
