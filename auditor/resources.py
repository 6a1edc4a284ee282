"""Where the shipped data lives: inside the wheel (auditor/_data) or in a source checkout."""

from __future__ import annotations

from pathlib import Path


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
