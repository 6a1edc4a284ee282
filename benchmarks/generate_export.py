"""Generate a large export to the contract, entirely inside DuckDB (no Python loop over rows).

Shapes (Shanghai 2022): 50 trainees per enterprise, 3 projects per enterprise, 1.5 claims per
trainee (every other trainee takes a second project after the first), 20 study sessions of
50-70 minutes per claim over 10 days with a sign-in each study day, 1-3 Q&A posts and an exam
after the last session. A few percent of claims carry one violation each (chosen by a hash of
the claim): short study, a missing sign-in day, no Q&A, no exam, a late import, a wrong amount,
not on the roster, a wrong ID check digit, activity after the window.

    python benchmarks/generate_export.py 10000000 benchmarks/data/10m [--format parquet|csv]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

SESSIONS_PER_CLAIM = 20
TRAINEES_PER_ENTERPRISE = 50
PROJECTS_PER_ENTERPRISE = 3

# GB 11643 check digit and GB 32100 check character, as SQL over the first 17 characters.
RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ric_check_sql(col: str) -> str:
    total = " + ".join(
        f"CAST(substr({col}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(RIC_WEIGHTS)
    )
    return f"substr('10X98765432', (({total}) % 11) + 1, 1)"


def uscc_check_sql(col: str) -> str:
    total = " + ".join(
        f"(instr('{USCC_ALPHABET}', substr({col}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return f"substr('{USCC_ALPHABET}', ((31 - (({total}) % 31)) % 31) + 1, 1)"


def generate(sessions: int, out: Path, fmt: str = "parquet", seed: int = 7) -> dict[str, int]:
    """Write the eight tables to `out`; returns rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    claims = max(1, sessions // SESSIONS_PER_CLAIM)
    trainees = max(1, (claims * 2) // 3)
    enterprises = max(1, -(-trainees // TRAINEES_PER_ENTERPRISE))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SELECT setseed({(seed % 100) / 100})")
    con.execute(f"""
        CREATE TABLE ent AS
        SELECT e, body || {uscc_check_sql("body")} AS enterprise_id
        FROM (SELECT e, '91310' || lpad(CAST(e % 1000 AS VARCHAR), 3, '0') || 'MA'
                        || lpad(upper(to_hex(e)), 7, '0') AS body
              FROM range({enterprises}) t(e))
    """)
    con.execute(f"""
        CREATE TABLE person AS
        SELECT p, p // {TRAINEES_PER_ENTERPRISE} AS e,
               body || CASE WHEN hash(p, {seed}, 'id') % 1000 < 5 THEN
                   CASE {ric_check_sql("body")} WHEN '1' THEN '2' ELSE '1' END
                   ELSE {ric_check_sql("body")} END AS person_id
        FROM (SELECT p, '3101' || ['01', '04', '05', '06', '07', '09', '10', '12'][1 + p % 8]
                        || strftime(DATE '1970-01-01' + CAST(p % 12000 AS INTEGER), '%Y%m%d')
                        || lpad(CAST((p // 12000) % 1000 AS VARCHAR), 3, '0') AS body
              FROM range({trainees}) t(p))
    """)
    # Every trainee has a first claim (k = 0); every other one a second (k = 1).
    con.execute(f"""
        CREATE TABLE claim AS
        WITH pairs AS (
            SELECT p, 0 AS k FROM range({trainees}) t(p)
            UNION ALL SELECT p, 1 FROM range({trainees}) t(p) WHERE p % 2 = 0
        ),
        numbered AS (SELECT p, k, row_number() OVER (ORDER BY p, k) - 1 AS c FROM pairs)
        SELECT c, p, k, p // {TRAINEES_PER_ENTERPRISE} AS e,
               (p // {TRAINEES_PER_ENTERPRISE}) * {PROJECTS_PER_ENTERPRISE}
                   + (p + k) % {PROJECTS_PER_ENTERPRISE} AS proj,
               hash(c, {seed}, 'v') % 1000 AS v
        FROM numbered WHERE c < {claims}
    """)
    # Each claim trains from `first_day` over 10 days; a second claim (k = 1) starts 14 days after
    # the first, after it ended. An enterprise's projects share their approval date.
    con.execute(f"""
        CREATE TABLE schedule AS
        SELECT cl.*, pe.person_id, en.enterprise_id,
               DATE '2022-01-04' + CAST((cl.e * 7) % 200 AS INTEGER) AS approved_on,
               DATE '2022-01-04' + CAST((cl.e * 7) % 200 AS INTEGER) + 1 + 14 * cl.k
                   + CAST(hash(cl.p, {seed}) % 3 AS INTEGER) AS first_day
        FROM claim cl JOIN person pe USING (p) JOIN ent en ON en.e = cl.e
    """)
    t = {}
    t["enterprises"] = """
        SELECT enterprise_id, '上海第' || e || '号科技有限公司' AS name,
               ['黄浦区', '徐汇区', '浦东新区', '闵行区', '静安区'][1 + e % 5] AS district,
               ['micro', 'small', 'medium', 'large'][1 + e % 4] AS size_class, '软件开发' AS main_business
        FROM ent"""
    t["projects"] = """
        SELECT DISTINCT 'P' || proj AS project_id, enterprise_id, 'C' || proj AS course_id,
               '课程 ' || proj AS title, approved_on, '申学在线' AS platform_name,
               'third_party' AS platform_kind
        FROM schedule"""
    t["trainees"] = f"""
        SELECT en.enterprise_id, pe.person_id, '学员' || pe.p AS name,
               '139' || lpad(CAST(pe.p % 100000000 AS VARCHAR), 8, '0') AS phone,
               CASE WHEN pe.p % 7 = 0 THEN 'dispatch' ELSE 'labor_contract' END AS employment,
               DATE '2019-01-01' AS employed_from, NULL::DATE AS employed_to
        FROM person pe JOIN ent en ON en.e = pe.e
        WHERE hash(pe.p, {seed}, 'roster') % 1000 >= 5"""
    t["claims"] = """
        SELECT 'P' || proj AS project_id, person_id,
               first_day + 9 + CASE WHEN v BETWEEN 30 AND 39 THEN 30 ELSE 2 END
                   + INTERVAL 10 HOUR AS imported_at,
               CASE WHEN v BETWEEN 40 AND 49 THEN 500 ELSE 600 END AS amount
        FROM schedule"""
    t["study_sessions"] = f"""
        SELECT 'P' || s.proj AS project_id, s.person_id,
               s.first_day + CAST(j // 2 AS INTEGER) + INTERVAL 9 HOUR + INTERVAL (5 * (j % 2)) HOUR AS started_at,
               s.first_day + CAST(j // 2 AS INTEGER) + INTERVAL 9 HOUR + INTERVAL (5 * (j % 2)) HOUR
                   + to_minutes(CASE WHEN s.v < 20 THEN 40 ELSE 50 + CAST(hash(s.c, j) % 21 AS INTEGER) END)
                   AS ended_at,
               'L' || j AS lesson_id, 'D' || s.p AS device_id, '10.0.' || (s.p % 250) || '.' || (j % 250) AS ip
        FROM schedule s, range({SESSIONS_PER_CLAIM}) r(j)"""
    t["signins"] = f"""
        SELECT 'P' || s.proj AS project_id, s.person_id,
               s.first_day + CAST(d AS INTEGER) + INTERVAL 8 HOUR + INTERVAL 50 MINUTE AS signed_in_at,
               'D' || s.p AS device_id, '10.0.' || (s.p % 250) || '.1' AS ip
        FROM schedule s, range({SESSIONS_PER_CLAIM // 2}) r(d)
        WHERE NOT (s.v BETWEEN 20 AND 24 AND d = 3)"""
    t["qa"] = """
        SELECT 'P' || s.proj AS project_id, s.person_id,
               s.first_day + 9 + INTERVAL 12 HOUR + to_minutes(CAST(q * 7 AS INTEGER)) AS posted_at,
               'question' AS role, '第' || q || '章的练习怎么做？' AS text
        FROM schedule s, range(3) r(q)
        WHERE q <= s.c % 3 AND NOT (s.v BETWEEN 25 AND 29)"""
    t["exams"] = """
        SELECT 'P' || proj AS project_id, person_id,
               first_day + 9 + INTERVAL 17 HOUR AS started_at,
               first_day + 9 + INTERVAL 17 HOUR + INTERVAL 30 MINUTE AS submitted_at,
               60 + CAST(v % 40 AS INTEGER) AS score, 60 AS pass_score, md5(CAST(c AS VARCHAR)) AS answers_digest
        FROM schedule WHERE NOT (v BETWEEN 50 AND 59)"""
    counts = {}
    for name, sql in t.items():
        target = out / f"{name}.{'parquet' if fmt == 'parquet' else 'csv'}"
        options = (
            "(FORMAT parquet)"
            if fmt == "parquet"
            else "(HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')"
        )
        con.execute(f"COPY ({sql}) TO '{target}' {options}")
        counts[name] = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    start = time.perf_counter()
    counts = generate(args.sessions, args.out, args.format, args.seed)
    for name, n in counts.items():
        print(f"{name:15} {n:>12,}")
    print(f"generated in {time.perf_counter() - start:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
