"""The voucher institution page's chart: how far each check-in was from its class's site.

One row per class; each check-in is a dot at its distance from the training site, the class's
check-in radius is a dark bar, and a check-in beyond the radius is red. Distances run from a few
metres (on site) to hundreds of kilometres (a phone in another city), so the axis is
logarithmic, from 1 m to 1,000 km; a distance outside is drawn at the nearer end (its tooltip
gives the real figure). No map and no tiles: the report works offline.

The axis is the same on every page, so matplotlib draws it once per run (`distance_frame`)
and each page adds its rows below it, as the study-time histogram adds its bars (charts.py).
The dots are placed and formatted in DuckDB (`DOTS_SQL`), check-ins at the same half point
merged into one dot whose tooltip counts them: a class of 40 trainees x 30 meetings is still a
few hundred dots at most. Every number has fixed decimals and every list a total order, so the
SVG is byte-identical across runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import duckdb
import matplotlib.pyplot as plt

from .charts import BAR_COLOUR, SHORT_COLOUR, _drawing, _svg
from .pattern_charts import _fit

MIN_M, MAX_M = 1.0, 1_000_000.0  # the axis: 1 m to 1,000 km
ON_SITE_COLOUR = BAR_COLOUR
OFF_SITE_COLOUR = SHORT_COLOUR
RADIUS_COLOUR = "#333333"
GRID_COLOUR = "#e4e4e4"
ROW_H = 16.0  # points
DOT_R = 3.0
MAX_CLASSES = 40  # rows drawn; the classes with the most off-site check-ins first
WIDTH_IN, AXIS_IN = 7.2, 0.7
LEFT = 0.17  # share of the width left of the axis, for the class IDs

# One (institution, class)'s dots as SVG, y = 0 (the page translates each row). Reads
# checkin_facts; check-ins without a distance (no site or no position) are not drawn.
DOTS_SQL = """
SELECT institution_id, class_id,
       string_agg(printf('<circle class="checkin %s" cx="%.1f" cy="0" r="%.1f" fill="%s" '
                         || 'fill-opacity="0.7"><title>%s 米%s%s</title></circle>',
                         CASE WHEN off THEN 'off' ELSE 'on' END, x, $r,
                         CASE WHEN off THEN $off_colour ELSE $on_colour END,
                         CASE WHEN lo = hi THEN printf('%,.0f', lo)
                              ELSE printf('%,.0f–%,.0f', lo, hi) END,
                         CASE WHEN off THEN '，超出签到范围' ELSE '' END,
                         CASE WHEN n > 1 THEN printf('（%d 次签到）', n) ELSE '' END),
                  '' ORDER BY off, x)
FROM (SELECT institution_id, class_id, off, x, count(*) AS n, min(d) AS lo, max(d) AS hi
      FROM (SELECT institution_id, class_id, distance_m AS d,
                   coalesce(off_site, distance_m > site_radius_m, false) AS off,
                   round(2 * ($x0 + $w * log10(greatest(least(distance_m, $max), $min))
                                    / log10($max / $min))) / 2 AS x
            FROM checkin_facts
            WHERE institution_id IN (SELECT unnest($ids)) AND distance_m IS NOT NULL)
      GROUP BY ALL)
GROUP BY institution_id, class_id
"""


@dataclass(frozen=True)
class ChartClass:
    """One class's row: its ID, radius (metres, None if unknown) and dots from DOTS_SQL."""

    class_id: str
    radius_m: int | None
    dots: str


@dataclass(frozen=True)
class DistanceFrame:
    """The distance axis drawn once; `render` adds one institution's rows below it."""

    body: str  # the axis's SVG without its root element
    width: float  # points, as every coordinate here
    axis_h: float
    x0: float  # x of 1 m
    x_width: float  # from 1 m to MAX_M
    ticks: tuple[float, ...]  # x of each decade

    def x(self, metres: float) -> float:
        """Where a distance is drawn."""
        clamped = min(max(metres, MIN_M), MAX_M)
        return self.x0 + self.x_width * math.log10(clamped / MIN_M) / math.log10(MAX_M / MIN_M)

    def dots(self, con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[tuple[str, str], str]:
        """{(institution, class): its dots' SVG} for a batch of institutions."""
        params = {
            "ids": ids,
            "x0": self.x0,
            "w": self.x_width,
            "min": MIN_M,
            "max": MAX_M,
            "r": DOT_R,
            "on_colour": ON_SITE_COLOUR,
            "off_colour": OFF_SITE_COLOUR,
        }
        return {(i, c): s for i, c, s in con.execute(DOTS_SQL, params).fetchall()}

    def render(self, rows: list[ChartClass]) -> str:
        """The chart for these classes, top to bottom; '' when no class has a dot."""
        if not any(r.dots for r in rows):
            return ""
        height = self.axis_h + ROW_H * len(rows) + 4
        right = self.x0 + self.x_width
        out = [
            '<svg xmlns:xlink="http://www.w3.org/1999/xlink" xmlns="http://www.w3.org/2000/svg" '
            f'width="{self.width:.1f}pt" height="{height:.1f}pt" '
            f'viewBox="0 0 {self.width:.1f} {height:.1f}" version="1.1" role="img" '
            'aria-label="签到点距培训场地的距离">',
            self.body,
        ]
        bottom = height - 4
        out += [
            f'<line x1="{t:.1f}" y1="{self.axis_h:.1f}" x2="{t:.1f}" y2="{bottom:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.8"/>'
            for t in self.ticks
        ]
        for i, row in enumerate(rows):
            y = self.axis_h + ROW_H * (i + 0.5)
            out.append(f'<g transform="translate(0,{y:.1f})">')
            out.append(
                f'<text x="{self.x0 - 6:.1f}" y="3.5" text-anchor="end" font-size="9" '
                f'font-family="sans-serif">{escape(_fit(row.class_id, self.x0 - 10, 9))}</text>'
                f'<line x1="{self.x0:.1f}" y1="0" x2="{right:.1f}" y2="0" '
                f'stroke="{GRID_COLOUR}" stroke-width="0.8"/>'
            )
            if row.radius_m is not None:
                rx = self.x(row.radius_m)
                out.append(
                    f'<line class="radius" x1="{rx:.1f}" y1="{-ROW_H * 0.42:.1f}" '
                    f'x2="{rx:.1f}" y2="{ROW_H * 0.42:.1f}" stroke="{RADIUS_COLOUR}" '
                    f'stroke-width="2"><title>签到半径 {row.radius_m:,} 米</title></line>'
                )
            out.append(row.dots)
            out.append("</g>")
        out.append("</svg>")
        return "".join(out)


def distance_frame() -> DistanceFrame:
    """Draw the logarithmic distance axis once (ticks on top), and measure where rows go."""
    decades = range(round(math.log10(MIN_M)), round(math.log10(MAX_M)) + 1)
    values = [10.0**d for d in decades]
    labels = [f"{v:g} 米" if v < 1000 else f"{v / 1000:g} 公里" for v in values]
    with _drawing():
        fig = plt.figure(figsize=(WIDTH_IN, AXIS_IN))
        ax = fig.add_axes((LEFT, 0.0, 0.96 - LEFT, 0.01))
        ax.set_xscale("log")
        ax.set_xlim(MIN_M, MAX_M)
        ax.set_ylim(0, 1)
        ax.patch.set_visible(False)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xticks(values, labels)
        ax.minorticks_off()
        ax.set_yticks([])
        ax.set_xlabel("签到点距培训场地的距离（对数刻度）", labelpad=6)
        for side in ("bottom", "left", "right"):
            ax.spines[side].set_visible(False)
        fig.canvas.draw()
        scale = 72 / fig.dpi  # SVG user units are points
        x0 = float(ax.transData.transform((MIN_M, 0))[0] * scale)
        x1 = float(ax.transData.transform((MAX_M, 0))[0] * scale)
        ticks = tuple(float(ax.transData.transform((v, 0))[0] * scale) for v in values)
        svg = _svg(fig)
    body = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
    return DistanceFrame(
        body=body,
        width=WIDTH_IN * 72,
        axis_h=AXIS_IN * 72,
        x0=x0,
        x_width=x1 - x0,
        ticks=ticks,
    )
