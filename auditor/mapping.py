"""Column and value mappings (`mapping.toml`): how a platform's own headers map onto the contract.

Format (documented in docs/export-contract.md):

    [tables.study_sessions]
    file = "学习记录"                   # file stem on disk, when it differs from the table name
    [tables.study_sessions.columns]     # header in the file = contract column
    "身份证号码" = "person_id"
    [tables.trainees.values.employment] # value in the file = contract value
    "劳动合同" = "labor_contract"
    [adapter]                           # raw logs: the adapter that reads them (docs/adapters.md)
    name = "heartbeat"
    [adapter.settings]
    gap_seconds = 900

`[tables.NAME]` may also name an adapter's input table; it is checked against that adapter's
inputs once the adapter is known (`check_inputs`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import ONLINE, Contract, Table
from .errors import ExportError
from .resources import checks_dir


@dataclass(frozen=True)
class TableMapping:
    """How one contract table is written in an export."""

    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header -> contract column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {raw: value}


@dataclass(frozen=True)
class Mapping:
    """Every table's mapping; tables not named map to themselves."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    path: Path | None = None
    adapter: str | None = None  # [adapter] name: a shipped adapter or a folder
    adapter_settings: dict[str, Any] = field(default_factory=dict)

    def for_table(self, name: str) -> TableMapping:
        """The mapping of one table (empty when none is given)."""
        return self.tables.get(name, TableMapping())

    def check_inputs(
        self, inputs: tuple[Table, ...], adapter: str | None, contract: Contract = ONLINE
    ) -> None:
        """Every `[tables.NAME]` must be a table of the programme's contract or one of
        `inputs`, mapping onto its columns; raise ExportError otherwise."""
        name = self.path.name if self.path else "mapping"
        by_name = {t.name: t for t in inputs}
        tables = contract.tables_by_name
        for table, tmap in self.tables.items():
            if table in tables:
                _check_columns(table, tables[table], tmap, name)
                continue
            if table not in by_name:
                known = [*tables, *by_name]
                where = f" or inputs of adapter {adapter}" if adapter else ""
                raise ExportError(
                    f"unknown table {table!r}; tables{where}: {', '.join(known)}", file=name
                )
            _check_columns(table, by_name[table], tmap, name)


def shipped_mappings() -> list[Path]:
    """Mappings shipped in checks/mappings/, e.g. chinese-headers."""
    return sorted((checks_dir() / "mappings").glob("*.toml"))


def resolve_mapping(export_dir: Path, name_or_path: str | None) -> Mapping:
    """The mapping to use: --mapping (a shipped name or a file), else EXPORT/mapping.toml, else none."""
    if name_or_path:
        path = Path(name_or_path)
        if not path.suffix:
            path = checks_dir() / "mappings" / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(p.stem for p in shipped_mappings())
            raise ExportError(f"mapping {name_or_path!r} not found (shipped mappings: {known})")
        return load_mapping(path)
    local = export_dir / "mapping.toml"
    return load_mapping(local) if local.is_file() else Mapping()


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; every error names the file and the key."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(f"not valid UTF-8 TOML: {exc}", file=name) from exc
    unknown = set(data) - {"tables", "adapter"}
    if unknown:
        raise ExportError(
            f"unknown top-level keys {sorted(unknown)}; expected [tables.NAME] and [adapter]",
            file=name,
        )
    tables: dict[str, TableMapping] = {}
    for table, spec in data.get("tables", {}).items():
        if not isinstance(spec, dict) or set(spec) - {"file", "columns", "values"}:
            raise ExportError(f"[tables.{table}] takes only file, columns, values", file=name)
        columns = {str(k): str(v) for k, v in spec.get("columns", {}).items()}
        values: dict[str, dict[str, str]] = {}
        for column, pairs in spec.get("values", {}).items():
            if not isinstance(pairs, dict):
                raise ExportError(
                    f"[tables.{table}.values.{column}] must be a table of values", file=name
                )
            values[column] = {str(k): str(v) for k, v in pairs.items()}
        file = spec.get("file")
        if file is not None and (not isinstance(file, str) or "/" in file or "\\" in file):
            raise ExportError(f"[tables.{table}] file must be a plain file stem", file=name)
        # NOTE: the column names are checked once the programme and adapter are known
        # (check_inputs); two headers onto one column are wrong whatever the programme
        tables[table] = TableMapping(file=file, columns=columns, values=values)
        _check_columns(table, None, tables[table], name)
    adapter = data.get("adapter", {})
    if not isinstance(adapter, dict) or set(adapter) - {"name", "settings"}:
        raise ExportError("[adapter] takes only name and settings", file=name)
    if "name" in adapter and not isinstance(adapter["name"], str):
        raise ExportError("[adapter] name must be text", file=name)
    if not isinstance(adapter.get("settings", {}), dict):
        raise ExportError("[adapter.settings] must be a table of settings", file=name)
    return Mapping(
        tables=tables,
        path=path,
        adapter=adapter.get("name"),
        adapter_settings=dict(adapter.get("settings", {})),
    )


def _check_columns(table: str, contract: Table | None, tmap: TableMapping, name: str) -> None:
    """The mapping of one table names only columns the table has (when it is given), each at
    most once."""
    known = {c.name for c in contract.columns} if contract else None
    targets: dict[str, str] = {}
    for header, target in tmap.columns.items():
        if known is not None and target not in known:
            raise ExportError(
                f"[tables.{table}.columns] maps {header!r} to unknown column {target!r}",
                file=name,
            )
        if target in targets:
            raise ExportError(
                f"[tables.{table}.columns] maps both {targets[target]!r} and {header!r} "
                f"onto {target!r}",
                file=name,
            )
        targets[target] = header
    for column in tmap.values:
        if known is not None and column not in known:
            raise ExportError(f"[tables.{table}.values] names unknown column {column!r}", file=name)
