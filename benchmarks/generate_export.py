"""Generate a large export to the contract, entirely inside DuckDB (no Python loop over rows).

The benchmark needs a large city's year of data (10 M study sessions) in seconds, with the shapes
of a real Shanghai 2022 export, so that the audit's timings mean something. Every row comes from
`range()` and `hash(..., seed)` in SQL and is written with `COPY ... TO`: the output depends only
on N, the seed and the number of planted enterprises.

Shapes: 50 trainees per enterprise, 3 projects per enterprise approved across 2022 (35 days
apart), 1.5 claims per trainee (every other trainee takes a second project after the first),
20 study sessions of 40-90 minutes and 0-59 s per claim (at least 21 h 40 min in all) over 5-10
study days inside the 3-month window, each study day beginning at its own time, 08:00-11:00,
a sign-in on each study day, 1-3 Q&A posts, one exam after the last session, the import 1-5
calendar days after training ends. Resident IDs carry a valid GB 11643 check digit and a real
birth date (1975-2002), credit codes a valid GB 32100 check character.

A few percent of claims carry one violation, chosen by a hash of the claim (v, per mille): short
study (0-4), a study day without sign-in (5-9), no Q&A (10-14), no exam (15-19), the exam after
the window closed (20-24, a person's last claim only), a late import (25-29), an amount other
than 600 (30-34). Per person: not on the roster (0.5 %), employment `other` (0.3 %), a wrong ID
check digit (0.5 %), a first project's training moved into the second's (SEQUENCE_OVERLAP, 2 % of
two-claim people; studied in the afternoon, so never at the same time). Per enterprise: a wrong
credit-code check character (2 %), the same course filed twice (3 %, so its trainees in both
projects hit DUPLICATE_COURSE).

Clean data stays clear of the 13 authenticity signals (SIGNALS): devices and phones are
bijections of the person, no two sessions of a person overlap, none runs at night or past 600
minutes a day, durations and starts carry random seconds, questions name the claim's chapter.
3 % of clean enterprises carry innocent look-alikes, each under its signal's threshold: a
training-room PC two colleagues use weeks apart, a live class all join at 19:00 on their first
day (leaving at different times), videos of one fixed length watched at another time each day,
a nine-hour study day, a previous job that ended the day before this one began; and everyone may
post "谢谢老师！" (4 characters).

--fraud plants K enterprises (default 1 %, at least 5; chosen by a hash of the seed), style by
rank: farm, idler, fake, backfill (PATTERNS). 60 % of a planted enterprise's claims (people, for
fake) carry the style; the records stay complete (enough hours, a sign-in every study day, Q&A,
an exam, the import on time) and free of every compliance violation, except that a backfill
session after the exam is also EXAM_BEFORE_STUDY_END. `_truth/fraud.csv` lists them.

    python benchmarks/generate_export.py 10000000 benchmarks/data/10m [--format parquet|csv]
    python benchmarks/generate_export.py 100000 /tmp/e --verify   # check it against the contract
    python benchmarks/generate_export.py 1000000 /tmp/f --fraud --verify   # and the signals
    python benchmarks/generate_export.py 3500000 /tmp/b --fraud --big-enterprise 100000

--big-enterprise T makes one enterprise of T trainees (its 50-trainee units, 3 projects each,
all carry one credit code; never planted, no look-alikes): the skew case of issue 8.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import duckdb

GENERATOR_VERSION = 3  # part of the cache key in run_benchmark.py: bump when the output changes
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

# --fraud: fraud styles (by an enterprise's rank among the planted), the patterns each plants,
# exactly as the authenticity signals define them. In a planted claim (person, for fake):
# - farm (one operator drives the accounts): all start on approval + 1 and study 5 days, four
#   65:00 sessions a day at 08:00, 09:40, 11:20, 13:00 (+0-19 s), on one device per project;
#   one question text per enterprise; one answer sheet per project (72 points, below every
#   honest colleague's 80-100), submitted 2-4 minutes after the exam starts.
# - idler (挂机): 5 study days, each day's first session at 00:30 (night), the second one
#   running 9.5 hours longer (over 600 minutes in a day, overlapping the day's later sessions).
# - fake (fake trainees): women born 1962-1970 (past 50) or children born 2007-2008 (under 16);
#   groups of five people share one phone; a third of them are also on the next planted
#   enterprise's roster, open-ended from 2020 (overlapping employment).
# - backfill (补录): the last session moved to the day after the import (after the exam), with
#   a sign-in that day; the exam clicked through in 3-4 minutes.
STYLES = ("farm", "idler", "fake", "backfill")
PATTERNS = {
    "farm": (
        "SHARED_DEVICE",
        "LOCKSTEP",
        "MACHINE_REGULARITY",
        "IDENTICAL_ANSWERS",
        "EXAM_TOO_FAST",
        "QA_COPIED",
    ),
    "idler": ("IMPLAUSIBLE_DAY", "CONCURRENT_SESSIONS"),
    "fake": ("AGE_OUT_OF_RANGE", "SHARED_PHONE", "PERSON_MULTI_ENTERPRISE"),
    "backfill": ("STUDY_AFTER_EXAM", "ACTIVITY_AFTER_IMPORT", "EXAM_TOO_FAST"),
}
SIGNALS = (
    "CONCURRENT_SESSIONS",
    "SHARED_DEVICE",
    "LOCKSTEP",
    "IMPLAUSIBLE_DAY",
    "MACHINE_REGULARITY",
    "EXAM_TOO_FAST",
    "IDENTICAL_ANSWERS",
    "STUDY_AFTER_EXAM",
    "ACTIVITY_AFTER_IMPORT",
    "QA_COPIED",
    "PERSON_MULTI_ENTERPRISE",
    "AGE_OUT_OF_RANGE",
    "SHARED_PHONE",
)
PLANTED_TENTHS = 6  # of a planted enterprise's claims (farm, idler, backfill) or people (fake)
LOOKALIKE_PERCENT = 3  # of clean enterprises carry the innocent look-alikes
TRUTH_DIR = "_truth"  # beside the contract tables; the auditor reads only TABLE.* files
BIG_TRUTH = "big_enterprise"  # --big-enterprise: its id, trainees, claims, projects

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


def default_fraud_enterprises(sessions: int) -> int:
    """1 % of the enterprises, at least 5 (at most all of them)."""
    enterprises = sizes(max(1, sessions))["enterprises"]
    return min(enterprises, max(5, round(enterprises / 100)))


def _device(key: str, s: int) -> str:
    """SQL for the device id of the integer `key`: a bijection of key mod 2^32, so no key shares
    a device by accident (keys below the trainee count are people, above it farm devices)."""
    return f"'DEV-' || upper(to_hex((({key}) * 2654435761 + {s}) % 4294967296))"


def _phone(key: str, s: int) -> str:
    """SQL for the mobile number of the integer `key`: its last 8 digits are a bijection of key
    mod 10^8, so no two people share a phone by accident."""
    prefix = _pick(("39", "38", "37", "50", "86", "58"), f"hash({key}, {s}, 'tel')")
    return f"'1' || {prefix} || lpad(CAST((({key}) * 48271 + {s}) % 100000000 AS VARCHAR), 8, '0')"


def big_units(big: int) -> int:
    """How many 50-trainee units make the big enterprise of `big` trainees (0: none)."""
    return -(-int(big) // TRAINEES_PER_ENTERPRISE) if big else 0


def _build(
    con: duckdb.DuckDBPyConnection, sessions: int, seed: int, fraud: int = 0, big: int = 0
) -> None:
    """The four small driving tables: ent, person, claim (one row per claim, all its dates).

    `fraud` enterprises (the first by a hash of the seed) get a fraud style; their records are
    otherwise kept free of every compliance violation, so that only the planted patterns tell
    them apart.

    `big` trainees (--big-enterprise): the first big_units(big) units of 50 trainees (3 projects
    each, as every enterprise) all belong to unit 0's enterprise, which is never planted and
    carries no look-alikes; the other enterprises are as without it.
    """
    n = sizes(sessions)
    s = int(seed)
    k = int(fraud)
    u = big_units(big)
    last_big = f"e < {u}, " if u else ""  # big units are planted last (never)
    districts = tuple(f"{code}|{name}" for code, name in DISTRICTS)
    con.execute(f"""
        CREATE TABLE ent0 AS
        SELECT e, body || CASE WHEN style IS NULL AND hash(e, {s}, 'uscc') % 100 < 2
                               THEN CASE chk WHEN '0' THEN '1' ELSE '0' END ELSE chk END
                   AS enterprise_id,
               district, style IS NULL AND hash(e, {s}, 'dup') % 100 < 3 AS refiled,
               DATE '2022-01-04' + CAST(hash(e, {s}, 'approved') % 240 AS INTEGER) AS first_approval,
               fraud_rank, style,
               style IS NULL AND hash(e, {s}, 'look') % 100 < {LOOKALIKE_PERCENT}
                   {f"AND e >= {u}" if u else ""} AS look
        FROM (SELECT *, {uscc_check_sql("body")} AS chk,
                     CASE WHEN rnk < {k} THEN rnk END AS fraud_rank,
                     CASE WHEN rnk < {k} THEN {_sql_list(STYLES)}[1 + rnk % {len(STYLES)}] END
                         AS style
              FROM (SELECT e, d[1] AS code, d[2] AS district,
                           '91310' || d[1] || 'MA1' || {_base31("e", 5)}
                               || {_char(USCC_ALPHABET, f"hash(e, {s}, 'org')")} AS body,
                           CAST(row_number() OVER (ORDER BY {last_big}hash(e, {s}, 'fraud'), e) - 1
                                AS INTEGER) AS rnk
                    FROM (SELECT e, string_split({_pick(districts, "hash(e, 1)")}, '|') AS d
                          FROM range({n["enterprises"]}) t(e))))
    """)
    # A fake-trainee enterprise's people also stand on the roster of the next planted enterprise.
    if u:  # the big enterprise: its units carry unit 0's credit code
        con.execute(f"""
            UPDATE ent0 SET enterprise_id = (SELECT enterprise_id FROM ent0 WHERE e = 0)
            WHERE e < {u}
        """)
    con.execute(f"""
        CREATE TABLE ent AS
        SELECT a.*, CASE WHEN a.style = 'fake' AND b.e <> a.e THEN b.e END AS twin_e
        FROM ent0 a LEFT JOIN ent0 b
            ON a.fraud_rank IS NOT NULL AND b.fraud_rank = (a.fraud_rank + 1) % {max(k, 1)}
    """)
    # IDs: (birth day, sequence) is a bijection of p for p < 10 M, so every ID is unique. Born
    # 1975-2002, everyone is 19-48 in 2022-2023 (no retiree, no minor). Planted fake trainees are
    # women born 1962-1970 (even sequence digit; past 50) or children born 2007-2008 (under 16),
    # birth days outside the clean range, unique among themselves for p < 600,000.
    con.execute(f"""
        CREATE TABLE person AS
        SELECT p, e, birth, fake, multi, roster_skip, emp_other,
               body || CASE WHEN style IS NULL AND hash(p, {s}, 'id') % 1000 < 5
                            THEN CASE chk WHEN '1' THEN '2' ELSE '1' END
                            ELSE chk END AS person_id
        FROM (SELECT *, {ric_check_sql("body")} AS chk
              FROM (SELECT *,
                           CASE WHEN fake OR year(birth) < 1992
                                THEN {_pick(OLD_REGIONS, f"hash(p, {s}, 'region')")}
                                ELSE {_pick(OLD_REGIONS + NEW_REGIONS, f"hash(p, {s}, 'region')")}
                           END || strftime(birth, '%Y%m%d') || lpad(CAST(seq AS VARCHAR), 3, '0')
                               AS body
                    FROM (SELECT *,
                                 CASE WHEN NOT fake
                                      THEN DATE '1975-01-01' + CAST((p * 7919 + {s}) % 10000
                                                                    AS INTEGER)
                                      WHEN retiree THEN DATE '1962-01-01' + CAST(p % 3200 AS INTEGER)
                                      ELSE DATE '2007-03-01' + CAST(p % 600 AS INTEGER) END AS birth,
                                 CASE WHEN NOT fake THEN (p // 10000) % 1000
                                      WHEN retiree THEN 2 * ((p // 3200) % 500)
                                      ELSE (p // 600) % 1000 END AS seq
                          FROM (SELECT *,
                                       fake AND hash(p, {s}, 'age') % 2 = 0 AS retiree,
                                       fake AND hash(p, {s}, 'multi') % 3 = 0
                                           AND twin_e IS NOT NULL AS multi,
                                       style IS NULL AND hash(p, {s}, 'roster') % 1000 < 5
                                           AS roster_skip,
                                       style IS NULL
                                           AND hash(p, {s}, 'roster') % 1000 BETWEEN 5 AND 7
                                           AS emp_other
                                FROM (SELECT t.p, en.e, en.style, en.twin_e,
                                             coalesce(en.style = 'fake', false)
                                                 AND hash(t.p, {s}, 'fake') % 10 < {PLANTED_TENTHS}
                                                 AS fake
                                      FROM range({n["trainees"]}) t(p)
                                      JOIN ent en ON en.e = t.p // {TRAINEES_PER_ENTERPRISE})))))
    """)
    # Claim number c of person p's k-th claim: people before p hold p + ceil(p / 2) claims.
    # Two-claim people take projects (k0, k0 + 1), one-claim people one of the three.
    # Planted claims (fr): farm claims all start on approval + 1 and study 5 days at 08:00 sharp;
    # idler claims study 5 days from 00:30; backfill claims move their last session after the
    # import. `tod0` fixes the start of a claim's study days (seconds after 08:00) where it must
    # be: a SEQUENCE_OVERLAP claim studies 14:40-21:20 while its person's other claim keeps
    # 08:00-14:40 (no CONCURRENT_SESSIONS); otherwise each study day starts at its own time.
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
            SELECT pk.c, pk.p, pk.k, pk.pj, pe.e, pe.person_id, pe.fake, en.enterprise_id,
                   en.style, en.look,
                   en.e * {PROJECTS_PER_ENTERPRISE} + pk.pj AS proj,
                   CASE WHEN en.refiled AND pk.pj = 2 THEN en.e * 3 + 1 ELSE en.e * 3 + pk.pj END
                       AS course,
                   en.first_approval + {PROJECT_GAP_DAYS} * pk.pj AS approved_on,
                   CASE WHEN en.style IS NULL THEN hash(pk.c, {s}, 'v') % 1000 ELSE 999 END AS v,
                   (NOT pk.two OR pk.k = 1) AS last_claim,
                   en.style IS NULL AND pk.two AND hash(pk.p, {s}, 'overlap') % 100 < 2
                       AS overlap_p,
                   en.style IN ('farm', 'idler', 'backfill')
                       AND hash(pk.c, {s}, 'fr') % 10 < {PLANTED_TENTHS} AS fr,
                   5 + CAST(hash(pk.c, {s}, 'days') % 6 AS INTEGER) AS days0,
                   CAST(hash(pk.c, {s}, 'start') % 5 AS INTEGER) AS offset0
            FROM pk JOIN person pe USING (p) JOIN ent en ON en.e = pe.e
            WHERE pk.c < {n["claims"]}
        ),
        flagged AS (
            SELECT *, overlap_p AND k = 0 AS overlap,
                   fr AND style = 'farm' AS farm, fr AND style = 'idler' AS idle,
                   fr AND style = 'backfill' AS back
            FROM base
        ),
        dated AS (
            SELECT *,
                   CASE WHEN farm OR idle THEN 5 ELSE days0 END AS study_days,
                   -- the 3-month window ends on the same day 3 months on, clamped to month end
                   CAST(approved_on + INTERVAL 3 MONTH AS DATE) AS window_end,
                   approved_on + CASE WHEN overlap THEN {PROJECT_GAP_DAYS - 1}
                                      WHEN farm THEN 1 ELSE offset0 END AS first_day,
                   CASE WHEN farm OR idle OR (overlap_p AND NOT overlap) THEN 0
                        WHEN overlap THEN 24000 END AS tod0
            FROM flagged
        ),
        examined AS (
            SELECT *, (study_days - 1) + (study_days - 1) // 3 AS last_offset,
                   CASE WHEN last_claim AND v BETWEEN 20 AND 24 THEN window_end + 2
                        ELSE first_day + (study_days - 1) + (study_days - 1) // 3 END AS exam_day,
                   CASE WHEN overlap THEN 22 ELSE 18 END AS exam_hour
            FROM dated
        )
        -- training ends with the exam, or the last study day when there is none
        SELECT *, CASE WHEN v BETWEEN 15 AND 19 THEN first_day + last_offset ELSE exam_day END
                      + 1 + CAST(hash(c, {s}, 'import') % 5 AS INTEGER)
                      + CASE WHEN v BETWEEN 25 AND 29 THEN 30 ELSE 0 END AS import_day
        FROM examined
    """)


def _queries(sessions: int, seed: int, big: int = 0) -> dict[str, str]:
    """One SELECT per export table, columns in the contract's order."""
    s = int(seed)
    n = sizes(sessions)
    u = big_units(big)
    pid = "'SH2022-' || lpad(CAST(proj AS VARCHAR), 7, '0')"
    # Study day i of a claim sits i + i // 3 days after its first day (a rest day every 3);
    # session j falls on study day (j * days) // 20, in slot j - (first session of that day).
    day_of = f"((j * study_days) // {SESSIONS_PER_CLAIM})"
    slot = f"(j - ({day_of} * {SESSIONS_PER_CLAIM} + study_days - 1) // study_days)"
    day = f"CAST(first_day + {day_of} + ({day_of}) // 3 AS TIMESTAMP)"
    # Pairs of sessions last d and 130 - d minutes (d in 40..90) plus 0-59 s each: at least
    # 1,300 minutes a claim. Short study: 40-50 minutes each, under 1,020 (the minimum is 1,080).
    # Slots are 100 minutes apart and a session starts 0-539 s into its slot: no overlap.
    pair = f"40 + CAST(hash(c, j // 2, {s}, 'len') % 51 AS INTEGER)"
    secs = f"CAST(hash(c, j, {s}, 'sec') % 60 AS INTEGER)"
    # Look-alikes: a claim in seven watches videos of one fixed length (55-90 whole minutes, its
    # own, so that two such colleagues rarely end together), each day at another time (08:00 +
    # 0-80 minutes in 10-minute steps, the same step at most every 9th day: with the 0-539 s
    # jitter never 5 starts within a minute); a 5-day claim studies 9 h on its second day.
    fixed = "(look AND c % 7 = 3 AND NOT overlap_p AND v >= 5)"
    # Each study day of a claim starts at its own time, 08:00-11:00, so that colleagues rarely
    # start and end together on several days (LOCKSTEP) and nobody keeps a clock (REGULARITY).
    tod = (
        f"coalesce(tod0, CAST(CASE WHEN {fixed} "
        f"THEN 600 * ((4 * {day_of} + hash(c, {s}, 'step')) % 9) "
        f"ELSE hash(c, {day_of}, {s}, 'tod') % 10801 END AS INTEGER))"
    )
    duration = (
        f"CASE WHEN farm THEN 3900 "
        f"WHEN {fixed} THEN 60 * (55 + CAST(hash(c, {s}, 'video') % 36 AS INTEGER)) "
        f"WHEN v < 5 THEN 60 * (40 + CAST(hash(c, j, {s}, 'short') % 11 AS INTEGER)) + {secs} "
        f"WHEN j % 2 = 0 THEN 60 * ({pair}) + {secs} ELSE 60 * (130 - ({pair})) + {secs} END "
        f"+ CASE WHEN idle AND j = 1 THEN 34200 "
        f"WHEN look AND study_days = 5 AND NOT overlap_p AND v >= 5 AND j = 7 AND NOT {fixed} "
        f"THEN 16800 "
        f"ELSE 0 END"
    )
    jitter = (
        f"CAST(CASE WHEN farm THEN hash(c, j, {s}, 'at') % 20 "
        f"ELSE hash(c, j, {s}, 'at') % 540 END AS INTEGER)"
    )
    start = (
        f"CASE WHEN back AND j = {SESSIONS_PER_CLAIM - 1} "
        f"THEN CAST(import_day AS TIMESTAMP) + INTERVAL 34 HOUR + to_seconds({jitter}) "
        f"WHEN look AND j = 0 AND NOT overlap_p "
        f"THEN {day} + INTERVAL 19 HOUR + to_seconds(CAST(hash(c, {s}, 'live') % 90 AS INTEGER)) "
        f"ELSE {day} + INTERVAL 8 HOUR + to_seconds({tod} + 6000 * {slot} + {jitter}) "
        f"- CASE WHEN idle AND {slot} = 0 THEN INTERVAL 450 MINUTE ELSE INTERVAL 0 MINUTE END END"
    )
    # A farm's planted claims share one device per project; in a look-alike enterprise every
    # fourth one-claim trainee uses a colleague's PC (a different project: weeks apart).
    device = _device(
        f"CASE WHEN farm THEN {n['trainees']} + proj "
        f"WHEN look AND p % 4 = 3 AND p % {TRAINEES_PER_ENTERPRISE} >= 2 THEN p - 2 ELSE p END",
        s,
    )
    ip = f"'10.' || (e % 250) || '.' || (p % 250) || '.' || (1 + hash(c, {s}, 'ip') % 250)"
    chapter = "'第' || (1 + c % 9) || '章第' || (1 + (c // 9) % 8) || '节'"
    roster = f"""
        SELECT pe.p, pe.e, pe.person_id, pe.multi, pe.roster_skip,
               {_char(SURNAMES, f"hash(pe.p, {s}, 'sn')")}
                   || {_char(GIVEN, f"hash(pe.p, {s}, 'g1')")}
                   || CASE WHEN hash(pe.p, {s}, 'g') % 3 = 0 THEN ''
                           ELSE {_char(GIVEN, f"hash(pe.p, {s}, 'g2')")} END AS name,
               {_phone("CASE WHEN pe.fake THEN pe.p - pe.p % 5 ELSE pe.p END", s)} AS phone,
               CASE WHEN pe.emp_other THEN 'other'
                    WHEN pe.p % 9 = 0 THEN 'dispatch' ELSE 'labor_contract' END AS employment,
               DATE '2005-01-01' + CAST(hash(pe.p, {s}, 'hired') % 6200 AS INTEGER)
                   AS employed_from
        FROM person pe"""
    # Course ids repeat every 1,500 courses (500 units): the big enterprise's own run on, so that
    # its units' courses stay distinct (no DUPLICATE_COURSE by construction).
    course_id = "'C' || lpad(CAST(course % 1500 AS VARCHAR), 4, '0')"
    if u:
        course_id = (
            f"CASE WHEN e < {u} THEN 'C' || lpad(CAST(course AS VARCHAR), 6, '0') "
            f"ELSE {course_id} END"
        )
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
            FROM ent {f"WHERE e = 0 OR e >= {u}" if u else ""} ORDER BY e""",
        "projects": f"""
            SELECT DISTINCT {pid} AS project_id, enterprise_id,
                   {course_id} AS course_id,
                   {_pick(COURSES, "course % 1500")} || '线上职业培训（' || proj || '）' AS title,
                   approved_on, '申学在线' AS platform_name,
                   CASE WHEN proj % 10 = 0 THEN 'self' ELSE 'third_party' END AS platform_kind
            FROM claim ORDER BY project_id""",
        # Besides each person's own row: a planted fake trainee also on another planted
        # enterprise's roster, open-ended (overlapping employment); in a look-alike enterprise,
        # every tenth person's previous job, ending the day before this one began.
        "trainees": f"""
            WITH r AS ({roster})
            SELECT enterprise_id, person_id, name, phone, employment, employed_from, employed_to
            FROM (SELECT r.p, 0 AS k, en.enterprise_id, r.person_id, r.name, r.phone,
                         r.employment, r.employed_from, NULL::DATE AS employed_to
                  FROM r JOIN ent en ON en.e = r.e WHERE NOT r.roster_skip
                  UNION ALL
                  SELECT r.p, 1, tw.enterprise_id, r.person_id, r.name, r.phone,
                         'labor_contract', DATE '2020-01-01', NULL::DATE
                  FROM r JOIN ent en ON en.e = r.e JOIN ent tw ON tw.e = en.twin_e
                  WHERE r.multi
                  UNION ALL
                  SELECT r.p, 2, nx.enterprise_id, r.person_id, r.name, r.phone,
                         'labor_contract', r.employed_from - 1000, r.employed_from - 1
                  FROM r JOIN ent en ON en.e = r.e
                  JOIN ent nx ON nx.e = (en.e + 1) % {n["enterprises"]}
                  WHERE en.look AND r.p % 10 = 1 AND nx.e <> en.e)
            ORDER BY p, k""",
        "claims": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(import_day AS TIMESTAMP) + INTERVAL 9 HOUR
                       + to_minutes(CAST(hash(c, {s}, 'imin') % 480 AS INTEGER)) AS imported_at,
                   CASE WHEN v BETWEEN 30 AND 32 THEN 500 WHEN v BETWEEN 33 AND 34 THEN 800
                        ELSE 600 END AS amount
            FROM claim ORDER BY c""",
        # A backfill claim signs in again the day after its import, to add its last session.
        "signins": f"""
            SELECT project_id, person_id, signed_in_at, device_id, ip
            FROM (SELECT c, i, {pid} AS project_id, person_id,
                         CAST(first_day + i + i // 3 AS TIMESTAMP) + INTERVAL 7 HOUR
                             + to_minutes(40 + CAST(hash(c, i, {s}, 'sign') % 15 AS INTEGER))
                             AS signed_in_at,
                         {device} AS device_id, {ip} AS ip
                  FROM claim, {_ints(10, "i")}
                  WHERE i < study_days AND NOT (v BETWEEN 5 AND 9 AND i = 1)
                  UNION ALL
                  SELECT c, 10, {pid}, person_id,
                         CAST(import_day AS TIMESTAMP) + INTERVAL 33 HOUR
                             + to_minutes(40 + CAST(hash(c, {s}, 'resign') % 15 AS INTEGER)),
                         {device}, {ip}
                  FROM claim WHERE back)
            ORDER BY c, i""",
        "study_sessions": f"""
            SELECT {pid} AS project_id, person_id, started_at,
                   started_at + to_seconds(duration) AS ended_at,
                   'L' || lpad(CAST(j + 1 AS VARCHAR), 2, '0') AS lesson_id,
                   {device} AS device_id, {ip} AS ip
            FROM (SELECT *, {start} AS started_at, {duration} AS duration
                  FROM claim, {_ints(SESSIONS_PER_CLAIM, "j")}
                  WHERE c * {SESSIONS_PER_CLAIM} + j < {sessions})
            ORDER BY c, j""",
        # Questions name the claim's chapter and section (72 of them, so at most 2 people of
        # one enterprise ask the same); "谢谢老师！" is posted by many (4 characters: under the
        # 10 that QA_COPIED needs). A farm's planted claims all ask one question.
        "qa": f"""
            SELECT {pid} AS project_id, person_id,
                   CAST(first_day + (q * study_days) // 3 + ((q * study_days) // 3) // 3
                        AS TIMESTAMP) + INTERVAL 12 HOUR
                       + to_minutes(CAST(hash(c, q, {s}, 'qa') % 50 AS INTEGER)) AS posted_at,
                   CASE WHEN q = 1 THEN 'answer' ELSE 'question' END AS role,
                   CASE WHEN q = 0 AND farm THEN '请问本项目的结业考试在哪里报名参加？'
                        WHEN q = 0 THEN {chapter} || '的练习怎么做？'
                        WHEN q = 1 THEN '参考' || {chapter} || '的例题，先看操作规程。'
                        ELSE '谢谢老师！' END AS text
            FROM claim, {_ints(3, "q")}
            WHERE q <= hash(c, {s}, 'posts') % 3 AND NOT (v BETWEEN 10 AND 14)
            ORDER BY c, q""",
        # Farm: the planted claims submit one answer sheet per project (72 points, below every
        # honest colleague's 80-100, so it is never the best score's) within 2-4 minutes;
        # backfill: 3-4 minutes.
        "exams": f"""
            SELECT {pid} AS project_id, person_id, started_at,
                   started_at + to_seconds(took) AS submitted_at,
                   CASE WHEN farm THEN 72
                        WHEN style = 'farm' THEN 80 + CAST(hash(c, {s}, 'score') % 21 AS INTEGER)
                        ELSE 60 + CAST(hash(c, {s}, 'score') % 41 AS INTEGER) END AS score,
                   60 AS pass_score,
                   CASE WHEN farm THEN md5('farm' || proj || '-' || {s})
                        ELSE md5('answers' || c || '-' || {s}) END AS answers_digest
            FROM (SELECT *,
                         CAST(exam_day AS TIMESTAMP) + to_hours(exam_hour)
                             + CASE WHEN farm
                                    THEN to_seconds(CAST(hash(c, {s}, 'exam') % 60 AS INTEGER))
                                    ELSE to_minutes(CAST(hash(c, {s}, 'exam') % 30 AS INTEGER))
                               END AS started_at,
                         CASE WHEN farm THEN 120 + CAST(hash(c, {s}, 'took') % 120 AS INTEGER)
                              WHEN back THEN 180 + CAST(hash(c, {s}, 'took') % 60 AS INTEGER)
                              ELSE 60 * (30 + CAST(hash(c, {s}, 'took') % 30 AS INTEGER))
                         END AS took
                  FROM claim WHERE NOT (v BETWEEN 15 AND 19))
            ORDER BY c""",
    }


def _truth_queries() -> dict[str, str]:
    """The ground truth beside the export: planted enterprises and look-alike enterprises."""
    patterns = " ".join(f"WHEN '{k}' THEN '{';'.join(v)}'" for k, v in PATTERNS.items())
    return {
        "fraud": f"""
            SELECT en.enterprise_id, en.style, CASE en.style {patterns} END AS patterns,
                   count(*) FILTER (WHERE cl.fr OR cl.fake) AS planted_claims,
                   count(*) AS claims,
                   count(DISTINCT cl.p) FILTER (WHERE cl.fr OR cl.fake) AS planted_trainees,
                   count(DISTINCT cl.p) AS trainees,
                   any_value(tw.enterprise_id) AS other_roster_enterprise_id
            FROM ent en JOIN claim cl ON cl.e = en.e LEFT JOIN ent tw ON tw.e = en.twin_e
            WHERE en.style IS NOT NULL
            GROUP BY en.enterprise_id, en.style ORDER BY en.enterprise_id""",
        "lookalikes": """
            SELECT enterprise_id,
                   'shared_training_pc;live_class_19h;job_change;nine_hour_day;fixed_length_videos;'
                   || 'thanks_posts' AS lookalikes
            FROM ent WHERE look ORDER BY enterprise_id""",
    }


def generate(
    sessions: int,
    out: Path,
    fmt: str = "parquet",
    seed: int = 7,
    fraud: int | None = None,
    big_enterprise: int = 0,
) -> dict[str, int]:
    """Write the eight tables for `sessions` study sessions to `out`; returns rows per table.

    `fraud` planted enterprises (None or 0: none) add `_truth/fraud.csv` and
    `_truth/lookalikes.csv` beside the tables (counted as `truth.fraud`, `truth.lookalikes`).
    `big_enterprise` trainees (rounded up to 50; 0: none) make one enterprise of that many
    (the skew case of issue 8), written to `_truth/big_enterprise.csv`.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format {fmt!r}: parquet or csv")
    sessions = max(1, sessions)
    units = sizes(sessions)["enterprises"]
    u = big_units(big_enterprise)
    if big_enterprise < 0 or u >= units:
        raise ValueError(
            f"big enterprise of {big_enterprise} trainees: 0 or more, and fewer than the "
            f"export's {sizes(sessions)['trainees']:,} trainees less one enterprise's 50"
        )
    k = min(int(fraud or 0), units - (u - 1 if u else 0))
    if k < 0:
        raise ValueError(f"fraud enterprises {fraud}: 0 or more")
    if k and sizes(sessions)["trainees"] > 600_000:  # planted IDs are unique up to there
        raise ValueError("--fraud supports up to 18 M sessions (600,000 trainees)")
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    _build(con, sessions, seed, k, big_enterprise)
    options = (
        "(FORMAT parquet, COMPRESSION zstd)"
        if fmt == "parquet"
        else f"(FORMAT csv, HEADER, TIMESTAMPFORMAT '{TIMESTAMP_FORMAT}', DATEFORMAT '%Y-%m-%d')"
    )
    counts = {}
    for name, sql in _queries(sessions, seed, big_enterprise).items():
        target = out / f"{name}.{fmt}"
        counts[name] = con.execute(f"COPY ({sql}) TO '{target}' {options}").fetchall()[0][0]
    for name in (*_truth_queries(), BIG_TRUTH):
        (out / TRUTH_DIR / f"{name}.csv").unlink(missing_ok=True)  # no stale truth
    if k:
        (out / TRUTH_DIR).mkdir(exist_ok=True)
        for name, sql in _truth_queries().items():
            target = out / TRUTH_DIR / f"{name}.csv"
            counts[f"truth.{name}"] = con.execute(
                f"COPY ({sql}) TO '{target}' (FORMAT csv, HEADER)"
            ).fetchall()[0][0]
    if u:
        (out / TRUTH_DIR).mkdir(exist_ok=True)
        target = out / TRUTH_DIR / f"{BIG_TRUTH}.csv"
        counts[f"truth.{BIG_TRUTH}"] = con.execute(f"""
            COPY (SELECT any_value(enterprise_id) AS enterprise_id, count(DISTINCT p) AS trainees,
                         count(*) AS claims, count(DISTINCT proj) AS projects
                  FROM claim WHERE e < {u})
            TO '{target}' (FORMAT csv, HEADER)""").fetchall()[0][0]
    con.close()
    return counts


# Each authenticity signal as its definition reads, over the written files (views s = sessions,
# g = sign-ins, x = exams, q = Q&A, c = claims, t = trainees, pr = projects), independent of the
# auditor's facts: the enterprises where it fires. Where a definition leaves a choice, the check
# takes the wider one (sign-ins count as device use, any Q&A role, a trainee in lockstep with
# two others on three days), so that a clean enterprise passing it passes the signal too.
SIGNAL_SQL = {
    "CONCURRENT_SESSIONS": """
        WITH o AS (
            SELECT person_id, project_id,
                   epoch(least(ended_at, prev_end)) - epoch(started_at) AS overlap
            FROM (SELECT *, max(ended_at) OVER (PARTITION BY person_id ORDER BY started_at,
                                                ended_at ROWS BETWEEN UNBOUNDED PRECEDING
                                                AND 1 PRECEDING) AS prev_end FROM s)
            WHERE prev_end > started_at),
        p AS (SELECT person_id FROM o GROUP BY person_id HAVING sum(overlap) >= 60)
        SELECT DISTINCT pr.enterprise_id FROM o JOIN p USING (person_id) JOIN pr USING (project_id)
    """,
    "SHARED_DEVICE": """
        WITH u AS (
            SELECT device_id, person_id, project_id, started_at AS a, ended_at AS b FROM s
            UNION ALL
            SELECT device_id, person_id, project_id, signed_in_at, signed_in_at FROM g),
        d AS (SELECT device_id, count(DISTINCT person_id) AS people FROM u
              WHERE coalesce(trim(device_id), '') <> '' GROUP BY device_id HAVING people >= 2),
        near AS (
            SELECT DISTINCT u1.device_id FROM u u1 JOIN u u2 USING (device_id)
            WHERE device_id IN (SELECT device_id FROM d WHERE people = 2)
              AND u1.person_id < u2.person_id
              AND u1.a <= u2.b + INTERVAL 5 MINUTE AND u2.a <= u1.b + INTERVAL 5 MINUTE),
        f AS (SELECT device_id FROM d WHERE people >= 3 UNION SELECT device_id FROM near)
        SELECT DISTINCT pr.enterprise_id FROM u JOIN f USING (device_id) JOIN pr USING (project_id)
    """,
    "LOCKSTEP": """
        WITH e AS (SELECT pr.enterprise_id, s.person_id, s.started_at, s.ended_at,
                          CAST(s.started_at AS DATE) AS day
                   FROM s JOIN pr USING (project_id)),
        m AS (SELECT a.enterprise_id, a.person_id, a.day, a.started_at,
                     count(DISTINCT b.person_id) AS others
              FROM e a JOIN e b ON a.enterprise_id = b.enterprise_id AND a.day = b.day
                   AND a.person_id <> b.person_id
                   AND abs(epoch(a.started_at) - epoch(b.started_at)) <= 60
                   AND abs(epoch(a.ended_at) - epoch(b.ended_at)) <= 60
              GROUP BY ALL),
        t AS (SELECT enterprise_id, person_id FROM m WHERE others >= 2
              GROUP BY ALL HAVING count(DISTINCT day) >= 3)
        SELECT enterprise_id FROM t GROUP BY enterprise_id HAVING count(*) >= 3
    """,
    "IMPLAUSIBLE_DAY": """
        WITH d AS (SELECT person_id, project_id, CAST(started_at AS DATE) AS day,
                          epoch(ended_at) - epoch(started_at) AS secs,
                          hour(started_at) < 5 OR CAST(ended_at AS DATE) > CAST(started_at AS DATE)
                              AS night
                   FROM s WHERE ended_at > started_at),
        p AS (SELECT person_id FROM d GROUP BY person_id, day HAVING sum(secs) > 36000
              UNION
              SELECT person_id FROM d WHERE night GROUP BY person_id
              HAVING count(DISTINCT day) >= 3)
        SELECT DISTINCT pr.enterprise_id FROM d JOIN p USING (person_id) JOIN pr USING (project_id)
    """,
    "MACHINE_REGULARITY": """
        WITH r AS (SELECT row_number() OVER () AS id, project_id, person_id,
                          epoch(started_at) - epoch(date_trunc('day', started_at)) AS tod,
                          epoch(ended_at) - epoch(started_at) AS dur FROM s)
        SELECT DISTINCT pr.enterprise_id
        FROM (SELECT a.id, a.project_id FROM r a JOIN r b
                  ON a.project_id = b.project_id AND a.person_id = b.person_id
                 AND abs(a.tod - b.tod) <= 60 AND abs(a.dur - b.dur) <= 1
              GROUP BY a.id, a.project_id HAVING count(*) >= 5) JOIN pr USING (project_id)
    """,
    "EXAM_TOO_FAST": """
        SELECT DISTINCT pr.enterprise_id FROM x JOIN pr USING (project_id)
        WHERE submitted_at >= started_at AND epoch(submitted_at) - epoch(started_at) < 300
    """,
    "IDENTICAL_ANSWERS": """
        WITH a AS (SELECT * FROM x WHERE coalesce(trim(answers_digest), '') <> ''),
        best AS (SELECT a.project_id, a.answers_digest FROM a
                 JOIN (SELECT project_id, max(score) AS top FROM a GROUP BY 1) m
                   ON m.project_id = a.project_id AND a.score = m.top)
        SELECT DISTINCT pr.enterprise_id
        FROM (SELECT project_id, answers_digest FROM a GROUP BY ALL
              HAVING count(DISTINCT person_id) >= 3
              EXCEPT SELECT project_id, answers_digest FROM best) JOIN pr USING (project_id)
    """,
    "STUDY_AFTER_EXAM": """
        SELECT DISTINCT pr.enterprise_id
        FROM s JOIN (SELECT project_id, person_id, max(submitted_at) AS last FROM x GROUP BY ALL)
             USING (project_id, person_id)
        JOIN pr USING (project_id) WHERE s.started_at > last
    """,
    "ACTIVITY_AFTER_IMPORT": """
        WITH act AS (SELECT project_id, person_id, ended_at AS ts FROM s
                     UNION ALL SELECT project_id, person_id, signed_in_at FROM g
                     UNION ALL SELECT project_id, person_id, submitted_at FROM x)
        SELECT DISTINCT pr.enterprise_id
        FROM act JOIN (SELECT project_id, person_id, min(imported_at) AS imported FROM c
                       GROUP BY ALL) USING (project_id, person_id)
        JOIN pr USING (project_id) WHERE act.ts > imported
    """,
    "QA_COPIED": r"""
        WITH n AS (SELECT project_id, person_id,
                          regexp_replace(text, '[\s\p{P}]', '', 'g') AS t FROM q)
        SELECT DISTINCT pr.enterprise_id
        FROM (SELECT project_id FROM n WHERE length(t) >= 10 GROUP BY project_id, t
              HAVING count(DISTINCT person_id) >= 3) JOIN pr USING (project_id)
    """,
    "PERSON_MULTI_ENTERPRISE": """
        WITH cl AS (SELECT c.person_id, pr.enterprise_id, year(c.imported_at) AS y
                    FROM c JOIN pr USING (project_id)),
        claimed AS (SELECT person_id, y FROM cl GROUP BY ALL
                    HAVING count(DISTINCT enterprise_id) >= 2),
        rostered AS (SELECT DISTINCT a.person_id FROM t a JOIN t b USING (person_id)
                     WHERE a.enterprise_id < b.enterprise_id
                       AND coalesce(a.employed_from, DATE '0001-01-01')
                           <= coalesce(b.employed_to, DATE '9999-12-31')
                       AND coalesce(b.employed_from, DATE '0001-01-01')
                           <= coalesce(a.employed_to, DATE '9999-12-31'))
        SELECT enterprise_id FROM cl JOIN claimed USING (person_id, y)
        UNION SELECT enterprise_id FROM t JOIN rostered USING (person_id)
    """,
    "AGE_OUT_OF_RANGE": """
        WITH first AS (
            SELECT project_id, person_id, CAST(min(ts) AS DATE) AS day
            FROM (SELECT project_id, person_id, started_at AS ts FROM s
                  UNION ALL SELECT project_id, person_id, signed_in_at FROM g
                  UNION ALL SELECT project_id, person_id, submitted_at FROM x)
            GROUP BY ALL),
        b AS (SELECT *, CAST(try_strptime(substr(person_id, 7, 8), '%Y%m%d') AS DATE) AS birth,
                     CAST(substr(person_id, 17, 1) AS INTEGER) % 2 = 1 AS male
              FROM first),
        a AS (SELECT *, year(day) - year(birth)
                        - CASE WHEN strftime(day, '%m%d') < strftime(birth, '%m%d') THEN 1
                               ELSE 0 END AS age FROM b WHERE birth IS NOT NULL)
        SELECT DISTINCT pr.enterprise_id FROM a JOIN pr USING (project_id)
        WHERE age < 16 OR age >= CASE WHEN male THEN 60 ELSE 50 END
    """,
    "SHARED_PHONE": """
        SELECT DISTINCT enterprise_id FROM t
        WHERE phone IN (SELECT phone FROM t WHERE coalesce(trim(phone), '') <> ''
                        GROUP BY phone HAVING count(DISTINCT person_id) >= 2)
    """,
}

_TYPED = {
    "s": ("study_sessions", "project_id, person_id, started_at::TIMESTAMP AS started_at, "
          "ended_at::TIMESTAMP AS ended_at, device_id"),
    "g": ("signins", "project_id, person_id, signed_in_at::TIMESTAMP AS signed_in_at, device_id"),
    "x": ("exams", "project_id, person_id, started_at::TIMESTAMP AS started_at, "
          "submitted_at::TIMESTAMP AS submitted_at, score::DOUBLE AS score, answers_digest"),
    "q": ("qa", "project_id, person_id, role, text"),
    "c": ("claims", "project_id, person_id, imported_at::TIMESTAMP AS imported_at"),
    "t": ("trainees", "enterprise_id, person_id, phone::VARCHAR AS phone, employment, "
          "employed_from::DATE AS employed_from, employed_to::DATE AS employed_to"),
    "pr": ("projects", "project_id, enterprise_id, approved_on::DATE AS approved_on"),
}  # fmt: skip


# The innocent look-alikes, counted, so that --verify shows they are there (and, by the signals
# passing, under every threshold).
LOOKALIKE_SQL = {
    "devices of exactly 2 trainees (shared training-room PC)": """
        SELECT count(*) FROM (SELECT device_id FROM s GROUP BY device_id
                              HAVING count(DISTINCT person_id) = 2)""",
    "project days where >= 3 join a live class at 19:00": """
        SELECT count(*) FROM (SELECT project_id FROM s
                              WHERE strftime(started_at, '%H:%M') IN ('19:00', '19:01')
                              GROUP BY project_id, CAST(started_at AS DATE)
                              HAVING count(DISTINCT person_id) >= 3)""",
    "people on two rosters one after the other (job change)": """
        SELECT count(DISTINCT a.person_id) FROM t a JOIN t b USING (person_id)
        WHERE a.enterprise_id <> b.enterprise_id AND a.employed_to < b.employed_from""",
    "claims with >= 5 sessions of one exact length (fixed-length videos)": """
        SELECT count(*) FROM (SELECT project_id, person_id FROM s JOIN pr USING (project_id)
                              WHERE enterprise_id NOT IN (SELECT enterprise_id FROM planted)
                              GROUP BY project_id, person_id, epoch(ended_at) - epoch(started_at)
                              HAVING count(*) >= 5)""",
    "days of 9-10 h study of one trainee (nine-hour day)": """
        SELECT count(*) FROM (SELECT person_id FROM s JOIN pr USING (project_id)
                              WHERE enterprise_id NOT IN (SELECT enterprise_id FROM planted)
                              GROUP BY person_id, CAST(started_at AS DATE)
                              HAVING sum(epoch(ended_at) - epoch(started_at)) >= 32400)""",
    "projects where >= 3 post 谢谢老师": r"""
        SELECT count(*) FROM (SELECT project_id FROM q
                              WHERE regexp_replace(text, '[\s\p{P}]', '', 'g') = '谢谢老师'
                              GROUP BY project_id HAVING count(DISTINCT person_id) >= 3)""",
}


def load_export(out: Path, fmt: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    extra = "" if fmt == "parquet" else ", all_varchar = true"
    for view, (table, columns) in _TYPED.items():
        src = f"{reader}('{out / f'{table}.{fmt}'}'{extra})"
        con.execute(f"CREATE TEMP TABLE {view} AS SELECT {columns} FROM {src}")
    truth = out / TRUTH_DIR / "fraud.csv"
    con.execute(
        f"CREATE TEMP TABLE planted AS SELECT enterprise_id, style "
        f"FROM read_csv('{truth}', all_varchar = true)"
        if truth.is_file()
        else "CREATE TEMP TABLE planted (enterprise_id VARCHAR, style VARCHAR)"
    )
    return con


def signals(out: Path, fmt: str) -> dict[str, set[str]]:
    """Enterprises of the export in `out` where each authenticity signal fires (SIGNAL_SQL)."""
    with load_export(out, fmt) as con:
        return {
            name: {r[0] for r in con.execute(sql).fetchall()} for name, sql in SIGNAL_SQL.items()
        }


def lookalikes(out: Path, fmt: str) -> dict[str, int]:
    """How many of each innocent look-alike the export in `out` holds (LOOKALIKE_SQL)."""
    with load_export(out, fmt) as con:
        return {name: con.execute(sql).fetchall()[0][0] for name, sql in LOOKALIKE_SQL.items()}


# Planted claims that a compliance rule of shanghai-2022 would stop, checked plainly: under
# 1,080 credited minutes (the union of the sessions), a study day without a sign-in, no Q&A,
# no exam or (but for backfill) the last exam before the study ended, not on the enterprise's
# roster (labor_contract or dispatch), activity outside approval .. approval + 3 months, the
# import more than 14 calendar days (surely within 10 working days) after the training ended.
INCOMPLETE_SQL = """
    WITH cl AS (SELECT c.project_id, c.person_id, c.imported_at, pr.enterprise_id, pr.approved_on
                FROM c JOIN pr USING (project_id)
                WHERE enterprise_id IN (SELECT enterprise_id FROM planted)),
    u AS (SELECT project_id, person_id,
                 sum(epoch(ended_at) - epoch(greatest(started_at, coalesce(prev, started_at))))
                     FILTER (WHERE ended_at > coalesce(prev, started_at)) / 60 AS minutes,
                 max(ended_at) AS last_study
          FROM (SELECT *, max(ended_at) OVER (PARTITION BY project_id, person_id
                    ORDER BY started_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
                FROM s)
          GROUP BY ALL),
    unsigned AS (SELECT DISTINCT project_id, person_id FROM s
                 WHERE (project_id, person_id, CAST(started_at AS DATE)) NOT IN
                       (SELECT (project_id, person_id, CAST(signed_in_at AS DATE)) FROM g)),
    act AS (SELECT project_id, person_id, min(a) AS first_at, max(b) AS last_at
            FROM (SELECT project_id, person_id, started_at AS a, ended_at AS b FROM s
                  UNION ALL SELECT project_id, person_id, signed_in_at, signed_in_at FROM g
                  UNION ALL SELECT project_id, person_id, started_at, submitted_at FROM x)
            GROUP BY ALL),
    ex AS (SELECT project_id, person_id, max(submitted_at) AS last_exam FROM x GROUP BY ALL),
    qa AS (SELECT DISTINCT project_id, person_id FROM q),
    ro AS (SELECT DISTINCT enterprise_id, person_id FROM t
           WHERE employment IN ('labor_contract', 'dispatch'))
    SELECT cl.enterprise_id, cl.person_id,
           concat_ws(' ', CASE WHEN coalesce(u.minutes, 0) < 1080 THEN 'hours' END,
                     CASE WHEN un.person_id IS NOT NULL THEN 'signin' END,
                     CASE WHEN qa.person_id IS NULL THEN 'qa' END,
                     CASE WHEN ex.last_exam IS NULL THEN 'exam' END,
                     CASE WHEN ex.last_exam < u.last_study
                           AND cl.enterprise_id NOT IN (SELECT enterprise_id FROM planted
                                                        WHERE style = 'backfill')
                          THEN 'exam_before_study_end' END,
                     CASE WHEN ro.person_id IS NULL THEN 'roster' END,
                     CASE WHEN CAST(act.first_at AS DATE) < cl.approved_on
                            OR CAST(act.last_at AS DATE)
                               > CAST(cl.approved_on + INTERVAL 3 MONTH AS DATE)
                          THEN 'window' END,
                     CASE WHEN CAST(cl.imported_at AS DATE) > CAST(act.last_at AS DATE) + 14
                          THEN 'import' END) AS problems
    FROM cl
    LEFT JOIN u USING (project_id, person_id)
    LEFT JOIN unsigned un USING (project_id, person_id)
    LEFT JOIN qa USING (project_id, person_id)
    LEFT JOIN ex USING (project_id, person_id)
    LEFT JOIN act USING (project_id, person_id)
    LEFT JOIN ro ON ro.enterprise_id = cl.enterprise_id AND ro.person_id = cl.person_id
"""


def incomplete(out: Path, fmt: str) -> list[tuple[str, str, str]]:
    """Planted claims a compliance rule would stop (INCOMPLETE_SQL): enterprise, person, why."""
    with load_export(out, fmt) as con:
        return con.execute(f"SELECT * FROM ({INCOMPLETE_SQL}) WHERE problems <> ''").fetchall()


# Signals the big enterprise (--big-enterprise) may show by chance, as the signal defines them.
# LOCKSTEP: at 1 M sessions with one enterprise of 20,000 trainees, three of its people start
# and end within a minute of each other on three days by chance (measured 2026-12-01; the
# signal is per enterprise, and this one has thousands of sessions a day). Shown, not failed.
BIG_SIGNALS_OK = frozenset({"LOCKSTEP"})


def verify_fraud(out: Path, fmt: str) -> list[str]:
    """Every planted enterprise (`_truth/fraud.csv`, if any) shows each of its patterns, and no
    other enterprise shows any signal (the look-alikes stay under every threshold)."""
    truth_file = out / TRUTH_DIR / "fraud.csv"
    planted: dict[str, set[str]] = {}
    if truth_file.is_file():
        with truth_file.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                planted[row["enterprise_id"]] = set(row["patterns"].split(";"))
    big_file = out / TRUTH_DIR / f"{BIG_TRUTH}.csv"
    big: set[str] = set()
    if big_file.is_file():
        with big_file.open(encoding="utf-8", newline="") as fh:
            big = {row["enterprise_id"] for row in csv.DictReader(fh)}
    found = signals(out, fmt)
    problems = []
    # planted: enterprises planted with it; found: of those, where it fires; also: planted
    # enterprises of another style where it fires (a fake trainee on a farm's roster); clean.
    # big: the --big-enterprise one fires (shown, not held against it: see BIG_SIGNALS_OK)
    print(f"{'signal':24} {'planted':>7} {'found':>5} {'also':>4} {'clean':>5}"
          + (f" {'big':>3}" if big else ""))  # fmt: skip
    for name in SIGNALS:
        expected = {e for e, patterns in planted.items() if name in patterns}
        missing = expected - found[name]
        clean = found[name] - planted.keys() - (big if name in BIG_SIGNALS_OK else set())
        also = found[name] & planted.keys() - expected
        print(
            f"{name:24} {len(expected):>7} {len(expected & found[name]):>5} {len(also):>4}"
            f" {len(clean):>5}" + (f" {len(found[name] & big):>3}" if big else "")
        )
        if missing:
            problems.append(f"{name}: not found in planted {', '.join(sorted(missing))}")
        if clean:
            problems.append(f"{name}: fires in {len(clean)} clean enterprises, e.g. {min(clean)}")
    for name, count in lookalikes(out, fmt).items():
        print(f"look-alike: {count:>6,} {name}")
    if stopped := incomplete(out, fmt):
        e, person, why = stopped[0]
        problems.append(f"{len(stopped)} planted claims incomplete, e.g. {e} {person}: {why}")
    return problems


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
        "--fraud",
        action="store_true",
        help="plant fraud patterns in a few enterprises; the truth goes to OUT/_truth/",
    )
    parser.add_argument(
        "--fraud-enterprises",
        type=int,
        metavar="K",
        help="how many enterprises to plant (default 1 %%, at least 5); implies --fraud",
    )
    parser.add_argument(
        "--big-enterprise",
        type=int,
        default=0,
        metavar="TRAINEES",
        help="make one enterprise of TRAINEES trainees (rounded up to 50; 3 projects per 50, "
        "as elsewhere), never planted; the skew case of issue 8 (100,000 needs over 3 M sessions)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check the export against the contract, and the authenticity signals: planted "
        "enterprises show their patterns, clean ones none",
    )
    args = parser.parse_args()
    fraud = args.fraud_enterprises
    if fraud is None and args.fraud:
        fraud = default_fraud_enterprises(args.sessions)
    start = time.perf_counter()
    counts = generate(args.sessions, args.out, args.format, args.seed, fraud, args.big_enterprise)
    seconds = time.perf_counter() - start
    for name, rows in counts.items():
        print(f"{name:18} {rows:>12,}")
    size_bytes = sum(p.stat().st_size for p in args.out.glob(f"*.{args.format}"))
    print(f"generated in {seconds:.1f} s, {size_bytes / 2**20:,.0f} MiB -> {args.out}")
    if args.verify:
        problems = [f"CONTRACT: {p}" for p in verify(args.out, args.format)]
        start = time.perf_counter()
        problems += [f"SIGNAL: {p}" for p in verify_fraud(args.out, args.format)]
        print(f"signals checked in {time.perf_counter() - start:.1f} s")
        for problem in problems:
            print(problem)
        if problems:
            return 1
        print("conforms to the contract; planted patterns present, clean enterprises clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
