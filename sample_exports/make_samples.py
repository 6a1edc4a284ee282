"""Regenerate sample_exports/ (Shanghai 2022) and sample_exports/yingkou-2020/.

Deterministic: the same script writes the same bytes. Each problem claim is built from a payable
one by one change, so its expected findings are easy to review (see README.md beside this file).
Run: `python sample_exports/make_samples.py [TARGET_DIR]`. The expected audit output beside
the data (expected/) is checked by tests/test_samples.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

from stdnum.cn import ric, uscc

HERE = Path(__file__).resolve().parent
D, T = dt.date, dt.datetime
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "158", "186", "189")
COLUMNS = {
    "enterprises": ["enterprise_id", "name", "district", "size_class", "main_business"],
    "projects": [
        "project_id",
        "enterprise_id",
        "course_id",
        "title",
        "approved_on",
        "platform_name",
        "platform_kind",
    ],
    "trainees": [
        "enterprise_id",
        "person_id",
        "name",
        "phone",
        "employment",
        "employed_from",
        "employed_to",
    ],
    "claims": ["project_id", "person_id", "imported_at", "amount"],
    "signins": ["project_id", "person_id", "signed_in_at", "device_id", "ip"],
    "study_sessions": [
        "project_id",
        "person_id",
        "started_at",
        "ended_at",
        "lesson_id",
        "device_id",
        "ip",
    ],
    "qa": ["project_id", "person_id", "posted_at", "role", "text"],
    "exams": [
        "project_id",
        "person_id",
        "started_at",
        "submitted_at",
        "score",
        "pass_score",
        "answers_digest",
    ],
}


def person_id(region: str, born: dt.date, seq: int) -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def phone(pid: str) -> str:
    """An 11-digit mobile number derived from the ID number: one person, one phone."""
    digits = str(int(hashlib.sha256(pid.encode()).hexdigest(), 16))
    return MOBILE_PREFIXES[int(digits[0])] + digits[1:9]


def credit_code(body: str) -> str:
    """An 18-character USCC with a valid GB 32100 check character."""
    return body + uscc.calc_check_digit(body)


class Export:
    """Rows of the eight tables, filled by the helpers below."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = {t: [] for t in COLUMNS}
        self.office_ip: dict[str, str] = {}  # project -> IP of the enterprise's office network
        self.questions = 0  # questions asked so far: the next one asks QUESTIONS[n]

    def project(self, project: str, ent: str, course: str, title: str, approved: dt.date,
                platform: str, ip: str) -> None:  # fmt: skip
        """A filed project; its trainees study from the enterprise's office network `ip`."""
        self.office_ip[project] = ip
        self.add("projects", project_id=project, enterprise_id=ent, course_id=course, title=title,
                 approved_on=approved, platform_name=platform, platform_kind="third_party")  # fmt: skip

    def add(self, table: str, **row: object) -> None:
        self.rows[table].append(row)

    def signin(self, project: str, pid: str, at: object, device: str) -> None:
        self.add(
            "signins",
            project_id=project,
            person_id=pid,
            signed_in_at=at,
            device_id=device,
            ip=self.office_ip[project],
        )

    def session(
        self, project: str, pid: str, start: object, end: object, lesson: str, device: str
    ) -> None:
        self.add("study_sessions", project_id=project, person_id=pid, started_at=start, ended_at=end,
                 lesson_id=lesson, device_id=device, ip=self.office_ip[project])  # fmt: skip

    def trainee(
        self, ent: str, pid: str, name: str, employment: str = "labor_contract", **kw: object
    ) -> None:
        self.add(
            "trainees",
            enterprise_id=ent,
            person_id=pid,
            name=name,
            phone=kw.get("phone", phone(pid)),
            employment=employment,
            employed_from=kw.get("employed_from", D(2019, 7, 1)),
            employed_to=kw.get("employed_to"),
        )

    def training(
        self,
        project: str,
        pid: str,
        first_day: dt.date,
        minutes: list[int],
        *,
        signin_days: set[int] | None = None,
        qa: bool = True,
        exam: bool = True,
        exam_on_day: int | None = None,
        lesson: str = "L",
        exam_minutes: int = 30,
        score: int = 86,
        digest: str | None = None,
    ) -> dt.datetime:
        """Study `minutes[i]` on day i, a sign-in at 08:50 each day, a question on the last day
        and an exam at 17:00 after the last session; returns the end of the training period.

        People are not clocks: each day starts between 09:00 and 09:25 and the morning lasts
        150 to 190 minutes (the rest after 13:30, as late), by a hash of person and day, so
        honest trainees never look like MACHINE_REGULARITY or LOCKSTEP."""
        last_end = T.combine(first_day, dt.time(9))
        for i, total in enumerate(minutes):
            day = first_day + dt.timedelta(days=i)
            device = f"D-{pid[-4:]}"
            if signin_days is None or i in signin_days:
                self.signin(project, pid, T.combine(day, dt.time(8, 50)), device)
            jitter = int(hashlib.sha256(f"{project}/{pid}/{i}".encode()).hexdigest(), 16)
            late = dt.timedelta(minutes=jitter % 26, seconds=(jitter >> 8) % 60)
            morning = min(total, 150 + (jitter >> 16) % 41)
            start = T.combine(day, dt.time(9)) + late
            last_end = start + dt.timedelta(minutes=morning)
            self.session(project, pid, start, last_end, f"{lesson}{i * 2 + 1}", device)
            if total > morning:
                start = T.combine(day, dt.time(13, 30)) + late
                last_end = start + dt.timedelta(minutes=total - morning)
                self.session(project, pid, start, last_end, f"{lesson}{i * 2 + 2}", device)
        last_day = first_day + dt.timedelta(days=len(minutes) - 1)
        if qa:
            self.add(
                "qa",
                project_id=project,
                person_id=pid,
                posted_at=T.combine(last_day, dt.time(16, 40)),
                role="question",
                text=QUESTIONS[self.questions % len(QUESTIONS)],
            )
            self.questions += 1
        end = last_end
        if exam:
            day = (
                first_day + dt.timedelta(days=exam_on_day) if exam_on_day is not None else last_day
            )
            started = T.combine(day, dt.time(17))
            end = max(end, started + dt.timedelta(minutes=exam_minutes))
            self.add(
                "exams",
                project_id=project,
                person_id=pid,
                started_at=started,
                submitted_at=started + dt.timedelta(minutes=exam_minutes),
                score=score,
                pass_score=60,
                answers_digest=digest
                or "sha1:" + hashlib.sha1(f"{project}/{pid}".encode()).hexdigest()[:12],
            )
        return end

    def question(self, project: str, pid: str, at: dt.datetime, text: str) -> None:
        self.add("qa", project_id=project, person_id=pid, posted_at=at, role="question", text=text)

    def exam(self, project: str, pid: str, start: dt.datetime, minutes: int, score: int,
             digest: str) -> None:  # fmt: skip
        self.add("exams", project_id=project, person_id=pid, started_at=start,
                 submitted_at=start + dt.timedelta(minutes=minutes), score=score, pass_score=60,
                 answers_digest=digest)  # fmt: skip

    def claim(self, project: str, pid: str, imported_at: dt.datetime, amount: object = 600) -> None:
        self.add(
            "claims", project_id=project, person_id=pid, imported_at=imported_at, amount=amount
        )

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for table, columns in COLUMNS.items():
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(columns)
                for row in self.rows[table]:
                    writer.writerow([_cell(row.get(c)) for c in columns])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# Questions trainees ask, one each in turn: honest trainees do not paste the same text.
QUESTIONS = (
    "请问本章的练习题在哪里下载？",
    "数据透视表怎样按月份分组汇总？",
    "VLOOKUP 查不到值时返回什么？",
    "入库单和验收单的区别是什么？",
    "先进先出在系统里怎么设置？",
    "盘点差异应该由谁审批？",
    "叉车倒车时喇叭必须一直响吗？",
    "货叉离地多高行驶比较安全？",
    "托盘超高时怎样处理？",
    "客人投诉菜品时第一句话怎么说？",
    "宴会摆台的间距有标准吗？",
    "生熟分开具体指哪些工具？",
    "冷藏食品最长能放几天？",
    "留样需要保存多少小时？",
    "食品添加剂台账怎么记录？",
    "刀工练习每天多久比较合适？",
    "高汤熬制时什么时候撇沫？",
    "油温七成热大概是多少度？",
    "课程视频可以倍速播放吗？",
    "考试可以重考几次？",
    "证书什么时候可以下载？",
    "第三讲的课件能发一下吗？",
    "单元测验的答案在哪里看？",
    "线上答疑每周几开放？",
    "焊接前要不要预热钢板？",
    "二氧化碳保护焊的气体流量怎么调？",
    "电工证复审需要带什么材料？",
    "漏电保护器多久测试一次？",
    "绝缘手套的检验周期是多久？",
    "配电箱的接地电阻要求多少？",
    "办公室用电有哪些禁忌？",
    "学习记录什么时候更新？",
)
FULL = [200, 200, 200, 200, 200, 100]  # 1,100 minutes over six days (>= 1,080)


def shanghai() -> Export:
    x = Export()
    ea = credit_code("91310000MA1FL0LX3")
    eb = credit_code("91310115MA1K3YJ2X")
    ec_valid = credit_code("91310104MA1FR2AB1")
    ec = ec_valid[:-1] + ("0" if ec_valid[-1] != "0" else "1")  # a wrong check character
    x.add(
        "enterprises",
        enterprise_id=ea,
        name="上海明德信息科技有限公司",
        district="黄浦区",
        size_class="small",
        main_business="软件开发",
    )
    x.add(
        "enterprises",
        enterprise_id=eb,
        name="上海浦江物流有限公司",
        district="浦东新区",
        size_class="medium",
        main_business="道路货物运输",
    )
    x.add(
        "enterprises",
        enterprise_id=ec,
        name="上海申城餐饮管理有限公司",
        district="徐汇区",
        size_class="micro",
        main_business="餐饮服务",
    )
    office_ip = {ea: "58.33.12.7", eb: "101.229.84.15", ec: "180.168.40.22"}
    projects = [
        ("PA1", ea, "C-BG101", "办公软件高级应用", D(2022, 3, 1)),
        ("PB1", eb, "C-WH201", "仓储管理实务", D(2022, 4, 6)),
        ("PB2", eb, "C-AQ301", "叉车安全操作", D(2022, 9, 1)),
        ("PC1", ec, "C-CY401", "餐饮服务礼仪", D(2022, 5, 9)),
        ("PC2", ec, "C-SP402", "食品安全管理", D(2022, 5, 9)),
        ("PC3", ec, "C-BG101", "办公软件高级应用", D(2022, 6, 1)),
        ("PC4", ec, "C-PR403", "烹饪工艺（一）", D(2022, 6, 1)),
        ("PC5", ec, "C-PR404", "烹饪工艺（二）", D(2022, 6, 1)),
        ("PC6", ec, "C-PR405", "烹饪工艺（三）", D(2022, 6, 1)),
    ]
    for project, ent, course, title, approved in projects:
        x.project(project, ent, course, title, approved, "申学在线", office_ip[ent])
    x.office_ip["PX-9"] = office_ip[eb]  # a project the export does not hold (ORPHAN_RECORD)

    # Enterprise A: four payable claims, nothing to report. The 17th digit of an ID number is odd
    # for men and even for women (GB 11643); the sequence numbers below respect that.
    a_people = [
        ("张伟", person_id("310101", D(1990, 1, 1), 123)),
        ("王芳", person_id("310104", D(1988, 5, 17), 246)),
        ("李娜", person_id("310115", D(1995, 11, 3), 368)),
        ("刘洋", person_id("310106", D(1992, 7, 21), 482)),
    ]
    # A's trainees all hand in the answer key (score 100, one digest: not IDENTICAL_ANSWERS), and
    # 张伟 takes exactly five minutes over it (not EXAM_TOO_FAST).
    key = "sha1:" + hashlib.sha1(b"PA1/answer-key").hexdigest()[:12]
    for i, (name, pid) in enumerate(a_people):
        # 张伟 moves to enterprise C on 9 May 2022 (see DUPLICATE_COURSE below).
        x.trainee(ea, pid, name, employed_to=D(2022, 4, 30) if name == "张伟" else None)
        minutes = [200, 200, 470, 200, 200, 100] if name == "李娜" else FULL
        end = x.training("PA1", pid, D(2022, 3, 2 + i), minutes, score=100, digest=key,
                         exam_minutes=5 if name == "张伟" else 30)  # fmt: skip
        x.claim("PA1", pid, T.combine(end.date() + dt.timedelta(days=3), dt.time(10)))
        # Everyone thanks the teacher the same way: too short to be QA_COPIED.
        x.question("PA1", pid, T.combine(end.date(), dt.time(16, 45)), "谢谢老师！")
    a = dict(a_people)
    # Look-alikes of the authenticity signals that must stay quiet (see README.md):
    # a 19:30 live class on 5-7 March that 王芳, 李娜 and 刘洋 join within a minute and leave
    # minutes apart (not LOCKSTEP); with it 李娜 studies 540 minutes on Sunday 6 March (not
    # IMPLAUSIBLE_DAY).
    for k, day in enumerate([D(2022, 3, 5), D(2022, 3, 6), D(2022, 3, 7)]):
        for j, name in enumerate(["王芳", "李娜", "刘洋"]):
            start = T.combine(day, dt.time(19, 30)) + dt.timedelta(seconds=20 * j + 5 * k)
            length = 70 if (name, k) == ("李娜", 1) else 55 + 9 * j + 4 * k
            x.session(
                "PA1",
                a[name],
                start,
                start + dt.timedelta(minutes=length),
                "LIVE",
                f"D-{a[name][-4:]}",
            )
    # One training-room PC used by two colleagues, days apart (not SHARED_DEVICE).
    x.session("PA1", a["张伟"], T(2022, 3, 4, 19, 0), T(2022, 3, 4, 19, 30), "L-ROOM", "PC-ROOM-A")
    x.session("PA1", a["刘洋"], T(2022, 3, 8, 19, 0), T(2022, 3, 8, 19, 45), "L-ROOM", "PC-ROOM-A")
    # A 45-minute video watched at five different times of day (not MACHINE_REGULARITY).
    for day, hh, mm in [(3, 20, 10), (4, 21, 5), (5, 21, 40), (6, 22, 15), (7, 20, 50)]:
        start = T(2022, 3, day, hh, mm)
        x.session(
            "PA1", a["王芳"], start, start + dt.timedelta(minutes=45), "V1", f"D-{a['王芳'][-4:]}"
        )
    # Back to back: one lesson ends at 19:30:00 as the next begins (not CONCURRENT_SESSIONS).
    x.session(
        "PA1", a["刘洋"], T(2022, 3, 9, 19, 0), T(2022, 3, 9, 19, 30), "L7", f"D-{a['刘洋'][-4:]}"
    )
    x.session(
        "PA1", a["刘洋"], T(2022, 3, 9, 19, 30), T(2022, 3, 9, 20, 0), "L8", f"D-{a['刘洋'][-4:]}"
    )
    # 周国庆 is 59 on his first training day, seven months before he retires (not
    # AGE_OUT_OF_RANGE); he and 冯雪 (enterprise C) left their phones empty (not SHARED_PHONE).
    zhou = person_id("310101", D(1962, 10, 1), 131)
    x.trainee(ea, zhou, "周国庆", phone="")
    end = x.training("PA1", zhou, D(2022, 3, 2), FULL, score=100, digest=key)
    x.claim("PA1", zhou, T.combine(end.date() + dt.timedelta(days=3), dt.time(10)))

    # Enterprise B: one problem per claim.
    # Birth-place codes that existed in the birth year (python-stdnum checks that, see ID_REGION_UNKNOWN).
    b = [
        ("陈静", "310112", D(1991, 2, 14), 104),
        ("杨帆", "310105", D(1987, 9, 9), 101),
        ("赵磊", "310106", D(1993, 4, 30), 103),
        ("黄敏", "310107", D(1989, 12, 1), 106),
        ("周杰", "310109", D(1996, 6, 6), 105),
        ("吴倩", "310110", D(1994, 8, 18), 108),
        ("徐明", "310104", D(1985, 3, 3), 107),
        ("孙丽", "310101", D(1990, 10, 10), 110),
        ("马超", "310101", D(1986, 1, 20), 109),
        ("朱红", "310104", D(1997, 2, 2), 112),
        ("胡斌", "310115", D(1992, 9, 29), 111),
    ]
    bp = {name: person_id(region, born, seq) for name, region, born, seq in b}
    for name, pid in bp.items():
        x.trainee(
            eb,
            pid,
            name,
            employment="other"
            if name == "马超"
            else "dispatch"
            if name == "朱红"
            else "labor_contract",
        )
    start = D(2022, 4, 11)

    def b_claim(name: str, end: dt.datetime, project: str = "PB1", amount: object = 600) -> None:
        x.claim(
            project, bp[name], T.combine(end.date() + dt.timedelta(days=4), dt.time(9, 30)), amount
        )

    b_claim(
        "陈静", x.training("PB1", bp["陈静"], start, [200, 200, 200, 200, 200, 79])
    )  # HOURS_SHORT: 1,079 min
    b_claim(
        "杨帆", x.training("PB1", bp["杨帆"], start, FULL, signin_days=set())
    )  # NO_SIGNIN (+ STUDY_WITHOUT_SIGNIN)
    end = x.training(
        "PB1", bp["赵磊"], start, FULL, signin_days={0, 1, 2, 3, 5}
    )  # STUDY_WITHOUT_SIGNIN (day 5)
    x.signin("PB1", bp["赵磊"], "2022-13-45 25:00:00", "D-x")  # BAD_TIMESTAMP
    x.session(
        "PB1", bp["赵磊"], T(2022, 4, 12, 20), T(2022, 4, 12, 19), "L99", "D-x"
    )  # BAD_TIMESTAMP
    b_claim("赵磊", end)
    x.claim("PB1", bp["赵磊"], T(2022, 4, 22, 16, 0))  # DUPLICATE_IMPORT: imported a second time
    b_claim("黄敏", x.training("PB1", bp["黄敏"], start, FULL, qa=False))  # NO_QA
    b_claim("周杰", x.training("PB1", bp["周杰"], start, FULL, exam=False))  # NO_EXAM
    b_claim(
        "吴倩", x.training("PB1", bp["吴倩"], start, FULL, exam_on_day=3)
    )  # EXAM_BEFORE_STUDY_END (review)
    # IMPORT_LATE across National Day 2022: training ends Thu 29 Sep; 10th working day is 18 Oct.
    end = x.training("PB2", bp["徐明"], D(2022, 9, 24), FULL)
    x.claim("PB2", bp["徐明"], T(2022, 10, 19, 9, 0))
    end = x.training("PB2", bp["孙丽"], D(2022, 9, 24), FULL)
    x.claim("PB2", bp["孙丽"], T(2022, 10, 18, 17, 30), 500)  # on time; AMOUNT_MISMATCH (review)
    b_claim("马超", x.training("PB1", bp["马超"], start, FULL))  # NOT_EMPLOYED (employment other)
    x.signin("PB1", bp["朱红"], T(2022, 4, 5, 21, 0), "D-zh")
    b_claim(
        "朱红", x.training("PB1", bp["朱红"], start, FULL)
    )  # BEFORE_APPROVAL (a sign-in on 5 Apr)
    end = x.training("PB1", bp["胡斌"], start, FULL)
    x.signin("PB1", bp["胡斌"], T(2022, 7, 7, 8, 50), "D-hb")
    x.claim("PB1", bp["胡斌"], T(2022, 7, 8, 10), 600)  # WINDOW_EXCEEDED (window ends 6 Jul)
    x.session(
        "PX-9", bp["胡斌"], T(2022, 4, 20, 9), T(2022, 4, 20, 11), "L1", "D-hb"
    )  # ORPHAN_RECORD

    # Enterprise C (its credit code's check character is wrong: ENTERPRISE_ID_INVALID).
    bad_id = person_id("310109", D(1991, 3, 15), 555)
    bad_id = bad_id[:-1] + ("1" if bad_id[-1] != "1" else "2")  # ID_INVALID: wrong check digit
    c = {
        "郑浩": bad_id,
        "冯雪": person_id("310110", D(1993, 1, 8), 322),
        "许强": person_id("310107", D(1984, 4, 4), 431),
        "张伟": a_people[0][1],  # left enterprise A on 30 Apr, joined C on 9 May
        "高峰": person_id("310105", D(1989, 6, 30), 655),
        "罗兰": person_id("810000", D(1992, 3, 15), 322),  # Hong Kong resident's residence permit
    }
    for name, pid in c.items():
        x.trainee(ec, pid, name, employed_from=D(2022, 5, 9) if name == "张伟" else D(2019, 7, 1),
                  **({"phone": ""} if name == "冯雪" else {}))  # fmt: skip
    x.claim("PC1", c["郑浩"], T(2022, 5, 26, 10), 600)
    x.training("PC1", c["郑浩"], D(2022, 5, 16), FULL)  # ID_INVALID
    x.claim("PC1", c["冯雪"], T(2022, 5, 26, 10), 600)  # NO_ACTIVITY: claimed, no records at all
    x.training(
        "PC1", c["许强"], D(2022, 5, 16), FULL
    )  # SEQUENCE_OVERLAP: PC2 starts before PC1 ends
    x.claim("PC1", c["许强"], T(2022, 5, 26, 10), 600)
    x.training("PC2", c["许强"], D(2022, 5, 20), FULL, lesson="S")
    x.claim("PC2", c["许强"], T(2022, 5, 30, 10), 600)
    # 张伟 took course C-BG101 at enterprise A in March; C claims the same course for him again
    # through PC3: DUPLICATE_COURSE. A's earlier claim stands.
    x.training("PC3", c["张伟"], D(2022, 6, 6), FULL)
    x.claim("PC3", c["张伟"], T(2022, 6, 15, 10), 600)
    # 高峰: four sequential payable claims in 2022; the fourth is over the cap (ANNUAL_CAP).
    for k, project in enumerate(["PC3", "PC4", "PC5", "PC6"]):
        end = x.training(
            project, c["高峰"], D(2022, 6, 6) + dt.timedelta(days=7 * k), FULL, lesson=project
        )
        x.claim(project, c["高峰"], T.combine(end.date() + dt.timedelta(days=1), dt.time(11)), 600)
    # 罗兰: a Hong Kong resident's residence-permit number: payable, ID_REGION_UNKNOWN (info).
    end = x.training("PC4", c["罗兰"], D(2022, 6, 20), FULL)
    x.claim("PC4", c["罗兰"], T.combine(end.date() + dt.timedelta(days=2), dt.time(15)), 600)
    # UNKNOWN_PROJECT: a claim for a project that was never filed.
    x.claim("PC9", c["许强"], T(2022, 7, 1, 10), 600)
    # BAD_ROW: an amount no one can read.
    x.claim("PC5", c["冯雪"], T(2022, 7, 1, 10), "六百元")
    enterprise_d(x, eb)
    return x


def enterprise_d(x: Export, eb: str) -> None:
    """Enterprise D: complete, compliant records that were not real training. Every claim is
    payable by the policy's rules; the authenticity signals (review) say where to look."""
    ed = credit_code("91310112MA1GB7XQ8")
    x.add("enterprises", enterprise_id=ed, name="上海速学人力资源服务有限公司", district="闵行区",
          size_class="small", main_business="人力资源服务")  # fmt: skip
    x.project("PD1", ed, "C-KF501", "客服沟通技巧", D(2022, 8, 1), "申学在线", "116.228.9.30")
    d = {
        "蒋涛": person_id("310112", D(1993, 5, 6), 215),
        "沈玉": person_id("310112", D(1995, 2, 11), 226),
        "韩冰": person_id("310112", D(1991, 12, 24), 348),
        "杨光": person_id("310112", D(1989, 7, 7), 457),
        "秦月": person_id("310112", D(1994, 10, 2), 562),
        "尤建军": person_id("310104", D(1961, 5, 12), 671),
        "许丽": person_id("310112", D(1990, 3, 30), 782),
    }
    for name, pid in d.items():
        x.trainee(ed, pid, name, phone=phone(d["尤建军"]) if name == "许丽" else phone(pid))
    # 秦月 is also on enterprise B's books, employment open-ended (PERSON_MULTI_ENTERPRISE).
    x.trainee(eb, d["秦月"], "秦月")
    first = D(2022, 8, 2)
    imported = T(2022, 8, 10, 10, 0)
    wrong = "sha1:" + hashlib.sha1(b"PD1/one-sheet").hexdigest()[:12]
    # An operator farm: 蒋涛, 沈玉 and 韩冰 "study" on one PC (SHARED_DEVICE), starting and
    # ending within seconds of each other every evening (LOCKSTEP), each session exactly 200
    # minutes at the same time of day (MACHINE_REGULARITY); one question pasted into all three
    # accounts (QA_COPIED); one wrong answer sheet for all three (IDENTICAL_ANSWERS), the first
    # submitted three minutes after it opened (EXAM_TOO_FAST).
    for j, name in enumerate(["蒋涛", "沈玉", "韩冰"]):
        pid = d[name]
        for i in range(6):
            day = first + dt.timedelta(days=i)
            x.signin(
                "PD1",
                pid,
                T.combine(day, dt.time(19, 25)) + dt.timedelta(seconds=7 * j),
                "PC-HR-01",
            )
            start = T.combine(day, dt.time(19, 30)) + dt.timedelta(seconds=11 * j + i)
            x.session("PD1", pid, start, start + dt.timedelta(minutes=200 if i < 5 else 100),
                      f"K{i + 1}", "PC-HR-01")  # fmt: skip
        x.question("PD1", pid, T(2022, 8, 7, 21, 15) + dt.timedelta(seconds=40 * j),
                   "老师您好，请问客服话术中如何安抚客户的情绪？")  # fmt: skip
        x.exam("PD1", pid, T(2022, 8, 7, 21, 30) + dt.timedelta(minutes=4 * j),
               3 if name == "蒋涛" else 12, 72, wrong)  # fmt: skip
        x.claim("PD1", pid, imported)
    # 杨光 leaves the player running: 660 minutes from 00:30 on 2 August, then two more nights
    # (IMPLAUSIBLE_DAY), a second window open during the first morning (CONCURRENT_SESSIONS).
    yg, dev = d["杨光"], "D-yg"
    for day, start, end in [(2, (0, 30), (11, 30)), (3, (1, 0), (5, 0)), (4, (1, 0), (4, 20))]:
        x.signin("PD1", yg, T(2022, 8, day, start[0], start[1]) - dt.timedelta(minutes=5), dev)
        x.session("PD1", yg, T(2022, 8, day, *start), T(2022, 8, day, *end), f"K{day}", dev)
    x.session("PD1", yg, T(2022, 8, 2, 10, 0), T(2022, 8, 2, 11, 0), "K9", "D-yg-2")
    x.question("PD1", yg, T(2022, 8, 4, 8, 40), "投诉电话转接到主管前要记录哪些信息？")
    x.exam(
        "PD1", yg, T(2022, 8, 4, 9, 0), 25, 80, "sha1:" + hashlib.sha1(b"PD1/yg").hexdigest()[:12]
    )
    x.claim("PD1", yg, imported)
    # 秦月 studies once more after her exam (STUDY_AFTER_EXAM, with EXAM_BEFORE_STUDY_END) and
    # signs in again after she was imported (ACTIVITY_AFTER_IMPORT).
    qy = d["秦月"]
    x.training("PD1", qy, first, FULL, score=88)
    x.signin("PD1", qy, T(2022, 8, 8, 8, 50), "D-qy")
    x.session("PD1", qy, T(2022, 8, 8, 9, 0), T(2022, 8, 8, 10, 0), "L13", "D-qy")
    x.signin("PD1", qy, T(2022, 8, 11, 8, 50), "D-qy")
    x.claim("PD1", qy, imported)
    # 尤建军 is 61: past the retirement age of 60 (AGE_OUT_OF_RANGE); 许丽 gave his phone as hers
    # (SHARED_PHONE, both); 许丽 has the project's best score.
    x.training("PD1", d["尤建军"], first, FULL, score=90)
    x.claim("PD1", d["尤建军"], imported)
    x.training("PD1", d["许丽"], first, FULL, score=95)
    x.claim("PD1", d["许丽"], imported)


def yingkou() -> Export:
    x = Export()
    small = credit_code("91210800MA0QJ5KX1")
    large = credit_code("91210800MA0QK8RB2")
    x.add(
        "enterprises",
        enterprise_id=small,
        name="营口海达机械有限公司",
        district="站前区",
        size_class="small",
        main_business="机械制造",
    )
    x.add(
        "enterprises",
        enterprise_id=large,
        name="营口港湾重工集团有限公司",
        district="鲅鱼圈区",
        size_class="large",
        main_business="重型机械",
    )
    x.project("Y1", small, "YC-DG1", "电工安全", D(2020, 3, 2), "辽宁职培云", "175.171.16.8")
    x.project("Y2", large, "YC-HJ2", "焊接工艺", D(2020, 3, 2), "辽宁职培云", "113.231.92.40")
    people = {
        "李军": person_id("210802", D(1988, 8, 8), 111),
        "王丽": person_id("210803", D(1991, 9, 19), 222),
        "张强": person_id("210804", D(1986, 12, 12), 333),
        "刘梅": person_id("210811", D(1994, 4, 14), 444),
    }
    for name, pid in people.items():
        x.trainee(large if name == "刘梅" else small, pid, name)
    ten = [200] * 10  # 2,000 minutes: 50 class hours of 40 minutes
    end = x.training("Y1", people["李军"], D(2020, 3, 3), ten, qa=False, exam=False)  # payable
    x.claim("Y1", people["李军"], T.combine(end.date() + dt.timedelta(days=5), dt.time(10)), 500)
    end = x.training(
        "Y1", people["王丽"], D(2020, 3, 3), [*([200] * 9), 199], qa=False, exam=False
    )  # HOURS_SHORT
    x.claim("Y1", people["王丽"], T.combine(end.date() + dt.timedelta(days=5), dt.time(10)), 500)
    end = x.training(
        "Y1", people["张强"], D(2020, 6, 25), ten, qa=False, exam=False
    )  # OUTSIDE_POLICY_PERIOD
    x.claim("Y1", people["张强"], T(2020, 7, 10, 10), 500)
    end = x.training(
        "Y2", people["刘梅"], D(2020, 3, 3), ten, qa=False, exam=False
    )  # SIZE_INELIGIBLE
    x.claim("Y2", people["刘梅"], T.combine(end.date() + dt.timedelta(days=5), dt.time(10)), 500)
    return x


def main(target: Path = HERE) -> None:
    """Write both samples under `target` (default: this folder)."""
    shanghai().write(target)
    yingkou().write(target / "yingkou-2020")


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
