"""Export contracts as data: load and validate a programme's `contract.toml`.

A programme is a folder `checks/programmes/<name>/`; its contract.toml names the tables an
export holds and their columns (kind, required, help, allowed values or range), which tables
are activity tables, the claim (the unit of payment), and where its facts and rules are.
docs/export-contract.md is generated from it.
The module-level names (TABLES, TABLES_BY_NAME, ACTIVITY_TABLES) are the online-subsidy
programme's, which the engine audits today.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from math import isfinite
from pathlib import Path
from typing import Any

import duckdb

from .errors import ContractError
from .resources import checks_dir, read_toml


@dataclass(frozen=True)
class Column:
    """One column of an export table."""

    name: str
    kind: str  # one of KINDS
    required: bool
    help: str
    values: tuple[str, ...] = ()  # the allowed values, when the column is an enumeration
    minimum: int | float | None = None  # a number's least allowed value (inclusive)
    maximum: int | float | None = None  # ... and greatest

    @property
    def span(self) -> str:
        """The allowed range in words ("from 0 to 1", "at least 0"), or "" when unbounded."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"from {low} to {high}"
        if low is not None:
            return f"at least {low}"
        return f"at most {high}" if high is not None else ""


@dataclass(frozen=True)
class Table:
    """One export table; the file is TABLE.{csv,csv.gz,parquet,jsonl,xlsx}."""

    name: str
    help: str
    columns: tuple[Column, ...]
    required: bool = True  # False: a missing file reads as an empty table

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Names of the columns the file must have."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Contract:
    """A programme's validated export contract."""

    programme: str  # the folder's name, e.g. online-subsidy
    title: str
    tables: tuple[Table, ...]
    activity_tables: tuple[str, ...]  # unreadable times kept (BAD_TIMESTAMP), not rejected
    claim_table: str  # the unit of payment ...
    claim_key: tuple[str, ...]  # ... and the columns that identify one
    path: Path | None = field(default=None, compare=False)
    facts_dir: Path | None = field(default=None, compare=False)  # its facts/*.sql
    rules_dir: Path | None = field(default=None, compare=False)  # its rules/*.toml
    # [findings] keys: the IDs every finding and reject carries, the organisation first
    keys: tuple[str, ...] = ()
    shared_rules: tuple[str, ...] = ()  # other programmes' rules it applies too, by ID ...
    # ... with its own summary, message or source where the owner's words do not fit it
    shared_wording: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)
    subsidy_file: Path | None = field(default=None, compare=False)  # [outputs] subsidy
    amount_column: str = "claimed_amount"  # [outputs] amount: the subsidy column paid/claimed
    report: str = "enterprises"  # [outputs] report: one of REPORTS
    extras: tuple[str, ...] = ()  # [outputs] extras: papers only some programmes have

    @property
    def tables_by_name(self) -> dict[str, Table]:
        """Each table by its name."""
        return {t.name: t for t in self.tables}


# What each kind holds; auditor/ingest.py is the one place that reads text into it.
KINDS: dict[str, str] = {
    "id": "an identifier: trimmed and upper-cased",
    "text": "text, trimmed",
    "date": "a date, `YYYY-MM-DD`",
    "timestamp": "a local time (Asia/Shanghai) or a time with an ISO 8601 offset",
    "decimal": "an amount in yuan, two decimal places",
    "integer": "a whole number",
    "number": "a decimal number kept to six places (coordinates, ratios)",
    "boolean": "`true`/`false` (also `t`/`f`, `yes`/`no`, `y`/`n`, `1`/`0`)",
}
NUMERIC_KINDS = ("decimal", "integer", "number")
# The report kinds (auditor/report/) and the optional papers a programme's outputs may name.
REPORTS = ("enterprises", "institutions")
EXTRAS = ("risk", "callbacks", "public_notice")  # the kinds that may have `min` and `max`
DEFAULT_PROGRAMME = "online-subsidy"
CONTRACT_FILE = "contract.toml"
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PROGRAMME_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# Tables the engine makes itself, and the prefixes of its working tables: a contract table so
# named would overwrite one.
ENGINE_TABLES = frozenset(
    {"rejects", "unparsed_values", "policy", "calendar", "findings", "subsidy", "prior_blocks",
     "tie_outs", "activity_sources", "unmapped_actors", "risk", "catalogue"}
)  # fmt: skip
ENGINE_PREFIXES = ("raw_", "stage_", "bad_", "in_", "out_", "claim_", "sig_")


@functools.cache
def _reserved_words() -> frozenset[str]:
    """SQL words a name cannot be: ingest writes column names into SQL unquoted."""
    rows = duckdb.connect().execute(
        "SELECT keyword_name FROM duckdb_keywords() "
        "WHERE keyword_category IN ('reserved', 'type_function')"
    )
    return frozenset(str(r[0]) for r in rows.fetchall())


def programmes_dir() -> Path:
    """checks/programmes/: one folder per programme."""
    return checks_dir() / "programmes"


def list_programmes() -> list[str]:
    """The names of the shipped programmes (folders with a contract.toml), sorted."""
    return sorted(p.parent.name for p in programmes_dir().glob(f"*/{CONTRACT_FILE}"))


def load_contract(programme: str | Path = DEFAULT_PROGRAMME) -> Contract:
    """A programme's contract, by name (`training-voucher`) or the path of a contract.toml."""
    path = Path(programme)
    if path.suffix != ".toml":
        if not PROGRAMME_NAME.match(str(programme)) or str(programme) not in list_programmes():
            known = ", ".join(list_programmes())
            raise ContractError(f"no programme called {str(programme)!r}; programmes: {known}")
        path = programmes_dir() / str(programme) / CONTRACT_FILE
    if not path.is_file():
        raise ContractError(f"contract file {path} does not exist")
    return _validate(path, read_toml(path, ContractError, f"contract file {path}"))


def _validate(path: Path, data: dict[str, Any]) -> Contract:
    where = f"contract file {path}"
    _keys(
        data,
        {"title", "activity_tables", "claim", "tables", "facts", "rules", "findings", "outputs",
         "shared_rules"},
        where,
    )  # fmt: skip
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContractError(f"{where}: `title` (text) is required")
    specs = data.get("tables")
    if not isinstance(specs, list) or not specs:
        raise ContractError(f"{where}: one or more [[tables]] are required")
    tables: list[Table] = []
    for i, spec in enumerate(specs):
        table = _table(spec, f"{where}: tables[{i}]")
        if any(t.name == table.name for t in tables):
            raise ContractError(f"{where}: tables[{i}]: table {table.name} is declared twice")
        tables.append(table)
    by_name = {t.name: t for t in tables}
    activity = _texts(data.get("activity_tables", []), f"{where}: activity_tables")
    if unknown := [t for t in activity if t not in by_name]:
        raise ContractError(f"{where}: activity_tables: {unknown} are not tables of the contract")
    claim = data.get("claim")
    if not isinstance(claim, dict):
        raise ContractError(f"{where}: a [claim] table (table, key) is required")
    _keys(claim, {"table", "key"}, f"{where}: claim")
    claim_table = claim.get("table")
    if claim_table not in by_name:
        raise ContractError(f"{where}: claim.table {claim_table!r} is not a table of the contract")
    key = _texts(claim.get("key"), f"{where}: claim.key")
    columns = {c.name: c for c in by_name[claim_table].columns}
    if not key or (bad := [k for k in key if k not in columns or not columns[k].required]):
        raise ContractError(
            f"{where}: claim.key lists required columns of {claim_table}"
            + (f"; not one: {bad}" if key else "")
        )
    folders = {kind: _folder(data, kind, path, where) for kind in ("facts", "rules")}
    keys = _finding_keys(data, tables, tuple(key), where)
    outputs = data.get("outputs", {})
    if not isinstance(outputs, dict):
        raise ContractError(f"{where}: [outputs] is a table")
    _keys(outputs, {"subsidy", "amount", "report", "extras"}, f"{where}: outputs")
    subsidy: Path | None = path.parent / str(outputs.get("subsidy", "subsidy.sql"))
    assert subsidy is not None
    if "subsidy" not in outputs and not subsidy.is_file():
        subsidy = None  # a contract being written: the audit says what is missing
    elif not subsidy.is_file() or subsidy.parent != path.parent or subsidy.suffix != ".sql":
        raise ContractError(f"{where}: outputs.subsidy must name a .sql file beside the contract")
    amount = outputs.get("amount", "claimed_amount")
    if not isinstance(amount, str) or not NAME.match(amount):
        raise ContractError(f"{where}: outputs.amount names the subsidy column of the amount")
    report = outputs.get("report", "enterprises")
    if report not in REPORTS:
        raise ContractError(f"{where}: outputs.report is one of {', '.join(REPORTS)}")
    extras = _texts(outputs.get("extras", []), f"{where}: outputs.extras")
    if unknown := sorted(set(extras) - set(EXTRAS)):
        raise ContractError(f"{where}: outputs.extras: {unknown} are not among {list(EXTRAS)}")
    shared = _shared_rules(data.get("shared_rules", {}), f"{where}: shared_rules")
    return Contract(
        programme=path.parent.name,
        title=title.strip(),
        tables=tuple(tables),
        activity_tables=tuple(activity),
        claim_table=claim_table,
        claim_key=tuple(key),
        path=path,
        facts_dir=folders["facts"],
        rules_dir=folders["rules"],
        keys=keys,
        shared_rules=tuple(shared),
        shared_wording={k: v for k, v in shared.items() if v},
        subsidy_file=subsidy,
        amount_column=amount,
        report=report,
        extras=tuple(extras),
    )


WORDING = ("summary", "message", "source")  # what a programme may reword in a shared rule


def _shared_rules(value: Any, at: str) -> dict[str, dict[str, str]]:
    """[shared_rules]: RULE_ID = { summary = .., message = .., source = .. } (each optional)."""
    if not isinstance(value, dict):
        raise ContractError(f"{at}: a table of RULE_ID = {{ summary, message, source }}")
    for rule_id, words in value.items():
        if not isinstance(words, dict):
            raise ContractError(f"{at}.{rule_id}: a table {{ summary, message, source }}")
        _keys(words, set(WORDING), f"{at}.{rule_id}")
        if bad := [k for k, v in words.items() if not isinstance(v, str) or not v.strip()]:
            raise ContractError(f"{at}.{rule_id}: {bad} must be non-empty text")
    return {str(k): dict(v) for k, v in value.items()}


def programme_of_manifest(manifest: dict[str, Any]) -> Contract:
    """The contract of the programme an audit's manifest.json names (before the voucher
    programme: online-subsidy)."""
    policy = manifest.get("policy") if isinstance(manifest, dict) else None
    name = policy.get("programme") if isinstance(policy, dict) else None
    return load_contract(str(name) if name else DEFAULT_PROGRAMME)


def _finding_keys(
    data: dict[str, Any], tables: list[Table], claim_key: tuple[str, ...], where: str
) -> tuple[str, ...]:
    """[findings] keys: ID columns of the contract's tables, the organisation first (default:
    the claim's key)."""
    findings = data.get("findings", {})
    if not isinstance(findings, dict):
        raise ContractError(f"{where}: [findings] is a table")
    _keys(findings, {"keys"}, f"{where}: findings")
    keys = _texts(findings.get("keys", list(claim_key)), f"{where}: findings.keys")
    ids = {c.name for t in tables for c in t.columns if c.kind == "id"}
    rule = f"{where}: findings.keys lists distinct ID columns of the contract's tables"
    if not keys or len(set(keys)) != len(keys):
        raise ContractError(rule)
    if bad := [k for k in keys if k not in ids]:
        raise ContractError(f"{rule}; not: {bad}")
    return tuple(keys)


def _folder(data: dict[str, Any], kind: str, path: Path, where: str) -> Path:
    """Where the programme's facts or rules are: `<kind>/` beside its contract by default, or
    the folder `kind = "..."` names relative to checks/ (online-subsidy: checks/facts, checks/rules).
    """
    if kind not in data:
        return path.parent / kind
    value = data[kind]
    root = checks_dir().resolve()
    folder = (root / value).resolve() if isinstance(value, str) and value else None
    if folder is None or not folder.is_relative_to(root) or not folder.is_dir():
        raise ContractError(f"{where}: `{kind}` must name a folder of checks/, got {value!r}")
    return folder


def _table(spec: Any, at: str) -> Table:
    if not isinstance(spec, dict):
        raise ContractError(f"{at}: a table is a [[tables]] entry")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ContractError(f"{at}: `name` (a lower_snake_case file stem) is required")
    at = f"{at} ({name})"
    if name in ENGINE_TABLES or name.startswith(ENGINE_PREFIXES) or name in _reserved_words():
        raise ContractError(f"{at}: the name {name!r} is taken by the engine or by SQL")
    _keys(spec, {"name", "help", "required", "columns"}, at)
    if not isinstance(spec.get("help"), str) or not spec["help"].strip():
        raise ContractError(f"{at}: `help` (text) is required")
    required = spec.get("required", True)
    if not isinstance(required, bool):
        raise ContractError(f"{at}: `required` is true or false")
    specs = spec.get("columns")
    if not isinstance(specs, list) or not specs:
        raise ContractError(f"{at}: `columns` lists one or more columns")
    columns: list[Column] = []
    for i, column_spec in enumerate(specs):
        column = _column(column_spec, f"{at}.columns[{i}]")
        if any(c.name == column.name for c in columns):
            raise ContractError(f"{at}.columns[{i}]: column {column.name} is declared twice")
        columns.append(column)
    return Table(name, spec["help"].strip(), tuple(columns), required)


def _column(spec: Any, at: str) -> Column:
    if not isinstance(spec, dict):
        raise ContractError(f"{at}: a column is a table {{ name = ..., kind = ..., ... }}")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise ContractError(f"{at}: `name` (lower_snake_case, not starting with _) is required")
    at = f"{at} ({name})"
    if name in _reserved_words():
        raise ContractError(f"{at}: {name!r} is a reserved SQL word; choose another")
    _keys(spec, {"name", "kind", "required", "help", "values", "min", "max"}, at)
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ContractError(f"{at}: `kind` is one of {', '.join(KINDS)}; got {kind!r}")
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise ContractError(f"{at}: `required` is true or false")
    if not isinstance(spec.get("help"), str) or not spec["help"].strip():
        raise ContractError(f"{at}: `help` (text) is required")
    values = _texts(spec.get("values", []), f"{at}: values")
    if values and kind != "text":
        raise ContractError(f"{at}: `values` (an enumeration) is for text columns only")
    if len(set(values)) != len(values) or any(not v.strip() or v != v.strip() for v in values):
        raise ContractError(f"{at}: `values` are distinct, non-empty and without outer spaces")
    bounds = [spec.get("min"), spec.get("max")]
    for key, bound in zip(("min", "max"), bounds, strict=True):
        if bound is None:
            continue
        if kind not in NUMERIC_KINDS:
            raise ContractError(f"{at}: `{key}` is for {', '.join(NUMERIC_KINDS)} columns only")
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not isfinite(bound):
            raise ContractError(f"{at}: `{key}` is a number, not {bound!r}")
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise ContractError(f"{at}: `min` {low} is greater than `max` {high}")
    return Column(name, kind, required, spec["help"].strip(), tuple(values), low, high)


def _keys(data: dict[str, Any], allowed: set[str], at: str) -> None:
    if extra := sorted(set(data) - allowed):
        raise ContractError(f"{at}: unknown key(s) {extra}; allowed: {sorted(allowed)}")


def _texts(value: Any, at: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContractError(f"{at} is a list of texts")
    return list(value)


# The online-subsidy programme: what the engine audits today (the facts, rules, subsidy and
# reports still assume its tables).
ONLINE = load_contract(DEFAULT_PROGRAMME)
TABLES: tuple[Table, ...] = ONLINE.tables
TABLES_BY_NAME: dict[str, Table] = ONLINE.tables_by_name
ACTIVITY_TABLES: tuple[str, ...] = ONLINE.activity_tables
SIZES: tuple[str, ...] = TABLES_BY_NAME["enterprises"].column("size_class").values
EMPLOYMENTS: tuple[str, ...] = TABLES_BY_NAME["trainees"].column("employment").values
