"""Time the report layer alone: render_reports over tables built directly in DuckDB.

Not a test. It isolates the report phase from ingest and facts, at the shape of a large city's
year (6,700 enterprises x 75 claims = 502,500 claims, some of them blocked, with findings), so
a change to templates, charts or the report queries can be measured in seconds.

    /tmp/venv/bin/python benchmarks/report_bench.py [--enterprises 6700] [--claims 75]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.policy import load_policy
from auditor.privacy import ID_IN_TEXT, PHONE_IN_TEXT
from auditor.report import render_reports

# Every table render_reports reads, with the pipeline's column names and types. IDs and phones
# are 18 and 11 digits, so the output can be scanned for unmasked ones.
BUILD_SQL = """
CREATE TABLE enterprises AS
SELECT '91310000MA' || lpad(CAST(e AS VARCHAR), 8, '0') AS enterprise_id,
       '上海第' || e || '号科技有限公司' AS name,
       ['黄浦区', '徐汇区', '浦东新区', '闵行区'][1 + e % 4] AS district,
       ['micro', 'small', 'medium', 'large'][1 + e % 4] AS size_class,
       '软件和信息技术服务' AS main_business
FROM range($enterprises) t(e);

CREATE TABLE projects AS
SELECT enterprise_id || '-P' || p AS project_id, enterprise_id, 'C' || p AS course_id,
       '数字技能提升培训 ' || p AS title, DATE '2022-03-01' AS approved_on,
       '某在线学习平台' AS platform_name, 'third_party' AS platform_kind
FROM enterprises, range(2) t(p);

-- one claim per (enterprise, k); a person holds claims in both projects of the enterprise
CREATE TABLE claim_base AS
SELECT e.enterprise_id, e.enterprise_id || '-P' || (k % 2) AS project_id,
       '310101' || CAST(19800101 + (k // 2) AS VARCHAR)
           || lpad(CAST((hash(e.enterprise_id) + k // 2) % 10000 AS VARCHAR), 4, '0')
           AS person_id,
       k,
       -- most claims near the 1,080-minute minimum, a tail of short and very long ones
       greatest(0, round(1350 + 250 * sin(hash(e.enterprise_id, k) % 1000)
                         - CASE WHEN hash(k, e.enterprise_id) % 20 = 0 THEN 700 ELSE 0 END
                         + CASE WHEN hash(k, e.enterprise_id) % 50 = 1 THEN 1500 ELSE 0 END, 2))
           AS credited_minutes
FROM enterprises e, range($claims) t(k);

CREATE TABLE trainees AS
SELECT DISTINCT enterprise_id, person_id, '学员' || (k // 2) AS name,
       '138' || lpad(CAST((k // 2) * 7919 % 100000000 AS VARCHAR), 8, '0') AS phone,
       'labor_contract' AS employment, DATE '2020-01-01' AS employed_from,
       NULL::DATE AS employed_to
FROM claim_base
UNION ALL  -- a second employment row for some people
SELECT DISTINCT enterprise_id, person_id, '学员' || (k // 2), NULL, 'dispatch',
       DATE '2018-01-01', DATE '2019-12-31'
FROM claim_base WHERE k % 10 = 0;

CREATE TABLE claim_facts AS
SELECT project_id, person_id, enterprise_id, credited_minutes,
       TIMESTAMP '2022-03-02 09:00:00' AS first_activity_at,
       TIMESTAMP '2022-04-20 18:00:00' AS last_activity_at,
       42 AS an_ignored_column
FROM claim_base;

-- 24 sessions of 55 minutes a claim, a sign-in before each, one exam. One enterprise in ten
-- has an operator studying for every fifth claim from one of four PCs at night (flagged by
-- SAME_PC, an authenticity rule); everyone else studies by day on their own device, and every
-- seventh sign-in has no device id.
CREATE TABLE study_sessions AS
SELECT row_number() OVER () AS _row, project_id, person_id,
       CASE WHEN operated THEN TIMESTAMP '2022-03-02 22:00:00' + to_days(CAST(j AS INTEGER))
                               + to_minutes(CAST(k AS INTEGER))
            ELSE TIMESTAMP '2022-03-02 08:00:00' + to_days(CAST(j AS INTEGER))
                 + to_minutes(CAST(hash(person_id, j) % 600 AS INTEGER)) END AS started_at,
       started_at + INTERVAL 55 MINUTE AS ended_at, 'L' || j AS lesson_id,
       CASE WHEN operated THEN 'PC-' || (k % 4) ELSE 'D-' || person_id END AS device_id,
       '10.0.0.1' AS ip
FROM (SELECT *, hash(enterprise_id) % 10 = 0 AND k % 5 = 0 AS operated FROM claim_base),
     range(24) t(j);

CREATE TABLE signins AS
SELECT _row, project_id, person_id, started_at - INTERVAL 2 MINUTE AS signed_in_at,
       CASE WHEN _row % 7 = 0 THEN '' ELSE device_id END AS device_id, ip
FROM study_sessions;

CREATE TABLE exams AS
SELECT row_number() OVER () AS _row, project_id, person_id,
       TIMESTAMP '2022-03-28 10:00:00' AS started_at,
       TIMESTAMP '2022-03-28 10:40:00' AS submitted_at, 88.0 AS score, 60.0 AS pass_score,
       'd' || (k % 3) AS answers_digest
FROM claim_base;

CREATE TABLE findings AS
SELECT 'F' || row_number() OVER (ORDER BY enterprise_id, project_id, person_id) AS finding_id,
       rule_id, 'block' AS severity, enterprise_id, project_id, person_id,
       CASE rule_id WHEN 'HOURS_SHORT'
            THEN '有效学习 ' || credited_minutes || ' 分钟，低于政策要求的 1080 分钟'
            ELSE '无答疑辅导（互动问答）记录' END AS message,
       to_json({'credited_minutes': credited_minutes,
                'first_activity_at': '2022-03-02 09:00:00',
                'text': '<script>window.__pwned = 1</script>'})::VARCHAR AS evidence
FROM (SELECT *, 'HOURS_SHORT' AS rule_id FROM claim_base WHERE credited_minutes < 1080
      UNION ALL
      SELECT *, 'NO_QA' FROM claim_base WHERE k % 37 = 3)
UNION ALL
SELECT 'E' || enterprise_id, 'ENTERPRISE_ID_INVALID', 'review', enterprise_id, NULL, NULL,
       '统一社会信用代码校验不通过', '{"enterprise_id": "' || enterprise_id || '"}'
FROM enterprises WHERE hash(enterprise_id) % 9 = 0
UNION ALL
SELECT 'S' || project_id || person_id, 'SAME_PC', 'review', enterprise_id, project_id, person_id,
       '与其他学员在同一设备上学习', '{"device_id": "PC-' || (k % 4) || '"}'
FROM claim_base WHERE hash(enterprise_id) % 10 = 0 AND k % 5 = 0;

CREATE TABLE subsidy AS
SELECT c.enterprise_id, c.project_id, c.person_id, CAST(600 AS DECIMAL(12, 2)) AS claimed_amount,
       b.rules IS NULL AS payable,
       CAST(CASE WHEN b.rules IS NULL THEN 600 ELSE 0 END AS DECIMAL(12, 2)) AS verified_amount,
       coalesce(b.rules, '') AS blocking_rules
FROM claim_base c
LEFT JOIN (SELECT project_id, person_id, string_agg(rule_id, ',' ORDER BY rule_id) AS rules
           FROM findings WHERE severity = 'block' GROUP BY ALL) b
  ON b.project_id = c.project_id AND b.person_id = c.person_id;

CREATE TABLE rule_catalogue AS
SELECT * FROM (VALUES ('HOURS_SHORT', 'block', '有效学习时长低于政策最低要求', 'compliance'),
                      ('NO_QA', 'block', '无答疑辅导（互动问答）记录', 'compliance'),
                      ('ENTERPRISE_ID_INVALID', 'review', '统一社会信用代码校验不通过',
                       'compliance'),
                      ('SAME_PC', 'review', '多名学员在同一设备上学习', 'authenticity'))
    t(rule_id, severity, summary, category);
DROP TABLE claim_base;
"""


def build(con: duckdb.DuckDBPyConnection, enterprises: int, claims: int) -> None:
    """Create the report's input tables at the given size."""
    sql = BUILD_SQL.replace("$enterprises", str(enterprises)).replace("$claims", str(claims))
    con.execute(sql)


def unmasked(out: Path) -> int:
    """Pages that show an ID number or phone whole (should be 0)."""
    return sum(
        1
        for page in out.rglob("*.html")
        if ID_IN_TEXT.search(text := page.read_text(encoding="utf-8")) or PHONE_IN_TEXT.search(text)
    )


def identical(first: Path, second: Path) -> bool:
    """Whether two report folders hold the same files with the same bytes."""
    files = sorted(p.relative_to(first) for p in first.rglob("*.html"))
    if files != sorted(p.relative_to(second) for p in second.rglob("*.html")):
        return False
    return all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def main() -> None:
    """Build, render twice (cold and warm), print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=6700)
    parser.add_argument("--claims", type=int, default=75, help="claims per enterprise")
    parser.add_argument("--keep", type=Path, help="render into this folder and keep it")
    args = parser.parse_args()
    policy = load_policy("shanghai-2022")
    con = duckdb.connect()
    started = time.perf_counter()
    build(con, args.enterprises, args.claims)
    built = time.perf_counter() - started
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
        for t in ("enterprises", "trainees", "subsidy", "findings", "study_sessions")
    }
    print(f"tables built in {built:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    with tempfile.TemporaryDirectory() as tmp:
        outs = []
        for attempt in ("first", "second"):
            out = args.keep if (args.keep and attempt == "second") else Path(tmp) / attempt
            started = time.perf_counter()
            pages = render_reports(con, out, policy)
            seconds = time.perf_counter() - started
            size_mib = sum(p.stat().st_size for p in out.rglob("*.html")) / 2**20
            print(
                f"render_reports ({attempt} run): {pages:,} pages in {seconds:.1f} s "
                f"({1000 * seconds / pages:.2f} ms a page), {size_mib:,.0f} MiB of HTML"
            )
            leaks = unmasked(out)
            print(f"  pages with an unmasked 18-digit ID or 11-digit phone: {leaks}")
            outs.append(out)
        print(f"second run byte-identical to the first: {identical(*outs)}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS, whole process incl. DuckDB tables): {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
