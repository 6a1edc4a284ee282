"""The reports in a real browser: Debian's headless Chromium, driven by Playwright.

Fails (never skips) when Chromium or the CJK font is missing: `make test` installs both through
its `browser` step (apt-get install chromium fonts-noto-cjk).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from auditor.pipeline import AuditOptions, audit
from auditor.report.render import page_name
from tests.exports import write_export
from tests.test_report import E1, hostile_world, render_direct
from tests.test_report_signals import A as SIGNALS_E
from tests.test_report_signals import C as HOSTILE_NAME_E
from tests.test_report_signals import render_signals

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), (
        "Chromium is missing: `make test` installs it through `make browser` "
        "(apt-get install -y chromium fonts-noto-cjk)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    rows = hostile_world()
    rows["claims"][1]["amount"] = 600
    audit(
        write_export(tmp / "export", rows),
        "shanghai-2022",
        tmp / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30)),
    )
    render_direct(tmp / "out" / "direct")  # findings with payloads in message and evidence
    render_signals(tmp / "out" / "signals")  # heat map, timeline, shared devices
    return tmp / "out"


PAGES = {
    "index": "index.html",
    "enterprise": "enterprises/91310000MA1FL0LX3F.html",
    "hostile-id": f"enterprises/{page_name('../../X')}",
    "payloads": f"direct/enterprises/{E1}.html",
    "signals": f"signals/enterprises/{SIGNALS_E}.html",
    "hostile-name-in-charts": f"signals/enterprises/{HOSTILE_NAME_E}.html",
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_page_renders_chinese_without_errors_or_injected_script(
    browser, out: Path, page: str
) -> None:
    tab = browser.new_page(viewport={"width": 1200, "height": 1400})
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    tab.goto((out / page).as_uri())
    tab.wait_for_load_state("load")
    tab.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    assert errors == []
    assert tab.evaluate("window.__pwned") is None, "a script from trainee text ran"
    text = tab.inner_text("body")
    assert "培训补贴" in text
    # CJK glyphs really render: a run of Chinese is laid out at a real width, and the font the
    # page asks for first is installed.
    width = tab.evaluate(
        "() => { const s = document.createElement('span'); s.textContent = '培训补贴审核报告';"
        " document.body.appendChild(s); return s.getBoundingClientRect().width; }"
    )
    assert width > 8 * 10
    glyphs, tofu = tab.evaluate(
        "() => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = '32px ' + getComputedStyle(document.body).fontFamily;"
        " return [c.measureText('培训审核').width, c.measureText('\\u0378\\u0379\\u037a\\u037b').width]; }"
    )
    assert glyphs != tofu, "Chinese renders as missing-glyph boxes: is fonts-noto-cjk installed?"
    assert tab.locator("svg").count() >= 1
    for where in ("h1, h2", "svg text"):  # the fonts Chromium really drew the Chinese text with
        fonts = _fonts_drawing_chinese(tab, where)
        assert any("CJK" in f["familyName"] and f["glyphCount"] > 0 for f in fonts), (where, fonts)
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = {"direct": "-payloads", "signals": "-signals"}.get(page.split("/")[0], "")
    name = Path(page).stem + suffix
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    tab.close()


def test_pattern_charts_draw_their_chinese_with_a_cjk_font(browser, out: Path) -> None:
    """The timeline and device picture are plain SVG text: the page's CJK fonts draw it."""
    tab = browser.new_page(viewport={"width": 1200, "height": 1400})
    tab.goto((out / PAGES["signals"]).as_uri())
    tab.wait_for_load_state("load")
    for label in ("被标记学员的学习时间线", "多名学员共用的设备"):
        chart = tab.locator(f'svg[aria-label="{label}"]')
        assert chart.count() == 1 and chart.bounding_box()["width"] > 500, label
        fonts = _fonts_drawing_chinese(tab, f"svg[aria-label='{label}'] text")
        assert any("CJK" in f["familyName"] and f["glyphCount"] > 0 for f in fonts), (label, fonts)
    tab.close()


def _fonts_drawing_chinese(tab, selector: str) -> list[dict]:
    """The platform fonts used for the first `selector` element with Chinese text (via CDP)."""
    found = tab.evaluate(
        "(sel) => { const el = [...document.querySelectorAll(sel)]"
        ".find(e => /[\\u4e00-\\u9fff]/.test(e.textContent));"
        " if (!el) return false; el.setAttribute('data-cjk-probe', sel); return true; }",
        selector,
    )
    assert found, f"no {selector} with Chinese text"
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    probe = f'[data-cjk-probe="{selector}"]'
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": probe})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return fonts
