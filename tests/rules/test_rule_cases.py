"""Every rule's boundary cases, as data: tests/rules/<RULE_ID>.toml.

A case starts from the clean world of its policy (tests/rules/_clean_world.toml), then
- `<table> = [rows]` replaces that table; each row inherits the clean world's first row of the
  table, so a case states only what differs;
- `add.<table> = [rows]` appends rows (inheriting the same way);
- `fires = true|false` says whether the file's rule must fire; `also = [...]` lists other rules
  expected to fire with it. The set of rules in the findings must be exactly that.
- `adapter = "NAME"` audits with that adapter: the world's tables that are no contract tables
  (its inputs, e.g. `heartbeats`, `actors`) are written too; `adapter_settings = {..}` sets its
  settings; `omit = ["study_sessions"]` leaves contract tables out (the adapter supplies them).
  `policy`, `adapter` and `adapter_settings` at the top of a file apply to all its cases.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from auditor.pipeline import AuditOptions, audit
from tests.exports import clean_world, write_export, write_inputs

CASES_DIR = Path(__file__).parent
CASE_KEYS = {"fires", "also", "add", "policy", "as_of", "note", "adapter", "adapter_settings",
             "omit"}  # fmt: skip
FILE_DEFAULTS = ("adapter", "adapter_settings")


def _case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.glob("*.toml") if not p.name.startswith("_"))


def load_cases() -> list[tuple[str, str, dict[str, Any], str]]:
    """(rule_id, case name, case, policy) for every case in every file."""
    cases = []
    for path in _case_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        policy = data.pop("policy", "shanghai-2022")
        defaults = {k: data.pop(k) for k in FILE_DEFAULTS if k in data}
        for name, case in data.items():
            cases.append((path.stem, name, {**defaults, **case}, case.get("policy", policy)))
    return cases


def build_tables(case: dict[str, Any], policy: str) -> dict[str, list[dict[str, Any]]]:
    """The clean world with the case's replacements and additions applied."""
    world = clean_world(policy)
    template = {t: dict(rows[0]) if rows else {} for t, rows in clean_world(policy).items()}
    for key, rows in case.items():
        if key in CASE_KEYS:
            continue
        world[key] = [{**template.get(key, {}), **row} for row in rows]
    for table, rows in case.get("add", {}).items():
        world.setdefault(table, []).extend({**template.get(table, {}), **r} for r in rows)
    return world


def fired_rules(
    export: Path, out: Path, policy: str, as_of: dt.date, case: dict[str, Any] | None = None
) -> set[str]:
    """Rule IDs with at least one finding after auditing `export`."""
    import csv

    case = case or {}
    settings = tuple(f"{k}={v}" for k, v in case.get("adapter_settings", {}).items())
    options = AuditOptions(
        as_of=as_of, reports=False, adapter=case.get("adapter"), adapter_settings=settings
    )
    audit(export, policy, out, options)
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        return {row["rule_id"] for row in csv.DictReader(fh)}


CASES = load_cases()


@pytest.mark.parametrize(
    ("rule_id", "case", "policy"),
    [(r, c, p) for r, _, c, p in CASES],
    ids=[f"{r}::{n}" for r, n, _, _ in CASES],
)
def test_rule_case(rule_id: str, case: dict[str, Any], policy: str, tmp_path: Path) -> None:
    export = write_case(tmp_path / "export", case, policy)
    expected = set(case.get("also", []))
    if case["fires"]:
        expected.add(rule_id)
    as_of = case.get("as_of", dt.date(2023, 6, 30))
    assert fired_rules(export, tmp_path / "out", policy, as_of, case) == expected


def write_case(folder: Path, case: dict[str, Any], policy: str) -> Path:
    """The case's export: contract tables, and an adapter's inputs when it names one."""
    tables = build_tables(case, policy)
    write_export(folder, tables)
    for name in case.get("omit", []):
        (folder / f"{name}.csv").unlink()
    if case.get("adapter"):
        write_inputs(folder, tables)
    return folder


@pytest.mark.parametrize("policy", ["shanghai-2022", "yingkou-2020"])
def test_clean_world_fires_nothing(policy: str, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", clean_world(policy))
    assert fired_rules(export, tmp_path / "out", policy, dt.date(2023, 6, 30)) == set()


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    from auditor.rules import all_rules

    by_rule: dict[str, set[bool]] = {}
    for rule_id, _, case, _ in CASES:
        by_rule.setdefault(rule_id, set()).add(bool(case["fires"]))
    missing = {r.id for r in all_rules()} - {
        r for r, kinds in by_rule.items() if kinds == {True, False}
    }
    assert not missing, f"rules without both a firing and a non-firing case: {sorted(missing)}"
