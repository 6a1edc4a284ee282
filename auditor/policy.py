"""Policy profiles: load and validate a TOML profile, and expose it as a one-row `policy` table.

Fact SQL reads parameters with a plain `CROSS JOIN policy`, so no SQL is ever templated.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import DEFAULT_PROGRAMME, list_programmes, programmes_dir
from .errors import PolicyError
from .resources import checks_dir, read_toml


@dataclass(frozen=True)
class Parameter:
    """One policy parameter: its type, whether every profile must set it, and what it means."""

    name: str
    kind: type
    required: bool
    help: str
    default: Any = None  # used when a profile does not set it


KINDS: dict[str, type] = {"int": int, "date": dt.date, "list": list}
SCHEMA_FILE = "policy_schema.toml"  # in checks/programmes/<programme>/


@dataclass(frozen=True)
class Schema:
    """What a programme's profiles may set: its parameters and its requirements."""

    programme: str
    parameters: tuple[Parameter, ...]
    requirements: dict[str, str]  # name -> what it requires


@functools.cache
def load_schema(programme: str = DEFAULT_PROGRAMME) -> Schema:
    """The parameters and requirements of a programme, from its policy_schema.toml."""
    path = programmes_dir() / programme / SCHEMA_FILE
    if not path.is_file():
        raise PolicyError(f"programme {programme} has no parameter schema ({path} is missing)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        parameters = tuple(
            Parameter(
                name, KINDS[spec["type"]], bool(spec["required"]), spec["help"], spec.get("default")
            )
            for name, spec in data.get("parameters", {}).items()
        )
        requirements = {str(k): str(v) for k, v in data.get("requires", {}).items()}
    except (
        tomllib.TOMLDecodeError,
        UnicodeDecodeError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        raise PolicyError(f"parameter schema {path} is not valid: {exc!r}") from exc
    return Schema(programme, parameters, requirements)


# The online-subsidy programme's, as contract.py's module-level names are.
PARAMETERS, REQUIREMENTS = load_schema().parameters, load_schema().requirements
SIZE_CLASSES = ("micro", "small", "medium", "large")


@dataclass(frozen=True)
class Policy:
    """A validated policy profile."""

    id: str
    title: str
    sources: tuple[str, ...]
    parameters: dict[str, Any]
    requires: dict[str, bool]
    path: Path | None = field(default=None, compare=False)
    severity: dict[str, str] = field(default_factory=dict)  # rule ID -> severity it raises to
    workday_overrides: dict[dt.date, bool] = field(default_factory=dict, compare=False)
    programme: str = DEFAULT_PROGRAMME  # checks/programmes/<programme>/: the contract it reads

    def is_set(self, key: str) -> bool:
        """Whether `parameters.X` is given or `requires.X` is true (a rule's `when`)."""
        section, _, name = key.partition(".")
        if section == "parameters":
            return self.parameters.get(name) is not None
        if section == "requires":
            return bool(self.requires.get(name))
        raise PolicyError(f"unknown policy key {key!r}: use parameters.NAME or requires.NAME")

    def expectation_parameters(self) -> dict[str, Any]:
        """Values for GX `$PARAMETER` references: the set scalar parameters."""
        return {
            k: v for k, v in self.parameters.items() if v is not None and not isinstance(v, list)
        }


def policies_dir() -> Path:
    """The folder of shipped profiles."""
    return checks_dir() / "policies"


def list_policies() -> list[Policy]:
    """Every shipped profile, by name."""
    return [load_policy(p) for p in _profile_files()]


def _profile_files() -> list[Path]:
    return sorted(p for p in policies_dir().glob("*.toml") if not p.name.startswith("_"))


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a shipped profile by name (`shanghai-2022`) or a user's own TOML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = policies_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(p.stem for p in _profile_files())
            raise PolicyError(f"no policy called {name_or_path!r}; shipped policies: {known}")
    if not path.is_file():
        raise PolicyError(f"policy file {path} does not exist")
    return _validate(path, read_toml(path, PolicyError, f"policy file {path}"))


def _validate(path: Path, data: dict[str, Any]) -> Policy:
    where = f"policy file {path}"
    unknown = set(data) - {
        "programme",
        "title",
        "sources",
        "parameters",
        "requires",
        "workday_overrides",
        "severity",
    }
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(data.get("title"), str):
        raise PolicyError(f"{where}: `title` (text) is required")
    programme = data.get("programme", DEFAULT_PROGRAMME)
    if programme not in list_programmes():  # also a value that is not text
        raise PolicyError(
            f"{where}: programme {programme!r} is unknown; programmes (checks/programmes/): "
            f"{', '.join(list_programmes())}"
        )
    raw = data.get("parameters")
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: a [parameters] table is required")
    schema = load_schema(programme)
    known = {p.name: p for p in schema.parameters}
    if extra := sorted(set(raw) - set(known)):
        raise PolicyError(
            f"{where}: unknown parameters {extra} for programme {programme}; known: {sorted(known)}"
        )
    params: dict[str, Any] = {}
    for p in schema.parameters:
        value = raw.get(p.name, p.default)
        if value is None:
            if p.required:
                raise PolicyError(f"{where}: parameter {p.name} ({p.help}) is required")
            params[p.name] = None
            continue
        if (
            not isinstance(value, p.kind)
            or isinstance(value, bool)
            or (p.kind is dt.date and isinstance(value, dt.datetime))
        ):
            raise PolicyError(
                f"{where}: parameter {p.name} must be {p.kind.__name__}, got {value!r}"
            )
        if isinstance(value, int) and value < 0:
            raise PolicyError(f"{where}: parameter {p.name} must not be negative, got {value}")
        params[p.name] = value
    sizes = params.get("eligible_size_classes")  # checks of parameters a schema may declare
    if sizes is not None and (not sizes or any(s not in SIZE_CLASSES for s in sizes)):
        raise PolicyError(f"{where}: eligible_size_classes must be a subset of {SIZE_CLASSES}")
    start, end = params.get("period_start"), params.get("period_end")
    if (start is None) != (end is None):
        raise PolicyError(f"{where}: period_start and period_end go together")
    if start and end and start > end:
        raise PolicyError(f"{where}: period_start is after period_end")
    req = data.get("requires", {})
    if not isinstance(req, dict) or (extra := sorted(set(req) - set(schema.requirements))):
        raise PolicyError(
            f"{where}: [requires] takes only {sorted(schema.requirements)} (programme {programme})"
        )
    if any(not isinstance(v, bool) for v in req.values()):
        raise PolicyError(f"{where}: [requires] values are true or false")
    overrides: dict[dt.date, bool] = {}
    raw_overrides = data.get("workday_overrides", {})
    if not isinstance(raw_overrides, dict):
        raise PolicyError(f'{where}: [workday_overrides] maps "YYYY-MM-DD" to true or false')
    for key, value in raw_overrides.items():
        try:  # fromisoformat alone would also take 20221008 and 2022-W40-6
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
                raise ValueError(key)
            day = dt.date.fromisoformat(key)
        except ValueError:
            raise PolicyError(f"{where}: workday_overrides key {key!r} is not YYYY-MM-DD") from None
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: workday_overrides.{key} must be true or false")
        overrides[day] = value
    severity = data.get("severity", {})
    if not isinstance(severity, dict) or any(
        v not in ("block", "review", "info") for v in severity.values()
    ):
        raise PolicyError(f'{where}: [severity] maps a rule ID to "block", "review" or "info"')
    return Policy(
        id=path.stem,
        severity=dict(severity),
        title=data["title"],
        sources=tuple(data.get("sources", ())),
        parameters=params,
        requires={k: bool(req.get(k, False)) for k in schema.requirements},
        path=path,
        workday_overrides=overrides,
        programme=programme,
    )
