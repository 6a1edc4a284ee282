"""The rule cases merged into a few exports, so that every case can run on Spark in CI.

A case alone is a tiny export, and a Spark audit of a tiny export costs some 30 s of fixed
cost per run (about 400 Spark jobs), so 302 cases alone would take hours on two cores. Cases
that share a policy, an audit day and an adapter are therefore written into one export
(a *batch*), each under its own namespace: every identifier of a case is renamed with the
case's slot (00-99) in a way that keeps what the rules read from it:

- a resident ID (GB 11643) keeps its region, birth date and sex digit; the slot replaces the
  two order digits before the sex digit, and the check digit keeps its offset from the right
  one (a valid ID stays valid, a wrong check digit stays exactly as wrong);
- a credit code (GB 32100) keeps its registration, type and region characters; the slot
  replaces two characters of the organisation code, and the check character keeps its offset;
- a phone keeps its digit count; the slot replaces two of its last eleven digits (the phone
  signal compares those);
- any other identifier (project, class, voucher, payment, course, device, lesson, actor) gets
  `_<slot>` appended; a value the shapes above do not fit (an ID of the wrong length) too.

Leading and trailing spaces and upper/lower case are kept (ingest trims and upper-cases IDs).
Every finding is then traced back to its case through the renamed IDs it carries, and each
case must still give exactly its own expected findings (tests/rules/test_rule_case_batches.py):
so a merged export is proved to exercise every case's boundary before Spark is compared with
DuckDB on it (tests/test_spark_audit.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stdnum.cn.ric as ric
import stdnum.cn.uscc as uscc

from tests.exports import write_export, write_inputs
from tests.rules.test_rule_cases import CASES, build_tables, case_as_of, contract_of

SLOTS = 100  # two digits of a resident ID's order code: at most 100 cases a batch
RIC_ALPHABET = "0123456789X"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100, as stdnum.cn.uscc
# Identifiers the rules compare that the contracts hold as text, not as kind "id"; and the
# columns of the adapters' inputs (heartbeats, actors).
TEXT_IDS = ("course_id", "device_id", "lesson_id", "actor")


@dataclass
class Member:
    """One case of a batch: its test ID, rule, expectations and slot."""

    test_id: str
    rule_id: str
    case: dict[str, Any]
    slot: int


@dataclass
class Batch:
    """Cases audited together: one policy, audit day and adapter."""

    id: str
    policy: str
    as_of: dt.date
    adapter: str | None
    adapter_settings: dict[str, Any]
    omit: tuple[str, ...]
    members: list[Member] = field(default_factory=list)

    @property
    def case(self) -> dict[str, Any]:
        """What tests/rules/test_rule_cases.findings needs to audit the batch."""
        return {"adapter": self.adapter, "adapter_settings": self.adapter_settings}


def _keep_spaces(value: str, rename: Callable[[str], str]) -> str:
    lead, core, trail = re.fullmatch(r"(\s*)(.*?)(\s*)", value, re.S).groups()  # type: ignore[union-attr]
    if not core:
        return value
    new = rename(core.upper())
    if core == core.lower() and core != core.upper():
        new = new.lower()
    return f"{lead}{new}{trail}"


def _shifted(alphabet: str, old: str, right_old: str, right_new: str) -> str:
    """The check character at the same offset from the right one as `old` was."""
    offset = alphabet.index(old) - alphabet.index(right_old)
    return alphabet[(alphabet.index(right_new) + offset) % len(alphabet)]


def rename_ric(value: str, slot: int) -> str:
    def rename(core: str) -> str:
        if len(core) != 18 or not core[:17].isdigit() or core[17] not in RIC_ALPHABET:
            return f"{core}_{slot:02d}"
        body = f"{core[:14]}{slot:02d}{core[16]}"
        return body + _shifted(
            RIC_ALPHABET, core[17], ric.calc_check_digit(core), ric.calc_check_digit(body + "0")
        )

    return _keep_spaces(value, rename)


def rename_uscc(value: str, slot: int) -> str:
    def rename(core: str) -> str:
        if len(core) != 18 or not core[:8].isdigit() or any(c not in USCC_ALPHABET for c in core):
            return f"{core}_{slot:02d}"
        body = f"{core[:10]}{slot:02d}{core[12:17]}"
        return body + _shifted(
            USCC_ALPHABET, core[17], uscc.calc_check_digit(core), uscc.calc_check_digit(body)
        )

    return _keep_spaces(value, rename)


def rename_phone(value: str, slot: int) -> str:
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    if len(digits) < 7:  # the phone signal ignores it
        return value
    chars = list(value)
    chars[digits[-6]], chars[digits[-5]] = f"{slot:02d}"
    return "".join(chars)


def rename_other(value: str, slot: int) -> str:
    return _keep_spaces(value, lambda core: f"{core}_{slot:02d}")


RENAMES: dict[str, Callable[[str, int], str]] = {
    "person_id": rename_ric,
    "enterprise_id": rename_uscc,
    "institution_id": rename_uscc,
    "phone": rename_phone,
}


def renamed_columns(policy: str) -> dict[str, Callable[[str, int], str]]:
    """Column name -> how its values are renamed, for the policy's contract and adapter inputs."""
    ids = {c.name for t in contract_of(policy).tables for c in t.columns if c.kind == "id"}
    return {**dict.fromkeys((*sorted(ids), *TEXT_IDS), rename_other), **RENAMES}


def normalised(value: str) -> str:
    """An ID as ingest keeps it."""
    return value.strip().upper()


def namespaced(
    tables: dict[str, list[dict[str, Any]]], policy: str, slot: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The tables with every identifier renamed for `slot`, and new -> old (normalised)."""
    renames = renamed_columns(policy)
    back: dict[str, str] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rows in tables.items():
        out[table] = []
        for row in rows:
            new_row = dict(row)
            for column, rename in renames.items():
                value = row.get(column)
                if isinstance(value, str) and value.strip():
                    new_row[column] = new = rename(value, slot)
                    old = back.setdefault(normalised(new), normalised(value))
                    assert old == normalised(value), (
                        f"{column}: {value!r} and {old!r} both become {new!r} in slot {slot}"
                    )
            out[table].append(new_row)
    return out, back


def rule_case_batches(cases: Iterable[tuple[str, str, dict[str, Any], str]] = CASES) -> list[Batch]:
    """Every rule case in a batch: cases grouped by policy, audit day and adapter, in their
    order, at most SLOTS a batch."""
    groups: dict[tuple[Any, ...], list[tuple[str, str, dict[str, Any]]]] = {}
    for rule_id, test_id, case, policy in cases:
        settings = case.get("adapter_settings", {})
        key = (policy, case_as_of(case), case.get("adapter"), repr(settings),
               tuple(case.get("omit", ())))  # fmt: skip
        groups.setdefault(key, []).append((rule_id, test_id, case))
    batches = []
    for (policy, as_of, adapter, _, omit), members in groups.items():
        for start in range(0, len(members), SLOTS):
            chunk = members[start : start + SLOTS]
            suffix = f"+{adapter}" if adapter else ""
            batch = Batch(
                id=f"{policy}@{as_of}{suffix}#{start // SLOTS + 1}",
                policy=policy,
                as_of=as_of,
                adapter=adapter,
                adapter_settings=chunk[0][2].get("adapter_settings", {}),
                omit=omit,
                members=[Member(t, r, c, slot) for slot, (r, t, c) in enumerate(chunk)],
            )
            batches.append(batch)
    return batches


@dataclass
class Owners:
    """Whose is what in a batch's export: renamed IDs and data rows, by member index."""

    ids: dict[str, tuple[int, str]] = field(default_factory=dict)  # new -> (member, old)
    rows: dict[tuple[str, int], int] = field(default_factory=dict)  # (file, data row) -> member


def write_batch(folder: Path, batch: Batch) -> tuple[Path, Owners]:
    """The batch's export, and which member owns each renamed ID and each data row."""
    merged: dict[str, list[dict[str, Any]]] = {}
    owners = Owners()
    owner = owners.ids
    for index, member in enumerate(batch.members):
        tables, back = namespaced(
            build_tables(member.case, batch.policy), batch.policy, member.slot
        )
        for table, rows in tables.items():
            done = merged.setdefault(table, [])
            for number in range(len(done) + 1, len(done) + len(rows) + 1):
                owners.rows[(f"{table}.csv", number)] = index
            done.extend(rows)
        for new, old in back.items():
            assert new not in owner, f"{new} belongs to two cases of {batch.id}"
            owner[new] = (index, old)
    contract = contract_of(batch.policy)
    write_export(folder, merged, contract)
    for name in batch.omit:
        (folder / f"{name}.csv").unlink()
    if batch.adapter:
        write_inputs(folder, merged, contract)
    return folder, owners


def _owners_of(row: dict[str, str], keys: tuple[str, ...], owners: Owners) -> set[int]:
    """The members a finding is about: by the IDs it names; failing that (a rejected row, an
    unmapped actor) by the renamed IDs in its evidence; failing that by the data row it cites."""
    found = {owners.ids[row[k]][0] for k in keys if row.get(k) and row[k] in owners.ids}
    if found:
        return found
    evidence = json.loads(row.get("evidence") or "{}")
    found = {
        owners.ids[normalised(v)][0]
        for v in evidence.values()
        if isinstance(v, str) and normalised(v) in owners.ids
    }
    if found:
        return found
    file = evidence.get("file") or evidence.get("source_file")
    number = evidence.get("source_row") or evidence.get("first_row")
    return {owners.rows[(file, number)]} if (file, number) in owners.rows else set()


def findings_by_member(
    batch: Batch, rows: list[dict[str, str]], owners: Owners
) -> list[list[dict[str, str]]]:
    """The findings of each member, their IDs given back their case's values. A finding that
    cannot be traced to exactly one case is an error: the batch would hide it."""
    keys = contract_of(batch.policy).keys
    owner = owners.ids
    split: list[list[dict[str, str]]] = [[] for _ in batch.members]
    for row in rows:
        found = _owners_of(row, keys, owners)
        assert len(found) == 1, f"finding not traced to one case of {batch.id}: {row}"
        (index,) = found
        split[index].append(
            {k: owner[v][1] if k in keys and v in owner else v for k, v in row.items()}
        )
    return split
