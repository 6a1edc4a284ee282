"""The public notice (公示): public_notice.csv/.xlsx written by the audit, and `auditor
check-notice` reading published notices (CSV in UTF-8 or GB18030, XLSX) against an audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import AuditorError
from auditor.notice import KINDS, check_notice, mask_pattern, normalise
from auditor.papers import NOTICE_HEADERS, mask_sql, write_public_notice
from auditor.pipeline import AuditOptions, audit
from auditor.privacy import mask

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2023, 6, 30)
WHOLE_ID = re.compile(r"\d{17}[\dX]")
# What the audit of sample_exports publishes (shanghai-2022, mask 6*4), line 2 onwards.
NOTICE = [
    ["1", "上海明德信息科技有限公司", "周国庆", "310101********1317", "办公软件高级应用", "600.00"],
    ["2", "上海明德信息科技有限公司", "张伟", "310101********1234", "办公软件高级应用", "600.00"],
    ["3", "上海明德信息科技有限公司", "王芳", "310104********2468", "办公软件高级应用", "600.00"],
    ["4", "上海明德信息科技有限公司", "刘洋", "310106********4821", "办公软件高级应用", "600.00"],
    ["5", "上海明德信息科技有限公司", "李娜", "310115********3685", "办公软件高级应用", "600.00"],
    ["6", "上海申城餐饮管理有限公司", "许强", "310107********4317", "餐饮服务礼仪", "600.00"],
    ["7", "上海申城餐饮管理有限公司", "高峰", "310105********6556", "办公软件高级应用", "600.00"],
    ["8", "上海申城餐饮管理有限公司", "高峰", "310105********6556", "烹饪工艺（一）", "600.00"],
    ["9", "上海申城餐饮管理有限公司", "罗兰", "810000********3229", "烹饪工艺（一）", "600.00"],
    ["10", "上海申城餐饮管理有限公司", "高峰", "310105********6556", "烹饪工艺（二）", "600.00"],
    ["11", "上海速学人力资源服务有限公司", "尤建军", "310104********671X", "客服沟通技巧", "600.00"],
    ["12", "上海速学人力资源服务有限公司", "杨光", "310112********4578", "客服沟通技巧", "600.00"],
    ["13", "上海速学人力资源服务有限公司", "许丽", "310112********7820", "客服沟通技巧", "600.00"],
    ["14", "上海速学人力资源服务有限公司", "韩冰", "310112********3483", "客服沟通技巧", "600.00"],
    ["15", "上海速学人力资源服务有限公司", "蒋涛", "310112********2152", "客服沟通技巧", "600.00"],
    ["16", "上海速学人力资源服务有限公司", "秦月", "310112********5628", "客服沟通技巧", "600.00"],
    ["17", "上海速学人力资源服务有限公司", "沈玉", "310112********226X", "客服沟通技巧", "600.00"],
    ["18", "上海浦江物流有限公司", "赵磊", "310106********1038", "仓储管理实务", "600.00"],
    ["19", "上海浦江物流有限公司", "吴倩", "310110********108X", "仓储管理实务", "600.00"],
    ["20", "上海浦江物流有限公司", "孙丽", "310101********1100", "叉车安全操作", "600.00"],
]  # fmt: skip


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("notice")
    plain = AuditOptions(reports=False, as_of=AS_OF)
    redacted = AuditOptions(reports=False, as_of=AS_OF, redact_key=b"k" * 16)
    audit(ROOT / "sample_exports", "shanghai-2022", tmp / "plain", plain)
    audit(ROOT / "sample_exports", "shanghai-2022", tmp / "redacted", redacted)
    return {"plain": tmp / "plain", "redacted": tmp / "redacted"}


def _rows() -> list[list[str]]:
    return [list(r) for r in NOTICE]


def _row(rows: list[list[str]], name: str, project: str | None = None) -> list[str]:
    """The one row of `rows` for trainee `name` (in `project`, when they have several)."""
    found = [r for r in rows if r[2] == name and (project is None or r[4] == project)]
    assert len(found) == 1, (name, project, found)
    return found[0]


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", header=NOTICE_HEADERS):
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([list(header), *rows])
    return path


def _run(notice: Path, out: Path, *extra: str):
    result = CliRunner().invoke(cli, ["check-notice", str(notice), "--against", str(out), *extra])
    assert WHOLE_ID.search(result.output) is None, "a whole ID number was printed"
    return result


def _problems(text: str) -> list[tuple[str, str, str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return [(r["line"], r["column"], r["kind"], r["value"]) for r in rows]


# --- the notice the audit writes -------------------------------------------------------------


def test_public_notice_lists_payable_claims_masked(outs: dict[str, Path]) -> None:
    raw = (outs["plain"] / "public_notice.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [list(NOTICE_HEADERS), *NOTICE]
    with (outs["plain"] / "subsidy.csv").open(encoding="utf-8") as fh:
        payable = [r for r in csv.DictReader(fh) if r["payable"] == "true"]
    assert len(rows) - 1 == len(payable)
    book = openpyxl.load_workbook(outs["plain"] / "public_notice.xlsx", read_only=True)
    assert book.sheetnames == ["公示名单"]
    cells = [list(r) for r in book["公示名单"].iter_rows(values_only=True)]
    assert cells[0] == list(NOTICE_HEADERS)
    assert [[str(c) if i < 5 else f"{c:.2f}" for i, c in enumerate(r)] for r in cells[1:]] == NOTICE
    book.close()


def test_redacted_audit_publishes_the_same_notice(outs: dict[str, Path]) -> None:
    for name in ("public_notice.csv", "public_notice.xlsx"):
        assert (outs["plain"] / name).read_bytes() == (outs["redacted"] / name).read_bytes()
    assert not (outs["redacted"] / "audit.duckdb").exists()


def _notice_from_db(out: Path, target: Path, id_mask: tuple[int, int]) -> None:
    target.mkdir()
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    try:
        write_public_notice(con, target, id_mask, AS_OF)
    finally:
        con.close()


def test_notice_workbook_is_byte_reproducible_and_follows_the_mask(
    outs: dict[str, Path], tmp_path: Path
) -> None:
    _notice_from_db(outs["plain"], tmp_path / "again", (6, 4))
    for name in ("public_notice.csv", "public_notice.xlsx"):
        assert (tmp_path / "again" / name).read_bytes() == (outs["plain"] / name).read_bytes()
    _notice_from_db(outs["plain"], tmp_path / "m34", (3, 4))
    text = (tmp_path / "m34" / "public_notice.csv").read_text(encoding="utf-8-sig")
    assert "310***********1234" in text and WHOLE_ID.search(text) is None


def test_mask_sql_agrees_with_privacy_mask() -> None:
    values = ["", "1", "12345", "310101199001011234", "31010419850303107X", "1234567890"]
    for head, tail in ((6, 4), (3, 4), (0, 4), (6, 0), (10, 10)):
        for value in values:
            con = duckdb.connect()
            sql = f"SELECT {mask_sql('v', head, tail)} FROM (SELECT CAST(? AS VARCHAR) AS v)"
            got = con.execute(sql, [value]).fetchone()
            con.close()
            assert got is not None and got[0] == mask(value, head, tail), (value, head, tail)


def test_notice_cells_are_formula_safe(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE subsidy AS SELECT 'E1' AS enterprise_id, 'P1' AS project_id, "
        "'310101199001011234' AS person_id, true AS payable, CAST(600 AS DECIMAL(14, 2)) "
        "AS verified_amount"
    )
    con.execute("CREATE TABLE enterprises AS SELECT 'E1' AS enterprise_id, '=cmd()' AS name")
    con.execute("CREATE TABLE projects AS SELECT 'P1' AS project_id, '+SUM(A1)' AS title")
    con.execute(
        "CREATE TABLE trainees AS SELECT 'E1' AS enterprise_id, "
        "'310101199001011234' AS person_id, '@x' AS name"
    )
    write_public_notice(con, tmp_path, (6, 4), None)
    con.close()
    rows = list(csv.reader((tmp_path / "public_notice.csv").open(encoding="utf-8-sig")))
    assert rows[1] == ["1", "'=cmd()", "'@x", "310101********1234", "'+SUM(A1)", "600.00"]
    book = openpyxl.load_workbook(tmp_path / "public_notice.xlsx")
    assert [c.value for c in book["公示名单"][2]][1:5] == rows[1][1:5]


def test_notice_rows_rendered_by_sql_and_by_python_read_back_alike(tmp_path: Path) -> None:
    # plain names take DuckDB's CSV line and sheet XML; the others Python's writers
    names = ["张三", "李,四", '王"五', "赵\n六", " 钱七", "孙&八"]
    ids = [f"31010119900101{n:03d}X" for n in range(len(names))]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE subsidy AS SELECT 'E1' AS enterprise_id, 'P1' AS project_id, "
        "unnest(?) AS person_id, true AS payable, CAST(600 AS DECIMAL(14, 2)) AS verified_amount",
        [ids],
    )
    con.execute("CREATE TABLE enterprises AS SELECT 'E1' AS enterprise_id, '甲公司' AS name")
    con.execute("CREATE TABLE projects AS SELECT 'P1' AS project_id, '电工' AS title")
    con.execute(
        "CREATE TABLE trainees AS SELECT 'E1' AS enterprise_id, unnest(?) AS person_id, "
        "unnest(?) AS name",
        [ids, names],
    )
    write_public_notice(con, tmp_path, (6, 4), None)
    con.close()
    expected = [list(NOTICE_HEADERS)] + [
        [str(i), "甲公司", name, ids[i - 1][:6] + "********" + ids[i - 1][-4:], "电工", "600.00"]
        for i, name in enumerate(names, start=1)
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(expected)
    written = (tmp_path / "public_notice.csv").read_text(encoding="utf-8-sig")
    assert written == buffer.getvalue()
    book = openpyxl.load_workbook(tmp_path / "public_notice.xlsx")
    cells = [[c.value for c in row] for row in book["公示名单"].iter_rows()]
    assert [r[2] for r in cells[1:]] == names
    assert [r[0] for r in cells[1:]] == list(range(1, len(names) + 1))


def test_a_bad_id_mask_stops_the_audit_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="6\\*4"):
        audit(ROOT / "sample_exports", "shanghai-2022", tmp_path / "o", AuditOptions(id_mask="6-4"))
    assert not (tmp_path / "o").exists()


# --- check-notice ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["public_notice.csv", "public_notice.xlsx"])
@pytest.mark.parametrize("which", ["plain", "redacted"])
def test_the_audits_own_notice_is_clean(outs: dict[str, Path], name: str, which: str) -> None:
    result = _run(outs[which] / name, outs[which])
    assert result.exit_code == 0, result.output
    assert result.stdout == "line,column,kind,value,detail\n"
    assert f"{len(NOTICE)} notice rows checked" in result.stderr and "no problems" in result.stderr
    assert ("keeps no audit.duckdb" in result.stderr) == (which == "redacted")


def test_whole_id_mixed_masks_unknown_name_and_id(outs: dict[str, Path], tmp_path: Path) -> None:
    rows = _rows()
    _row(rows, "张伟")[3] = "310101199001011234"  # whole ID (line 3)
    _row(rows, "王芳")[3] = "3101**********2468"  # another mask (line 4)
    _row(rows, "刘洋")[2] = "刘阳"  # unknown name; the ID is 刘洋's (line 5)
    _row(rows, "李娜")[3] = "310115********3600"  # a masked ID that fits no claim (line 6)
    notice = _write_csv(tmp_path / "公示.csv", rows)
    report = tmp_path / "problems.csv"
    result = _run(notice, outs["plain"], "--out", str(report))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert _problems(report.read_text(encoding="utf-8")) == [
        ("3", "身份证号", "WHOLE_ID", "310101********1234"),
        ("4", "身份证号", "MASK_MISMATCH", "3101**********2468"),
        ("5", "姓名", "UNKNOWN_NAME", "刘阳"),
        ("6", "身份证号", "UNKNOWN_ID", "310115********3600"),
    ]
    details = [r["detail"] for r in csv.DictReader(report.open(encoding="utf-8"))]
    assert details[1] == "masked as 4*4; 18 of 19 masked IDs in the notice as 6*4"
    assert "刘洋 310106********4821" in details[2]
    assert details[3] == "no claim of the audit has this ID"
    assert "4 problems: 1 WHOLE_ID, 1 MASK_MISMATCH, 1 UNKNOWN_ID, 1 UNKNOWN_NAME" in (
        result.stderr
    )


def test_xlsx_with_a_title_row_other_headers_and_a_total(
    outs: dict[str, Path], tmp_path: Path
) -> None:
    rows = _rows()
    # The notice's last rows are B's: 赵磊 (line 20 once 吴倩's row is gone) and 孙丽 (line 21).
    _row(rows, "赵磊")[5] = "500"  # not what the audit verified
    # One hidden character: the check digit gives it away.
    _row(rows, "孙丽")[3] = "31010119901010110*"
    rows.remove(_row(rows, "吴倩"))  # 吴倩's payable claim left out
    rows += [  # lines 22 to 29
        ["21", "上海申城餐饮管理有限公司", "郑浩", "310109********5551", "餐饮服务礼仪", "600"],
        ["22", "上海申城餐饮管理有限公司", "高峰", "310105********6556", "烹饪工艺（二）", "600"],
        ["23", "上海明德信息科技有限公司", "**", "******************", "办公软件高级应用", "600"],
        ["24", "上海浦江物流有限公司", "赵磊", "310106********1038", "叉车安全操作", "600"],
        ["25", "上海浦江物流有限公司", "王芳", "310106********1038", "仓储管理实务", "600"],
        ["26", "上海浦江物流有限公司", "孙丽", "310101********1100", "叉车安全操作", "六百"],
        ["27", "上海申城餐饮管理有限公司", "张伟", "310101********1234", "办公软件高级应用", "600"],
        ["28", "上海申城餐饮管理有限公司", "许强", "310107********4317", "烹饪工艺（一）", "600"],
    ]  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["2023年第一批线上职业技能培训补贴公示名单"])
    sheet.append(["序号", "单位名称", "学员姓名", "身份证号码", "项目名称", "补贴金额（元）"])
    for row in rows:
        sheet.append([int(row[0]), *row[1:5], float(row[5]) if row[5].isdigit() else row[5]])
    sheet.append(["合计", "", "", "", "", 9000])
    book.save(tmp_path / "公示.xlsx")
    result = _run(tmp_path / "公示.xlsx", outs["plain"])
    assert result.exit_code == 1, result.output
    assert _problems(result.stdout) == [
        ("20", "补贴金额（元）", "WRONG_AMOUNT", "500"),
        ("21", "身份证号码", "WHOLE_ID", "310101********110*"),
        ("21", "身份证号码", "MASK_MISMATCH", "310101********110*"),
        ("22", "身份证号码", "NOT_PAYABLE", "郑浩 310109********5551"),
        ("23", "身份证号码", "DUPLICATE_ROW", "高峰 310105********6556"),
        ("24", "身份证号码", "MASK_MISMATCH", "******************"),
        ("24", "身份证号码", "AMBIGUOUS", "** ******************"),
        ("25", "项目名称", "WRONG_PROJECT", "赵磊 310106********1038"),
        ("26", "身份证号码", "NAME_ID_MISMATCH", "王芳 310106********1038"),
        ("27", "身份证号码", "DUPLICATE_ROW", "孙丽 310101********1100"),
        ("28", "身份证号码", "NOT_PAYABLE", "张伟 310101********1234"),
        ("29", "项目名称", "WRONG_PROJECT", "许强 310107********4317"),
        ("", "", "MISSING_CLAIM", "吴倩 310110********108X"),
    ]
    assert "ID_INVALID" in result.stdout  # why 郑浩's claim is not payable
    assert "办公软件高级应用: DUPLICATE_COURSE" in result.stdout  # 张伟's claim with 申城餐饮
    assert "fits 4 payable claims of different trainees" in result.stdout


def test_gb18030_csv_with_fullwidth_masks_and_a_leak_in_another_column(
    outs: dict[str, Path], tmp_path: Path
) -> None:
    rows = [[*r[:3], r[3].replace("*", "＊"), *r[4:], ""] for r in _rows()]
    _row(rows, "许强")[6] = "联系电话13912345678"  # line 7
    _row(rows, "高峰", "办公软件高级应用")[6] = "身份证310105198906306556"  # his own ID (line 8)
    _row(rows, "罗兰")[3] = "810000199203153229（罗兰）"  # whole, with more text (line 10)
    header = ["序号", "企业名称", "姓名", "证件号码", "培训项目", "补贴金额（元）", "备注"]
    notice = _write_csv(tmp_path / "公示.csv", rows, encoding="gb18030", header=header)
    with pytest.raises(UnicodeDecodeError):
        notice.read_bytes().decode("utf-8")
    result = _run(notice, outs["plain"])
    assert result.exit_code == 1, result.output
    assert _problems(result.stdout) == [
        ("7", "备注", "WHOLE_PHONE", "联系电话139****5678"),
        ("8", "备注", "WHOLE_ID", "身份证310105********6556"),
        ("10", "证件号码", "WHOLE_ID", "810000************(罗兰)"),
        ("10", "证件号码", "UNKNOWN_ID", "810000************(罗兰)"),
    ]


def test_a_redacted_audit_checks_against_its_notice(outs: dict[str, Path], tmp_path: Path) -> None:
    rows = _rows()
    rows.append(
        ["21", "上海申城餐饮管理有限公司", "郑浩", "310109********5551", "餐饮服务礼仪", "600"]
    )
    result = _run(_write_csv(tmp_path / "n.csv", rows), outs["redacted"])
    assert result.exit_code == 1
    # Not payable claims are not in a redacted audit: the row is unknown, and the note says why.
    assert _problems(result.stdout) == [
        ("22", "身份证号", "UNKNOWN_ID", "310109********5551"),
        ("22", "姓名", "UNKNOWN_NAME", "郑浩"),
    ]
    assert "not NOT_PAYABLE" in result.stderr


def test_check_notice_in_the_library(outs: dict[str, Path]) -> None:
    result = check_notice(outs["plain"] / "public_notice.csv", outs["plain"])
    assert (result.rows, result.payable_claims, result.pattern) == (len(NOTICE), len(NOTICE), "6*4")
    assert result.problems == [] and result.notes == []
    assert mask_pattern("310101********1234") == "6*4"
    assert normalise(" '=张 伟 ") == "=张伟" and normalise("３１０１０１＊＊") == "310101**"
    assert mask_pattern("**********01011234") == "0*8"
    assert mask_pattern("310*****19900****4") == "3*5*1"
    assert mask_pattern("310101****1234") == "6*4 (14 characters)"
    assert set(KINDS) >= {"WHOLE_ID", "MASK_MISMATCH", "UNKNOWN_ID", "UNKNOWN_NAME"}


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_unreadable_notices_and_non_audits_exit_2(outs: dict[str, Path], tmp_path: Path) -> None:
    good = outs["plain"] / "public_notice.csv"
    (tmp_path / "empty").mkdir()
    assert "no manifest.json" in _error(_run(good, tmp_path / "empty"))
    assert "does not exist" in _error(_run(tmp_path / "none.csv", outs["plain"]))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert ".xlsx or .csv" in _error(_run(tmp_path / "old.xls", outs["plain"]))
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    assert "not a readable .xlsx" in _error(_run(tmp_path / "bad.xlsx", outs["plain"]))
    (tmp_path / "bin.csv").write_bytes(bytes(range(128, 256)) * 4)
    assert "neither UTF-8 nor GB18030" in _error(_run(tmp_path / "bin.csv", outs["plain"]))
    no_id = _write_csv(tmp_path / "noid.csv", [["张伟", "x"]], header=["姓名", "备注"])
    assert "no header row with an ID column" in _error(_run(no_id, outs["plain"]))
    whole = _write_csv(tmp_path / "whole.csv", [["1", "x", "310101199001011234"]], header=["a", "b", "c"])  # fmt: skip
    message = _error(_run(whole, outs["plain"]))
    assert WHOLE_ID.search(message) is None


# --- the streaming workbook writer -----------------------------------------------------------


def test_workbook_cells_read_back_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import Decimal

    from auditor import workbook

    monkeypatch.setattr(workbook, "MAX_ROWS", 3)  # header + 2 rows per sheet
    rows = [
        [1, "a<b>&c", " 前后空格 ", Decimal("600.00")],
        [2, "ctl\x01\x1f", "", Decimal("0.50")],
        [3, "'=cmd()", None, Decimal("12345.00")],
    ]
    path = tmp_path / "t.xlsx"
    workbook.write_table(
        path, "公示名单", ["序号", "x", "y", "金额"], rows, dt.datetime(2023, 6, 30)
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["公示名单", "公示名单 (2)"]
    first, second = book["公示名单"], book["公示名单 (2)"]
    assert [c.value for c in first[1]] == ["序号", "x", "y", "金额"]
    assert [c.value for c in first[2]] == [1, "a<b>&c", " 前后空格 ", 600]
    assert [c.value for c in first[3]] == [2, "ctl\\x01\\x1f", None, 0.5]
    assert [c.value for c in second[1]] == ["序号", "x", "y", "金额"]
    assert [c.value for c in second[2]] == [3, "'=cmd()", None, 12345]
    assert first["D2"].number_format == "0.00" and first["B2"].data_type == "s"
    assert book.properties.created == dt.datetime(2023, 6, 30)
    again = tmp_path / "again.xlsx"
    workbook.write_table(
        again, "公示名单", ["序号", "x", "y", "金额"], rows, dt.datetime(2023, 6, 30)
    )
    assert again.read_bytes() == path.read_bytes()


def test_one_enterprises_notice_with_masked_names_and_fewer_columns(
    outs: dict[str, Path], tmp_path: Path
) -> None:
    # A district publishes only its enterprise: the others' claims are not missing.
    # Names masked after the first character, one '*' per hidden character: 张*, 周**.
    rows = [
        [r[0], r[1], r[2][0] + "*" * (len(r[2]) - 1), r[3]]
        for r in _rows()
        if r[1] == "上海明德信息科技有限公司"
    ]
    header = ["序号", "企业名称", "姓名", "身份证号"]
    result = _run(_write_csv(tmp_path / "a.csv", rows, header=header), outs["plain"])
    assert result.exit_code == 0, result.output
    assert "no 培训项目 column" in result.stderr and "no 补贴金额(元) column" in result.stderr
    _row(rows, "李*")[3] = ""  # line 6
    _row(rows, "刘*")[2] = ""  # line 5
    result = _run(_write_csv(tmp_path / "b.csv", rows, header=header), outs["plain"])
    assert result.exit_code == 1
    assert _problems(result.stdout) == [
        ("5", "姓名", "MISSING_VALUE", ""),
        ("6", "身份证号", "MISSING_VALUE", ""),
    ]


def test_an_unwritable_problems_file_is_one_line(outs: dict[str, Path], tmp_path: Path) -> None:
    rows = _rows()
    _row(rows, "张伟")[3] = "310101199001011234"
    notice = _write_csv(tmp_path / "n.csv", rows)
    message = _error(_run(notice, outs["plain"], "--out", str(tmp_path / "no" / "such" / "p.csv")))
    assert "cannot write" in message


@pytest.mark.parametrize("where", [0, 9, 19])
def test_a_notice_csv_with_a_quote_left_open_is_refused(
    outs: dict[str, Path], tmp_path: Path, where: int
) -> None:
    """A quote left open on the first, a middle or the last row would swallow the rows after it."""
    rows = _rows()
    rows[where][2] = '"' + rows[where][2]
    path = tmp_path / "notice.csv"
    path.write_text(
        "\n".join(",".join([*NOTICE_HEADERS]) if i < 0 else ",".join(r) for i, r in
                  [(-1, None), *enumerate(rows)]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = _run(path, outs["plain"])
    assert result.exit_code == 2
    assert f"line {where + 2}" in result.output
