"""Golden test: auditing the samples gives exactly the reviewed findings and amounts."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
from pathlib import Path

import pytest

from auditor.pipeline import AuditOptions, audit
from auditor.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "shanghai-2022": ROOT / "sample_exports",
    "yingkou-2020": ROOT / "sample_exports" / "yingkou-2020",
}
AS_OF = dt.date(2023, 6, 30)
# Rules on raw logs (an adapter's inputs) cannot fire in the samples, which have none: they fire
# in the adapter example, a platform's study records beside its raw heartbeats.
ADAPTER_EXAMPLE = ROOT / "examples" / "heartbeat"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("samples")
    result = {}
    for policy, folder in SAMPLES.items():
        run = audit(folder, policy, tmp / policy, AuditOptions(as_of=AS_OF))
        assert run.exit_code == 1  # the samples have blocking findings by design
        result[policy] = tmp / policy
    return result


@pytest.mark.parametrize("policy", SAMPLES)
@pytest.mark.parametrize("name", ["findings.csv", "subsidy.csv"])
def test_output_matches_the_reviewed_expectation(
    outputs: dict[str, Path], policy: str, name: str
) -> None:
    expected = (SAMPLES[policy] / "expected" / name).read_text(encoding="utf-8")
    assert (outputs[policy] / name).read_text(encoding="utf-8") == expected


def test_every_rule_fires_in_the_samples(outputs: dict[str, Path], tmp_path: Path) -> None:
    fired = set()
    for out in outputs.values():
        with (out / "findings.csv").open(encoding="utf-8") as fh:
            fired |= {row["rule_id"] for row in csv.DictReader(fh)}
    audit(
        ADAPTER_EXAMPLE, "shanghai-2022", tmp_path / "raw", AuditOptions(as_of=AS_OF, reports=False)
    )
    with (tmp_path / "raw" / "findings.csv").open(encoding="utf-8") as fh:
        by_example = {row["rule_id"] for row in csv.DictReader(fh)}
    assert {"SUMMARY_UNSUPPORTED", "UNMAPPED_ACTOR"} <= by_example - fired
    assert fired | by_example == {r.id for r in load_rules()}


def test_one_enterprise_is_clean(outputs: dict[str, Path]) -> None:
    with (outputs["shanghai-2022"] / "subsidy.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with (outputs["shanghai-2022"] / "findings.csv").open(encoding="utf-8") as fh:
        flagged = {row["enterprise_id"] for row in csv.DictReader(fh)}
    clean = {r["enterprise_id"] for r in rows} - flagged
    assert clean == {"91310000MA1FL0LX3F"}
    assert all(r["payable"] == "true" for r in rows if r["enterprise_id"] in clean)


def test_manifest_accounts_for_every_row(outputs: dict[str, Path]) -> None:
    import json

    manifest = json.loads((outputs["shanghai-2022"] / "manifest.json").read_text(encoding="utf-8"))
    for table, info in manifest["inputs"].items():
        assert info["rows_read"] == info["rows_accepted"] + info["rows_rejected"], table
    assert manifest["inputs"]["claims"]["rows_rejected"] == 1


def test_the_generator_reproduces_the_sample_files(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_samples", ROOT / "sample_exports" / "make_samples.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for folder, sub in (
        (SAMPLES["shanghai-2022"], tmp_path),
        (SAMPLES["yingkou-2020"], tmp_path / "yingkou-2020"),
    ):
        names = sorted(p.name for p in folder.glob("*.csv"))
        assert len(names) == 8
        _match, mismatch, errors = filecmp.cmpfiles(folder, sub, names, shallow=False)
        assert (mismatch, errors) == ([], []), mismatch + errors


def test_callback_list_names_every_trainee_to_phone_blocked_first(outputs: dict[str, Path]) -> None:
    out = outputs["shanghai-2022"]
    with (out / "subsidy.csv").open(encoding="utf-8") as fh:
        blocked = {
            (r["project_id"], r["person_id"]) for r in csv.DictReader(fh) if r["payable"] == "false"
        }
    with (out / "callbacks.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    first = {(r["project_id"], r["person_id"]) for r in rows if r["priority"] == "1"}
    assert first == blocked
    assert [r["priority"] for r in rows] == sorted(r["priority"] for r in rows)
    zhao = next(r for r in rows if r["name"] == "赵磊")
    assert zhao["priority"] == "2" and zhao["phone"].isdigit() and len(zhao["phone"]) == 11
    assert zhao["rules"] == "BAD_TIMESTAMP,DUPLICATE_IMPORT,STUDY_WITHOUT_SIGNIN"
