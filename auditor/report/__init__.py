"""HTML audit reports: an index of enterprises and one page per enterprise."""

from .render import render_reports

__all__ = ["render_reports"]
