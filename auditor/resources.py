"""Where the shipped data lives (inside the wheel, auditor/_data, or in a source checkout), and
how its TOML files are read."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def data_root() -> Path:
    """The folder that holds checks/ and reports/."""
    packaged = Path(__file__).resolve().parent / "_data"
    if (packaged / "checks").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent


def checks_dir() -> Path:
    """checks/: fact SQL, rules, policies, mappings."""
    return data_root() / "checks"


def reports_dir() -> Path:
    """reports/: Jinja templates and static assets."""
    return data_root() / "reports"


def read_toml(path: Path, error: Callable[[str], Exception], where: str) -> dict[str, Any]:
    """The table a TOML file holds; `error` naming `where` when it cannot be read as UTF-8 TOML.

    Rules, policies, contracts, adapters and the risk formula are all TOML files a user may
    edit: each says which file is broken in the same words.
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{where}: not valid UTF-8 TOML: {exc}") from exc
