"""Generate a large export to the contract, entirely inside DuckDB (no Python loop over rows).

The benchmark needs a large city's year of data (10 M study sessions) in seconds, with the shapes
of a real Shanghai 2022 export, so that the audit's timings mean something. Every row comes from
`range()` and `hash(..., seed)` in SQL and is written with `COPY ... TO`: the output depends only
on N and the seed.

Shapes: 50 trainees per enterprise, 3 projects per enterprise approved across 2022 (35 days
apart), 1.5 claims per trainee (every other trainee takes a second project after the first),
20 study sessions of 40-90 minutes per claim (21 h 40 min in all) over 5-10 study days inside
the 3-month window, a sign-in on each study day, 1-3 Q&A posts, one exam after the last session,
the import 1-5 calendar days after training ends. Resident IDs carry a valid GB 11643 check digit
and a real birth date, credit codes a valid GB 32100 check character.

A few percent of claims carry one violation, chosen by a hash of the claim (v, per mille): short
study (0-4), a study day without sign-in (5-9), no Q&A (10-14), no exam (15-19), the exam after
the window closed (20-24, a person's last claim only), a late import (25-29), an amount other
than 600 (30-34). Per person: not on the roster (0.5 %), employment `other` (0.3 %), a wrong ID
check digit (0.5 %), a first project's training moved into the second's (SEQUENCE_OVERLAP, 2 % of
two-claim people). Per enterprise: a wrong credit-code check character (2 %), the same course
filed twice (3 %, so its trainees in both projects hit DUPLICATE_COURSE).

    python benchmarks/generate_export.py 10000000 benchmarks/data/10m [--format parquet|csv]
    python benchmarks/generate_export.py 100000 /tmp/e --verify   # check it against the contract
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

GENERATOR_VERSION = 2  # part of the cache key in run_benchmark.py: bump when the output changes
SESSIONS_PER_CLAIM = 20
TRAINEES_PER_ENTERPRISE = 50
PROJECTS_PER_ENTERPRISE = 3
PROJECT_GAP_DAYS = 35  # between an enterprise's approvals: one training ends before the next
TABLE_ORDER = (
    "enterprises",
    "projects",
    "trainees",
    "claims",
    "signins",
    "study_sessions",
    "qa",
    "exams",
)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

# GB 11643 (resident ID) and GB 32100 (unified social credit code) check characters.
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Birth-place codes python-stdnum knows for every birth year 1960-2005 (Shanghai's old urban
# districts), and codes it knows from 1992 on, used only for people born from 1992.
OLD_REGIONS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110")
NEW_REGIONS = ("310112", "310113", "310115", "320106", "330106", "340104", "410105", "430102")
DISTRICTS = (
    ("101", "黄浦区"),
    ("104", "徐汇区"),
    ("105", "长宁区"),
    ("106", "静安区"),
    ("107", "普陀区"),
    ("109", "虹口区"),
    ("110", "杨浦区"),
    ("112", "闵行区"),
    ("113", "宝山区"),
    ("114", "嘉定区"),
    ("115", "浦东新区"),
    ("116", "金山区"),
    ("117", "松江区"),
    ("118", "青浦区"),
    ("120", "奉贤区"),
    ("151", "崇明区"),
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉宇浩晨欣怡佳琳子涵雨轩博思嘉"
TRADES = "华鑫申达联创恒通瑞信新源汇锦宏远昌盛嘉禾东方浦江天成永泰"
BUSINESSES = ("软件开发", "电子元件制造", "物流仓储", "餐饮服务", "建筑施工", "医药研发", "零售")
COURSES = ("安全生产管理", "数字技能提升", "电工作业", "客户服务礼仪", "仓储物流管理", "质量管理")


def _sql_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{x}'" for x in items) + "]"


def _pick(items: tuple[str, ...], key: str) -> str:
    """SQL choosing one of `items` by the non-negative integer expression `key`."""
    return f"{_sql_list(items)}[1 + CAST(({key}) % {len(items)} AS INTEGER)]"


def _char(chars: str, key: str) -> str:
    return f"substr('{chars}', 1 + CAST(({key}) % {len(chars)} AS INTEGER), 1)"


def _ints(count: int, name: str) -> str:
    """SQL for a relation of one INTEGER column `name` running 0 .. count - 1."""
    return f"(SELECT CAST(range AS INTEGER) AS {name} FROM range({count}))"


def ric_check_sql(body: str) -> str:
    """SQL for the GB 11643 check digit of the 17-digit text expression `body`."""
    total = " + ".join(
        f"CAST(substr({body}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(RIC_WEIGHTS)
    )
    return f"substr('{RIC_CHECK}', (({total}) % 11) + 1, 1)"


def uscc_check_sql(body: str) -> str:
    """SQL for the GB 32100 check character of the 17-character text expression `body`."""
    total = " + ".join(
        f"(instr('{USCC_ALPHABET}', substr({body}, {i + 1}, 1)) - 1) * {w}"
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return f"substr('{USCC_ALPHABET}', ((31 - (({total}) % 31)) % 31) + 1, 1)"


def _base31(key: str, digits: int) -> str:
    """SQL writing the integer expression `key` in `digits` characters of the USCC alphabet."""
    return " || ".join(
        f"substr('{USCC_ALPHABET}', 1 + CAST(({key} // {31**k}) % 31 AS INTEGER), 1)"
        for k in reversed(range(digits))
    )


def sizes(sessions: int) -> dict[str, int]:
    """Claims, trainees and enterprises for `sessions` study sessions."""
    claims = max(1, -(-sessions // SESSIONS_PER_CLAIM))
    trainees = max(1, -(-2 * claims // 3))  # people p % 2 = 0 take two claims
    return {
        "claims": claims,
        "trainees": trainees,
        "enterprises": -(-trainees // TRAINEES_PER_ENTERPRISE),
    }


def _build(con: duckdb.DuckDBPyConnection, sessions: int, seed: int) -> None:
    """The four small driving tables: ent, person, claim (one row per claim, all its dates)."""
    n = sizes(sessions)
    s = int(seed)
    districts = tuple(f"{code}|{name}" for code, name in DISTRICTS)
    con.execute(f"""
        CREATE TABLE ent AS
        SELECT e, body || CASE WHEN hash(e, {s}, 'uscc') % 100 < 2
                               THEN CASE chk WHEN '0' THEN '1' ELSE '0' END ELSE chk END
                   AS enterprise_id,
               district, hash(e, {s}, 'dup') % 100 < 3 AS refiled,
               DATE '2022-01-04' + CAST(hash(e, {s}, 'approved') % 240 AS INTEGER) AS first_approval
        FROM (SELECT *, {uscc_check_sql("body")} AS chk
              FROM (SELECT e, d[1] AS code, d[2] AS district,
                           '91310' || d[1] || 'MA1' || {_base31("e", 5)}
                               || {_char(USCC_ALPHABET, f"hash(e, {s}, 'org')")} AS body
                    FROM (SELECT e, string_split({_pick(districts, "hash(e, 1)")}, '|') AS d
                          FROM range({n["enterprises"]}) t(e))))
    """)
    # IDs: (birth day, sequence) is a bijection of p for p < 14 M, so every ID is unique.
    con.execute(f"""
        CREATE TABLE person AS
        SELECT p, e, birth, body || CASE WHEN hash(p, {s}, 'id') % 1000 < 5
                                        THEN CASE chk WHEN '1' THEN '2' ELSE '1' END
                                        ELSE chk END AS person_id
        FROM (SELECT *, {ric_check_sql("body")} AS chk
              FROM (SELECT p, p // {TRAINEES_PER_ENTERPRISE} AS e, birth,
                           CASE WHEN year(birth) < 1992
                                THEN {_pick(OLD_REGIONS, f"hash(p, {s}, 'region')")}
                                ELSE {_pick(OLD_REGIONS + NEW_REGIONS, f"hash(p, {s}, 'region')")}
                           END || strftime(birth, '%Y%m%d')
                               || lpad(CAST((p // 14000) % 1000 AS VARCHAR), 3, '0') AS body
                    FROM (SELECT p, DATE '1965-01-01'
                                    + CAST((p * 7919 + {s}) % 14000 AS INTEGER) AS birth
                          FROM range({n["trainees"]}) t(p))))
    """)
    # Claim number c of person p's k-th claim: people before p hold p + ceil(p / 2) claims.
    # Two-claim people take projects (k0, k0 + 1), one-claim people one of the three.
    con.execute(f"""
        CREATE TABLE claim AS
        WITH pk AS (
            SELECT p, k, p + (p + 1) // 2 + k AS c, p % 2 = 0 AS two,
                   CAST(CASE WHEN p % 2 = 0 THEN (p // 2) % 2 + k ELSE (p // 2) % 3 END
                        AS INTEGER) AS pj
            FROM range({n["trainees"]}) t(p), {_ints(2, "k")}
            WHERE k = 0 OR p % 2 = 0
        ),
        base AS (
            SELECT pk.c, pk.p, pk.k, pk.pj, pe.e, pe.person_id, en.enterprise_id,
                   en.e * {PROJECTS_PER_ENTERPRISE} + pk.pj AS proj,
                   CASE WHEN en.refiled AND pk.pj = 2 THEN en.e * 3 + 1 ELSE en.e * 3 + pk.pj END
                       AS course,
                   en.first_approval + {PROJECT_GAP_DAYS} * pk.pj AS approved_on,
                   hash(pk.c, {s}, 'v') % 1000 AS v,
                   (NOT pk.two OR pk.k = 1) AS last_claim,
                   pk.two AND pk.k = 0 AND hash(pk.p, {s}, 'overlap') % 100 < 2 AS overlap,
                   5 + CAST(hash(pk.c, {s}, 'days') % 6 AS INTEGER) AS study_days,
                   CAST(hash(pk.c, {s}, 'start') % 5 AS INTEGER) AS start_offset
            FROM pk JOIN person pe USING (p) JOIN ent en ON en.e = pe.e
            WHERE pk.c < {n["claims"]}
        ),
        dated AS (
            SELECT *,
                   -- the 3-month window ends on the same day 3 months on, clamped to month end
                   CAST(approved_on + INTERVAL 3 MONTH AS DATE) AS window_end,
                   approved_on + CASE WHEN overlap THEN {PROJECT_GAP_DAYS - 1}
                                      ELSE start_offset END AS first_day,
                   (study_days - 1) + (study_days - 1) // 3 AS last_offset
            FROM base
        ),
        examined AS (
            SELECT *, CASE WHEN last_claim AND v BETWEEN 20 AND 24 THEN window_end + 2
                           ELSE first_day + last_offset END AS exam_day
            FROM dated
        )
        -- training ends with the exam, or the last study day when there is none
        SELECT *, CASE WHEN v BETWEEN 15 AND 19 THEN first_day + last_offset ELSE exam_day END
                      + 1 + CAST(hash(c, {s}, 'import') % 5 AS INTEGER)
                      + CASE WHEN v BETWEEN 25 AND 29 THEN 30 ELSE 0 END AS import_day
        FROM examined
    """)


def _queries(sessions: int, seed: int) -> dict[str, str]:
    """One SELECT per export table, columns in the contract's order."""
    s = int(seed)
    pid = "'SH2022-' || lpad(CAST(proj AS VARCHAR), 7, '0')"
    # Study day i of a claim sits i + i // 3 days after its first day (a rest day every 3);
    # session j falls on study day (j * days) // 20, in slot j - (first session of that day).
    day_of = f"(j * study_days) // {SESSIONS_PER_CLAIM}"
    slot = f"(j - ({day_of} * {SESSIONS_PER_CLAIM} + study_days - 1) // study_days)"
    # Pairs of sessions last d and 130 - d minutes (d in 40..90): 1,300 minutes a claim in all.
    # Short study: 40-50 minutes each, at most 1,000 minutes (the minimum is 1,080).
    pair = f"40 + CAST(hash(c, j // 2, {s}, 'len') % 51 AS INTEGER)"
    minutes = (
        f"CASE WHEN v < 5 THEN 40 + CAST(hash(c, j, {s}, 'short') % 11 AS INTEGER) "
        f"WHEN j % 2 = 0 THEN {pair} ELSE 130 - ({pair}) END"
    )
    start = (
        f"CAST(first_day + {day_of} + ({day_of}) // 3 AS TIMESTAMP) + INTERVAL 8 HOUR "
        f"+ to_minutes(100 * {slot} + CAST(hash(c, j, {s}, 'at') % 10 AS INTEGER))"
    )
    device = "'DEV-' || upper(to_hex(hash(p, " + str(s) + ", 'dev') % 4294967296))"
    ip = f"'10.' || (e % 250) || '.' || (p % 250) || '.' || (1 + hash(c, {s}, 'ip') % 250)"
    return {
        "enterprises": f"""
            SELECT enterprise_id,
                   '上海' || {_char(TRADES, f"hash(e, {s}, 'n1')")}
                       || {_char(TRADES, f"hash(e, {s}, 'n2')")}
                       || {_pick(BUSINESSES, f"hash(e, {s}, 'biz')")} || '有限公司（' || e || '）'
                       AS name,
                   district,
                   {_pick(("micro", "small", "small", "medium", "medium", "large"), "hash(e, 3)")}
                       AS size_class,
                   {_pick(BUSINESSES, f"hash(e, {s}, 'biz')")} AS main_business
            FROM ent ORDER BY e""",
        "projects": f"""
            SELECT DISTINCT {pid} AS project_id, enterprise_id,
                   'C' || lpad(CAST(course % 1500 AS VARCHAR), 4, '0') AS course_id,
                   {_pick(COURSES, "course % 1500")} || '线上职业培训（' || proj || '）' AS title,
                   approved_on, '申学在线' AS platform_name,
                   CASE WHEN proj % 10 = 0 THEN 'self' ELSE 'third_party' END AS platform_kind
            FROM claim ORDER BY project_id""",
        "trainees": f"""
            SELECT en.enterprise_id, pe.person_id,
                   {_char(SURNAMES, f"hash(pe.p, {s}, 'sn')")}
                       || {_char(GIVEN, f"hash(pe.p, {s}, 'g1')")}
                       || CASE WHEN hash(pe.p, {s}, 'g') % 3 = 0 THEN ''
                               ELSE {_char(GIVEN, f"hash(pe.p, {s}, 'g2')")} END AS name,
                   '1' || {_pick(("39", "38", "37", "50", "86", "58"), f"hash(pe.p, {s}, 'tel')")}
                       || lpad(CAST(hash(pe.p, {s}, 'phone') % 100000000 AS VARCHAR), 8, '0')
                       AS phone,
                   CASE WHEN hash(pe.p, {s}, 'roster') % 1000 BETWEEN 5 AND 7 THEN 'other'
                        WHEN pe.p % 9 = 0 THEN 'dispatch' ELSE 'labor_contract' END AS employment,
                   DATE '2005-01-01' + CAST(hash(pe.p, {s}, 'hired') % 6200 AS INTEGER)
                       AS employed_from,
                   NULL::DATE AS employed_to
            FROM person pe JOIN ent en ON en.e = pe.e
            WHERE hash(pe.p, {s}, 'roster') % 1000 >= 5
            ORDER BY pe.p""",
        "claims": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(import_day AS TIMESTAMP) + INTERVAL 9 HOUR
                       + to_minutes(CAST(hash(c, {s}, 'imin') % 480 AS INTEGER)) AS imported_at,
                   CASE WHEN v BETWEEN 30 AND 32 THEN 500 WHEN v BETWEEN 33 AND 34 THEN 800
                        ELSE 600 END AS amount
            FROM claim ORDER BY c""",
        "signins": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(first_day + i + i // 3 AS TIMESTAMP) + INTERVAL 7 HOUR
                       + to_minutes(40 + CAST(hash(c, i, {s}, 'sign') % 15 AS INTEGER))
                       AS signed_in_at,
                   {device} AS device_id, {ip} AS ip
            FROM claim, {_ints(10, "i")}
            WHERE i < study_days AND NOT (v BETWEEN 5 AND 9 AND i = 1)
            ORDER BY c, i""",
        "study_sessions": f"""
            SELECT {pid} AS project_id, person_id,
                   {start} AS started_at,
                   {start} + to_minutes({minutes}) AS ended_at,
                   'L' || lpad(CAST(j + 1 AS VARCHAR), 2, '0') AS lesson_id,
                   {device} AS device_id, {ip} AS ip
            FROM claim, {_ints(SESSIONS_PER_CLAIM, "j")}
            WHERE c * {SESSIONS_PER_CLAIM} + j < {sessions}
            ORDER BY c, j""",
        "qa": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(first_day + (q * study_days) // 3 + ((q * study_days) // 3) // 3
                        AS TIMESTAMP) + INTERVAL 12 HOUR
                       + to_minutes(CAST(hash(c, q, {s}, 'qa') % 50 AS INTEGER)) AS posted_at,
                   CASE WHEN q = 1 THEN 'answer' ELSE 'question' END AS role,
                   CASE q WHEN 0 THEN '第' || (1 + c % 9) || '章的练习怎么做？'
                          WHEN 1 THEN '参考第' || (1 + c % 9) || '章的例题，先看操作规程。'
                          ELSE '考试范围包括哪些内容？' END AS text
            FROM claim, {_ints(3, "q")}
            WHERE q <= hash(c, {s}, 'posts') % 3 AND NOT (v BETWEEN 10 AND 14)
            ORDER BY c, q""",
        "exams": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(exam_day AS TIMESTAMP) + INTERVAL 18 HOUR
                       + to_minutes(CAST(hash(c, {s}, 'exam') % 30 AS INTEGER)) AS started_at,
                   CAST(exam_day AS TIMESTAMP) + INTERVAL 18 HOUR
                       + to_minutes(CAST(hash(c, {s}, 'exam') % 30 AS INTEGER)
                                    + 30 + CAST(hash(c, {s}, 'took') % 30 AS INTEGER))
                       AS submitted_at,
                   60 + CAST(hash(c, {s}, 'score') % 41 AS INTEGER) AS score, 60 AS pass_score,
                   md5('answers' || c || '-' || {s}) AS answers_digest
            FROM claim WHERE NOT (v BETWEEN 15 AND 19)
            ORDER BY c""",
    }


def generate(sessions: int, out: Path, fmt: str = "parquet", seed: int = 7) -> dict[str, int]:
    """Write the eight tables for `sessions` study sessions to `out`; returns rows per table."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format {fmt!r}: parquet or csv")
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _build(con, max(1, sessions), seed)
    options = (
        "(FORMAT parquet, COMPRESSION zstd)"
        if fmt == "parquet"
        else f"(FORMAT csv, HEADER, TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}', DATEFORMAT '%Y-%m-%d')"
    )
    counts = {}
    for name, sql in _queries(max(1, sessions), seed).items():
        target = out / f"{name}.{fmt}"
        counts[name] = con.execute(f"COPY ({sql}) TO '{target}' {options}").fetchall()[0][0]
    con.close()
    return counts


def verify(out: Path, fmt: str, sample: int = 5000) -> list[str]:
    """Problems of the export in `out` against auditor.contract; an empty list when it conforms.

    Checks the columns of every table (all, in order), that every timestamp reads back as
    `YYYY-MM-DD HH:MM:SS` and every date as `YYYY-MM-DD`, and, on a sample, that IDs and credit
    codes pass python-stdnum except the few spoilt on purpose.
    """
    from stdnum.cn import ric, uscc

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from auditor.contract import TABLES

    problems: list[str] = []
    con = duckdb.connect()
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    extra = "" if fmt == "parquet" else ", all_varchar = true"
    for table in TABLES:
        src = f"{reader}('{out / f'{table.name}.{fmt}'}'{extra})"
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        expected = [c.name for c in table.columns]
        if names != expected:
            problems.append(f"{table.name}: columns {names}, contract {expected}")
            continue
        for col in table.columns:
            if col.required:
                nulls = con.execute(f"SELECT count(*) FROM {src} WHERE {col.name} IS NULL")
                if n := nulls.fetchall()[0][0]:
                    problems.append(f"{table.name}.{col.name}: {n} empty required values")
            if col.kind not in ("timestamp", "date"):
                continue
            pattern = TIMESTAMP_FORMAT if col.kind == "timestamp" else "%Y-%m-%d"
            text = f"strftime({col.name}, '{pattern}')" if fmt == "parquet" else f"{col.name}"
            bad = con.execute(
                f"SELECT count(*), any_value({text}) FROM ("
                f"SELECT {col.name}, coalesce(strftime(try_strptime({text}, '{pattern}'), "
                f"'{pattern}') = {text}, false) AS ok "
                f"FROM {src} WHERE {col.name} IS NOT NULL) WHERE NOT ok"
            ).fetchall()[0]
            if bad[0]:
                problems.append(
                    f"{table.name}.{col.name}: {bad[0]} values unlike {pattern}: {bad[1]!r}"
                )
    for table, column, check, spoilt in (
        ("trainees", "person_id", ric.is_valid, 0.02),
        ("enterprises", "enterprise_id", uscc.is_valid, 0.06),
    ):
        src = f"{reader}('{out / f'{table}.{fmt}'}'{extra})"
        values = [
            r[0]
            for r in con.execute(
                f"SELECT {column} FROM {src} USING SAMPLE reservoir({sample} ROWS) REPEATABLE (1)"
            ).fetchall()
        ]
        invalid = sum(not check(v) for v in values)
        if any(len(v) != 18 for v in values) or invalid > spoilt * len(values):
            problems.append(f"{table}.{column}: {invalid} of {len(values)} sampled fail stdnum")
        print(f"{table}.{column}: {invalid} of {len(values)} sampled fail python-stdnum")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", type=int, help="study sessions to generate")
    parser.add_argument("out", type=Path, help="export directory to write")
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--verify", action="store_true", help="check the export against the contract"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    counts = generate(args.sessions, args.out, args.format, args.seed)
    seconds = time.perf_counter() - start
    for name, rows in counts.items():
        print(f"{name:15} {rows:>12,}")
    size_bytes = sum(p.stat().st_size for p in args.out.glob(f"*.{args.format}"))
    print(f"generated in {seconds:.1f} s, {size_bytes / 2**20:,.0f} MiB -> {args.out}")
    if args.verify:
        problems = verify(args.out, args.format)
        for problem in problems:
            print(f"CONTRACT: {problem}")
        if problems:
            return 1
        print("conforms to the contract")
    return 0


if __name__ == "__main__":
    sys.exit(main())
