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
            phone=phone(pid),
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
    ) -> dt.datetime:
        """Study `minutes[i]` on day i from 09:00 (split at noon), a sign-in at 08:50 each day,
        a question on the last day and an exam at 17:00 after the last session; returns the
        end of the training period."""
        last_end = T.combine(first_day, dt.time(9))
        for i, total in enumerate(minutes):
            day = first_day + dt.timedelta(days=i)
            device = f"D-{pid[-4:]}"
            if signin_days is None or i in signin_days:
                self.signin(project, pid, T.combine(day, dt.time(8, 50)), device)
            morning = min(total, 180)
            start = T.combine(day, dt.time(9))
            last_end = start + dt.timedelta(minutes=morning)
            self.session(project, pid, start, last_end, f"{lesson}{i * 2 + 1}", device)
            if total > morning:
                start = T.combine(day, dt.time(13, 30))
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
                text="请问本章的练习题在哪里下载？",
            )
        end = last_end
        if exam:
            day = (
                first_day + dt.timedelta(days=exam_on_day) if exam_on_day is not None else last_day
            )
            started = T.combine(day, dt.time(17))
            end = max(end, started + dt.timedelta(minutes=30))
            self.add(
                "exams",
                project_id=project,
                person_id=pid,
                started_at=started,
                submitted_at=started + dt.timedelta(minutes=30),
                score=86,
                pass_score=60,
                answers_digest="sha1:" + hashlib.sha1(f"{project}/{pid}".encode()).hexdigest()[:12],
            )
        return end

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
    for i, (name, pid) in enumerate(a_people):
        # 张伟 moves to enterprise C on 9 May 2022 (see DUPLICATE_COURSE below).
        x.trainee(ea, pid, name, employed_to=D(2022, 4, 30) if name == "张伟" else None)
        end = x.training("PA1", pid, D(2022, 3, 2 + i), FULL)
        x.claim("PA1", pid, T.combine(end.date() + dt.timedelta(days=3), dt.time(10)))

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
        x.trainee(ec, pid, name, employed_from=D(2022, 5, 9) if name == "张伟" else D(2019, 7, 1))
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
    return x


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
