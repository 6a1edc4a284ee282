"""The module layers in pyproject.toml ([tool.importlinter]) hold."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports


def test_import_contracts_are_kept() -> None:
    here = Path.cwd()
    os.chdir(Path(__file__).resolve().parent.parent)
    try:
        assert lint_imports(no_cache=True) == 0
    finally:
        os.chdir(here)
