"""HTML audit reports: an index of enterprises (or institutions) and a page for each."""

from .institutions import render_institution_reports
from .render import render_reports

__all__ = ["render_institution_reports", "render_reports"]
