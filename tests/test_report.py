"""Reports: the documented context, masking, escaping, safe file names, byte-identical output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.pipeline import AuditOptions, audit
from auditor.policy import load_policy
from auditor.privacy import mask, mask_text, parse_mask
from auditor.report import pages, render, render_reports
from auditor.report.charts import (
    BAR_COLOUR,
    BINS,
    SHORT_COLOUR,
    bin_edges_minutes,
    histogram_frame,
)
from auditor.report.context import (
    PAGES,
    ROWS,
    EnterpriseContext,
    EnterpriseRow,
    FindingView,
    IndexContext,
    TraineeRow,
)
from auditor.report.render import environment, mask_free_text, page_name, page_names
from tests.exports import clean_world, write_export

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE_PATTERN = re.compile(r"(?<!\d)1\d{10}(?!\d)")
HOSTILE_TEXT = '<script>window.__pwned = 1</script>" onerror="window.__pwned = 2'


def hostile_world() -> dict[str, list[dict]]:
    """The clean world plus hostile names, a second trainee and an enterprise id `../../x`."""
    rows = clean_world("shanghai-2022")
    rows["qa"][0]["text"] = HOSTILE_TEXT
    rows["trainees"][0]["name"] = "张<b>伟</b>"
    rows["enterprises"].append(
        {**rows["enterprises"][0], "enterprise_id": "../../x", "name": HOSTILE_TEXT}
    )
    rows["projects"].append(
        {**rows["projects"][0], "project_id": "P2", "enterprise_id": "../../x", "course_id": "C2"}
    )
    rows["trainees"].append(
        {
            **rows["trainees"][0],
            "enterprise_id": "../../x",
            "person_id": "310104198506154569",
            "phone": "13998765432",
        }
    )
    rows["claims"].append(
        {
            **rows["claims"][0],
            "project_id": "P2",
            "person_id": "310104198506154569",
            "amount": "=HYPERLINK(1)",
        }
    )
    return rows


@pytest.fixture(scope="module")
def report_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    rows = hostile_world()
    rows["claims"][1]["amount"] = 600  # keep the amount readable; formula text is tested in papers
    export = write_export(tmp / "export", rows)
    audit(export, "shanghai-2022", tmp / "out", AuditOptions(as_of=dt.date(2023, 6, 30)))
    return tmp / "out"


@pytest.mark.parametrize("cls", [*PAGES.values(), *ROWS], ids=lambda c: c.__name__)
def test_every_context_field_has_help(cls: type) -> None:
    assert cls.__doc__
    for f in dataclasses.fields(cls):
        assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help"


def test_pages_documented_templates_exist() -> None:
    from auditor.resources import reports_dir

    for cls in PAGES.values():
        assert (reports_dir() / "templates" / cls.documented_template).is_file()


def test_every_html_page_masks_ids_and_phones(report_out: Path) -> None:
    pages = list(report_out.rglob("*.html"))
    assert len(pages) == 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not ID_PATTERN.search(text), f"unmasked ID in {page.name}"
        assert not PHONE_PATTERN.search(text), f"unmasked phone in {page.name}"
    text = (report_out / "enterprises" / "91310000MA1FL0LX3F.html").read_text(encoding="utf-8")
    assert "310101********1234" in text and "138****5678" in text


def test_working_papers_keep_ids_whole(report_out: Path) -> None:
    assert "310101199001011234" in (report_out / "subsidy.csv").read_text(encoding="utf-8")


def test_trainee_text_is_escaped(report_out: Path) -> None:
    for page in report_out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>window.__pwned" not in text
        assert '" onerror="' not in text
        assert "<b>伟</b>" not in text
    index = (report_out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in index


def test_hostile_enterprise_id_writes_inside_out(report_out: Path) -> None:
    pages = sorted(p.relative_to(report_out).as_posix() for p in report_out.rglob("*.html"))
    assert all(p == "index.html" or p.startswith("enterprises/") for p in pages)
    assert f"enterprises/{page_name('../../X')}" in pages  # IDs are upper-cased at ingest
    assert not (report_out.parent.parent / "x.html").exists()


def test_two_runs_are_byte_identical(report_out: Path, tmp_path: Path) -> None:
    rows = hostile_world()
    rows["claims"][1]["amount"] = 600
    export = write_export(tmp_path / "export", rows)
    audit(export, "shanghai-2022", tmp_path / "again", AuditOptions(as_of=dt.date(2023, 6, 30)))
    for name in [
        "findings.csv",
        "findings.xlsx",
        "subsidy.csv",
        "risk.csv",
        "index.html",
        *(f"enterprises/{p.name}" for p in (report_out / "enterprises").iterdir()),
    ]:
        assert (tmp_path / "again" / name).read_bytes() == (report_out / name).read_bytes(), name


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("6*4", "310101199001011234", "310101********1234"),
        ("3*4", "13812345678", "138****5678"),
        ("0*0", "abc", "***"),
        ("6*4", "123", "***"),
    ],
)
def test_mask_patterns(pattern: str, value: str, expected: str) -> None:
    assert mask(value, *parse_mask(pattern)) == expected


def test_bad_mask_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="6\\*4"):
        parse_mask("six-four")


def test_page_names_are_safe_and_distinct() -> None:
    names = {page_name(i) for i in ["91310000MA1FL0LX3F", "../../x", "..__..x", "a/b", "a_b"]}
    assert len(names) == 5
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_mask_text_masks_ids_and_phones_inside_messages() -> None:
    text = "row 3: 31010119900101123X and 310101199001011234, call 13812345678; order 123456789012345678901"
    assert mask_text(text) == (
        "row 3: 310101********123X and 310101********1234, call 138****5678; "
        "order 123456789012345678901"
    )


# --- render_reports on its own: its input tables built directly, with the pipeline's schemas ---

SCHEMAS = {
    "enterprises": "enterprise_id VARCHAR, name VARCHAR, district VARCHAR, size_class VARCHAR, "
    "main_business VARCHAR",
    "projects": "project_id VARCHAR, enterprise_id VARCHAR, course_id VARCHAR, title VARCHAR, "
    "approved_on DATE, platform_name VARCHAR, platform_kind VARCHAR",
    "trainees": "enterprise_id VARCHAR, person_id VARCHAR, name VARCHAR, phone VARCHAR, "
    "employment VARCHAR, employed_from DATE, employed_to DATE",
    "findings": "finding_id VARCHAR, rule_id VARCHAR, severity VARCHAR, enterprise_id VARCHAR, "
    "project_id VARCHAR, person_id VARCHAR, message VARCHAR, evidence VARCHAR",
    "subsidy": "enterprise_id VARCHAR, project_id VARCHAR, person_id VARCHAR, "
    "claimed_amount DECIMAL(12,2), payable BOOLEAN, verified_amount DECIMAL(12,2), "
    "blocking_rules VARCHAR",
    "claim_facts": "project_id VARCHAR, person_id VARCHAR, enterprise_id VARCHAR, "
    "credited_minutes DOUBLE, first_activity_at TIMESTAMP, last_activity_at TIMESTAMP, "
    "some_other_fact INTEGER",
    "rule_catalogue": "rule_id VARCHAR, severity VARCHAR, summary VARCHAR, category VARCHAR",
    "study_sessions": "_row BIGINT, project_id VARCHAR, person_id VARCHAR, started_at TIMESTAMP, "
    "ended_at TIMESTAMP, lesson_id VARCHAR, device_id VARCHAR, ip VARCHAR",
    "signins": "_row BIGINT, project_id VARCHAR, person_id VARCHAR, signed_in_at TIMESTAMP, "
    "device_id VARCHAR, ip VARCHAR",
    "exams": "_row BIGINT, project_id VARCHAR, person_id VARCHAR, started_at TIMESTAMP, "
    "submitted_at TIMESTAMP, score DECIMAL(14,2), pass_score DECIMAL(14,2), "
    "answers_digest VARCHAR",
}
E1 = "91310000MA1FL0LX3F"
HOSTILE_ID = "../../x"
COLLIDING_IDS = ["a/b", "a_b", "ab", "AB"]
PEOPLE = {  # person_id -> (name, phone, credited_minutes or None for a claim without facts)
    "310101199001011234": ("张伟", "13812345678", None),
    "31010119851203456X": ("李娜", "13900001111", 1079.99),
    "310104198506154569": ("王芳", "13700002222", 1080.0),
    "310105197712300017": ("刘洋", "13600003333", 5000.0),
}
PAYLOAD_SCRIPT = "<script>window.__pwned = 1; alert(1)</script>"
PAYLOAD_ATTR = '" onerror="window.__pwned = 2; alert(1)'
PLANTED_ID, PLANTED_PHONE = "440301199912310019", "15011112222"  # typed into Q&A text


def report_rows() -> dict[str, list[tuple]]:
    """Rows of every report table: two payable and two short claims at E1, a hostile page."""
    day = dt.date(2022, 3, 1)
    at = dt.datetime(2022, 3, 2, 9)
    ids = [E1, HOSTILE_ID, *COLLIDING_IDS]
    rows: dict[str, list[tuple]] = {
        "enterprises": [(E1, "上海明德信息科技有限公司", "黄浦区", "small", "软件")]
        + [(HOSTILE_ID, PAYLOAD_SCRIPT + PAYLOAD_ATTR, "<i>区</i>", "small", "")]
        + [(i, f"企业 {i}", "徐汇区", "micro", "") for i in COLLIDING_IDS],
        "projects": [(f"P-{i}", i, "C1", "数字技能", day, "平台", "self") for i in ids],
        "trainees": [],
        "claim_facts": [],
        "subsidy": [],
        "findings": [],
        "rule_catalogue": [
            ("HOURS_SHORT", "block", "有效学习时长低于政策最低要求", "compliance"),
            ("NO_QA", "block", "无答疑辅导（互动问答）记录", "compliance"),
            ("ORPHAN_RECORD", "review", "活动记录找不到对应项目或人员", "compliance"),
        ],
        "study_sessions": [],
        "signins": [],
        "exams": [],
    }
    for person, (name, phone, minutes) in PEOPLE.items():
        rows["trainees"].append((E1, person, name, phone, "labor_contract", day, None))
        rows["trainees"].append((E1, person, name, None, "dispatch", None, None))
        if minutes is not None:
            rows["claim_facts"].append(("P-" + E1, person, E1, minutes, at, at, 7))
        short = minutes is None or minutes < 1080
        rows["subsidy"].append(
            ("P-" + E1, person, 600, not short, 0 if short else 600, "HOURS_SHORT" if short else "")
        )
        if short:
            rows["findings"].append(
                (
                    f"F-{person}",
                    "HOURS_SHORT",
                    "block",
                    E1,
                    "P-" + E1,
                    person,
                    f"有效学习不足 {PAYLOAD_SCRIPT}{PAYLOAD_ATTR} 身份证 {person} 手机 {phone}",
                    json.dumps(
                        {
                            "credited_minutes": minutes,
                            "qa_text": f"{PAYLOAD_SCRIPT}{PAYLOAD_ATTR} 我的电话 {PLANTED_PHONE}",
                            "other_person": PLANTED_ID,
                            "enterprise_id": E1,
                        },
                        ensure_ascii=False,
                    ),
                )
            )
    hostile_person = "310106198001010011"
    rows["trainees"].append(
        (HOSTILE_ID, hostile_person, PAYLOAD_SCRIPT, "13500004444", "other", None, None)
    )
    rows["subsidy"].append(("P-" + HOSTILE_ID, hostile_person, 600, False, 0, "NO_QA"))
    rows["findings"].append(
        ("F-h", "NO_QA", "block", HOSTILE_ID, "P-" + HOSTILE_ID, hostile_person, PAYLOAD_ATTR, "{")
    )
    rows["findings"].append(  # a finding of no enterprise: counted in the index only
        ("F-o", "ORPHAN_RECORD", "review", None, None, None, "孤立记录", "{}")
    )
    rows["subsidy"] = [(e_of(p), p, person, *rest) for p, person, *rest in rows["subsidy"]]
    return rows


def e_of(project_id: str) -> str:
    return project_id.removeprefix("P-")


def load_tables(con, rows: dict[str, list[tuple]], reverse: bool = False) -> None:
    """Create the report tables with the pipeline's schemas and insert `rows`."""
    for table, schema in SCHEMAS.items():
        con.execute(f"CREATE TABLE {table} ({schema})")
        values = rows[table][::-1] if reverse else rows[table]
        if values:
            marks = ", ".join("?" * len(values[0]))
            con.executemany(f"INSERT INTO {table} VALUES ({marks})", values)


def render_direct(out: Path, reverse: bool = False, **options) -> int:
    con = duckdb.connect()
    load_tables(con, report_rows(), reverse)
    try:
        return render_reports(con, out, load_policy("shanghai-2022"), **options)
    finally:
        con.close()


@pytest.fixture(scope="module")
def direct_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("direct") / "out"
    assert render_direct(out) == 1 + 2 + len(COLLIDING_IDS)
    return out


def test_render_reports_writes_index_and_one_page_each_linked_both_ways(direct_out: Path) -> None:
    index = (direct_out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="enterprises/([^"]+)"', index)
    assert sorted(links) == sorted(p.name for p in (direct_out / "enterprises").iterdir())
    assert len(links) == 6
    for page in (direct_out / "enterprises").iterdir():
        assert 'href="../index.html"' in page.read_text(encoding="utf-8")


def test_no_page_shows_an_id_or_phone_whole(direct_out: Path) -> None:
    files = [p for p in direct_out.rglob("*") if p.is_file()]
    assert len(files) == 7
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not ID_PATTERN.search(text), f"unmasked ID in {path.name}"
        assert not PHONE_PATTERN.search(text), f"unmasked phone in {path.name}"
    page = (direct_out / "enterprises" / f"{E1}.html").read_text(encoding="utf-8")
    assert "310101********1234" in page and "310101********456X" in page  # trainee table
    assert '<td class="num">17.99</td>' in page  # 1,079.99 min, blocked: not "18.00"
    assert "138****5678" in page and "139****1111" in page
    assert "440301********0019" in page and "150****2222" in page  # typed into evidence
    assert E1 in page  # the enterprise's own code is not personal data


def test_payloads_in_messages_evidence_and_names_are_escaped(direct_out: Path) -> None:
    for path in direct_out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>window" not in text, path.name
        assert '" onerror="' not in text and "<i>区</i>" not in text, path.name
    page = (direct_out / "enterprises" / f"{E1}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;" in page  # message
    assert "&#34; onerror=&#34;window.__pwned" in page  # message
    assert "\\&#34; onerror=\\&#34;window.__pwned" in page  # evidence: JSON-quoted, then escaped


def test_hostile_enterprise_id_writes_inside_out_dir(direct_out: Path) -> None:
    written = sorted(p.resolve() for p in direct_out.parent.rglob("*") if p.is_file())
    assert all(p.is_relative_to(direct_out.resolve()) for p in written)
    assert (direct_out / "enterprises" / page_name(HOSTILE_ID)).is_file()
    assert page_name(HOSTILE_ID).startswith("______x-")


def test_ids_that_differ_only_in_unsafe_characters_or_case_get_their_own_pages(
    direct_out: Path,
) -> None:
    names = page_names(COLLIDING_IDS)
    assert len({n.casefold() for n in names.values()}) == len(COLLIDING_IDS)
    assert names == page_names(reversed(COLLIDING_IDS))  # the order given does not matter
    for enterprise_id, name in names.items():
        page = (direct_out / "enterprises" / name).read_text(encoding="utf-8")
        assert f"企业 {enterprise_id}" in page


def test_page_names_are_short_even_for_a_very_long_id() -> None:
    name = page_name("9" * 400)
    assert len(name) < 100 and name != page_name("9" * 401)


def test_output_is_byte_identical_whatever_the_row_order_and_batching(
    direct_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "PAGE_BATCH", 2)  # batch boundaries fall between enterprises
    render_direct(tmp_path / "again", reverse=True)
    first = {p.relative_to(direct_out): p.read_bytes() for p in direct_out.rglob("*.html")}
    again = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in (tmp_path / "again").rglob("*.html")}  # fmt: skip
    assert first == again


def test_pages_rendered_by_worker_processes_are_the_same_bytes(
    direct_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PARALLEL_FROM", 1)  # a pool even for a handful of pages
    monkeypatch.setattr(pages, "CHUNK", 2)
    monkeypatch.setattr(render, "PAGE_BATCH", 2)  # chunks of several batches in flight at once
    calls: list[tuple[int, int]] = []
    render_direct(tmp_path / "pool", progress=lambda done, total: calls.append((done, total)))
    first = {p.relative_to(direct_out): p.read_bytes() for p in direct_out.rglob("*.html")}
    pool = {p.relative_to(tmp_path / "pool"): p.read_bytes() for p in (tmp_path / "pool").rglob("*.html")}  # fmt: skip
    assert first == pool
    assert calls[-1] == (len(first) - 1, len(first) - 1)


def test_a_template_error_in_a_worker_stops_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PARALLEL_FROM", 1)
    custom = tmp_path / "templates"
    custom.mkdir()  # only enterprise pages include the trainee table: the workers render them
    (custom / "_trainee_table.html.j2").write_text("{{ no_such_value }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError, match="no_such_value"):
        render_direct(tmp_path / "out", templates_dir=custom)


def test_custom_id_mask_pattern(tmp_path: Path) -> None:
    render_direct(tmp_path / "out", id_mask="3*2")
    page = (tmp_path / "out" / "enterprises" / f"{E1}.html").read_text(encoding="utf-8")
    assert "310*************34" in page and "310*************6X" in page
    assert "310101********1234" not in page
    assert "440*************19" in page  # free text follows the same pattern


def test_bad_id_mask_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="6\\*4"):
        render_direct(tmp_path / "out", id_mask="6-4")
    assert not (tmp_path / "out").exists()


def test_index_lists_largest_unpayable_amount_first(direct_out: Path) -> None:
    index = (direct_out / "index.html").read_text(encoding="utf-8")
    table = index[index.index('id="enterprises"') :]
    order = re.findall(r'href="enterprises/([^"]+)"', table)
    # E1: 1,200 unpayable, hostile: 600, then the four without claims by ID (AB, a/b, a_b, ab)
    expected = [E1, HOSTILE_ID, "AB", "a/b", "a_b", "ab"]
    assert order == [page_names(expected)[i] for i in expected]
    assert "1,200.00" in table


def test_index_counts_findings_of_no_enterprise_by_rule(direct_out: Path) -> None:
    index = (direct_out / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<td>ORPHAN_RECORD</td>.*?<td class=\"num\">1</td>", index)
    assert re.search(r"<td>HOURS_SHORT</td>.*?<td class=\"num\">2</td>", index)


def _bars(svg: str, frame) -> dict[int, tuple[int, str]]:
    """bin -> (count, colour) of the bars in a histogram SVG."""
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="[\d.]+" '
                      r'fill="(#\w+)"><title>(\d+)</title>', svg)  # fmt: skip
    return {round((float(x) - 1 - frame.x0) / frame.x_step): (int(n), c) for x, c, n in bars}


def test_histogram_bins_claims_at_the_policy_boundary(direct_out: Path) -> None:
    frame = histogram_frame(1080)
    page = (direct_out / "enterprises" / f"{E1}.html").read_text(encoding="utf-8")
    # no facts -> 0 min (bin 0); 1,079.99 min -> bin 5, short; 1,080 -> bin 6; 5,000 -> overflow
    assert _bars(page, frame) == {
        0: (1, SHORT_COLOUR),
        5: (1, SHORT_COLOUR),
        6: (1, BAR_COLOUR),
        BINS: (1, BAR_COLOUR),
    }
    assert frame.render([0] * (BINS + 1)) == frame.svg_head + frame.svg_tail


def test_histogram_bars_sit_on_matplotlibs_axes() -> None:
    frame = histogram_frame(1080)
    line = re.search(r'<path d="M ([\d.]+) ([\d.]+) \nL ([\d.]+) ([\d.]+) \n"[^>]*stroke-dasharray',
                     frame.svg_head)  # fmt: skip
    assert line, "the policy line is not in the frame"
    x_line, y_bottom = float(line[1]), float(line[2])
    step = bin_edges_minutes(1080)[1]
    assert x_line == pytest.approx(frame.x0 + 1080 / step * frame.x_step, abs=0.01)
    assert y_bottom == pytest.approx(frame.y_base, abs=0.01)
    bars = frame.render([0, 5, 10, *[0] * (BINS - 2)]).removeprefix(frame.svg_head)
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', bars)]
    assert heights == pytest.approx([frame.y_height / 2, frame.y_height], abs=0.01)


def test_environment_is_autoescaping_and_strict() -> None:
    env = environment()
    assert env.autoescape is True and env.undefined is jinja2.StrictUndefined
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_both_templates_render_from_their_documented_context_alone() -> None:
    """StrictUndefined: a template that used a variable its context lacks would raise."""
    env = environment()
    row = EnterpriseRow(E1, "名", "区", "p.html", 1, 0, 600.0, 0.0, 600.0, 1, 0, 0)
    index = IndexContext("政策", "shanghai-2022", [row], [], 1, 0, 600.0, 0.0, "", "")
    page = EnterpriseContext(
        "政策",
        row,
        [FindingView("NO_QA", "block", "P1", "310101199001011234", "张伟", "消息", "{}")],
        [TraineeRow("310101199001011234", "张伟", "13812345678", "P1", 60.0, False, "NO_QA", 0.0)],
        1080,
        "<svg></svg>",
    )
    for context in (index, page):
        html = env.get_template(context.documented_template).render(**render.fields_of(context))
        assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert "310101********1234" in html and "138****5678" in html and "1.00" in html


def test_user_templates_come_first_and_are_strict_too(tmp_path: Path) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "_summary.html.j2").write_text("<p>自定义摘要 {{ claims }}</p>", encoding="utf-8")
    render_direct(tmp_path / "out", templates_dir=custom)
    assert "自定义摘要 5" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    (custom / "_summary.html.j2").write_text("{{ no_such_value }}", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError, match="no_such_value"):
        render_direct(tmp_path / "out2", templates_dir=custom)


def test_progress_ends_at_the_page_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "PAGE_BATCH", 4)
    calls: list[tuple[int, int]] = []
    render_direct(tmp_path / "out", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(6, 6)]


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(1079.99, "17.99"), (1080.0, "18.00"), (1080.6, "18.01"), (0.0, "0.00"), (17.4, "0.29")],
)
def test_hours_round_down_so_a_short_claim_never_shows_the_minimum(
    minutes: float, shown: str
) -> None:
    assert environment().filters["hours"](minutes) == shown


def test_free_text_masking_spares_the_enterprises_own_code() -> None:
    code = "913101047030033211"  # a valid all-digit credit code: 18 digits, like an ID
    text = f"{code} 310101199001011234 13812345678 1381234567890"
    assert mask_free_text(text, (6, 4), frozenset({code})) == (
        f"{code} 310101********1234 138****5678 1381234567890"
    )


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text())


@given(st.one_of(st.dictionaries(st.text(), scalars), st.dictionaries(st.text(), st.lists(scalars)),
                 st.lists(scalars)))  # fmt: skip
def test_pretty_evidence_is_json_dumps_with_an_indent(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert render.pretty_evidence(text) == json.dumps(
        value, ensure_ascii=False, indent=2, sort_keys=True
    )
