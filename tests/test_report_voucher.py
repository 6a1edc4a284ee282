"""The voucher report: index order and totals, a page per institution, masking, escaping, chart.

The tables are built by hand in DuckDB, as the voucher audit leaves them: two institutions (one
clean, one with an off-site check-in and a blocked payment), an institution ID that only a
finding names, and a payment and a finding that name no institution.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from auditor.policy import load_policy
from auditor.report import pages
from auditor.report.context import InstitutionContext, VoucherIndexContext
from auditor.report.institutions import render_institution_reports
from auditor.report.pages import fields_of
from auditor.report.render import environment, page_name

CLEAN = "91310000MA1FL0LX3F"  # sorts before BAD: the index must order by amount, not by ID
BAD = "91310000MA1FL0LY1X"
GHOST = "GHOST-01"  # named by a finding only
BAD_NAME = "<b>不良</b>培训学校"
A, B, C = "310101199001011234", "310104198506154569", "310105199203036789"
LOOSE_ID = "310106200001019876"  # only in the institution-less finding's evidence
PEOPLE = (A, B, C, LOOSE_ID)
ODD_CLASS = "C<3>"


def build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE institutions (institution_id VARCHAR, name VARCHAR, district VARCHAR)"
    )
    con.execute(
        "INSERT INTO institutions VALUES (?, '清白培训学校', '黄浦区'), (?, ?, '浦东新区')",
        [CLEAN, BAD, BAD_NAME],
    )
    con.execute(
        "CREATE TABLE classes (class_id VARCHAR, institution_id VARCHAR, course_id VARCHAR, "
        "start_date DATE, end_date DATE, feedback_at TIMESTAMP, site_lat DOUBLE, "
        "site_lon DOUBLE, site_radius_m BIGINT, coord_system VARCHAR, "
        "standard_amount DECIMAL(14,2))"
    )
    con.execute(
        "INSERT INTO classes VALUES "
        "('C1', ?, '中式烹调师', '2021-06-10', '2021-06-30', '2021-06-01 09:00:00', "
        " 31.23, 121.47, 200, 'wgs84', 500),"
        "('C2', ?, '育婴员', '2021-07-01', '2021-07-20', NULL, 31.2, 121.5, 300, 'gcj02', 800),"
        "(?, ?, '育婴员', '2021-08-01', '2021-08-20', '2021-07-01 10:00:00', "
        " 31.2, 121.5, 150, 'bd09', 800)",
        [CLEAN, BAD, ODD_CLASS, BAD],
    )
    con.execute(
        "CREATE TABLE subsidy (payment_id VARCHAR, institution_id VARCHAR, class_id VARCHAR, "
        "person_id VARCHAR, paid_amount DECIMAL(14,2), payable BOOLEAN, "
        "verified_amount DECIMAL(14,2), blocking_rules VARCHAR)"
    )
    con.execute(
        "INSERT INTO subsidy VALUES "
        "('P1', ?, 'C1', ?, 500, true, 500, ''),"
        "('P2', ?, 'C2', ?, 800, false, 0, 'CHECKIN_OFF_SITE'),"
        "('P3', ?, 'C2', ?, 800, true, 800, ''),"
        "('P4', NULL, 'C9', ?, 100.5, false, 0, 'ORPHAN_RECORD')",
        [CLEAN, A, BAD, B, BAD, C, C],
    )
    con.execute(
        "CREATE TABLE findings (finding_id VARCHAR, rule_id VARCHAR, severity VARCHAR, "
        "institution_id VARCHAR, class_id VARCHAR, person_id VARCHAR, payment_id VARCHAR, "
        "message VARCHAR, evidence VARCHAR)"
    )
    off_site = json.dumps({"person_id": B, "distance_m": 25000.0, "site_radius_m": 300})
    con.execute(
        "INSERT INTO findings VALUES "
        "('F1', 'CHECKIN_OFF_SITE', 'block', ?, 'C2', ?, NULL, ?, ?),"
        "('F2', 'BAD_ROW', 'review', NULL, NULL, NULL, NULL, '签到表第 3 行无法读取', ?),"
        "('F3', 'ENTERPRISE_ID_INVALID', 'review', ?, NULL, NULL, NULL, '代码校验位不符', '{}')",
        [
            BAD,
            B,
            f"学员 {B} 在距场地 25,000 米处签到",
            off_site,
            json.dumps({"row": 3, "person_id": LOOSE_ID}),
            GHOST,
        ],
    )
    con.execute(
        "CREATE TABLE rule_catalogue (rule_id VARCHAR, severity VARCHAR, summary VARCHAR, "
        "category VARCHAR, questions VARCHAR[])"
    )
    con.execute(
        "INSERT INTO rule_catalogue VALUES "
        "('CHECKIN_OFF_SITE', 'block', '签到位置超出培训场地范围', 'compliance', []),"
        "('BAD_ROW', 'review', '无法读取的行', 'compliance', []),"
        "('ENTERPRISE_ID_INVALID', 'review', '统一社会信用代码无效', 'compliance', [])"
    )
    con.execute(
        "CREATE TABLE checkin_facts (institution_id VARCHAR, class_id VARCHAR, "
        "person_id VARCHAR, source_row BIGINT, checked_in_at TIMESTAMP, distance_m DOUBLE, "
        "site_radius_m BIGINT, off_site BOOLEAN)"
    )
    con.execute(
        "INSERT INTO checkin_facts VALUES "
        "(?, 'C1', ?, 1, '2021-06-10 08:30:00', 12.5, 200, false),"
        "(?, 'C1', ?, 2, '2021-06-11 08:30:00', 40.2, 200, false),"
        "(?, 'C1', ?, 3, '2021-06-12 08:30:00', 180.0, 200, false),"
        "(?, 'C2', ?, 4, '2021-07-01 08:30:00', 50.0, 300, false),"
        "(?, 'C2', ?, 5, '2021-07-02 08:30:00', 25000.0, 300, true),"
        "(?, 'C2', ?, 6, '2021-07-01 08:40:00', 90.0, 300, false)",
        [CLEAN, A, CLEAN, A, CLEAN, A, BAD, B, BAD, B, BAD, C],
    )


def render(out: Path, **options) -> int:
    con = duckdb.connect()
    try:
        build(con)
        return render_institution_reports(con, out, load_policy("shanghai-voucher-2021"), **options)
    finally:
        con.close()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    calls: list[tuple[int, int]] = []
    folder = tmp_path_factory.mktemp("voucher") / "out"
    assert render(folder, progress=lambda done, total: calls.append((done, total))) == 4
    assert calls == [(3, 3)]
    return folder


def page(out: Path, institution_id: str) -> str:
    return (out / "institutions" / page_name(institution_id)).read_text(encoding="utf-8")


def index_rows(out: Path) -> list[str]:
    text = (out / "index.html").read_text(encoding="utf-8")
    return re.findall(r'<tr class="institution">(.*?)</tr>', text, re.DOTALL)


def test_index_lists_institutions_by_unverified_amount_with_totals(out: Path) -> None:
    rows = index_rows(out)
    assert [re.search(r"<td>([^<]*)</td>", r)[1] for r in rows] == [BAD, CLEAN, GHOST]  # type: ignore[index]
    bad = rows[0]
    # payments, payable, paid, verified, paid - verified, block, review, info
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', bad) == [
        "2", "1", "1,600.00", "800.00", "800.00", "1", "0", "0",
    ]  # fmt: skip
    assert "GHOST-01</a>" in rows[2]  # no name: shown by its ID
    index = (out / "index.html").read_text(encoding="utf-8")
    totals = re.search(r'<tr class="totals">(.*?)</tr>', index, re.DOTALL)[1]  # type: ignore[index]
    assert re.findall(r'<th class="num">([^<]*)</th>', totals) == [
        "4", "2", "2,200.50", "1,300.00", "900.50",
    ]  # fmt: skip


def test_index_counts_rules_and_lists_institution_less_findings_and_payments(out: Path) -> None:
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<td>CHECKIN_OFF_SITE</td>" in index and "签到位置超出培训场地范围" in index
    unattributed = index[index.index('id="unattributed"') :]
    assert "1 笔支付未注明培训机构：支付 100.50 元，核定 0.00 元" in unattributed
    assert "BAD_ROW" in unattributed and "签到表第 3 行无法读取" in unattributed
    assert "310106********9876" in unattributed  # the evidence's ID, masked
    assert "ENTERPRISE_ID_INVALID" not in unattributed  # GHOST-01's finding is on its page


def test_one_page_per_institution_linked_both_ways(out: Path) -> None:
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="institutions/([^"]+)"', index)
    assert sorted(links) == sorted(p.name for p in (out / "institutions").iterdir())
    assert sorted(links) == sorted(page_name(i) for i in (CLEAN, BAD, GHOST))
    for name in links:
        assert 'href="../index.html"' in (out / "institutions" / name).read_text(encoding="utf-8")
    assert "ENTERPRISE_ID_INVALID" in page(out, GHOST) and "代码校验位不符" in page(out, GHOST)


def test_institution_page_shows_classes_payments_and_findings(out: Path) -> None:
    text = page(out, BAD)
    assert "<td>P2</td>" in text and "CHECKIN_OFF_SITE" in text
    payments = re.findall(r"<tr><td>(P\d)</td>.*?</tr>", text, re.DOTALL)
    assert payments == ["P2", "P3"]
    blocked = re.search(r"<tr><td>P2</td>(.*?)</tr>", text, re.DOTALL)[1]  # type: ignore[index]
    assert '<span class="block">否</span>' in blocked and "<td>CHECKIN_OFF_SITE</td>" in blocked
    assert "在距场地 25,000 米处签到" in text  # the message
    assert "&#34;distance_m&#34;: 25000.0" in text  # evidence, pretty-printed and escaped
    assert "<td>育婴员</td>" in text and "2021-07-01" in text
    assert "<td>31.200000, 121.500000（gcj02）</td>" in text
    assert "3 次签到，其中" in text
    assert "<td>P1</td>" not in text  # another institution's payment


def test_no_page_shows_a_person_id_whole(out: Path) -> None:
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 4
    for path in files:
        text = path.read_text(encoding="utf-8")
        for person in PEOPLE:
            assert person not in text, f"{person} whole in {path.name}"
    text = page(out, BAD)
    assert "310104********4569" in text  # payment table, finding header, message, evidence
    assert text.count("310104********4569") >= 4


def test_names_and_class_ids_are_escaped(out: Path) -> None:
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<b>不良</b>" not in text and "C<3>" not in text
    assert "&lt;b&gt;不良&lt;/b&gt;培训学校" in (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;不良&lt;/b&gt;培训学校" in page(out, BAD)
    assert "C&lt;3&gt;" in page(out, BAD)


def _chart(text: str) -> str:
    return re.search(r'<figure class="chart">(<svg.*?</svg>)', text, re.DOTALL)[1]  # type: ignore[index]


def test_chart_draws_each_check_in_the_radius_and_off_site_in_red(out: Path) -> None:
    svg = _chart(page(out, BAD))
    assert svg.count('class="checkin on"') == 2 and svg.count('class="checkin off"') == 1
    off = re.search(r'<circle class="checkin off"[^>]*fill="([^"]+)"', svg)[1]  # type: ignore[index]
    on = re.search(r'<circle class="checkin on"[^>]*fill="([^"]+)"', svg)[1]  # type: ignore[index]
    assert off != on
    assert "25,000 米，超出签到范围" in svg
    # a radius bar per class (C<3> has no check-ins but is drawn: its row stays empty)
    assert re.findall(r"签到半径 ([\d,]+) 米", svg) == ["300", "150"]  # off-site class first
    # the off-site dot is right of its class's radius, the others left of it
    radius_x = float(re.search(r'class="radius" x1="([\d.]+)"', svg)[1])  # type: ignore[index]
    xs = {
        kind: [float(x) for x in re.findall(rf'class="checkin {kind}" cx="([\d.]+)"', svg)]
        for kind in ("on", "off")
    }
    assert all(x < radius_x for x in xs["on"]) and all(x > radius_x for x in xs["off"])
    clean = _chart(page(out, CLEAN))
    assert clean.count('class="checkin on"') == 3 and 'class="checkin off"' not in clean
    assert "没有可计算距离的签到记录" in page(out, GHOST)


def test_check_ins_at_the_same_point_are_one_dot_that_counts_them(tmp_path: Path) -> None:
    con = duckdb.connect()
    build(con)
    con.execute(
        "INSERT INTO checkin_facts SELECT institution_id, class_id, person_id, source_row + 10, "
        "checked_in_at, distance_m, site_radius_m, off_site FROM checkin_facts WHERE class_id = 'C1'"
    )
    render_institution_reports(con, tmp_path, load_policy("shanghai-voucher-2021"))
    svg = _chart(page(tmp_path, CLEAN))
    assert svg.count('class="checkin on"') == 3 and svg.count("（2 次签到）") == 3


def test_two_runs_are_byte_identical(out: Path, tmp_path: Path) -> None:
    render(tmp_path / "again")
    for path in out.rglob("*.html"):
        again = tmp_path / "again" / path.relative_to(out)
        assert again.read_bytes() == path.read_bytes(), path.name


def test_templates_render_from_their_documented_context_alone() -> None:
    """StrictUndefined: a template that used a variable its context lacks would raise."""
    env = environment()
    index = VoucherIndexContext("政策", "p", [], [], 0, 0, 0.0, 0.0, 0, 0.0, 0.0, [], 0, "")
    html = env.get_template(index.documented_template).render(**fields_of(index))
    assert "未归属机构" not in html and "未发现问题" in html
    assert InstitutionContext.documented_template == "voucher/institution.html.j2"


def test_pages_rendered_by_worker_processes_are_the_same(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many institutions: pages go to the spawn pool, which must find voucher/ templates too."""
    monkeypatch.setattr(pages, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pages, "CHUNK", 1)
    render(tmp_path / "pool")
    for path in out.rglob("*.html"):
        assert (tmp_path / "pool" / path.relative_to(out)).read_bytes() == path.read_bytes()
