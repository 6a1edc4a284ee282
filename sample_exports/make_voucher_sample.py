"""Regenerate sample_exports/shanghai-voucher-2021/ (programme training-voucher, policy profile
shanghai-voucher-2021): eight CSV files, intended.csv and README.md.

Deterministic: the same script writes the same bytes. Four training institutions; A is clean
(and holds the innocent look-alike of every boundary), B, C and D hold one problem per trainee,
each built from a clean enrolment by one change, so that each problem fires one intended rule
(plus what the specification makes fire with it by nature, said where it happens).

The findings are declared where the data is designed (`intend`), and then, independently, the
rules of VOUCHER_SPEC.md are evaluated in plain Python over the rows written (`evaluate`); the
script stops if the two disagree, so intended.csv is both what was designed and what the
specification says. Run: `python sample_exports/make_voucher_sample.py [TARGET_DIR]`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import sys
import textwrap
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import prcoords
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # auditor.coords: the conversions the audit itself uses
    sys.path.insert(0, str(ROOT))
from auditor.coords import checkin_distance_m  # noqa: E402

FOLDER = "shanghai-voucher-2021"
CONTRACT = ROOT / "checks" / "programmes" / "training-voucher" / "contract.toml"
D, T = dt.date, dt.datetime
LEAD_DAYS = 3  # registration_lead_days of the shanghai-voucher-2021 profile
BEFORE, AFTER = dt.timedelta(minutes=60), dt.timedelta(minutes=15)  # check-in window
AS_OF = D(2021, 12, 31)  # the audit date this sample is designed for (any later day will do)
CENT = Decimal("0.01")
YEAR_END = D(2021, 12, 31)  # vouchers issued in 2021 are valid to the end of the year

TABLES = [
    "vouchers",
    "institutions",
    "classes",
    "class_meetings",
    "enrolments",
    "checkins",
    "assessments",
    "payments",
]
SEVERITY = {
    "VOUCHER_MISSING": "block",
    "VOUCHER_OTHER_PERSON": "block",
    "VOUCHER_NOT_SUBSIDY": "block",
    "VOUCHER_EXPIRED": "block",
    "VOUCHER_PAID_TWICE": "block",
    "LATE_REGISTRATION": "block",
    "LATE_FEEDBACK": "block",
    "CHECKIN_MISSING": "block",
    "CHECKIN_OFF_SITE": "block",
    "PAID_WITHOUT_PASS": "block",
    "ID_INVALID": "block",
    "AMOUNT_WRONG": "review",
    "WRITE_OFF_MISSING": "review",
    "WRITE_OFF_WITHOUT_PAYMENT": "review",
    "ENTERPRISE_ID_INVALID": "review",
    "BAD_ROW": "review",
    "BAD_TIMESTAMP": "review",
    "ORPHAN_RECORD": "review",
}
INTENDED_COLUMNS = ["rule_id", "institution_id", "class_id", "person_id", "payment_id"]


def contract_columns() -> dict[str, list[dict]]:
    with CONTRACT.open("rb") as fh:
        contract = tomllib.load(fh)
    return {t["name"]: t["columns"] for t in contract["tables"]}


# ---------------------------------------------------------------------------------------------
# Identifiers


def person_id(region: str, born: dt.date, seq: int) -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit (seq's last digit: odd for men,
    even for women)."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def wrong_check_digit(pid: str) -> str:
    """The same number with a check digit GB 11643 does not give."""
    return pid[:-1] + ("1" if pid[-1] != "1" else "2")


def credit_code(body: str) -> str:
    """An 18-character USCC with a valid GB 32100 check character."""
    return body + uscc.calc_check_digit(body)


def mask(pid: str) -> str:
    return pid[:6] + "\\*" * 8 + pid[-4:]


def jitter(*parts: object) -> int:
    return int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest(), 16)


# ---------------------------------------------------------------------------------------------
# Positions: a site's true spot is a WGS-84 point; the export gives it in the class's datum and
# each check-in in the datum of the app that reported it.


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The WGS-84 point `north_m` north and `east_m` east of (lat, lon)."""
    dlat = north_m / 111_195.0
    dlon = east_m / (111_195.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def from_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """A true WGS-84 position as an app or a map in `system` would report it (6 decimals)."""
    if system == "gcj02":
        p = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        lat, lon = p.lat, p.lon
    elif system == "bd09":
        p = prcoords.wgs_bd(prcoords.Coords(lat, lon))
        lat, lon = p.lat, p.lon
    return round(lat, 6), round(lon, 6)


# ---------------------------------------------------------------------------------------------
# The export being built


@dataclass
class Person:
    name: str
    pid: str
    app: str = "gcj02"  # the datum the person's phone app reports in


@dataclass
class Klass:
    class_id: str
    inst: str
    course: str
    days: list[dt.date]
    start: dt.time
    end: dt.time
    feedback_at: dt.datetime | None
    site: tuple[float, float]  # true WGS-84 spot
    coord_system: str
    radius: int
    standard: Decimal

    @property
    def meetings(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(T.combine(d, self.start), T.combine(d, self.end)) for d in self.days]


@dataclass
class Export:
    rows: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {t: [] for t in TABLES}
    )
    classes: dict[str, Klass] = field(default_factory=dict)
    intended: list[dict[str, str]] = field(default_factory=list)
    story: list[dict[str, str]] = field(default_factory=list)  # README rows, one per trainee
    meta: dict[str, str] = field(default_factory=dict)  # the institutions' codes
    vouchers: int = 0
    payments: int = 0

    def add(self, table: str, **row: object) -> None:
        self.rows[table].append(row)

    # -- institutions and classes
    def institution(self, iid: str, name: str, district: str) -> None:
        self.add("institutions", institution_id=iid, name=name, district=district)

    def klass(self, k: Klass) -> None:
        self.classes[k.class_id] = k
        lat, lon = from_wgs84(*k.site, k.coord_system)
        self.add("classes", class_id=k.class_id, institution_id=k.inst, course_id=k.course,
                 start_date=k.days[0], end_date=k.days[-1], feedback_at=k.feedback_at,
                 site_lat=f"{lat:.6f}", site_lon=f"{lon:.6f}", site_radius_m=k.radius,
                 coord_system=k.coord_system, standard_amount=f"{k.standard:.2f}")  # fmt: skip
        for s, e in k.meetings:
            self.add("class_meetings", class_id=k.class_id, starts_at=s, ends_at=e)

    # -- vouchers
    def voucher(self, pid: str, kind: str = "subsidy", ratio: str | None = "1",
                issued: dt.datetime | None = None, valid_until: dt.date = YEAR_END,
                written_off: dt.datetime | None = None) -> str:  # fmt: skip
        """A voucher issued to `pid` (by default on 1 March, valid to the end of 2021)."""
        issued = issued or T(2021, 3, 1, 10, 0)
        self.vouchers += 1
        vid = f"PXQ2021{310000 + self.vouchers * 37:07d}"
        self.add("vouchers", voucher_id=vid, person_id=pid, kind=kind,
                 ratio=None if kind == "checkin_only" else ratio, issued_at=issued,
                 valid_until=valid_until, written_off_at=written_off)  # fmt: skip
        return vid

    def write_off(self, vid: str, at: dt.datetime | None) -> None:
        for v in self.rows["vouchers"]:
            if v["voucher_id"] == vid:
                v["written_off_at"] = at

    def ratio(self, vid: str) -> Decimal:
        v = next(v for v in self.rows["vouchers"] if v["voucher_id"] == vid)
        return Decimal(str(v["ratio"]))

    # -- one trainee's course: enrolment, a check-in before every meeting, assessment
    def enrol(self, cid: str, p: Person, vid: str, registered: dt.datetime) -> None:
        self.add("enrolments", class_id=cid, person_id=p.pid, voucher_id=vid,
                 registered_at=registered)  # fmt: skip

    def checkin(self, cid: str, p: Person, at: object, where: tuple[float, float],
                app: str | None = None) -> None:  # fmt: skip
        app = app or p.app
        lat, lon = from_wgs84(*where, app)
        self.add("checkins", class_id=cid, person_id=p.pid, checked_in_at=at,
                 lat=f"{lat:.6f}", lon=f"{lon:.6f}", coord_system=app)  # fmt: skip

    def near_site(self, cid: str, p: Person, i: int) -> tuple[float, float]:
        """Where a phone at the site puts its owner: 5 to 40 m from the site's spot."""
        h = jitter(cid, p.pid, i, "where")
        dist, bearing = 5 + h % 36, math.radians((h >> 8) % 360)
        return offset(*self.classes[cid].site, dist * math.cos(bearing), dist * math.sin(bearing))

    def attend(self, cid: str, p: Person, *, times: dict[int, dt.datetime] | None = None,
               away: dict[int, tuple[float, float]] | None = None,
               apps: dict[int, str] | None = None) -> None:  # fmt: skip
        """A check-in 3 to 25 minutes before each meeting, at the site (`times`, `away` and
        `apps` change single meetings, by index)."""
        for i, (starts, _ends) in enumerate(self.classes[cid].meetings):
            h = jitter(cid, p.pid, i, "when")
            at = starts - dt.timedelta(minutes=3 + h % 23, seconds=(h >> 8) % 60)
            at = (times or {}).get(i, at)
            where = (away or {}).get(i) or self.near_site(cid, p, i)
            self.checkin(cid, p, at, where, (apps or {}).get(i))

    def assess(self, cid: str, p: Person, passed: bool = True) -> None:
        on = self.classes[cid].days[-1] + dt.timedelta(days=7)
        self.add("assessments", class_id=cid, person_id=p.pid, passed="true" if passed else "false",
                 assessed_on=on)  # fmt: skip

    def pay(self, cid: str, p: Person, vid: str, *, payee: str = "person",
            at: dt.datetime | None = None, amount: Decimal | None = None, on_row: str = "",
            write_off: bool = True) -> str:  # fmt: skip
        """A payment of standard x ratio (half-up to the fen) on `vid`, three weeks after the
        assessment; the voucher is written off the next night. `on_row` is the voucher_id the
        payments row names ('' : the enrolment's voucher stands)."""
        self.payments += 1
        pay_id = f"ZF2021{self.payments:05d}"
        k = self.classes[cid]
        at = at or T.combine(k.days[-1] + dt.timedelta(days=28), dt.time(10, 30))
        if amount is None:
            amount = (k.standard * self.ratio(vid)).quantize(CENT, ROUND_HALF_UP)
        self.add("payments", payment_id=pay_id, class_id=cid, person_id=p.pid, voucher_id=on_row,
                 amount=f"{amount:.2f}" if isinstance(amount, Decimal) else amount,
                 payee_kind=payee, paid_at=at)  # fmt: skip
        if write_off:
            self.write_off(vid, T.combine(at.date() + dt.timedelta(days=1), dt.time(2, 15)))
        return pay_id

    def course(
        self,
        cid: str,
        p: Person,
        *,
        ratio: str = "1",
        registered: dt.datetime,
        payee: str = "person",
        name_voucher_on_payment: bool = True,
        **attend: object,
    ) -> str:
        """A clean enrolment: own subsidy voucher, on time, every check-in, passed, paid."""
        h = jitter(cid, p.pid, "issued")
        issued = T.combine(registered.date() - dt.timedelta(days=20 + h % 30), dt.time(9, 0))
        vid = self.voucher(p.pid, ratio=ratio, issued=issued + dt.timedelta(minutes=(h >> 8) % 480))
        self.enrol(cid, p, vid, registered)
        self.attend(cid, p, **attend)  # type: ignore[arg-type]
        self.assess(cid, p)
        return self.pay(cid, p, vid, payee=payee, on_row=vid if name_voucher_on_payment else "")

    # -- what is intended
    def intend(self, rule: str, cid: str = "", pid: str = "", payment: str = "",
               institution: str = "") -> None:  # fmt: skip
        if cid and not institution and cid in self.classes:
            institution = self.classes[cid].inst
        self.intended.append(dict(rule_id=rule, institution_id=institution, class_id=cid,
                                  person_id=pid, payment_id=payment))  # fmt: skip

    def tell(self, cid: str, p: Person, designed: str, findings: str = "—") -> None:
        self.story.append(dict(class_id=cid, name=p.name, pid=p.pid, designed=designed,
                               findings=findings))  # fmt: skip

    # -- output
    def csv_text(self, table: str, columns: list[str]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in self.rows[table]:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buf.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def consecutive_days(first: dt.date, n: int) -> list[dt.date]:
    """`n` days in a row from `first` (classes meet on weekends too)."""
    return [first + dt.timedelta(days=i) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# The sample

SITES = {  # true WGS-84 spots, one per institution
    "A": (31.219520, 121.482370),  # 黄浦区, 西藏南路
    "B": (31.224810, 121.544260),  # 浦东新区, 源深路
    "C": (31.189640, 121.437180),  # 徐汇区, 漕溪北路
    "D": (31.112480, 121.383150),  # 闵行区, 莘庄
}


def build() -> Export:
    x = Export()
    ia = credit_code("52310101MJ4912873")
    ib = credit_code("91310115MA1H8Q2R6")
    ic_valid = credit_code("52310104MJ5067215")
    ic = wrong_check_digit(ic_valid)  # ENTERPRISE_ID_INVALID: a wrong check character
    id_ = credit_code("91310112MA1GC4TN3")
    x.institution(ia, "上海市黄浦区新华职业技能培训学校", "黄浦区")
    x.institution(ib, "上海浦东新区申工职业技能培训有限公司", "浦东新区")
    x.institution(ic, "上海市徐汇区汇德职业技能培训学校", "徐汇区")
    x.institution(id_, "上海闵行颐康职业技能培训有限公司", "闵行区")
    x.intend("ENTERPRISE_ID_INVALID", institution=ic)
    x.meta = {"ia": ia, "ib": ib, "ic": ic, "ic_valid": ic_valid, "id": id_}
    morning, noon = dt.time(9, 0), dt.time(12, 0)

    # ===== A: clean, with every boundary's innocent look-alike =================================
    # A1 育婴员: Mon 12 - Fri 16 April, 09:00-12:00; registration deadline Fri 9 April 23:59:59.
    x.klass(Klass("SH21HP01", ia, "4-10-01-02 育婴员（五级）", consecutive_days(D(2021, 4, 12), 5),
                  morning, noon, T(2021, 4, 6, 10, 12), SITES["A"], "wgs84", 200,
                  Decimal("1500.00")))  # fmt: skip
    a = [
        Person("王丽华", person_id("310101", D(1984, 3, 12), 226)),
        Person("陈玉梅", person_id("310104", D(1979, 11, 5), 148)),
        Person("李秀英", person_id("310106", D(1990, 6, 23), 362), app="bd09"),
        Person("张晓燕", person_id("310109", D(1987, 1, 30), 484)),
        Person("刘敏", person_id("310110", D(1995, 9, 9), 522)),
    ]
    c = "SH21HP01"
    x.course(c, a[0], registered=T(2021, 4, 2, 14, 5), name_voucher_on_payment=False)
    x.tell(
        c,
        a[0],
        "clean; the payments row leaves voucher_id empty (the enrolment's voucher "
        "stands); check-ins reported in GCJ-02 (AMap) against a WGS-84 site; paid to her, 1,500 x 1",
    )
    x.course(c, a[1], ratio="0.8", registered=T(2021, 4, 9, 23, 59, 59), payee="institution")
    x.tell(
        c,
        a[1],
        "registered Fri 9 Apr 23:59:59, the last second before the deadline "
        "(start 12 Apr - 3 days); ratio 0.8 -> 1,200.00, paid to the institution",
    )
    # 李秀英's voucher (issued in 2020) lapses on 31 March; she registers on that very day.
    vid = x.voucher(a[2].pid, ratio="1", issued=T(2020, 10, 15, 9, 0), valid_until=D(2021, 3, 31))
    x.enrol(c, a[2], vid, T(2021, 3, 31, 16, 40))
    x.attend(c, a[2])
    x.assess(c, a[2])
    x.pay(c, a[2], vid, on_row=vid)
    x.tell(
        c,
        a[2],
        "registered 31 Mar 16:40, ON her voucher's valid_until (2021-03-31); "
        "check-ins in BD-09 (Baidu app)",
    )
    # 张晓燕 checks in exactly 60 minutes before Tuesday's meeting and exactly 15 after Wednesday's.
    x.course(c, a[3], registered=T(2021, 4, 1, 9, 20),
             times={1: T(2021, 4, 13, 8, 0, 0), 2: T(2021, 4, 14, 9, 15, 0)})  # fmt: skip
    x.tell(
        c,
        a[3],
        "check-ins at 08:00:00 on 13 Apr (60 min before) and 09:15:00 on 14 Apr "
        "(15 min after): both ends of the window count",
    )
    # 刘敏 holds a check-in-only voucher (no subsidy): she trains at her own cost, checks in,
    # and nothing is paid or written off.
    vid = x.voucher(a[4].pid, kind="checkin_only", issued=T(2021, 3, 20, 11, 0))
    x.enrol(c, a[4], vid, T(2021, 4, 6, 15, 30))
    x.attend(c, a[4])
    x.assess(c, a[4])
    x.tell(
        c,
        a[4],
        "a check-in-only voucher (打卡签到专用): enrolled, checks in every day, "
        "passes; no payment, not written off",
    )

    # A2 中式烹调师: Mon 13 - Thu 16 September, 09:00-12:00; the same building, its site taken
    # from Baidu Maps (BD-09); the feedback is filed at the last second before the deadline.
    x.klass(Klass("SH21HP02", ia, "4-03-02-01 中式烹调师（五级）", consecutive_days(D(2021, 9, 13), 4),
                  morning, noon, T(2021, 9, 10, 23, 59, 59), SITES["A"], "bd09", 300,
                  Decimal("1380.35")))  # fmt: skip
    a2 = [
        Person("赵建国", person_id("310107", D(1976, 8, 14), 171)),
        Person("孙志强", person_id("310105", D(1992, 2, 2), 253), app="wgs84"),
        Person("周海涛", person_id("310101", D(1983, 12, 19), 315), app="bd09"),
    ]
    c = "SH21HP02"
    x.course(c, a2[0], ratio="0.5", registered=T(2021, 9, 3, 10, 0))
    x.tell(
        c,
        a2[0],
        "ratio 0.5: 1,380.35 x 0.5 = 690.175, paid 690.18 (half-up; a binary "
        "double rounds it to 690.17)",
    )
    x.course(c, a2[1], registered=T(2021, 9, 6, 11, 15), apps={0: "gcj02", 3: "gcj02"})
    x.tell(c, a2[1], "check-ins in WGS-84 (a GPS app) and GCJ-02, against a BD-09 site")
    x.course(c, a2[2], ratio="0.8", registered=T(2021, 9, 7, 9, 45), payee="enterprise")
    x.tell(c, a2[2], "ratio 0.8 -> 1,104.28, paid to his employer (enterprise); check-ins in BD-09")
    # Two vouchers issued and never used: nothing to report.
    x.voucher(person_id("310104", D(1969, 4, 4), 422), ratio="0.8")
    x.voucher(person_id("310107", D(1998, 7, 17), 531), kind="checkin_only")

    # ===== B: voucher problems =================================================================
    # B1 电工: evening class Mon 17 - Fri 21 May 18:30-21:30 (deadline Fri 14 May 23:59:59).
    x.klass(Klass("SH21PD01", ib, "6-31-01-03 电工（五级）", consecutive_days(D(2021, 5, 17), 5),
                  dt.time(18, 30), dt.time(21, 30), T(2021, 5, 10, 15, 0), SITES["B"], "bd09",
                  150, Decimal("1800.00")))  # fmt: skip
    b = [
        Person("吴建华", person_id("310115", D(1994, 5, 3), 117)),
        Person("郑伟", person_id("310110", D(1988, 10, 21), 139)),
        Person("冯俊杰", person_id("310107", D(1991, 7, 7), 155)),
        Person("何志明", person_id("310112", D(1996, 1, 15), 173), app="bd09"),
        Person("许国栋", person_id("310113", D(1989, 3, 28), 191)),
    ]
    c = "SH21PD01"
    x.course(c, b[0], ratio="0.8", registered=T(2021, 5, 8, 10, 0), payee="enterprise")
    x.tell(c, b[0], "clean: ratio 0.8 -> 1,440.00, paid to his employer")
    # 郑伟: a voucher number the system never issued; the payment names no voucher, so it is paid
    # on the enrolment's. With no voucher there is no ratio: AMOUNT_WRONG fires with it.
    ghost = "PXQ20219999991"
    x.enrol(c, b[1], ghost, T(2021, 5, 9, 14, 0))
    x.attend(c, b[1])
    x.assess(c, b[1])
    pay = x.pay(c, b[1], ghost, amount=Decimal("1800.00"), write_off=False)
    x.intend("VOUCHER_MISSING", c, b[1].pid)
    x.intend("AMOUNT_WRONG", c, b[1].pid, pay)
    x.tell(
        c,
        b[1],
        f"enrolled on voucher `{ghost}`, which is not in vouchers.csv; paid 1,800 "
        "(payment names no voucher)",
        "VOUCHER_MISSING; AMOUNT_WRONG (review: no voucher, no ratio, by definition)",
    )
    # 冯俊杰 enrols and is paid on his wife's voucher.
    wife = person_id("310107", D(1992, 4, 18), 168)
    vid = x.voucher(wife, ratio="1", issued=T(2021, 4, 1, 9, 30))
    x.enrol(c, b[2], vid, T(2021, 5, 10, 16, 20))
    x.attend(c, b[2])
    x.assess(c, b[2])
    pay = x.pay(c, b[2], vid, on_row=vid)
    x.intend("VOUCHER_OTHER_PERSON", c, b[2].pid)
    x.tell(
        c,
        b[2],
        f"enrolled and paid on a voucher held by {mask(wife)} (his wife, ratio 1; 1,800.00)",
        "VOUCHER_OTHER_PERSON",
    )
    # 何志明's voucher lapsed on Wednesday 5 May; he registers on Thursday 6 May.
    vid = x.voucher(b[3].pid, ratio="0.8", issued=T(2020, 11, 2, 9, 0), valid_until=D(2021, 5, 5))
    x.enrol(c, b[3], vid, T(2021, 5, 6, 9, 10))
    x.attend(c, b[3])
    x.assess(c, b[3])
    x.pay(c, b[3], vid, on_row=vid)
    x.intend("VOUCHER_EXPIRED", c, b[3].pid)
    x.tell(
        c,
        b[3],
        "voucher valid until 2021-05-05, registered 2021-05-06 09:10 (one day after); 1,440.00",
        "VOUCHER_EXPIRED",
    )
    # 许国栋: the full standard paid although his ratio is 0.8 (expected 1,440.00).
    vid = x.voucher(b[4].pid, ratio="0.8", issued=T(2021, 4, 20, 9, 0))
    x.enrol(c, b[4], vid, T(2021, 5, 11, 10, 5))
    x.attend(c, b[4])
    x.assess(c, b[4])
    pay = x.pay(c, b[4], vid, on_row=vid, amount=Decimal("1800.00"), payee="institution")
    x.intend("AMOUNT_WRONG", c, b[4].pid, pay)
    x.tell(
        c,
        b[4],
        "ratio 0.8 but paid the full 1,800.00 (expected 1,440.00), to the institution",
        "AMOUNT_WRONG (review; verified 1,440.00)",
    )

    # B2 中式面点师: Mon 14 - Fri 18 June 13:30-16:30 (deadline Fri 11 June 23:59:59).
    x.klass(Klass("SH21PD02", ib, "4-03-02-02 中式面点师（五级）", consecutive_days(D(2021, 6, 14), 5),
                  dt.time(13, 30), dt.time(16, 30), T(2021, 6, 8, 9, 40), SITES["B"], "wgs84",
                  250, Decimal("1300.00")))  # fmt: skip
    b2 = [
        Person("黄佳怡", person_id("310115", D(1997, 12, 1), 208)),
        Person("林婷", person_id("310109", D(1990, 5, 16), 226)),
        Person("马丽娟", person_id("310101", D(1982, 9, 27), 244), app="bd09"),
        Person("罗春燕", person_id("310106", D(1986, 2, 11), 262)),
        Person("高雪", person_id("310105", D(1993, 8, 8), 280)),
    ]
    c = "SH21PD02"
    x.course(c, b2[0], registered=T(2021, 6, 1, 10, 0))
    x.tell(c, b2[0], "clean: 1,300.00, paid to her")
    # 林婷 holds a check-in-only voucher; she is paid on it anyway (written off after payment).
    # A check-in-only voucher has no ratio: AMOUNT_WRONG fires with it.
    vid = x.voucher(b2[1].pid, kind="checkin_only", issued=T(2021, 5, 6, 10, 0))
    x.enrol(c, b2[1], vid, T(2021, 6, 2, 15, 0))
    x.attend(c, b2[1])
    x.assess(c, b2[1])
    pay = x.pay(c, b2[1], vid, on_row=vid, amount=Decimal("1300.00"))
    x.intend("VOUCHER_NOT_SUBSIDY", c, b2[1].pid, pay)
    x.intend("AMOUNT_WRONG", c, b2[1].pid, pay)
    x.tell(
        c,
        b2[1],
        "paid 1,300.00 on a check-in-only voucher (no subsidy)",
        "VOUCHER_NOT_SUBSIDY; AMOUNT_WRONG (review: no ratio, by definition)",
    )
    # 马丽娟 is paid twice on one voucher: to the institution, then a month later to her (the
    # second row names no voucher: the enrolment's stands). The first payment stands.
    vid = x.voucher(b2[2].pid, ratio="0.5", issued=T(2021, 5, 10, 10, 0))
    x.enrol(c, b2[2], vid, T(2021, 6, 3, 9, 0))
    x.attend(c, b2[2])
    x.assess(c, b2[2])
    x.pay(c, b2[2], vid, on_row=vid, payee="institution")
    pay = x.pay(c, b2[2], vid, at=T(2021, 8, 16, 10, 30), write_off=False)
    x.intend("VOUCHER_PAID_TWICE", c, b2[2].pid, pay)
    x.tell(
        c,
        b2[2],
        "ratio 0.5: 650.00 paid to the institution on 16 Jul (stands) and again "
        "650.00 to her on 16 Aug (row names no voucher)",
        "VOUCHER_PAID_TWICE (the 16 Aug payment)",
    )
    # 罗春燕: paid, her voucher never written off.
    vid = x.voucher(b2[3].pid, ratio="1", issued=T(2021, 5, 12, 10, 0))
    x.enrol(c, b2[3], vid, T(2021, 6, 4, 11, 0))
    x.attend(c, b2[3])
    x.assess(c, b2[3])
    x.pay(c, b2[3], vid, on_row=vid, write_off=False)
    x.intend("WRITE_OFF_MISSING", c, b2[3].pid)
    x.tell(
        c,
        b2[3],
        "paid 1,300.00; her voucher's written_off_at is empty",
        "WRITE_OFF_MISSING (review)",
    )
    # 高雪: trained and passed, no payment, but her voucher was written off.
    vid = x.voucher(b2[4].pid, ratio="1", issued=T(2021, 5, 12, 10, 0),
                    written_off=T(2021, 7, 17, 2, 15))  # fmt: skip
    x.enrol(c, b2[4], vid, T(2021, 6, 7, 14, 30))
    x.attend(c, b2[4])
    x.assess(c, b2[4])
    x.intend("WRITE_OFF_WITHOUT_PAYMENT", c, b2[4].pid)
    x.tell(
        c,
        b2[4],
        "no payment; her voucher written off 2021-07-17 02:15",
        "WRITE_OFF_WITHOUT_PAYMENT (review)",
    )

    # ===== C: schedule and identity problems; its credit code's check character is wrong =======
    # C1 保育员: Thu 10 - Sun 13 June 13:30-16:30; deadline Mon 7 June 23:59:59.
    x.klass(Klass("SH21XH01", ic, "4-10-01-03 保育员（五级）", consecutive_days(D(2021, 6, 10), 4),
                  dt.time(13, 30), dt.time(16, 30), T(2021, 6, 4, 16, 20), SITES["C"], "wgs84",
                  120, Decimal("1200.00")))  # fmt: skip
    c1 = [
        Person("杨静", person_id("310104", D(1985, 7, 19), 302)),
        Person("朱红梅", person_id("310104", D(1989, 4, 22), 324)),
        Person("胡晓丽", person_id("310110", D(1993, 11, 11), 346)),
        Person("郭芳", person_id("310105", D(1980, 2, 29), 368)),
    ]
    c = "SH21XH01"
    x.course(c, c1[0], registered=T(2021, 6, 1, 9, 30))
    x.tell(c, c1[0], "clean: 1,200.00, paid to her")
    x.course(c, c1[1], ratio="0.8", registered=T(2021, 6, 8, 0, 0, 0))
    x.intend("LATE_REGISTRATION", c, c1[1].pid)
    x.tell(
        c,
        c1[1],
        "registered Tue 8 Jun 00:00:00, the first second after the deadline "
        "(start 10 Jun - 3 days = 7 Jun 23:59:59); 960.00",
        "LATE_REGISTRATION",
    )
    # 胡晓丽's ID number (on the voucher, the enrolment and the payment alike) has a wrong check
    # digit.
    bad = Person("胡晓丽", wrong_check_digit(c1[2].pid))
    x.course(c, bad, registered=T(2021, 6, 2, 10, 45))
    x.intend("ID_INVALID", c, bad.pid)
    x.tell(
        c,
        bad,
        f"check digit `{bad.pid[-1]}` where GB 11643 gives `{c1[2].pid[-1]}` "
        "(voucher, enrolment, payment alike); 1,200.00",
        "ID_INVALID",
    )
    # 郭芳: her payment row says payee_kind "cash": the row is rejected, not audited; her voucher
    # is not written off (it was not written off: nothing else fires).
    vid = x.voucher(c1[3].pid, ratio="1", issued=T(2021, 5, 11, 9, 0))
    x.enrol(c, c1[3], vid, T(2021, 6, 3, 14, 0))
    x.attend(c, c1[3])
    x.assess(c, c1[3])
    pay = x.pay(c, c1[3], vid, on_row=vid, payee="cash", write_off=False)
    x.intend("BAD_ROW", c, c1[3].pid, pay)
    x.tell(
        c,
        c1[3],
        "her payments row has payee_kind `cash` (not person, institution or "
        "enterprise): rejected; voucher not written off",
        "BAD_ROW (review; the payment is not audited and not in the totals)",
    )

    # C2 养老护理员: Mon 18 - Thu 21 October 09:00-12:00; feedback filed Sat 16 Oct, after the
    # deadline Fri 15 Oct 23:59:59: LATE_FEEDBACK, and LATE_REGISTRATION for each enrolment.
    x.klass(Klass("SH21XH02", ic, "4-10-01-05 养老护理员（五级）", consecutive_days(D(2021, 10, 18), 4),
                  morning, noon, T(2021, 10, 16, 9, 30), SITES["C"], "bd09", 200,
                  Decimal("1600.00")))  # fmt: skip
    x.intend("LATE_FEEDBACK", "SH21XH02")
    c2 = [
        Person("宋美玲", person_id("310110", D(1975, 6, 6), 402)),
        Person("唐建军", person_id("310109", D(1978, 3, 9), 411)),
    ]
    c = "SH21XH02"
    for p, reg in zip(c2, [T(2021, 10, 11, 10, 0), T(2021, 10, 12, 15, 30)], strict=True):
        x.course(c, p, ratio="0.8", registered=reg)
        x.intend("LATE_REGISTRATION", c, p.pid)
        x.tell(
            c,
            p,
            f"registered {reg:%d %b %H:%M} (on time), but the class feedback came late; 1,280.00",
            "LATE_REGISTRATION (the class's feedback); the class: LATE_FEEDBACK",
        )

    # C3 美容师: Mon 15 - Wed 17 November 13:30-16:30; no feedback filed at all:
    # LATE_FEEDBACK only (a missing feedback does not make the registrations late).
    x.klass(Klass("SH21XH03", ic, "4-10-03-01 美容师（五级）", consecutive_days(D(2021, 11, 15), 3),
                  dt.time(13, 30), dt.time(16, 30), None, SITES["C"], "wgs84", 180,
                  Decimal("1400.00")))  # fmt: skip
    x.intend("LATE_FEEDBACK", "SH21XH03")
    p = Person("韩雪", person_id("310106", D(1999, 1, 21), 428))
    x.course("SH21XH03", p, registered=T(2021, 11, 5, 10, 0))
    x.tell(
        "SH21XH03",
        p,
        "registered on time; the class has no feedback_at",
        "the class: LATE_FEEDBACK",
    )

    # ===== D: attendance problems ==============================================================
    # D1 养老护理员: Mon 5 - Fri 9 July 09:00-12:00, a small site (100 m); deadline Fri 2 July.
    x.klass(Klass("SH21MH01", id_, "4-10-01-05 养老护理员（五级）", consecutive_days(D(2021, 7, 5), 5),
                  morning, noon, T(2021, 6, 28, 11, 0), SITES["D"], "wgs84", 100,
                  Decimal("1600.00")))  # fmt: skip
    d = [
        Person("蒋秀兰", person_id("310112", D(1996, 5, 25), 502)),
        Person("沈桂英", person_id("310104", D(1972, 9, 1), 524)),
        Person("韦立新", person_id("310112", D(1994, 12, 12), 537)),
        Person("曹丽", person_id("310109", D(1981, 10, 3), 548)),
        Person("彭玉兰", person_id("310107", D(1977, 2, 14), 560)),
        Person("潘淑珍", person_id("310101", D(1974, 7, 8), 582), app="bd09"),
    ]
    c = "SH21MH01"
    x.course(c, d[0], registered=T(2021, 6, 25, 10, 0))
    x.tell(c, d[0], "clean: 1,600.00, paid to her")
    # 沈桂英 checks in on Wednesday at 09:15:01, a second after the window closes.
    x.course(c, d[1], ratio="0.5", registered=T(2021, 6, 24, 14, 0),
             times={2: T(2021, 7, 7, 9, 15, 1)})  # fmt: skip
    x.intend("CHECKIN_MISSING", c, d[1].pid)
    x.tell(
        c,
        d[1],
        "Wed 7 Jul check-in at 09:15:01 (one second late; no other); 800.00",
        "CHECKIN_MISSING",
    )
    # 韦立新 checks in on Tuesday from 2 km away (on time, in GCJ-02).
    home = offset(*SITES["D"], 1600.0, -1200.0)
    x.course(c, d[2], ratio="0.8", registered=T(2021, 6, 26, 9, 0), away={1: home},
             payee="enterprise")  # fmt: skip
    x.intend("CHECKIN_OFF_SITE", c, d[2].pid)
    x.tell(
        c,
        d[2],
        "Tue 6 Jul check-in on time but 2 km north-west of the site (radius 100 m); "
        "1,280.00 to his employer",
        "CHECKIN_OFF_SITE",
    )
    # 曹丽 failed the assessment and was paid anyway.
    vid = x.voucher(d[3].pid, ratio="1", issued=T(2021, 6, 1, 9, 0))
    x.enrol(c, d[3], vid, T(2021, 6, 27, 16, 0))
    x.attend(c, d[3])
    x.assess(c, d[3], passed=False)
    pay = x.pay(c, d[3], vid, on_row=vid)
    x.intend("PAID_WITHOUT_PASS", c, d[3].pid, pay)
    x.tell(c, d[3], "assessment passed = false; paid 1,600.00", "PAID_WITHOUT_PASS")
    # 彭玉兰: every check-in in order, plus one whose time her phone garbled.
    x.course(c, d[4], registered=T(2021, 6, 28, 9, 0))
    x.checkin(c, d[4], "2021-13-45 09:00:00", x.near_site(c, d[4], 9))
    x.intend("BAD_TIMESTAMP", c, d[4].pid)
    x.tell(
        c,
        d[4],
        "an extra check-in at the site with checked_in_at `2021-13-45 09:00:00`; 1,600.00",
        "BAD_TIMESTAMP (review)",
    )
    # 潘淑珍: every check-in in order, plus one on Tuesday tagged with class SH21MH09, which does
    # not exist (the app still listed a cancelled class).
    x.course(c, d[5], ratio="0.8", registered=T(2021, 6, 29, 10, 30))
    x.checkin("SH21MH09", d[5], T(2021, 7, 6, 8, 52, 10), x.near_site(c, d[5], 1))
    x.intend("ORPHAN_RECORD", "SH21MH09", d[5].pid, institution="")
    x.tell(
        c,
        d[5],
        "an extra check-in on 6 Jul 08:52 for class SH21MH09, which the export "
        "does not hold; 1,280.00",
        "ORPHAN_RECORD (review, on class SH21MH09, no institution)",
    )
    # 蒋秀兰's sister comes along on Monday and checks in, with no enrolment or payment.
    sister = Person("蒋秀梅", person_id("310112", D(1999, 3, 3), 526))
    x.checkin(c, sister, T(2021, 7, 5, 8, 47, 33), x.near_site(c, sister, 0))
    x.intend("ORPHAN_RECORD", c, sister.pid)
    x.tell(
        c,
        sister,
        "not enrolled, not paid; one check-in on 5 Jul 08:47 at the site",
        "ORPHAN_RECORD (review)",
    )
    return x


# ---------------------------------------------------------------------------------------------
# The specification, evaluated in plain Python over the written rows (VOUCHER_SPEC.md)


def _ts(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _bad(column: dict, text: str, lenient_ts: bool) -> bool:
    """Whether the contract rejects this value (as auditor/ingest.py does)."""
    kind = column["kind"]
    if text.strip() == "":
        return bool(column.get("required"))
    if kind == "timestamp":
        return _ts(text) is None and not lenient_ts
    if kind == "date":
        return _date(text) is None
    if kind in ("number", "decimal", "integer"):
        try:
            value = Decimal(text)
        except InvalidOperation:
            return True
        if kind == "integer" and value != value.to_integral_value():
            return True
        return ("min" in column and value < Decimal(str(column["min"]))) or (
            "max" in column and value > Decimal(str(column["max"]))
        )
    if kind == "boolean":
        return text not in ("true", "false")
    return "values" in column and text not in column["values"]


def read_tables(folder: Path) -> tuple[dict[str, list[dict[str, str]]], list[tuple[str, dict]]]:
    """The rows the audit accepts, and the rejected ones (table, row)."""
    contract = contract_columns()
    accepted: dict[str, list[dict[str, str]]] = {}
    rejected = []
    for table in TABLES:
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        accepted[table] = []
        for row in rows:
            cols = contract[table]
            if any(_bad(c, row[c["name"]], table == "checkins") for c in cols):
                rejected.append((table, row))
            else:
                accepted[table].append(row)
    return accepted, rejected


@dataclass
class Subsidy:
    """A row of subsidy.csv as VOUCHER_SPEC.md defines it."""

    payment_id: str
    institution_id: str
    class_id: str
    person_id: str
    paid_amount: Decimal
    payable: bool
    verified_amount: Decimal
    blocking_rules: str


def _at(text: str) -> dt.datetime:
    """A timestamp of an accepted row (the contract rejected the row otherwise)."""
    value = _ts(text)
    assert value is not None, text
    return value


def _day(text: str) -> dt.date:
    """A date of an accepted row."""
    value = _date(text)
    assert value is not None, text
    return value


def evaluate(folder: Path) -> tuple[list[dict[str, str]], list[Subsidy]]:
    """(findings as intended.csv rows, one subsidy row per accepted payment)."""
    t, rejected = read_tables(folder)
    vouchers = {v["voucher_id"]: v for v in t["vouchers"]}
    classes = {k["class_id"]: k for k in t["classes"]}
    inst_of = {k: v["institution_id"] for k, v in classes.items()}
    enrol = {(e["class_id"], e["person_id"]): e for e in t["enrolments"]}
    units = sorted(set(enrol) | {(p["class_id"], p["person_id"]) for p in t["payments"]})
    payments = sorted(t["payments"], key=lambda p: (_at(p["paid_at"]), p["payment_id"]))

    def voucher_of(p: dict[str, str]) -> str:
        e = enrol.get((p["class_id"], p["person_id"]))
        return p["voucher_id"] or (e["voucher_id"] if e else "")

    def deadline(cid: str) -> dt.datetime:
        start = _day(classes[cid]["start_date"])
        return T.combine(start - dt.timedelta(days=LEAD_DAYS), dt.time(23, 59, 59))

    out: list[dict[str, str]] = []

    def fire(rule: str, cid: str = "", pid: str = "", pay: str = "", inst: str = "") -> None:
        inst = inst or inst_of.get(cid, "")
        out.append(dict(rule_id=rule, institution_id=inst, class_id=cid, person_id=pid,
                        payment_id=pay))  # fmt: skip

    for i in t["institutions"]:
        if not uscc.is_valid(i["institution_id"]):
            fire("ENTERPRISE_ID_INVALID", inst=i["institution_id"])
    for cid, k in classes.items():
        fb = _ts(k["feedback_at"]) if k["feedback_at"] else None
        if fb is None or fb > deadline(cid):
            fire("LATE_FEEDBACK", cid)
    meetings: dict[str, list[dt.datetime]] = {}
    for m in t["class_meetings"]:
        meetings.setdefault(m["class_id"], []).append(_at(m["starts_at"]))
    checkins: dict[tuple[str, str], list[dict[str, str]]] = {}
    for ch in t["checkins"]:
        checkins.setdefault((ch["class_id"], ch["person_id"]), []).append(ch)
    passed = {(a["class_id"], a["person_id"]) for a in t["assessments"] if a["passed"] == "true"}
    for cid, pid in units:
        e = enrol.get((cid, pid))
        pays = [p for p in payments if (p["class_id"], p["person_id"]) == (cid, pid)]
        used = ([e["voucher_id"]] if e else []) + [voucher_of(p) for p in pays]
        if not ric_ok(pid):
            fire("ID_INVALID", cid, pid)
        if any(v not in vouchers for v in used):
            fire("VOUCHER_MISSING", cid, pid)
        if any(v in vouchers and vouchers[v]["person_id"] != pid for v in used):
            fire("VOUCHER_OTHER_PERSON", cid, pid)
        if (
            e
            and e["voucher_id"] in vouchers
            and _at(e["registered_at"]).date() > _day(vouchers[e["voucher_id"]]["valid_until"])
        ):
            fire("VOUCHER_EXPIRED", cid, pid)
        feedback = classes[cid]["feedback_at"]
        if (feedback and _at(feedback) > deadline(cid)) or (
            e and _at(e["registered_at"]) > deadline(cid)
        ):
            fire("LATE_REGISTRATION", cid, pid)
        mine = checkins.get((cid, pid), [])
        times = [_ts(ch["checked_in_at"]) for ch in mine]
        for s in meetings.get(cid, []):
            if not any(w is not None and s - BEFORE <= w <= s + AFTER for w in times):
                fire("CHECKIN_MISSING", cid, pid)
                break
        k = classes[cid]
        far = [
            ch for ch in mine
            if checkin_distance_m(float(ch["lat"]), float(ch["lon"]), ch["coord_system"],
                                  float(k["site_lat"]), float(k["site_lon"]), k["coord_system"])
            > int(k["site_radius_m"])
        ]  # fmt: skip
        if far:
            fire("CHECKIN_OFF_SITE", cid, pid)
    seen: set[str] = set()
    expected: dict[str, Decimal | None] = {}
    for p in payments:
        v, cid, pid, pay = voucher_of(p), p["class_id"], p["person_id"], p["payment_id"]
        if v in vouchers and vouchers[v]["kind"] == "checkin_only":
            fire("VOUCHER_NOT_SUBSIDY", cid, pid, pay)
        if v in seen:
            fire("VOUCHER_PAID_TWICE", cid, pid, pay)
        seen.add(v)
        if (cid, pid) not in passed:
            fire("PAID_WITHOUT_PASS", cid, pid, pay)
        ratio = vouchers[v]["ratio"] if v in vouchers else ""
        expected[pay] = (
            (Decimal(classes[cid]["standard_amount"]) * Decimal(ratio)).quantize(
                CENT, ROUND_HALF_UP
            )
            if ratio
            else None
        )
        if expected[pay] is None or Decimal(p["amount"]) != expected[pay]:
            fire("AMOUNT_WRONG", cid, pid, pay)
    paid_vouchers = {voucher_of(p) for p in payments}
    holder_unit = {e["voucher_id"]: (e["class_id"], e["person_id"]) for e in t["enrolments"]}
    for row in t["vouchers"]:
        vid, holder = row["voucher_id"], row["person_id"]
        cid, _ = holder_unit.get(vid, ("", ""))
        if vid in paid_vouchers and not row["written_off_at"]:
            fire("WRITE_OFF_MISSING", cid, holder)
        if row["written_off_at"] and vid not in paid_vouchers:
            fire("WRITE_OFF_WITHOUT_PAYMENT", cid, holder)
    for _table, row in rejected:
        fire(
            "BAD_ROW", row.get("class_id", ""), row.get("person_id", ""), row.get("payment_id", "")
        )
    end_of_as_of = T.combine(AS_OF + dt.timedelta(days=1), dt.time(0))
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for ch in t["checkins"]:
        groups.setdefault((ch["class_id"], ch["person_id"]), []).append(ch)
    for (cid, pid), rows in groups.items():
        when = [_ts(r["checked_in_at"]) for r in rows]
        if any(w is None or w >= end_of_as_of for w in when):
            fire("BAD_TIMESTAMP", cid, pid)
        if cid not in classes or (cid, pid) not in set(units):
            fire("ORPHAN_RECORD", cid, pid)

    # subsidy: payable unless a block finding touches the payment
    blocks = [f for f in out if SEVERITY[f["rule_id"]] == "block"]
    subsidy: list[Subsidy] = []
    for p in sorted(t["payments"], key=lambda q: q["payment_id"]):
        cid, pid, pay = p["class_id"], p["person_id"], p["payment_id"]
        inst = inst_of.get(cid, "")
        hit = sorted({
            f["rule_id"] for f in blocks
            if f["payment_id"] == pay
            or (not f["payment_id"] and f["class_id"] == cid and f["person_id"] == pid)
            or (f["class_id"] == cid and not f["person_id"])
            or (f["institution_id"] == inst and not f["class_id"])
        })  # fmt: skip
        amount = Decimal(p["amount"])
        exp = expected[pay]
        verified = Decimal("0.00") if hit else (amount if exp is None else min(amount, exp))
        subsidy.append(Subsidy(pay, inst, cid, pid, amount, not hit, verified, ",".join(hit)))
    return out, subsidy


def ric_ok(pid: str) -> bool:
    """GB 11643 check digit and a real birth date (the region is not judged)."""
    try:
        ric.get_birth_date(pid)
    except (ValidationError, ValueError):
        return False
    return len(pid) == 18 and pid[:17].isdigit() and pid[-1] == ric.calc_check_digit(pid)


def _key(f: dict[str, str]) -> tuple[str, ...]:
    return tuple(f[c] for c in INTENDED_COLUMNS)


# ---------------------------------------------------------------------------------------------
# README


def yuan(v: Decimal) -> str:
    return f"{v:,.2f}"


def readme(x: Export, findings: list[dict[str, str]], subsidy: list[Subsidy]) -> str:
    m = x.meta
    names = {r["institution_id"]: r["name"] for r in x.rows["institutions"]}
    letter = {m["ia"]: "A", m["ib"]: "B", m["ic"]: "C", m["id"]: "D"}
    by_pid = {s["pid"]: s["name"] for s in x.story}
    pays = {r["payment_id"]: r for r in x.rows["payments"]}
    lines = [
        "# Sample export: Shanghai 2021 training vouchers (`shanghai-voucher-2021`)",
        "",
        "A small, realistic export of the training-voucher programme (职业培训券), written to "
        "checks/programmes/training-voucher/contract.toml, in which every voucher rule of "
        "VOUCHER_SPEC.md fires at least once, the innocent look-alike of every boundary stays "
        "quiet, and one institution (A) is clean. Written by `../make_voucher_sample.py` "
        "(deterministic: re-running it reproduces every file here byte for byte; "
        "tests/test_voucher_sample.py checks that). Audit it with the profile "
        f"`shanghai-voucher-2021` and an audit date on or after {AS_OF} (the last day of the "
        "data is in December 2021; a check-in after the end of the audit day would be "
        "BAD_TIMESTAMP).",
        "",
        "All ID numbers, credit codes and voucher numbers are invented. ID numbers carry a valid "
        "GB 11643 check digit, a real birth date, a Shanghai district code that existed in the "
        "birth year and a 17th digit odd for men and even for women; credit codes carry a valid "
        "GB 32100 check character; except where a rule needs otherwise (said below). The export "
        "has no name column: the names here only tell the people apart. ID numbers are masked "
        "here (first 6, last 4); the CSV files hold them whole.",
        "",
        "`intended.csv` lists the findings intended (rule_id, institution_id, class_id, "
        "person_id, payment_id), written by the same script. The script also evaluates the "
        "rules of VOUCHER_SPEC.md in plain Python over the rows it wrote and stops if that "
        "disagrees with what was designed, so intended.csv is the specification's answer too.",
        "",
        "## A clean enrolment",
        "",
        "The trainee holds a subsidy voucher of their own (issued in spring 2021, valid until "
        "2021-12-31, ratio 1, 0.8 or 0.5), is registered at least three whole days before the "
        "class starts (the class's opening feedback too, profile `registration_lead_days = 3`: "
        "for a start on 10 June, by 7 June 23:59:59), checks in 3 to 25 minutes before every "
        "meeting (the window is 60 minutes before to 15 after the start, both ends inclusive) "
        "5 to 40 m from the site's true spot, passes the assessment a week after the last "
        "meeting, and is paid standard_amount x ratio, rounded half-up to the fen, four weeks "
        "after the last meeting, to the person, the institution or their employer; the voucher "
        "is written off the next night at 02:15. Sites are given in WGS-84 or BD-09; phones "
        "report in GCJ-02 (AMap, Tencent: most people), BD-09 (Baidu app) or WGS-84 (a GPS "
        "app), each converted with auditor/coords.py, so that a GCJ-02 check-in at the site "
        "(several hundred metres from the site's WGS-84 numbers, unconverted) is inside the "
        "radius.",
        "",
    ]
    sections = {
        "A": "clean, with every boundary's innocent look-alike (no finding of any severity)",
        "B": "voucher problems, one per trainee",
        "C": "schedule and identity problems; its own credit code is invalid",
        "D": "attendance problems",
    }
    for iid in [m["ia"], m["ib"], m["ic"], m["id"]]:
        row = next(r for r in x.rows["institutions"] if r["institution_id"] == iid)
        lines += [f"## Institution {letter[iid]}: {sections[letter[iid]]}", "",
                  f"{row['name']}, {row['district']}, `{iid}`."]  # fmt: skip
        if iid == m["ic"]:
            lines[-1] += (f" The check character is `{iid[-1]}` where GB 32100 gives "
                          f"`{m['ic_valid'][-1]}`: **ENTERPRISE_ID_INVALID** (review).")  # fmt: skip
        if iid == m["ia"]:
            lines += ["", LOOK_ALIKES]
        lines.append("")
        for k in x.rows["classes"]:
            if k["institution_id"] != iid:
                continue
            kk = x.classes[str(k["class_id"])]
            lines.append(
                f"- `{k['class_id']}` {k['course_id']}: {kk.days[0]:%a %d %b} to "
                f"{kk.days[-1]:%a %d %b %Y}, {len(kk.days)} meetings "
                f"{kk.start:%H:%M}–{kk.end:%H:%M}; feedback "
                f"{_cell(kk.feedback_at) or '(none)'}; site in {k['coord_system']} "
                f"({k['site_lat']}, {k['site_lon']}), radius {k['site_radius_m']} m; "
                f"standard {yuan(kk.standard)} yuan."
            )
        lines += ["", "| class | person | ID | designed | findings | payments (payable, verified) |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for s in x.story:
            if x.classes[s["class_id"]].inst != iid:
                continue
            mine = [q for q in subsidy if (q.class_id, q.person_id) == (s["class_id"], s["pid"])]
            paid = (
                "; ".join(
                    f"{q.payment_id} {yuan(q.paid_amount)} "
                    f"({'yes' if q.payable else 'no'}, {yuan(q.verified_amount)})"
                    for q in mine
                )
                or "—"
            )
            lines.append(f"| {s['class_id']} | {s['name']} | {mask(s['pid'])} | "
                         f"{s['designed']} | {s['findings']} | {paid} |")  # fmt: skip
        lines.append("")
    lines += checkin_section(x)
    lines += [DECISIONS, ""]
    lines += [
        "## Every intended finding",
        "",
        "Severity as in VOUCHER_SPEC.md. Keys as intended.csv gives them: an enrolment-unit "
        "finding has institution, class and person; a payment finding also the payment; a "
        "class finding institution and class; an institution finding the institution only; a "
        "voucher finding (WRITE_OFF_*) the holder as person and the class of the voucher's "
        "enrolment; BAD_ROW the rejected row's class, person and payment_id; BAD_TIMESTAMP "
        "and ORPHAN_RECORD one per (class, person) group of check-ins.",
        "",
        "| # | rule | severity | institution | class | person | payment | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    why = {}
    for s in x.story:
        why[(s["class_id"], s["pid"])] = s["designed"]
    for n, f in enumerate(findings, 1):
        inst = letter.get(f["institution_id"], "—")
        person = (
            f"{by_pid.get(f['person_id'], '')} {mask(f['person_id'])}" if f["person_id"] else "—"
        )
        if f["rule_id"] == "ENTERPRISE_ID_INVALID":
            reason = "credit code's check character is wrong"
        elif f["rule_id"] == "LATE_FEEDBACK":
            fb = x.classes[f["class_id"]].feedback_at
            reason = (f"feedback filed {fb:%Y-%m-%d %H:%M}, after the deadline" if fb
                      else "no feedback_at")  # fmt: skip
        elif f["rule_id"] == "ORPHAN_RECORD" and f["class_id"] not in x.classes:
            reason = f"a check-in for class {f['class_id']}, which the export does not hold"
        else:
            key = (f["class_id"], f["person_id"])
            if key not in why:
                key = next(k for k in why if k[1] == f["person_id"])
            reason = why[key]
        pay = f["payment_id"] or "—"
        if f["payment_id"] in pays:
            pay += f" ({pays[f['payment_id']]['amount']})"
        lines.append(f"| {n} | {f['rule_id']} | {SEVERITY[f['rule_id']]} | {inst} | "
                     f"{f['class_id'] or '—'} | {person} | {pay} | {reason} |")  # fmt: skip
    fired = {f["rule_id"] for f in findings}
    lines += ["", f"{len(findings)} findings; {len(fired)} rules fire, each at least once.", ""]
    # totals
    lines += ["## Totals", "",
              "subsidy.csv has one row per accepted payment (the rejected `cash` row is not "
              "one). A payment is payable unless a block finding touches it (its payment_id; "
              "its class and person; its class with no person; its institution with no class); "
              "verified = least(paid, standard x ratio half-up) when payable (no expected "
              "amount: paid), else 0.", "",
              "| institution | payments | paid (yuan) | payable | verified (yuan) |",
              "|---|---|---|---|---|"]  # fmt: skip
    all_n = all_p = 0
    all_paid = all_ver = Decimal("0.00")
    for iid in [m["ia"], m["ib"], m["ic"], m["id"]]:
        rows = [s for s in subsidy if s.institution_id == iid]
        n, p = len(rows), sum(1 for s in rows if s.payable)
        paid_sum = sum((s.paid_amount for s in rows), Decimal("0.00"))
        ver = sum((s.verified_amount for s in rows), Decimal("0.00"))
        all_n, all_p, all_paid, all_ver = all_n + n, all_p + p, all_paid + paid_sum, all_ver + ver
        lines.append(f"| {letter[iid]} {names[iid]} | {n} | {yuan(paid_sum)} | {p} | {yuan(ver)} |")
    lines.append(f"| **all** | **{all_n}** | **{yuan(all_paid)}** | **{all_p}** | "
                 f"**{yuan(all_ver)}** |")  # fmt: skip
    lines += [
        "",
        f"payments.csv has {len(x.rows['payments'])} rows: the {all_n} above and the "
        "rejected one (郭芳, 1,200.00). Exit status 1 (blocking findings).",
        "",
    ]
    return "\n".join(_wrap(line) for line in lines)


def checkin_section(x: Export) -> list[str]:
    """What the fact table checkin_facts should hold: one row per check-in with a known class."""
    sites = {r["class_id"]: r for r in x.rows["classes"]}
    known = [c for c in x.rows["checkins"] if c["class_id"] in sites]
    pairs: dict[tuple[str, str], int] = {}
    inside: list[float] = []
    outside: list[float] = []
    raw: list[float] = []
    for c in known:
        k = sites[c["class_id"]]
        pair = (str(c["coord_system"]), str(k["coord_system"]))
        pairs[pair] = pairs.get(pair, 0) + 1
        here = (float(str(c["lat"])), float(str(c["lon"])))
        site = (float(str(k["site_lat"])), float(str(k["site_lon"])))
        d = checkin_distance_m(*here, pair[0], *site, pair[1])
        (outside if d > int(str(k["site_radius_m"])) else inside).append(d)
        if pair[0] != pair[1]:
            raw.append(checkin_distance_m(*here, "wgs84", *site, "wgs84"))
    mix = ", ".join(f"{n} {a} on a {b} site" for (a, b), n in sorted(pairs.items()))
    return [
        "## Check-ins (`checkin_facts`)",
        "",
        f"checkins.csv has {len(x.rows['checkins'])} rows; {len(known)} have a known class and "
        f"so a row in checkin_facts ({mix}). Converted to WGS-84 (auditor/coords.py), "
        f"{len(inside)} lie {min(inside):.1f} to {max(inside):.1f} m from their site, inside "
        f"every radius (100 to 300 m); {len(outside)} is off site, "
        f"{', '.join(f'{d:,.1f} m' for d in outside)} away (韦立新, CHECKIN_OFF_SITE). Compared "
        f"unconverted, every check-in in another datum than its site's would be "
        f"{min(raw):,.0f} m or more away. The row for class SH21MH09 has no class, so no "
        "checkin_facts row; 彭玉兰's row with the unreadable time has one, with an empty "
        "checked_in_at and off_site false.",
        "",
    ]


def _wrap(line: str) -> str:
    """Prose at 100 columns, as in sample_exports/README.md; table rows and list items as they are."""
    if line.startswith(("|", "#")) or "\n" in line or len(line) <= 100:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, 100, subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False)  # fmt: skip


DECISIONS = """
## Where VOUCHER_SPEC.md leaves room: what this sample assumes

- **Which findings touch a payment.** A block finding that names a payment touches that payment
  only; one without a payment_id touches the payments of its class and person. Otherwise 马丽娟's
  VOUCHER_PAID_TWICE (on the later payment) would also block the earlier one through "its
  class+person", and the spec says the earliest stands.
- **AMOUNT_WRONG fires with VOUCHER_MISSING and VOUCHER_NOT_SUBSIDY** by the spec's own words (no
  voucher or no ratio: fires); it is review, and both payments are blocked anyway.
- **Keys of a voucher finding** (WRITE_OFF_MISSING, WRITE_OFF_WITHOUT_PAYMENT): the holder as
  person_id, and the institution and class of the voucher's enrolment; no payment_id. If the
  audit's fact gives fewer keys, compare these two on (rule_id, person_id).
- **BAD_ROW on a payments row** carries the row's class_id, person_id and payment_id (and the
  class's institution). The rejected payment is not in subsidy.csv and is no voucher's payment:
  郭芳's voucher, not written off, fires nothing else.
- **BAD_TIMESTAMP and ORPHAN_RECORD** are one finding per (class, person) group of check-ins, as
  the online programme's record_facts groups them; the check-in for the unknown class
  SH21MH09 has no institution.
- **An unreadable check-in time** counts for no meeting's window (彭玉兰 has a valid check-in for
  every meeting besides it) but is still a check-in for CHECKIN_OFF_SITE (it is at the site).
- **Audit date**: any day from 2021-12-31 on; the last record (a write-off) is on 16 December.""".strip(
    "\n"
)


LOOK_ALIKES = """
Every boundary of the specification has its innocent look-alike here, and each must stay quiet:

- **LATE_REGISTRATION**: 陈玉梅 is registered at 23:59:59 on the deadline day (9 April, for a
  start on 12 April); SH21HP02's opening feedback is filed at 23:59:59 on its deadline day.
- **VOUCHER_EXPIRED**: 李秀英 registers on her voucher's last valid day.
- **CHECKIN_MISSING**: 张晓燕 checks in exactly 60 minutes before one meeting and exactly 15
  minutes after another.
- **CHECKIN_OFF_SITE**: check-ins in GCJ-02 (most), BD-09 and WGS-84 against sites in WGS-84
  (SH21HP01) and BD-09 (SH21HP02, the same building), all 5 to 40 m from the site once
  converted, and 450 m or more from it if the datums are compared unconverted.
- **VOUCHER_MISSING**: 王丽华's payment names no voucher; her enrolment's voucher stands.
- **AMOUNT_WRONG**: 赵建国's 1,380.35 x 0.5 = 690.175 is paid as 690.18 (half-up).
- **VOUCHER_NOT_SUBSIDY**, **WRITE_OFF_***: 刘敏 trains on a check-in-only voucher, checks in,
  is not paid, and her voucher is not written off.
- **WRITE_OFF_WITHOUT_PAYMENT**: two vouchers (a subsidy one and a check-in-only one) were
  issued to people who never enrolled; neither is written off.""".strip("\n")


# ---------------------------------------------------------------------------------------------


def write(x: Export, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    contract = contract_columns()
    for table in TABLES:
        columns = [c["name"] for c in contract[table]]
        (folder / f"{table}.csv").write_text(x.csv_text(table, columns), encoding="utf-8")


def main(target: Path = HERE) -> None:
    """Write the sample under `target`/shanghai-voucher-2021 (default: beside this script)."""
    folder = target / FOLDER
    x = build()
    write(x, folder)
    findings, subsidy = evaluate(folder)
    designed = sorted(map(_key, x.intended))
    found = sorted(map(_key, findings))
    if designed != found:
        raise SystemExit(
            "the specification and the design disagree:\n  designed only: "
            + repr(sorted(set(designed) - set(found)))
            + "\n  spec only: "
            + repr(sorted(set(found) - set(designed)))
        )
    order = {r: i for i, r in enumerate(SEVERITY)}
    findings.sort(key=lambda f: (order[f["rule_id"]], _key(f)))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(INTENDED_COLUMNS)
    for f in findings:
        writer.writerow(_key(f))
    (folder / "intended.csv").write_text(buf.getvalue(), encoding="utf-8")
    (folder / "README.md").write_text(readme(x, findings, subsidy), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
