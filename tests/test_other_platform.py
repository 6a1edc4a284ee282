"""An export written by somebody else to the documented contract is audited correctly."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from auditor.pipeline import AuditOptions, audit
from auditor.resources import checks_dir

FOLDER = Path(__file__).parent / "data" / "other_platform"
EXPECTED_FINDINGS = {
    ("NO_EXAM", "XM-01", "310101198512120817"),
    ("HOURS_SHORT", "XM-01", "310104199203030416"),
    ("AMOUNT_MISMATCH", "XM-02", "310109199001019990"),
    ("NOT_EMPLOYED", "XM-02", "310110199406066010"),
    # This platform's timetable has XM-01's three trainees start at 08:00 and stop at 11:30 to
    # the second on three days: the pattern LOCKSTEP asks a supervisor to look at (review only).
    ("LOCKSTEP", "XM-01", "31010619880715002X"),
    ("LOCKSTEP", "XM-01", "310104199203030416"),
    ("LOCKSTEP", "XM-01", "310101198512120817"),
}
EXPECTED_PAYABLE = {("XM-01", "31010619880715002X"), ("XM-02", "310109199001019990")}


def _check(out: Path) -> None:
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        assert {
            (r["rule_id"], r["project_id"], r["person_id"]) for r in csv.DictReader(fh)
        } == EXPECTED_FINDINGS
    with (out / "subsidy.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {
        (r["project_id"], r["person_id"]) for r in rows if r["payable"] == "true"
    } == EXPECTED_PAYABLE
    assert sum(float(r["claimed_amount"]) for r in rows) == 2950
    assert sum(float(r["verified_amount"]) for r in rows) == 1200


def test_shipped_chinese_header_mapping(tmp_path: Path) -> None:
    run = audit(
        FOLDER,
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(mapping="chinese-headers", as_of=dt.date(2023, 6, 30)),
    )
    assert run.exit_code == 1
    _check(tmp_path / "out")
    inputs = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert {t: (i["format"], i["encoding"]) for t, i in inputs.items()} == {
        "enterprises": ("xlsx", "utf-8"),
        "projects": ("csv", "gb18030"),
        "trainees": ("csv", "utf-8-sig"),
        "claims": ("csv", "utf-8"),
        "signins": ("jsonl", None),
        "study_sessions": ("parquet", None),
        "qa": ("csv", "gb18030"),
        "exams": ("csv", "utf-8-sig"),
    }


def test_mapping_toml_in_the_export_is_used_by_default(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(FOLDER, export, ignore=shutil.ignore_patterns("*.py", "*.md"))
    shutil.copy(checks_dir() / "mappings" / "chinese-headers.toml", export / "mapping.toml")
    audit(
        export,
        "shanghai-2022",
        tmp_path / "out",
        AuditOptions(as_of=dt.date(2023, 6, 30), reports=False),
    )
    _check(tmp_path / "out")


def test_without_a_mapping_the_missing_tables_are_named(tmp_path: Path) -> None:
    from auditor.errors import ExportError

    with pytest.raises(ExportError, match=r"missing table file\(s\): enterprises.*claims"):
        audit(FOLDER, "shanghai-2022", tmp_path / "out", AuditOptions(reports=False))


def test_the_generator_writes_the_same_data(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_export", FOLDER / "make_export.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path / "export")
    for name in (
        "培训项目.csv",
        "花名册.csv",
        "答疑记录.csv",
        "考试记录.csv",
        "签到记录.jsonl",
        "补贴申报.csv.gz",
    ):
        assert (tmp_path / "export" / name).read_bytes() == (FOLDER / name).read_bytes(), name
