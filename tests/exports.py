"""Build small export directories from Python rows, for tests."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from auditor.contract import ONLINE, Contract

CLEAN_WORLD = Path(__file__).parent / "rules" / "_clean_world.toml"
# One clean world file per programme: the online one above, the others in their case folders
# (tests/rules/<programme>/_clean_world.toml); each holds a section per policy.
CLEAN_WORLDS = (CLEAN_WORLD, *sorted(CLEAN_WORLD.parent.glob("*/_clean_world.toml")))


def clean_world(policy: str) -> dict[str, list[dict[str, Any]]]:
    """The clean world's rows for one policy, from whichever file has its section: a fresh copy
    each call."""
    for path in CLEAN_WORLDS:
        worlds = tomllib.loads(path.read_text(encoding="utf-8"))
        if policy in worlds:
            return worlds[policy]
    raise KeyError(f"no clean world for policy {policy!r} in {[str(p) for p in CLEAN_WORLDS]}")


def cell(value: Any) -> str:
    """A value as the contract writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_export(
    folder: Path, tables: dict[str, list[dict[str, Any]]], contract: Contract | None = None
) -> Path:
    """Write TABLE.csv for every table of the contract (default: the online programme's),
    header only when it has no rows."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in (contract or ONLINE).tables:
        rows = tables.get(table.name, [])
        names = [c.name for c in table.columns]
        with (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(names)
            for row in rows:
                unknown = set(row) - set(names)
                assert not unknown, f"{table.name}: unknown columns {unknown}"
                writer.writerow([cell(row.get(n)) for n in names])
    return folder


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    """One CSV file from rows (header: the first row's keys, in order)."""
    names = list(rows[0]) if rows else []
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for row in rows:
            writer.writerow([cell(row.get(n)) for n in names])
    return path


def write_inputs(
    folder: Path, tables: dict[str, list[dict[str, Any]]], contract: Contract | None = None
) -> Path:
    """Write every table that is not a table of the contract (default: the online programme's),
    i.e. an adapter's inputs, as TABLE.csv."""
    names = {t.name for t in (contract or ONLINE).tables}
    for name, rows in tables.items():
        if name not in names and rows:
            write_rows(folder / f"{name}.csv", rows)
    return folder
