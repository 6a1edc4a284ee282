"""The enterprise page's pattern: signals, study heat map, flagged-trainee timeline, shared devices.

render_reports runs on tables built with the pipeline's schemas (tests/test_report.py), with
findings of a test rule that rule_catalogue marks `authenticity`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from auditor.pipeline import _write_catalogue
from auditor.policy import load_policy
from auditor.report import patterns as patterns_module
from auditor.report import render, render_reports
from auditor.report.pattern_charts import heatmap_frame
from auditor.report.patterns import BLANK_DEVICE_IDS, TIMELINE_TRAINEES, fetch, prepare
from auditor.rules import rules_for
from tests.test_report import ID_PATTERN, PAYLOAD_SCRIPT, PHONE_PATTERN, SCHEMAS, load_tables

SIGNAL = "TEST_SAME_PC"  # a test rule of category authenticity
A = "91310000MA1FL0LX3F"  # flagged trainees, a shared device, blank device ids
B = "91310000MA1FL0LX4G"  # no flagged trainee; one session across midnight
C = "91310000MA1FL0LX5H"  # a flagged trainee with a hostile name; a device id holding an ID
D = "91310000MA1FL0LX6J"  # more flagged trainees than the timeline draws
E = "91310000MA1FL0LX7K"  # a flagged trainee without any dated record or device
MON = dt.datetime(2022, 3, 7)  # a Monday
PLANTED_ID, PLANTED_PHONE = "440301199912310019", "15011112222"


TAG = {A: "A", B: "B", C: "C", D: "D", E: "E"}
# 40 distinct 18-digit ID numbers per enterprise
PEOPLE = {
    e: [f"31010{k}199001{i:02d}{k}23{i % 10}" for i in range(1, 41)]
    for k, e in enumerate([A, B, C, D, E])
}


def signal_rows() -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {t: [] for t in SCHEMAS}
    day = dt.date(2022, 3, 1)
    rows["rule_catalogue"] = [
        ("HOURS_SHORT", "block", "有效学习时长低于政策最低要求", "compliance"),
        (SIGNAL, "review", "同一设备为多名学员学习", "authenticity"),
    ]
    people = {A: 5, B: 1, C: 1, D: 35, E: 2}
    for e, n in people.items():
        rows["enterprises"].append((e, f"企业{e[-1]}", "黄浦区", "small", ""))
        rows["projects"].append((f"P-{e}", e, "C1", "数字技能", day, "平台", "self"))
        for i in range(n):
            p = PEOPLE[e][i]
            name = PAYLOAD_SCRIPT if e == C else f"学员{TAG[e]}{i + 1}"
            rows["trainees"].append((e, p, name, f"138{i:08d}", "labor_contract", day, None))
            rows["subsidy"].append((e, f"P-{e}", p, 600, True, 600, ""))
            rows["claim_facts"].append((f"P-{e}", p, e, 1200.0, MON, MON, 0))
    a = PEOPLE[A]
    flagged = {A: a[:3], C: PEOPLE[C][:1], D: PEOPLE[D][:35], E: PEOPLE[E][:1]}
    for e, ps in flagged.items():
        for p in ps:
            rows["findings"].append(
                (
                    f"S-{p}",
                    SIGNAL,
                    "review",
                    e,
                    f"P-{e}",
                    p,
                    f"与其他学员共用设备 {p}",
                    f'{{"person_id": "{p}", "device_id": "DEV-SHARED-3", "phone": "{PLANTED_PHONE}"}}',
                )
            )
    rows["findings"].append(  # a compliance finding at A: stays out of the signals
        ("F-1", "HOURS_SHORT", "block", A, f"P-{A}", a[4], "有效学习不足", "{}")
    )
    n = 0

    def session(e: str, p: str, start: dt.datetime, minutes: float, device: str | None) -> None:
        nonlocal n
        n += 1
        end = start + dt.timedelta(minutes=minutes)
        rows["study_sessions"].append((n, f"P-{e}", p, start, end, "L1", device, "10.0.0.1"))

    def signin(e: str, p: str, at: dt.datetime, device: str | None) -> None:
        nonlocal n
        n += 1
        rows["signins"].append((n, f"P-{e}", p, at, device, "10.0.0.1"))

    # A: a device shared by three trainees (two flagged, one not), a device of one trainee, and
    # blank device ids shared by everyone (they must never make a shared device)
    for i, p in enumerate(a):
        day_at = MON + dt.timedelta(days=1, hours=9 + i)
        session(
            A, p, day_at, 50, "DEV-SOLO" if i == 4 else "DEV-SHARED-3" if i in (0, 1, 3) else ""
        )
        for blank in (*BLANK_DEVICE_IDS, "  "):
            signin(A, p, day_at - dt.timedelta(minutes=5), blank)
        signin(A, p, day_at - dt.timedelta(minutes=1), None)
    session(A, a[0], MON + dt.timedelta(days=2, hours=1), 240, "DEV-X")  # overnight
    session(A, a[2], MON + dt.timedelta(days=2, hours=1), 240, "DEV-X")  # lockstep with a[0]
    for i, p in enumerate(a[:3]):
        rows["exams"].append(
            (900 + i, f"P-{A}", p, MON + dt.timedelta(days=3, hours=10),
             MON + dt.timedelta(days=3, hours=10, minutes=30), 90, 60, "same-digest")
        )  # fmt: skip
    # B: one session, Monday 23:30 to Tuesday 00:30
    session(B, PEOPLE[B][0], MON + dt.timedelta(hours=23, minutes=30), 60, "DEV-B")
    # C: a hostile name, and a device id holding an ID number and a phone, shared by nobody else
    c0 = PEOPLE[C][0]
    session(C, c0, MON + dt.timedelta(hours=10), 30, f"PC-{PLANTED_ID}-{PLANTED_PHONE}")
    rows["trainees"].append((C, PEOPLE[C][1], "同事", None, "labor_contract", day, None))
    rows["subsidy"].append((C, f"P-{C}", PEOPLE[C][1], 600, True, 600, ""))
    session(C, PEOPLE[C][1], MON + dt.timedelta(hours=11), 30, f"PC-{PLANTED_ID}-{PLANTED_PHONE}")
    # D: 35 flagged trainees, one session each
    for i, p in enumerate(PEOPLE[D][:35]):
        session(D, p, MON + dt.timedelta(hours=8, minutes=i), 20, f"D-{i % 3}")
    return rows


def connect(reverse: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load_tables(con, signal_rows(), reverse)
    return con


def patterns_of(con: duckdb.DuckDBPyConnection, enterprise_id: str):
    """One enterprise's patterns as render_reports reads them."""
    prepare(con)
    return fetch(con, [enterprise_id])[enterprise_id]


def heat_of(con: duckdb.DuckDBPyConnection, enterprise_id: str) -> dict[tuple[int, int], float]:
    """{(weekday, hour): minutes} of one enterprise, as prepare computes them."""
    prepare(con)
    rows = con.execute(
        "SELECT cell, minutes FROM report_heat WHERE enterprise_id = ?", [enterprise_id]
    ).fetchall()
    return {(cell // 24, cell % 24): minutes for cell, minutes in rows}


def render_signals(out: Path, reverse: bool = False, **options: str) -> None:
    con = connect(reverse)
    try:
        render_reports(con, out, load_policy("shanghai-2022"), **options)
    finally:
        con.close()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("signals") / "out"
    render_signals(folder)
    return folder


def page(out: Path, enterprise_id: str) -> str:
    return (out / "enterprises" / f"{enterprise_id}.html").read_text(encoding="utf-8")


def svg_of(html: str, label: str) -> str:
    """The inline SVG with aria-label `label`, '' when the page has none."""
    match = re.search(rf'<svg [^>]*aria-label="{label}".*?</svg>', html, re.S)
    return match[0] if match else ""


def heatmap_of(html: str) -> str:
    start = html.index("<h2>学习时间分布")
    return html[start : html.index("<h2>", start + 1)]


def masked(person_id: str) -> str:
    return person_id[:6] + "*" * 8 + person_id[-4:]


# --- heat map ---


def test_a_session_across_midnight_is_split_between_the_two_hours() -> None:
    con = connect()
    try:
        heat = heat_of(con, B)
    finally:
        con.close()
    assert heat == {(0, 23): pytest.approx(30.0), (1, 0): pytest.approx(30.0)}


def test_heat_map_on_the_page_has_exactly_the_two_half_hour_cells(out: Path) -> None:
    section = heatmap_of(page(out, B))
    cells = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" '
                       r'fill="#\w+"><title>([^<]+)</title></rect>', section)  # fmt: skip
    assert cells == ["周一 23时 30 分钟", "周二 00时 30 分钟"]
    assert "最深一格 30 分钟" in section


def test_cells_sit_on_the_grid_matplotlib_drew() -> None:
    frame = heatmap_frame()
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE report_heat (enterprise_id VARCHAR, cell INTEGER, minutes DOUBLE)"
    )
    con.execute("INSERT INTO report_heat VALUES ('E', 0, 60), ('E', 167, 30), ('F', 5, 0)")
    batch = frame.render_batch(con, ["E", "F", "G"])
    con.close()
    assert sorted(batch) == ["E"]  # no study, or none in the batch: no heat map
    svg, peak = batch["E"]
    assert peak == 60 and svg.startswith(frame.svg_head) and svg.endswith(frame.svg_tail)
    assert "<title>周一 00时 60 分钟</title>" in svg and "<title>周日 23时 30 分钟</title>" in svg
    rects = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg)
    (x0, y0, w, h), (x1, y1, _, _) = [tuple(map(float, r)) for r in rects]
    assert (x0, y0) == pytest.approx((frame.x0, frame.y0), abs=0.01)
    assert x1 == pytest.approx(frame.x0 + 23 * frame.cell_w, abs=0.01)
    assert y1 == pytest.approx(frame.y0 + 6 * frame.cell_h, abs=0.01)
    assert (w, h) == pytest.approx((frame.cell_w, frame.cell_h), abs=0.01)


def test_a_session_weeks_long_adds_an_hour_a_week_to_every_cell_without_expanding() -> None:
    con = duckdb.connect()
    rows = signal_rows()
    start = MON + dt.timedelta(hours=10)  # two weeks and 90 minutes: Mon 10:00 to Mon 11:30
    rows["study_sessions"] = [
        (1, f"P-{B}", PEOPLE[B][0], start, start + dt.timedelta(weeks=2, minutes=90), "", "", "")
    ]
    load_tables(con, rows)
    heat = heat_of(con, B)
    con.close()
    assert len(heat) == 7 * 24
    assert heat[(0, 10)] == pytest.approx(120 + 60) and heat[(0, 11)] == pytest.approx(120 + 30)
    assert heat[(3, 3)] == pytest.approx(120)
    assert sum(heat.values()) == pytest.approx(2 * 7 * 24 * 60 + 90)


# --- timeline ---


def test_timeline_shows_exactly_the_flagged_trainees(out: Path) -> None:
    svg = svg_of(page(out, A), "被标记学员的学习时间线")
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]+)</text>', svg)
    a = PEOPLE[A]
    assert sorted(labels) == sorted(f"学员A{i + 1} {masked(a[i])}" for i in range(3))
    assert masked(a[3]) not in svg and masked(a[4]) not in svg
    # rows by first activity: a[0] signs in first, then a[1], then a[2]
    assert [label.split()[0] for label in labels] == ["学员A1", "学员A2", "学员A3"]
    assert svg.count('stroke="#c44e52"') == 3 + 1  # one exam tick path per row, one in the legend


def test_timeline_caps_rows_and_says_how_many_were_flagged(out: Path) -> None:
    html = page(out, D)
    svg = svg_of(html, "被标记学员的学习时间线")
    rows = re.findall(r'text-anchor="end">', svg)
    assert len(rows) == TIMELINE_TRAINEES
    assert f"仅显示前 {TIMELINE_TRAINEES} 名（共 35 名被标记）" in html


def test_timeline_caps_events_per_trainee(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterns_module, "TIMELINE_EVENTS", 3)
    con = connect()
    try:
        timeline = patterns_of(con, A).timeline
    finally:
        con.close()
    assert all(len(r.sessions) + len(r.signins) + len(r.exams) <= 3 for r in timeline)
    assert all(r.capped for r in timeline)


def test_enterprise_without_flagged_trainees_says_so_instead_of_charts(out: Path) -> None:
    html = page(out, B)
    assert "没有学员被真实性信号标记，不显示时间线。" in html
    assert "没有学员被真实性信号标记，不显示设备关系图。" in html
    assert not svg_of(html, "被标记学员的学习时间线") and not svg_of(html, "多名学员共用的设备")
    assert "未发现真实性信号。" in html


def test_flagged_trainee_without_records_or_shared_devices_gets_sentences(out: Path) -> None:
    html = page(out, E)
    assert "1 名被标记学员没有带时间的学习、签到或考试记录。" in html
    assert "没有设备被两名以上学员使用。" in html
    assert not svg_of(html, "被标记学员的学习时间线") and not svg_of(html, "多名学员共用的设备")


# --- shared devices ---


def test_device_picture_shows_the_shared_device_not_a_device_of_one(out: Path) -> None:
    svg = svg_of(page(out, A), "多名学员共用的设备")
    devices = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]+)</text>', svg)
    assert devices == ["DEV-SHARED-3 · 3 人", "DEV-X · 2 人"]
    assert "DEV-SOLO" not in svg
    a = PEOPLE[A]
    people = re.findall(r"<circle [^>]*/><text [^>]*>([^<]+)</text>", svg)
    assert sorted(people) == sorted(f"学员A{i + 1} {masked(a[i])}" for i in (0, 1, 2, 3))
    assert svg.count('fill="#c44e52"/><text') == 3  # the flagged ones in red
    assert svg.count('<path d="M') >= 1 and svg.count("L420.0") == 5  # 3 + 2 links


def test_blank_device_ids_never_make_a_shared_device() -> None:
    con = connect()
    try:
        page_a = patterns_of(con, A)
    finally:
        con.close()
    assert [d.device_id for d in page_a.devices] == ["DEV-SHARED-3", "DEV-X"]
    assert page_a.shared_devices == 2
    assert all(d.device_id.strip().lower() not in BLANK_DEVICE_IDS for d in page_a.devices)


def test_device_ids_holding_an_id_number_or_phone_are_masked(out: Path) -> None:
    svg = svg_of(page(out, C), "多名学员共用的设备")
    assert "PC-440301********0019-150****2222 · 2 人" in svg


# --- signals, privacy, escaping, reproducibility ---


def test_signals_are_listed_apart_from_compliance_findings(out: Path) -> None:
    html = page(out, A)
    signals = html[html.index("<h2>真实性信号</h2>") : html.index("<h2>学习时间分布")]
    compliance = html[html.index("<h2>合规性发现") :]
    assert f"<b>{SIGNAL}</b> · 同一设备为多名学员学习（3 条，涉及 3 名学员）" in signals
    assert signals.count('class="finding sev-review"') == 3
    assert SIGNAL not in compliance and "<h2>合规性发现（1）</h2>" in html
    assert "&#34;device_id&#34;: &#34;DEV-SHARED-3&#34;" in signals  # the evidence


def test_no_page_shows_an_id_number_or_phone_whole(out: Path) -> None:
    pages = list(out.rglob("*.html"))
    assert len(pages) == 6
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not ID_PATTERN.search(text), path.name
        assert not PHONE_PATTERN.search(text), path.name


def test_chart_labels_follow_the_id_mask_pattern(tmp_path: Path) -> None:
    render_signals(tmp_path / "out", id_mask="3*2")
    html = page(tmp_path / "out", A)
    person = PEOPLE[A][0]
    label = f"学员A1 {person[:3]}{'*' * 13}{person[-2:]}"
    assert label in svg_of(html, "被标记学员的学习时间线")
    assert label in svg_of(html, "多名学员共用的设备")
    assert masked(person) not in html


def test_a_hostile_trainee_name_is_escaped_in_the_charts(out: Path) -> None:
    html = page(out, C)
    assert "<script>window" not in html
    timeline = svg_of(html, "被标记学员的学习时间线")
    assert f"&lt;script&gt; {masked(PEOPLE[C][0])}" in timeline  # names are cut to 8 characters


def test_reruns_are_byte_identical_whatever_the_row_order_and_batching(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "PAGE_BATCH", 2)
    render_signals(tmp_path / "again", reverse=True)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.html")}
    again = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in (tmp_path / "again").rglob("*.html")}  # fmt: skip
    assert first == again


def test_the_catalogue_says_each_rules_category() -> None:
    con = duckdb.connect()
    rules = rules_for(load_policy("shanghai-2022"))
    _write_catalogue(con, rules)
    got = dict(con.execute("SELECT rule_id, category FROM rule_catalogue").fetchall())
    con.close()
    assert got == {r.id: r.category for r in rules}
