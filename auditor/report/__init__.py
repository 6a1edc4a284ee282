"""HTML audit reports: an index of the programme's organisations and one page each.

A contract's `[outputs] report` names its kind: `enterprises` (online subsidy, render.py) or
`institutions` (training vouchers, institutions.py).
"""

from __future__ import annotations

import importlib
from typing import Any

from .render import render_reports

# report kind -> (module, function); contract.REPORTS lists the kinds
RENDERERS = {
    "enterprises": ("auditor.report.render", "render_reports"),
    "institutions": ("auditor.report.institutions", "render_institution_reports"),
}


def renderer(kind: str) -> Any:
    """The function that writes a report of `kind` (same arguments for every kind)."""
    module, name = RENDERERS[kind]
    return getattr(importlib.import_module(module), name)


__all__ = ["RENDERERS", "render_reports", "renderer"]
