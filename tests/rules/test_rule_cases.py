"""Every rule's boundary cases, as data: tests/rules/<RULE_ID>.toml for the online programme,
tests/rules/<programme>/<RULE_ID>.toml for another (a rule shared by programmes has a file in
each folder).

A case starts from the clean world of its policy (tests/rules/_clean_world.toml, or the
programme folder's own _clean_world.toml), then
- `<table> = [rows]` replaces that table; each row inherits the clean world's first row of the
  table, so a case states only what differs;
- `add.<table> = [rows]` appends rows (inheriting the same way);
- `fires = true|false` says whether the file's rule must fire; `also = [...]` lists other rules
  expected to fire with it. The set of rules in the findings must be exactly that.
- `fired_payments = [...]` (optional) lists the payment_id of every finding of the file's rule:
  which payments fire, for a rule whose grain is the payment.
- The export holds the tables of the contract of the policy's programme.
- `adapter = "NAME"` audits with that adapter: the world's tables that are no contract tables
  (its inputs, e.g. `heartbeats`, `actors`) are written too; `adapter_settings = {..}` sets its
  settings; `omit = ["study_sessions"]` leaves contract tables out (the adapter supplies them).
  `policy`, `adapter` and `adapter_settings` at the top of a file apply to all its cases.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from pathlib import Path
from typing import Any

import pytest

from auditor.contract import Contract, load_contract
from auditor.pipeline import AuditOptions, audit
from auditor.policy import load_policy
from tests.exports import clean_world, write_export, write_inputs

CASES_DIR = Path(__file__).parent
CASE_KEYS = {"fires", "also", "add", "policy", "as_of", "note", "adapter", "adapter_settings",
             "omit", "fired_payments"}  # fmt: skip
FILE_DEFAULTS = ("adapter", "adapter_settings")


def _case_files() -> list[Path]:
    """The online programme's case files, then those in the programme folders."""
    return [
        p
        for pattern in ("*.toml", "*/*.toml")
        for p in sorted(CASES_DIR.glob(pattern))
        if not p.name.startswith("_")
    ]


def load_cases() -> list[tuple[str, str, dict[str, Any], str]]:
    """(rule_id, test ID, case, policy) for every case in every file. The test ID is
    `<RULE_ID>::<case>`, `<folder>/<RULE_ID>::<case>` in a programme folder."""
    cases = []
    for path in _case_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        policy = data.pop("policy", "shanghai-2022")
        defaults = {k: data.pop(k) for k in FILE_DEFAULTS if k in data}
        folder = path.parent.relative_to(CASES_DIR).as_posix()
        prefix = "" if folder == "." else f"{folder}/"
        for name, case in data.items():
            cases.append(
                (path.stem, f"{prefix}{path.stem}::{name}", {**defaults, **case},
                 case.get("policy", policy))
            )  # fmt: skip
    return cases


@functools.cache
def contract_of(policy: str) -> Contract:
    """The export contract of the policy's programme."""
    return load_contract(load_policy(policy).programme)


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
    return {row["rule_id"] for row in findings(export, out, policy, as_of, case)}


def findings(
    export: Path,
    out: Path,
    policy: str,
    as_of: dt.date,
    case: dict[str, Any] | None = None,
    engine: str = "duckdb",
) -> list[dict[str, str]]:
    """The rows of findings.csv after auditing `export` (on `engine`)."""
    import csv

    case = case or {}
    settings = tuple(f"{k}={v}" for k, v in case.get("adapter_settings", {}).items())
    options = AuditOptions(
        as_of=as_of,
        reports=False,
        adapter=case.get("adapter"),
        adapter_settings=settings,
        engine=engine,
    )
    audit(export, policy, out, options)
    with (out / "findings.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CASES = load_cases()


@pytest.mark.parametrize(
    ("rule_id", "case", "policy"),
    [(r, c, p) for r, _, c, p in CASES],
    ids=[n for _, n, _, _ in CASES],
)
def test_rule_case(rule_id: str, case: dict[str, Any], policy: str, tmp_path: Path) -> None:
    export = write_case(tmp_path / "export", case, policy)
    rows = findings(export, tmp_path / "out", policy, case_as_of(case), case)
    check_case(rule_id, case, rows)


def case_as_of(case: dict[str, Any]) -> dt.date:
    return case.get("as_of", dt.date(2023, 6, 30))


def check_case(rule_id: str, case: dict[str, Any], rows: list[dict[str, str]]) -> None:
    """The findings are exactly the rules the case expects (and the payments it names)."""
    expected = set(case.get("also", []))
    if case["fires"]:
        expected.add(rule_id)
    assert {row["rule_id"] for row in rows} == expected
    if "fired_payments" in case:
        paid = sorted(row.get("payment_id", "") for row in rows if row["rule_id"] == rule_id)
        assert paid == sorted(case["fired_payments"])


def write_case(folder: Path, case: dict[str, Any], policy: str) -> Path:
    """The case's export: contract tables, and an adapter's inputs when it names one."""
    tables = build_tables(case, policy)
    write_export(folder, tables, contract_of(policy))
    for name in case.get("omit", []):
        (folder / f"{name}.csv").unlink()
    if case.get("adapter"):
        write_inputs(folder, tables, contract_of(policy))
    return folder


@pytest.mark.parametrize("policy", ["shanghai-2022", "yingkou-2020", "shanghai-voucher-2021"])
def test_clean_world_fires_nothing(policy: str, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", clean_world(policy), contract_of(policy))
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
