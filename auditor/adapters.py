"""Adapters as data: SQL that turns a platform's raw logs into the contract's activity tables.

An adapter is a folder, `checks/adapters/<name>/` or any folder given by path, holding
`adapter.toml` (its inputs, settings and documentation) and the SQL files it names. Its inputs
are read and typed by the same machinery as contract tables (every record counted, bad rows
rejected) into tables `in_<input>`; its SQL, with `${setting}` placeholders filled in, creates
`out_<contract table>` for every table it produces; the core checks those and installs them as
the contract tables, or, when the export has the platform's own table too, as `raw_<table>`
beside it for the tie-out (docs/adapters.md).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .contract import ACTIVITY_TABLES, TABLES_BY_NAME, Column, Table
from .errors import AdapterError, ExportError
from .ingest import IngestResult, empty_table, ingest_file, sql_type
from .mapping import Mapping as ColumnMapping
from .resources import checks_dir, read_toml
from .sources import SUFFIXES, find_file

ADAPTER_FILE = "adapter.toml"
KINDS = ("id", "text", "date", "timestamp", "decimal", "integer")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ADAPTER_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# Columns every out_<table> carries besides the contract's: where its rows came from.
SOURCE_COLUMNS = {"_row": "BIGINT", "_source_file": "VARCHAR", "_first_row": "BIGINT",
                  "_last_row": "BIGINT"}  # fmt: skip
UNMAPPED_COLUMNS = ("source_file", "actor", "reason", "event_rows", "first_row", "last_row")
SETTING_TYPES: dict[type, str] = {bool: "bool", int: "int", float: "float", str: "str"}


@dataclass(frozen=True)
class Setting:
    """One setting: its default (which gives its type) and what it does."""

    name: str
    default: bool | int | float | str
    help: str
    adds: tuple[str, ...] = ()  # a bool setting: contract tables produced when it is true

    @property
    def type_name(self) -> str:
        """bool | int | float | str."""
        return SETTING_TYPES[type(self.default)]


@dataclass(frozen=True)
class Input:
    """One raw input: typed like a contract table into `in_<name>`."""

    table: Table  # table.name is the input's name (file stem)
    json_paths: dict[str, str] = field(default_factory=dict)  # column -> JSON path

    @property
    def name(self) -> str:
        """The input's name: its file stem and the `in_` table's suffix."""
        return self.table.name


@dataclass(frozen=True)
class Adapter:
    """A validated adapter folder."""

    name: str
    title: str
    description: str
    produces: tuple[str, ...]
    sql: tuple[str, ...]  # file names in the folder, run in order
    settings: dict[str, Setting]
    inputs: tuple[Input, ...]
    folder: Path

    @property
    def file(self) -> Path:
        """Its adapter.toml."""
        return self.folder / ADAPTER_FILE

    @property
    def input_tables(self) -> tuple[Table, ...]:
        """Its inputs as tables (named by file stem), for mapping.toml's checks."""
        return tuple(i.table for i in self.inputs)

    def outputs(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The contract tables it produces with these setting values."""
        added = [t for s in self.settings.values() if s.adds and values.get(s.name) for t in s.adds]
        return tuple(dict.fromkeys([*self.produces, *added]))

    def setting_values(
        self, from_mapping: Mapping[str, Any] | None = None, from_cli: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Defaults, overridden by mapping.toml's [adapter.settings], then by the CLI's
        NAME=VALUE texts; raise AdapterError for an unknown name or a value of the wrong type."""
        values: dict[str, Any] = {n: s.default for n, s in self.settings.items()}
        for name, value in (from_mapping or {}).items():
            values[name] = self._typed(name, value, "mapping.toml [adapter.settings]")
        for text in from_cli:
            name, sep, raw = text.partition("=")
            if not sep:
                raise AdapterError(f"--adapter-setting {text!r}: write NAME=VALUE")
            values[name.strip()] = self._parse(name.strip(), raw.strip())
        return values

    def _setting(self, name: str, where: str) -> Setting:
        if name not in self.settings:
            known = ", ".join(self.settings) or "(none)"
            raise AdapterError(
                f"{where}: adapter {self.name} has no setting {name!r}; its settings: {known}"
            )
        return self.settings[name]

    def _typed(self, name: str, value: Any, where: str) -> Any:
        setting = self._setting(name, where)
        kind = type(setting.default)
        fits = type(value) is kind or (kind is float and type(value) is int)
        if not fits or (isinstance(value, float) and not math.isfinite(value)):
            raise AdapterError(
                f"{where}: setting {name} of adapter {self.name} must be {setting.type_name}, "
                f"not {value!r}"
            )
        return float(value) if kind is float else value

    def _parse(self, name: str, raw: str) -> Any:
        setting = self._setting(name, "--adapter-setting")
        kind = type(setting.default)
        try:
            if kind is bool:
                if raw.lower() not in ("true", "false"):
                    raise ValueError(raw)
                return raw.lower() == "true"
            if kind is int:
                return int(raw)
            if kind is float:
                value = float(raw)
                if not math.isfinite(value):
                    raise ValueError(raw)
                return value
        except ValueError:
            raise AdapterError(
                f"--adapter-setting {name}={raw}: adapter {self.name} takes "
                f"{'an' if setting.type_name == 'int' else 'a'} {setting.type_name} "
                f"(default {_show(setting.default)})"
            ) from None
        return raw


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def adapters_dir() -> Path:
    """checks/adapters/."""
    return checks_dir() / "adapters"


def list_adapters() -> list[Adapter]:
    """The shipped adapters, by name."""
    return [load_adapter(p.parent) for p in sorted(adapters_dir().glob(f"*/{ADAPTER_FILE}"))]


def resolve_adapter(name_or_path: str) -> Adapter:
    """A shipped adapter by name, or the adapter in a folder given by path."""
    path = Path(name_or_path)
    if ADAPTER_NAME.match(name_or_path) and (adapters_dir() / name_or_path).is_dir():
        return load_adapter(adapters_dir() / name_or_path)
    if path.is_dir():
        return load_adapter(path)
    shipped = ", ".join(a.name for a in list_adapters())
    raise AdapterError(
        f"unknown adapter {name_or_path!r}; shipped adapters: {shipped} "
        f"(or give a folder holding {ADAPTER_FILE})"
    )


def load_adapter(folder: Path) -> Adapter:
    """Read and validate one adapter folder; every error names its adapter.toml."""
    path = folder / ADAPTER_FILE
    where = str(path)
    if not path.is_file():
        raise AdapterError(f"{where}: no such file (an adapter folder holds {ADAPTER_FILE})")
    data = read_toml(path, AdapterError, where)
    allowed = {"name", "title", "description", "produces", "sql", "settings", "inputs"}
    if extra := sorted(set(data) - allowed):
        raise AdapterError(f"{where}: unknown keys {extra}; allowed: {sorted(allowed)}")
    for key in ("name", "title", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise AdapterError(f"{where}: `{key}` (text) is required")
    name = data["name"]
    if not ADAPTER_NAME.match(name) or name != folder.name:
        raise AdapterError(
            f"{where}: name {name!r} must be the folder's name ({folder.name!r}), in lower case"
        )
    if "\n" in data["title"]:
        raise AdapterError(f"{where}: `title` is one line")
    produces = _text_list(data, "produces", where)
    if not produces or (bad := sorted(set(produces) - set(ACTIVITY_TABLES))):
        raise AdapterError(
            f"{where}: `produces` lists contract activity tables ({', '.join(ACTIVITY_TABLES)})"
            + (f"; unknown: {bad}" if produces else "")
        )
    sql = _text_list(data, "sql", where)
    if not sql:
        raise AdapterError(f"{where}: `sql` lists the SQL files to run, in order")
    for file in sql:
        if "/" in file or "\\" in file or not (folder / file).is_file():
            raise AdapterError(f"{where}: sql file {file!r} is not a file in {folder}")
    settings = _settings(data.get("settings", {}), where)
    inputs = _inputs(data.get("inputs"), where)
    return Adapter(
        name=name,
        title=data["title"].strip(),
        description=data["description"].strip(),
        produces=tuple(produces),
        sql=tuple(sql),
        settings=settings,
        inputs=inputs,
        folder=folder,
    )


def _text_list(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AdapterError(f"{where}: `{key}` must be a list of texts")
    return list(value)


def _settings(specs: Any, where: str) -> dict[str, Setting]:
    if not isinstance(specs, dict):
        raise AdapterError(f"{where}: [settings.NAME] tables expected")
    settings = {}
    for name, spec in specs.items():
        at = f"{where}: [settings.{name}]"
        if not NAME.match(name):
            raise AdapterError(f"{at}: a setting name is lower_snake_case")
        if not isinstance(spec, dict) or set(spec) - {"default", "help", "adds"}:
            raise AdapterError(f"{at} takes default, help and (a bool setting) adds")
        default = spec.get("default")
        if not isinstance(default, bool | int | float | str) or type(default) not in SETTING_TYPES:
            raise AdapterError(f"{at}: `default` (bool, int, float or text) gives its type")
        if not isinstance(spec.get("help"), str) or not spec["help"]:
            raise AdapterError(f"{at}: `help` (text) is required")
        adds = _text_list(spec, "adds", at)
        if adds and type(default) is not bool:
            raise AdapterError(f"{at}: only a bool setting adds tables")
        if bad := sorted(set(adds) - set(ACTIVITY_TABLES)):
            raise AdapterError(f"{at}: adds unknown activity tables {bad}")
        settings[name] = Setting(name, default, spec["help"], tuple(adds))
    return settings


def _inputs(specs: Any, where: str) -> tuple[Input, ...]:
    if not isinstance(specs, list) or not specs:
        raise AdapterError(f"{where}: one or more [[inputs]] are required")
    inputs: list[Input] = []
    for spec in specs:
        table = spec.get("table") if isinstance(spec, dict) else None
        at = f"{where}: [[inputs]] {table!r}"
        if not isinstance(table, str) or not NAME.match(table):
            raise AdapterError(f"{at}: `table` (a lower_snake_case file stem) is required")
        if table in TABLES_BY_NAME or any(i.name == table for i in inputs):
            raise AdapterError(f"{at}: the name is a contract table's or another input's")
        if set(spec) - {"table", "help", "required", "columns"}:
            raise AdapterError(f"{at}: takes table, help, required and columns")
        if not isinstance(spec.get("help", ""), str) or not isinstance(
            spec.get("required", True), bool
        ):
            raise AdapterError(f"{at}: `help` is text and `required` true or false")
        columns, paths = _columns(spec.get("columns"), at)
        if paths and len(paths) != len(columns):
            raise AdapterError(f"{at}: give json_path for every column or for none")
        inputs.append(
            Input(
                Table(table, spec.get("help", ""), columns, spec.get("required", True)),
                paths,
            )
        )
    return tuple(inputs)


def _columns(specs: Any, at: str) -> tuple[tuple[Column, ...], dict[str, str]]:
    if not isinstance(specs, list) or not specs:
        raise AdapterError(f"{at}: `columns` lists one or more columns")
    columns: list[Column] = []
    paths: dict[str, str] = {}
    for spec in specs:
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not NAME.match(name) or name.startswith("_"):
            raise AdapterError(f"{at}: a column needs a lower_snake_case `name`")
        if set(spec) - {"name", "kind", "required", "help", "values", "json_path"}:
            raise AdapterError(
                f"{at}: column {name} takes name, kind, required, help, values, json_path"
            )
        if spec.get("kind") not in KINDS:
            raise AdapterError(f"{at}: column {name}: `kind` is one of {', '.join(KINDS)}")
        values = spec.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AdapterError(f"{at}: column {name}: `values` is a list of texts")
        if name in _keywords():
            raise AdapterError(
                f"{at}: column name {name!r} is a reserved SQL word; choose another (a file's "
                "own header is mapped onto it in mapping.toml)"
            )
        if any(c.name == name for c in columns):
            raise AdapterError(f"{at}: column {name} is declared twice")
        if "json_path" in spec:
            if not isinstance(spec["json_path"], str) or not spec["json_path"].startswith("$"):
                raise AdapterError(f"{at}: column {name}: `json_path` starts with $")
            paths[name] = spec["json_path"]
        columns.append(
            Column(
                name,
                spec["kind"],
                bool(spec.get("required", False)),
                str(spec.get("help", "")),
                tuple(values),
            )
        )
    return tuple(columns), paths


@functools.cache
def _keywords() -> frozenset[str]:
    """SQL keywords that cannot stand unquoted as a column name everywhere."""
    rows = duckdb.connect().execute(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category IN ('reserved', 'type_function')"
    )
    return frozenset(str(r[0]) for r in rows.fetchall())


def describe_adapter(adapter: Adapter) -> dict[str, Any]:
    """An adapter as plain data (for `auditor adapters --json`)."""
    return {
        "name": adapter.name,
        "title": adapter.title,
        "description": adapter.description,
        "produces": list(adapter.produces),
        "sql": list(adapter.sql),
        "folder": str(adapter.folder),
        "settings": {
            s.name: {
                "default": s.default,
                "type": s.type_name,
                "help": s.help,
                "adds": list(s.adds),
            }
            for s in adapter.settings.values()
        },
        "inputs": [
            {
                "table": i.name,
                "help": i.table.help,
                "required": i.table.required,
                "format": "jsonl" if i.json_paths else "any",
                "columns": [
                    {
                        "name": c.name,
                        "kind": c.kind,
                        "required": c.required,
                        "help": c.help,
                        **({"values": list(c.values)} if c.values else {}),
                        **({"json_path": i.json_paths[c.name]} if c.name in i.json_paths else {}),
                    }
                    for c in i.table.columns
                ],
            }
            for i in adapter.inputs
        ],
    }


# --- running ------------------------------------------------------------------------------


def sql_literal(value: bool | int | float | str) -> str:
    """A setting's value as a SQL literal: numbers as they are, text quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def render_sql(adapter: Adapter, file: str, values: Mapping[str, Any]) -> str:
    """One SQL file with every `${setting}` replaced by its value's literal."""
    text = (adapter.folder / file).read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise AdapterError(
                f"{adapter.folder / file}: placeholder ${{{name}}} names no setting of "
                f"adapter {adapter.name} ({', '.join(values) or 'it has none'})"
            )
        return sql_literal(values[name])

    return PLACEHOLDER.sub(fill, text)


@dataclass
class AdapterRun:
    """What an adapter did: the settings used, what it installed where."""

    adapter: Adapter
    settings: dict[str, Any]
    installed: dict[str, str] = field(default_factory=dict)  # contract table -> table name
    unmapped_events: int = 0


def run_adapter(
    con: duckdb.DuckDBPyConnection,
    adapter: Adapter,
    values: dict[str, Any],
    export_dir: Path,
    mapping: ColumnMapping,
    work_dir: Path,
    result: IngestResult,
    progress: Callable[[str], None] | None = None,
) -> AdapterRun:
    """Read the adapter's inputs, run its SQL, check and install what it produces."""
    found = {}
    for item in adapter.inputs:  # every file is looked for before any is read
        stem = mapping.for_table(item.name).file or item.name
        found[item.name] = find_file(export_dir, item.name, stem)
        if found[item.name] is None and item.table.required:
            raise ExportError(
                f"adapter {adapter.name} needs input file {stem}{{{','.join(SUFFIXES)}}}; "
                f"the directory has: {', '.join(sorted(p.name for p in export_dir.iterdir()))}"
            )
    for item in adapter.inputs:
        typed = Table(f"in_{item.name}", item.table.help, item.table.columns, item.table.required)
        path = found[item.name]
        if path is None:
            result.sources[item.name] = None
            empty_table(con, typed)
            continue
        if item.json_paths and not path.name.endswith(".jsonl"):
            raise ExportError(
                f"adapter {adapter.name} reads {item.name} as JSON lines: give {item.name}.jsonl",
                file=path.name,
            )
        tmap = mapping.for_table(item.name)
        ingest_file(con, typed, path, tmap, work_dir, result, progress, item.json_paths, item.name)
    con.execute("CREATE OR REPLACE TABLE input_files (input_table VARCHAR, file VARCHAR)")
    for item in adapter.inputs:
        src = result.sources.get(item.name)
        con.execute(
            "INSERT INTO input_files VALUES (?, ?)", [item.name, src.path.name if src else None]
        )
    outputs = adapter.outputs(values)
    for name in [*(f"out_{t}" for t in ACTIVITY_TABLES), "out_unmapped"]:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    for file in adapter.sql:
        if progress:
            progress(f"adapter {adapter.name}: {file}")
        try:
            con.execute(render_sql(adapter, file, values))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise AdapterError(f"{adapter.folder / file} failed: {first}") from exc
    run = AdapterRun(adapter, values)
    for table in outputs:
        run.installed[table] = _install(con, adapter, table, result)
    run.unmapped_events = _install_unmapped(con, adapter)
    for name in [*(f"out_{t}" for t in ACTIVITY_TABLES), "out_unmapped"]:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return run


def _columns_of(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows} or None


def _install(
    con: duckdb.DuckDBPyConnection, adapter: Adapter, table: str, result: IngestResult
) -> str:
    """Check out_<table> and install it as <table>, or as raw_<table> for the tie-out."""
    found = _columns_of(con, f"out_{table}")
    contract = TABLES_BY_NAME[table]
    if found is None:
        raise AdapterError(
            f"{adapter.file}: produces {table}, but its SQL ({', '.join(adapter.sql)}) "
            f"created no table out_{table}"
        )
    needed = [c.name for c in contract.columns] + list(SOURCE_COLUMNS)
    if lacking := [c for c in needed if c not in found]:
        raise AdapterError(
            f"{adapter.file}: out_{table} lacks column(s) {', '.join(lacking)}; "
            f"it needs {', '.join(needed)}"
        )
    repeated, empty = con.execute(
        f"SELECT count(*) - count(DISTINCT _row), count(*) - count(_row) FROM out_{table}"
    ).fetchall()[0]
    if repeated or empty:
        raise AdapterError(
            f"{adapter.file}: out_{table}._row must name each row once (its first raw event's "
            f"row): {repeated} repeated, {empty} empty"
        )
    tie_out = result.sources.get(table) is not None  # the platform's own table is there too
    target = f"raw_{table}" if tie_out else table
    columns = ", ".join(f"CAST({c.name} AS {sql_type(c)}) AS {c.name}" for c in contract.columns)
    con.execute(
        f"CREATE OR REPLACE TABLE {target} AS SELECT CAST(_row AS BIGINT) AS _row, {columns} "
        f"FROM out_{table}"
    )
    con.execute(
        f"INSERT INTO activity_sources SELECT ?, CAST(_row AS BIGINT), "
        f"CAST(_source_file AS VARCHAR), CAST(_first_row AS BIGINT), CAST(_last_row AS BIGINT) "
        f"FROM out_{table}",
        [target],
    )
    rows = int(con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0])
    if tie_out:
        con.execute("INSERT INTO tie_outs VALUES (?)", [table])
        result.rows[target] = rows
    else:
        result.rows[table] = rows
    return target


def _install_unmapped(con: duckdb.DuckDBPyConnection, adapter: Adapter) -> int:
    """out_unmapped (optional): events whose actor maps to no person, by actor."""
    found = _columns_of(con, "out_unmapped")
    if found is None:
        return 0
    if lacking := [c for c in UNMAPPED_COLUMNS if c not in found]:
        raise AdapterError(
            f"{adapter.file}: out_unmapped lacks column(s) {', '.join(lacking)}; "
            f"it needs {', '.join(UNMAPPED_COLUMNS)}"
        )
    con.execute(
        f"INSERT INTO unmapped_actors SELECT {', '.join(UNMAPPED_COLUMNS)} FROM out_unmapped"
    )
    return int(
        con.execute("SELECT coalesce(sum(event_rows), 0) FROM unmapped_actors").fetchall()[0][0]
    )
