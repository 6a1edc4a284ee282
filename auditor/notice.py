"""`auditor check-notice`: check a published public notice (公示) against an audit's output.

A district office publishes the subsidised trainees for five working days, ID numbers masked.
This module reads such a notice (CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX), finds its
columns by their Chinese headers, and reports every row that leaks a whole ID number, masks IDs
differently from the other rows, or names someone who is not a payable claim of the audit.

The audit's claims come from OUT/audit.duckdb (opened read-only). A `--redact` audit keeps no
database: then the notice is checked against OUT/public_notice.csv, the payable claims with IDs
masked, and what that cannot tell is said in the notes (see `load_claims`).

Nothing here prints a whole ID number: values are shown masked (privacy.mask_text).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from .contract import programme_of_manifest
from .errors import AuditorError, NoticeError
from .papers import NAMED_CLAIMS_SQL, NOTICE_HEADERS
from .privacy import PHONE_IN_TEXT, mask, mask_text, parse_mask

# Problem kinds, in the order they are listed for one line.
KINDS = {
    "WHOLE_ID": "an ID number shown whole (or with one hidden character, which the check digit gives away)",
    "WHOLE_PHONE": "a mobile phone number in the notice",
    "MISSING_VALUE": "an empty ID number or name cell",
    "MASK_MISMATCH": "the ID is masked with another pattern than most rows of the notice",
    "UNKNOWN_ID": "the masked ID fits no payable claim of the audit",
    "UNKNOWN_NAME": "the name is no trainee of a payable claim of the audit",
    "NAME_ID_MISMATCH": "ID and name each fit a payable claim, but not the same one",
    "NOT_PAYABLE": "ID and name fit a claim the audit found not payable (blocked)",
    "AMBIGUOUS": "ID and name fit payable claims of several trainees; the row names none of them for sure",
    "WRONG_ENTERPRISE": "the trainee's payable claims are with another enterprise",
    "WRONG_PROJECT": "the trainee's payable claims are in another project",
    "WRONG_AMOUNT": "the amount differs from the audit's verified amount",
    "BAD_AMOUNT": "the amount cannot be read as yuan",
    "DUPLICATE_ROW": "a second row for a claim the notice already lists",
    "MISSING_CLAIM": "a payable claim of an enterprise in the notice that the notice leaves out",
}
KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
PROBLEM_COLUMNS = ("line", "column", "kind", "value", "detail")

# Header texts, compared after NFKC (full-width brackets become ASCII) with blanks, '*' and
# colons removed. The first of each tuple is what `auditor audit` publishes.
HEADERS = {
    "id": (NOTICE_HEADERS[3], "身份证号码", "证件号码", "证件号", "公民身份号码", "身份证",
           "身份证件号码", "身份号码", "身份证号/证件号"),
    "name": (NOTICE_HEADERS[2], "学员姓名", "职工姓名", "人员姓名", "员工姓名", "学员",
             "参训人员", "参训人员姓名", "培训人员", "培训人员姓名", "名字"),
    "enterprise": (NOTICE_HEADERS[1], "单位名称", "企业", "单位", "用人单位", "申请单位",
                   "申报单位", "公司名称", "企业全称", "所在单位", "所在企业", "企业(单位)名称"),
    "project": (NOTICE_HEADERS[4], "项目名称", "培训项目名称", "培训课程", "课程名称", "培训工种",
                "项目", "课程", "培训内容", "培训专业"),
    "amount": (NOTICE_HEADERS[5], "补贴金额", "金额(元)", "金额", "补贴标准(元)", "补贴标准",
               "补贴金额(元/人)", "补贴(元)", "补贴资金(元)", "补贴资金"),
}  # fmt: skip
Getter = Callable[[str], str]  # a row's value for a role: id, name, enterprise, ...
HEADER_SCAN_ROWS = 20  # a title line or two may stand above the header row
TOTAL_WORDS = {"合计", "总计", "小计"}
WHOLE_ID = re.compile(r"^(\d{17}[\dX]|\d{15})$")
ID_IN_CELL = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
ID_LENGTH = 18
BLANKS = re.compile(r"\s+")
MAX_LISTED = 5

CLAIMS_SQL = (
    "SELECT coalesce(enterprise_id, ''), coalesce(enterprise_name, ''), project_id, "
    "coalesce(project_title, ''), person_id, trainee_name, verified_amount, payable, "
    "blocking_rules FROM (" + NAMED_CLAIMS_SQL + ") s "
    "ORDER BY enterprise_id NULLS LAST, project_id, person_id"
)


@dataclass(frozen=True)
class Claim:
    """One claim of the audit, as the notice is compared with it."""

    key: int
    enterprise_id: str
    enterprise_name: str
    project_id: str
    project_title: str
    person_id: str  # whole, or masked when read from a redacted audit's public_notice.csv
    name: str
    amount: Decimal | None
    payable: bool
    rules: str
    # how a notice may name its enterprise (name or credit code) and project (title or ID)
    enterprise_keys: frozenset[str] = field(init=False)
    project_keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        keys = (self.enterprise_id, self.enterprise_name), (self.project_id, self.project_title)
        object.__setattr__(self, "enterprise_keys", _texts(*keys[0]))
        object.__setattr__(self, "project_keys", _texts(*keys[1]))

    @property
    def enterprise(self) -> str:
        return self.enterprise_id or self.enterprise_name


@dataclass(frozen=True)
class Problem:
    """One problem: its line in the notice (None for a claim missing from it), the notice's
    column header, the kind, the value shown masked, and what it means here."""

    line: int | None
    column: str
    kind: str
    value: str
    detail: str


@dataclass
class NoticeCheck:
    """The outcome of checking one notice."""

    rows: int = 0
    payable_claims: int = 0
    pattern: str | None = None  # the notice's usual ID mask, e.g. 6*4
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(p.kind for p in self.problems)
        return {kind: found[kind] for kind in KINDS if found[kind]}


# --- reading ---------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """NFKC (full-width letters, digits, brackets and ＊ become ASCII), blanks removed, and the
    apostrophe that keeps a spreadsheet from running = + - @ as a formula dropped."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = BLANKS.sub("", text)
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def _header_key(text: str) -> str:
    return normalise(text).replace("*", "").rstrip(":").lower()


HEADER_KEYS = {role: {_header_key(h) for h in names} for role, names in HEADERS.items()}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for every row of a CSV or XLSX file; line counts from 1, header included."""
    if not path.is_file():
        raise NoticeError(f"file {path}: does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        yield from _csv_rows(path)
    elif suffix in (".xls", ".et", ".wps"):
        raise NoticeError(f"file {path}: an old-format workbook; save it as .xlsx or .csv")
    else:
        raise NoticeError(f"file {path}: a notice must be a .csv or .xlsx file")


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NoticeError(f"file {path}: the text is neither UTF-8 nor GB18030")
    # NOTE: Python's csv reader, unlike DuckDB's, does not stop at a quote left open: it reads
    # the rest of the file into one cell. strict=True refuses the quote it cannot close, and a
    # notice's cells are one line each, so a cell spanning lines is a quote that swallowed rows.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            if any("\n" in cell or "\r" in cell for cell in row):
                raise NoticeError(
                    f"file {path}, line {line}: a quoted cell runs on to line {reader.line_num}; "
                    "a notice's cells are one line each, so a quote was left open"
                )
            yield line, row
            line = reader.line_num + 1
    except csv.Error as exc:
        raise NoticeError(
            f"file {path}, line {line}: not valid CSV from here to line {reader.line_num}: {exc}"
        ) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise NoticeError(f"file {path}: not a readable .xlsx workbook: {exc}") from None
    try:
        sheets = [book[name] for name in book.sheetnames]
        chosen = next((s for s in sheets if _find_header(_sheet_rows(s)) is not None), None)
        if chosen is None:  # let the caller say which header is missing, for the first sheet
            chosen = sheets[0]
        yield from _sheet_rows(chosen)
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    line = 0
    try:
        for line, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield line, [_cell_text(v) for v in row]
    except Exception as exc:  # a damaged sheet part: openpyxl raises many kinds
        raise NoticeError(f"sheet {sheet.title}, row {line + 1}: cannot be read: {exc}") from None


@dataclass(frozen=True)
class Columns:
    """Where each role is in the notice: column index and header text."""

    header_line: int
    index: dict[str, int]
    titles: list[str]

    def title(self, role: str) -> str:
        return self.titles[self.index[role]]


def _find_header(rows: Iterable[tuple[int, list[str]]]) -> Columns | None:
    for count, (line, cells) in enumerate(rows):
        if count >= HEADER_SCAN_ROWS:
            return None
        index: dict[str, int] = {}
        for i, cell in enumerate(cells):
            key = _header_key(cell)
            for role, keys in HEADER_KEYS.items():
                if key in keys and role not in index:
                    index[role] = i
        if "id" in index and "name" in index:
            return Columns(line, index, [c.strip() for c in cells])
    return None


# --- the audit's claims ----------------------------------------------------------------------


def load_claims(out: Path) -> tuple[list[Claim], tuple[int, int], list[str]]:
    """The audit's claims, its ID mask, and notes on what cannot be checked."""
    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        id_mask = parse_mask(str(manifest.get("id_mask", "6*4")))
    except FileNotFoundError:
        raise NoticeError(f"{out} is not an audit's output (no manifest.json)") from None
    except (json.JSONDecodeError, AttributeError, ValueError) as exc:
        raise NoticeError(f"{manifest_path} is not an auditor manifest: {exc}") from None
    try:
        contract = programme_of_manifest(manifest)
    except AuditorError as exc:
        raise NoticeError(f"{manifest_path}: {exc}") from None
    if "public_notice" not in contract.extras:
        raise NoticeError(
            f"{out} is an audit of the {contract.programme} programme, which publishes no "
            "notice of this kind (online-subsidy audits do)"
        )
    db = out / "audit.duckdb"
    if db.is_file():
        return _claims_from_db(db), id_mask, []
    notice = out / "public_notice.csv"
    if not notice.is_file():
        raise NoticeError(
            f"{out} has neither audit.duckdb nor public_notice.csv to check a notice against"
        )
    note = (
        f"{out} keeps no audit.duckdb (a --redact audit keeps none), so the notice was checked "
        "against OUT/public_notice.csv: its payable claims, IDs masked as "
        f"{id_mask[0]}*{id_mask[1]}. ID characters that this mask hides are not compared; a row "
        "for a claim that is not payable shows as UNKNOWN_ID/UNKNOWN_NAME, not NOT_PAYABLE"
    )
    return _claims_from_notice(notice), id_mask, [note]


def _claims_from_db(db: Path) -> list[Claim]:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise NoticeError(f"cannot open {db}: {str(exc).splitlines()[0]}") from None
    try:
        rows = con.execute(CLAIMS_SQL).fetchall()
    except duckdb.Error as exc:
        raise NoticeError(f"{db} is not an audit database: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return [
        Claim(i, r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8] or "")
        for i, r in enumerate(rows)
    ]


def _claims_from_notice(path: Path) -> list[Claim]:
    rows = read_rows(path)
    columns = _find_header(rows)
    if columns is None:
        raise NoticeError(f"file {path}: not an auditor public notice (no header row)")
    claims: list[Claim] = []
    for _line, cells in rows:
        get = _getter(columns, cells)
        claims.append(
            Claim(
                len(claims),
                "",
                get("enterprise"),
                "",
                get("project"),
                normalise(get("id")).upper(),
                normalise(get("name")),
                _amount(get("amount")),
                True,
                "",
            )
        )
    return claims


# --- matching --------------------------------------------------------------------------------


def _visible(value: str) -> frozenset[int]:
    return frozenset(i for i, ch in enumerate(value) if ch != "*")


class IdIndex:
    """Claims by the characters of their ID that a masked ID shows.

    A masked ID fits a claim when both have 18 characters and agree wherever both show one
    (the audit's IDs are whole, unless read from a redacted audit's notice)."""

    def __init__(self, claims: list[Claim]) -> None:
        self.groups: dict[frozenset[int], list[Claim]] = {}
        for claim in claims:
            if len(claim.person_id) == ID_LENGTH:
                self.groups.setdefault(_visible(claim.person_id), []).append(claim)
        self.cache: dict[tuple[frozenset[int], tuple[int, ...]], dict[str, list[Claim]]] = {}

    def find(self, value: str) -> list[Claim]:
        if len(value) != ID_LENGTH:
            return []
        shown = _visible(value)
        found: list[Claim] = []
        for visible, claims in self.groups.items():
            positions = tuple(sorted(shown & visible))
            index = self.cache.get((visible, positions))
            if index is None:
                index = {}
                for claim in claims:
                    index.setdefault(_pick(claim.person_id, positions), []).append(claim)
                self.cache[(visible, positions)] = index
            found.extend(index.get(_pick(value, positions), []))
        return sorted(found, key=lambda c: c.key)


def _pick(value: str, positions: tuple[int, ...]) -> str:
    return "".join(value[i] for i in positions)


class NameIndex:
    """Claims by trainee name; a '*' in a notice's name stands for one hidden character."""

    def __init__(self, claims: list[Claim]) -> None:
        self.by_name: dict[str, list[Claim]] = {}
        for claim in claims:
            self.by_name.setdefault(normalise(claim.name), []).append(claim)
        # NOTE: masked names (张*) are looked up among names of their length and first character
        self.by_shape: dict[tuple[int, str], list[str]] = {}
        for name in self.by_name:
            self.by_shape.setdefault((len(name), name[:1]), []).append(name)
            self.by_shape.setdefault((len(name), "*"), []).append(name)
        self.cache: dict[str, list[Claim]] = {}

    def find(self, name: str) -> list[Claim]:
        if "*" not in name:
            return self.by_name.get(name, [])
        if name not in self.cache:
            pattern = re.compile("".join("." if ch == "*" else re.escape(ch) for ch in name))
            names = self.by_shape.get((len(name), name[:1]), [])
            found = [c for n in names if pattern.fullmatch(n) for c in self.by_name[n]]
            self.cache[name] = sorted(found, key=lambda c: c.key)
        return self.cache[name]


def mask_pattern(value: str) -> str:
    """'310101********1234' -> '6*4': visible runs as counts, hidden runs as '*'."""
    runs = [(ch == "*", len(list(group))) for ch, group in _runs(value)]
    parts = ["0"] if runs and runs[0][0] else []
    for hidden, count in runs:
        parts.append("*" if hidden else str(count))
    if runs and runs[-1][0]:
        parts.append("0")
    text = "".join(parts)
    return text if len(value) == ID_LENGTH else f"{text} ({len(value)} characters)"


def _runs(value: str) -> Iterator[tuple[str, str]]:
    start = 0
    for i in range(1, len(value) + 1):
        if i == len(value) or (value[i] == "*") != (value[start] == "*"):
            yield value[start], value[start:i]
            start = i


def _amount(text: str) -> Decimal | None:
    cleaned = normalise(text).replace(",", "").replace("元", "").lstrip("¥￥")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _getter(columns: Columns, cells: list[str]) -> Getter:
    def get(role: str) -> str:
        i = columns.index.get(role)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return get


# --- the check -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, claims: list[Claim], id_mask: tuple[int, int], masked_ref: bool) -> None:
        self.claims = claims
        self.id_mask = id_mask
        self.masked_ref = masked_ref
        # NOTE: a redacted audit's claims are only its payable ones, from public_notice.csv
        self.scope = "payable claim" if masked_ref else "claim"
        self.ids = IdIndex(claims)
        self.names = NameIndex(claims)
        self.matched: dict[int, int] = {}  # claim key -> notice line
        self.referred: set[int] = set()  # claims a row points at without being theirs for sure
        self.enterprises: set[str] = set()  # enterprises the notice covers
        self.enterprise_texts: set[str] = set()
        self.problems: list[Problem] = []
        self.patterns: list[tuple[int, str, str, str]] = []  # line, column, value, pattern

    def shown_id(self, person_id: str) -> str:
        return person_id if self.masked_ref else mask(person_id, *self.id_mask)

    def show(self, value: str) -> str:
        """A notice's ID as shown in a problem: no character the audit's mask would hide."""
        masked = mask(value, *self.id_mask)
        return "".join("*" if "*" in (a, b) else a for a, b in zip(value, masked, strict=True))

    def who(self, claims: list[Claim]) -> str:
        listed = [
            f"{c.name or '?'} {self.shown_id(c.person_id)} ({c.enterprise_name or c.enterprise_id}, "
            f"{c.project_title or c.project_id})"
            for c in claims[:MAX_LISTED]
        ]
        more = f" and {len(claims) - MAX_LISTED} more" if len(claims) > MAX_LISTED else ""
        return "; ".join(listed) + more

    def add(self, line: int | None, column: str, kind: str, value: str, detail: str) -> None:
        self.problems.append(Problem(line, column, kind, mask_text(value), mask_text(detail)))

    def row(self, line: int, columns: Columns, cells: list[str]) -> None:
        get = _getter(columns, cells)
        id_col, name_col = columns.title("id"), columns.title("name")
        raw_id = normalise(get("id")).upper()
        name = normalise(get("name"))
        for i, cell in enumerate(cells):
            if i == columns.index["id"]:
                continue
            title = columns.titles[i] if i < len(columns.titles) else f"column {i + 1}"
            text = unicodedata.normalize("NFKC", cell)
            if ID_IN_CELL.search(text):
                self.add(line, title, "WHOLE_ID", cell, "a whole ID number in a published cell")
            elif PHONE_IN_TEXT.search(text):
                self.add(line, title, "WHOLE_PHONE", cell, "a mobile phone number in a notice")
        shown = self.show(raw_id)
        if not raw_id:
            self.add(line, id_col, "MISSING_VALUE", "", "no ID number")
        elif "*" not in raw_id:
            if WHOLE_ID.match(raw_id) or ID_IN_CELL.search(raw_id):
                self.add(line, id_col, "WHOLE_ID", shown, "the ID number is not masked")
        else:
            pattern = mask_pattern(raw_id)
            if len(raw_id) == ID_LENGTH and raw_id.count("*") == 1:
                self.add(
                    line,
                    id_col,
                    "WHOLE_ID",
                    shown,
                    f"masked as {pattern}: one hidden character follows from the check digit "
                    "(GB 11643)",
                )
            self.patterns.append((line, id_col, shown, pattern))
        if not name:
            self.add(line, name_col, "MISSING_VALUE", "", "no name")
        self.match(line, columns, get, raw_id, shown, name)

    def match(
        self, line: int, columns: Columns, get: Getter, raw_id: str, shown: str, name: str
    ) -> None:
        id_col, name_col = columns.title("id"), columns.title("name")
        enterprise, project = normalise(get("enterprise")), normalise(get("project"))
        if enterprise:
            self.enterprise_texts.add(enterprise)
        by_id = self.ids.find(raw_id) if raw_id else []
        by_name = self.names.find(name) if name else []
        name_keys = {c.key for c in by_name}
        pay_id = [c for c in by_id if c.payable]
        pay_name = [c for c in by_name if c.payable]
        both = [c for c in pay_id if c.key in name_keys]
        blocked = [c for c in by_id if not c.payable and c.key in name_keys]
        blocked_fit = _fitting(blocked, enterprise, project)
        # NOTE: a payable trainee listed with the enterprise and project of one of their blocked
        # claims is that blocked claim, not a wrong enterprise or project
        if both and (_fitting(both, enterprise, project) or not blocked_fit):
            self.fits(line, columns, get, both, enterprise, project, shown, name)
            return
        blocked = blocked_fit or blocked
        if blocked:
            rules = "; ".join(f"{c.project_title or c.project_id}: {c.rules}" for c in blocked)
            self.add(
                line,
                id_col,
                "NOT_PAYABLE",
                f"{name} {shown}",
                f"the audit found this claim not payable ({rules})",
            )
            self.enterprises.update(c.enterprise for c in blocked)
            return
        if pay_id and pay_name:
            self.add(
                line,
                id_col,
                "NAME_ID_MISMATCH",
                f"{name} {shown}",
                f"the ID fits {self.who(pay_id)}; the name fits {self.who(pay_name)}",
            )
            self.referred.update(c.key for c in pay_id + pay_name)
            self.enterprises.update(c.enterprise for c in pay_id + pay_name)
            return
        if raw_id and not pay_id:
            if len(raw_id) != ID_LENGTH:
                detail = f"{len(raw_id)} characters; an ID number has {ID_LENGTH}"
            elif by_id:
                detail = f"no payable claim has this ID; it fits {self.who(by_id)}, not payable"
            else:
                detail = f"no {self.scope} of the audit has this ID"
            self.add(line, id_col, "UNKNOWN_ID", shown, detail)
            # NOTE: the row means a payable trainee by name; their claim is not also MISSING
            self.referred.update(c.key for c in pay_name)
        if name and not pay_name:
            if pay_id:
                detail = f"the ID fits {self.who(pay_id)}"
                self.referred.update(c.key for c in pay_id)
                self.enterprises.update(c.enterprise for c in pay_id)
            elif by_name:
                detail = f"{name} has claims, none payable: {self.who(by_name)}"
            else:
                detail = f"no trainee of a {self.scope} of the audit has this name"
            self.add(line, name_col, "UNKNOWN_NAME", name, detail)
        elif name and pay_name:
            self.enterprises.update(c.enterprise for c in pay_name)
            if not raw_id:  # MISSING_VALUE already says the row is incomplete
                self.referred.update(c.key for c in pay_name)
        elif not name and pay_id:
            self.enterprises.update(c.enterprise for c in pay_id)
            self.referred.update(c.key for c in pay_id)

    def fits(
        self,
        line: int,
        columns: Columns,
        get: Getter,
        both: list[Claim],
        enterprise: str,
        project: str,
        shown: str,
        name: str,
    ) -> None:
        self.enterprises.update(c.enterprise for c in both)
        same_enterprise = _fitting(both, enterprise, "")
        fit = _fitting(same_enterprise, "", project)
        value = f"{name} {shown}"
        if not fit:
            self.referred.update(c.key for c in both)
            if not same_enterprise:
                names = sorted({c.enterprise_name or c.enterprise_id for c in both})
                self.add(
                    line,
                    columns.title("enterprise"),
                    "WRONG_ENTERPRISE",
                    value,
                    f"notice says {get('enterprise')}; payable claims are with {', '.join(names)}",
                )
            else:
                titles = sorted({c.project_title or c.project_id for c in same_enterprise})
                self.add(
                    line,
                    columns.title("project"),
                    "WRONG_PROJECT",
                    value,
                    f"notice says {get('project')}; payable claims are in {', '.join(titles)}",
                )
            return
        if len({c.person_id for c in fit}) > 1:
            self.referred.update(c.key for c in fit)
            self.add(
                line,
                columns.title("id"),
                "AMBIGUOUS",
                value,
                f"fits {len(fit)} payable claims of different trainees: {self.who(fit)}",
            )
            return
        free = [c for c in fit if c.key not in self.matched]
        if not free:
            first = min(self.matched[c.key] for c in fit)
            self.add(
                line,
                columns.title("id"),
                "DUPLICATE_ROW",
                value,
                f"line {first} already lists this claim ({self.who(fit[:1])})",
            )
            return
        claim = free[0]
        self.matched[claim.key] = line
        if "amount" not in columns.index:
            return
        text = get("amount")
        amount = _amount(text)
        if amount is None:
            kind = "MISSING_VALUE" if not text else "BAD_AMOUNT"
            self.add(line, columns.title("amount"), kind, text, "not an amount in yuan")
        elif claim.amount is not None and amount != claim.amount:
            self.add(
                line,
                columns.title("amount"),
                "WRONG_AMOUNT",
                text,
                f"the audit verified {claim.amount:.2f} yuan for {self.who([claim])}",
            )

    def finish(self, result: NoticeCheck) -> None:
        if self.patterns:
            counts = Counter(p for _, _, _, p in self.patterns)
            first: dict[str, int] = {}
            for _, _, _, p in self.patterns:
                first.setdefault(p, len(first))
            usual = max(counts, key=lambda p: (counts[p], -first[p]))
            result.pattern = usual
            for line, column, value, pattern in self.patterns:
                if pattern != usual:
                    self.add(
                        line,
                        column,
                        "MASK_MISMATCH",
                        value,
                        f"masked as {pattern}; {counts[usual]} of {len(self.patterns)} masked IDs "
                        f"in the notice as {usual}",
                    )
        covered = self.enterprises | {
            c.enterprise for c in self.claims if self.enterprise_texts & c.enterprise_keys
        }
        missing = [
            c
            for c in self.claims
            if c.payable
            and c.enterprise in covered
            and c.key not in self.matched
            and c.key not in self.referred
        ]
        for claim in missing:
            amount = f", {claim.amount:.2f} yuan" if claim.amount is not None else ""
            self.add(
                None,
                "",
                "MISSING_CLAIM",
                f"{claim.name} {self.shown_id(claim.person_id)}",
                f"payable claim of {claim.enterprise_name or claim.enterprise_id}, "
                f"{claim.project_title or claim.project_id}{amount}, is not in the notice",
            )
        result.problems = sorted(
            self.problems,
            key=lambda p: (p.line is None, p.line or 0, KIND_ORDER[p.kind]),
        )


def _fitting(claims: list[Claim], enterprise: str, project: str) -> list[Claim]:
    """The claims whose enterprise (name or credit code) and project (title or ID) are the
    row's; an empty value (or a notice without the column) fits any."""
    return [
        c
        for c in claims
        if (not enterprise or enterprise in c.enterprise_keys)
        and (not project or project in c.project_keys)
    ]


def _texts(*values: str) -> frozenset[str]:
    return frozenset(normalise(v) for v in values if v)


def check_notice(path: Path, out: Path) -> NoticeCheck:
    """Check the notice in `path` against the audit in `out`."""
    claims, id_mask, notes = load_claims(out)
    result = NoticeCheck(notes=notes)
    result.payable_claims = sum(c.payable for c in claims)
    rows = read_rows(path)
    columns = _find_header(rows)
    if columns is None:
        raise NoticeError(
            f"file {path}: no header row with an ID column ({', '.join(HEADERS['id'][:3])}, …) "
            f"and a name column ({', '.join(HEADERS['name'][:3])}, …) in its first "
            f"{HEADER_SCAN_ROWS} rows"
        )
    checker = _Checker(claims, id_mask, masked_ref=bool(notes))
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if not normalise(_getter(columns, cells)("id")) and TOTAL_WORDS & {
            normalise(c) for c in cells
        }:
            continue  # a total line under the table
        result.rows += 1
        checker.row(line, columns, cells)
    checker.finish(result)
    audit_mask = f"{id_mask[0]}*{id_mask[1]}"
    if result.pattern and result.pattern != audit_mask:
        result.notes.append(
            f"the notice masks IDs as {result.pattern}, the audit's reports as {audit_mask}"
        )
    for role in ("enterprise", "project", "amount"):
        if role not in columns.index:
            result.notes.append(f"no {HEADERS[role][0]} column: {role} not compared")
    return result


def write_problems(problems: list[Problem], fh: io.TextIOBase | object) -> None:
    """The problems as CSV (line, column, kind, value, detail); text cells formula-safe."""
    writer = csv.writer(fh, lineterminator="\n")  # type: ignore[arg-type]
    writer.writerow(PROBLEM_COLUMNS)
    for p in problems:
        writer.writerow(
            [
                "" if p.line is None else p.line,
                _formula_safe(p.column),
                p.kind,
                _formula_safe(p.value),
                _formula_safe(p.detail),
            ]
        )


def _formula_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
