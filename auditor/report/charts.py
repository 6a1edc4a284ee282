"""Charts as inline SVG, drawn by matplotlib; Chinese stays text (svg.fonttype = none).

An enterprise page's study-time histogram has the same frame for every enterprise (axes,
ticks, the policy line), so matplotlib draws that frame once per run and each page only adds
its bars, placed with the axes' own data-to-pixel transform. Drawing a figure per enterprise
costs ~35 ms each, about four minutes for a large city's 6,700 enterprises.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

FONT_FAMILY = [
    "Noto Sans CJK SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "DejaVu Sans",
    "sans-serif",
]
BAR_COLOUR = "#4c72b0"
SHORT_COLOUR = "#c44e52"
BINS = 12  # equal bins from 0 to twice the minimum, then one overflow bin

logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
# NOTE: matplotlib measures text with DejaVu when no CJK font is installed and warns per glyph;
# the SVG keeps the text as text, so the browser draws it with the page's CJK font stack.


@contextmanager
def _drawing() -> Iterator[None]:
    """Our style, and no per-glyph warnings (see the NOTE above)."""
    with warnings.catch_warnings(), plt.rc_context(_style()):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing", category=UserWarning)
        yield


def _style() -> Any:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "auditor",
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILY,
        "axes.unicode_minus": False,
        "font.size": 9,
    }


def _plain(text: str) -> str:
    """Text matplotlib shows as typed: a `$` would otherwise start mathtext (and can raise)."""
    return text.replace("$", r"\$")


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def bin_edges_minutes(min_study_minutes: int) -> list[float]:
    """Bin edges of the study-time histogram: BINS equal bins up to twice the minimum."""
    step = 2 * min_study_minutes / BINS
    return [i * step for i in range(BINS + 1)]


@dataclass(frozen=True)
class HistogramFrame:
    """The histogram drawn once; `render` adds one enterprise's bars."""

    svg_head: str
    svg_tail: str
    x0: float
    x_step: float
    y_base: float
    y_height: float
    min_study_minutes: int

    def render(self, counts: list[int]) -> str:
        """The histogram SVG for bin counts (BINS + 1 values, the last the overflow bin)."""
        top = max(counts) if counts and max(counts) > 0 else 1
        edges = bin_edges_minutes(self.min_study_minutes)
        parts = []
        for i, count in enumerate(counts):
            if count <= 0:
                continue
            height = self.y_height * count / top
            x = self.x0 + i * self.x_step
            colour = (
                SHORT_COLOUR
                if i < len(edges) - 1 and edges[i + 1] <= self.min_study_minutes
                else BAR_COLOUR
            )
            y = self.y_base - height
            parts.append(
                f'<rect x="{x + 1:.2f}" y="{y:.2f}" width="{self.x_step - 2:.2f}" '
                f'height="{height:.2f}" fill="{colour}"><title>{count}</title></rect>'
                f'<text x="{x + self.x_step / 2:.2f}" y="{y - 2:.2f}" text-anchor="middle" '
                f'font-size="8">{count}</text>'
            )
        return self.svg_head + "".join(parts) + self.svg_tail


def histogram_frame(min_study_minutes: int) -> HistogramFrame:
    """Draw axes, labels and the policy line once, and measure where bars go."""
    with _drawing():
        fig, ax = plt.subplots(figsize=(6.4, 2.6))
        edges = bin_edges_minutes(min_study_minutes)
        ax.set_xlim(0, edges[-1] + edges[1])
        ax.set_ylim(0, 1.3)  # headroom: bar counts above 1.0, the policy label above them
        ticks = [*edges[::2], edges[-1] + edges[1]]
        ax.set_xticks(ticks, [f"{t / 60:g}" for t in ticks[:-1]] + ["更多"])
        ax.set_yticks([])
        ax.set_xlabel("有效学习时长（小时）")
        ax.set_ylabel("人数")
        ax.axvline(min_study_minutes, color="#333333", linestyle="--", linewidth=1)
        ax.text(
            min_study_minutes + edges[1] * 0.1,
            1.2,
            f"政策要求 {min_study_minutes / 60:g} 小时",
            fontsize=8,
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        fig.canvas.draw()
        height_px = fig.get_size_inches()[1] * 72  # SVG user units are points
        to_px = ax.transData
        scale = 72 / fig.dpi
        x_left, y_bottom = to_px.transform((0, 0)) * scale
        x_step = (to_px.transform((edges[1], 0))[0] * scale) - x_left
        y_top = to_px.transform((0, 1.0))[1] * scale
        svg = _svg(fig)
    close = svg.rindex("</svg>")
    return HistogramFrame(
        svg_head=svg[:close],
        svg_tail=svg[close:],
        x0=float(x_left),
        x_step=float(x_step),
        y_base=float(height_px - y_bottom),
        y_height=float(y_top - y_bottom),
        min_study_minutes=min_study_minutes,
    )


def gap_chart(names: list[str], claimed: list[float], verified: list[float]) -> str:
    """Horizontal bars: claimed vs verified yuan per enterprise."""
    if not names:
        return ""
    with _drawing():
        fig, ax = plt.subplots(figsize=(7.2, 0.32 * len(names) + 1.0))
        ys = list(range(len(names)))[::-1]
        ax.barh([y + 0.2 for y in ys], claimed, height=0.4, color="#bbbbbb", label="申领")
        ax.barh([y - 0.2 for y in ys], verified, height=0.4, color=BAR_COLOUR, label="核定")
        ax.set_yticks(ys, [_plain(n)[:24] for n in names])
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel("金额（元）")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        return _svg(fig)


def rules_chart(rule_ids: list[str], counts: list[int]) -> str:
    """Horizontal bars: findings by rule."""
    if not rule_ids:
        return ""
    with _drawing():
        fig, ax = plt.subplots(figsize=(7.2, 0.28 * len(rule_ids) + 1.0))
        ys = list(range(len(rule_ids)))[::-1]
        ax.barh(ys, counts, color=BAR_COLOUR)
        ax.set_yticks(ys, [_plain(r) for r in rule_ids])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("发现数")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        return _svg(fig)
