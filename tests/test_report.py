"""Reports: the documented context, masking, escaping, safe file names, byte-identical output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from auditor.pipeline import AuditOptions, audit
from auditor.privacy import mask, mask_text, parse_mask
from auditor.report.context import PAGES, ROWS
from auditor.report.render import page_name
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
        "subsidy.csv",
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
