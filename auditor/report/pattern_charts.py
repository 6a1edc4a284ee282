"""The enterprise page's pattern charts: study heat map, flagged-trainee timeline, shared devices.

The heat map's frame (axes, weekday and hour labels) is the same on every page, so matplotlib
draws it once per run and each page adds its cells, placed with the axes' own transform, as the
study-time histogram does (charts.py).

The timeline and the device picture have no common frame: their axes, rows and labels are the
enterprise's own. Drawn by matplotlib they cost 35-110 ms (devices) and 50-500 ms (timeline)
each, and a timeline of 30 trainees x 40 sessions came to 440 KB of SVG, so they are written
here as plain SVG (rows of bars and ticks, a two-column graph), using matplotlib only for its
date tick locator and colours: a few ms and tens of KB each (a timeline of 15 trainees x 100
records: ~4 ms, 35 KB). Chinese stays text, drawn by the
browser with the page's CJK font stack (report.css), as in every chart. All numbers are
printed with fixed decimals and every list arrives sorted, so the SVG is byte-identical across
runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import duckdb
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib import colormaps
from matplotlib.colors import to_hex

from .charts import BAR_COLOUR, SHORT_COLOUR, _drawing, _svg
from .patterns import SharedDevice, TraineeEvents

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
SIGNIN_COLOUR = "#55a868"
EXAM_COLOUR = SHORT_COLOUR
FLAGGED_COLOUR = SHORT_COLOUR
OTHER_COLOUR = BAR_COLOUR
DEVICE_COLOUR = "#555555"
NIGHT_COLOUR = "#ececec"
NIGHT = (22, 6)  # shaded hours: 22:00 to 06:00
NIGHT_MAX_DAYS = 92  # beyond this span night bands would be thinner than a pixel
WIDTH = 720.0
HOUR, DAY = 3600.0, 86400.0
EPOCH = dt.datetime(1970, 1, 1)
FONT = 11.0
_SHADES = [to_hex(colormaps["Blues"](0.15 + 0.85 * i / 255)) for i in range(256)]


# --- heat map: a frame drawn once, cells added per page ---


# One enterprise's cells as SVG, formatted in DuckDB from report_heat (patterns.prepare): the
# page gets one string, not 168 values to format in Python (~0.3 ms a page, 2 s at 6,700).
# A cell's shade is its minutes over the enterprise's busiest cell.
HEAT_CELLS_SQL = """
SELECT enterprise_id, max(minutes),
       string_agg(printf('<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s">'
                         || '<title>%s %02d时 %s 分钟</title></rect>',
                         $x0 + cell % 24 * $w, $y0 + cell // 24 * $h, $w, $h,
                         $shades[CAST(round(255 * minutes / peak) AS INTEGER) + 1],
                         $weekdays[cell // 24 + 1], cell % 24, printf('%,.0f', minutes)),
                  '' ORDER BY cell)
FROM (SELECT enterprise_id, cell, minutes, max(minutes) OVER (PARTITION BY enterprise_id) AS peak
      FROM report_heat WHERE enterprise_id IN (SELECT unnest($ids)) AND minutes > 0)
GROUP BY enterprise_id
"""


@dataclass(frozen=True)
class HeatmapFrame:
    """The empty 7 x 24 grid drawn once; `render_batch` adds each enterprise's cells."""

    svg_head: str
    svg_tail: str
    x0: float  # left edge of hour 0, SVG units
    y0: float  # top edge of Monday
    cell_w: float
    cell_h: float

    def render_batch(
        self, con: duckdb.DuckDBPyConnection, ids: list[str]
    ) -> dict[str, tuple[str, float]]:
        """{enterprise: (heat map SVG, minutes in its busiest cell)} for a batch of pages.

        Enterprises without study are absent. Reads report_heat (patterns.prepare): cell is
        weekday (0 = Monday) * 24 + hour, minutes the study minutes in it.
        """
        params = {
            "ids": ids,
            "x0": self.x0,
            "y0": self.y0,
            "w": self.cell_w,
            "h": self.cell_h,
            "shades": _SHADES,
            "weekdays": list(WEEKDAYS),
        }
        return {
            e: (self.svg_head + cells + self.svg_tail, float(peak))
            for e, peak, cells in con.execute(HEAT_CELLS_SQL, params).fetchall()
        }


def heatmap_frame() -> HeatmapFrame:
    """Draw the weekday x hour grid's axes and labels once, and measure where cells go."""
    with _drawing():
        fig, ax = plt.subplots(figsize=(7.2, 2.4))
        ax.set_xlim(0, 24)
        ax.set_ylim(7, 0)  # Monday on top
        ax.set_facecolor("#f7f7f7")
        ax.set_xticks(range(0, 25, 3), [f"{h}:00" for h in range(0, 25, 3)])
        ax.set_yticks([d + 0.5 for d in range(7)], list(WEEKDAYS))
        ax.tick_params(length=0)
        ax.set_xlabel("时刻")
        for side in ("top", "right", "left", "bottom"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        fig.canvas.draw()
        height = fig.get_size_inches()[1] * 72  # SVG user units are points
        scale = 72 / fig.dpi
        left, top = ax.transData.transform((0, 0)) * scale
        right, bottom = ax.transData.transform((24, 7)) * scale
        svg = _svg(fig)
    close = svg.rindex("</svg>")
    return HeatmapFrame(
        svg_head=svg[:close],
        svg_tail=svg[close:],
        x0=float(left),
        y0=float(height - top),
        cell_w=float(right - left) / 24,
        cell_h=float(top - bottom) / 7,
    )


# --- plain SVG helpers ---


def _text_width(text: str, size: float = FONT) -> float:
    """Rough width of text: CJK and full-width characters one em, others 0.6 em."""
    return sum(size if ord(c) > 0x2E7F else 0.6 * size for c in text)


def _fit(text: str, width: float, size: float = FONT) -> str:
    """Text cut with '…' to fit `width`."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _open(height: float, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="img" aria-label="{escape(label)}" '
        f'font-size="{FONT:g}" font-family="sans-serif">'
    )


def _legend(items: list[tuple[str, str]], y: float, x: float = 0.0) -> str:
    """Swatches and their texts in a row: (SVG shape for a 10 x 10 box at 0,0, text)."""
    parts = []
    for shape, text in items:
        parts.append(f'<g transform="translate({x:.1f},{y - 9:.1f})">{shape}</g>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(text)}</text>')
        x += 14 + _text_width(text) + 16
    return "".join(parts)


# --- timeline of flagged trainees ---

ROW_H = 20.0
TOP = 24.0  # legend
BOTTOM = 34.0  # time axis labels


def timeline_chart(rows: list[TraineeEvents], label: Callable[[str, str], str]) -> str:
    """One row per trainee: sessions as bars, sign-ins and exam submissions as ticks.

    `label(name, person_id)` gives each row's text (a name and a masked ID). '' when no row has
    an event. Times are epoch seconds of the wall clock, so a day is 86,400 of them.
    """
    times = [t for r in rows for s, e in r.sessions for t in (s, e)]
    times += [t for r in rows for t in (*r.signins, *r.exams)]
    if not rows or not times:
        return ""
    labels = [_fit(label(r.name, r.person_id), 240) for r in rows]
    left = min(250.0, max(_text_width(t) for t in labels)) + 14
    right = WIDTH - 12
    t0, t1 = min(times), max(times)
    if t1 - t0 < 2 * HOUR:
        t0, t1 = t0 - HOUR, t1 + HOUR
    pad = (t1 - t0) * 0.02
    t0, t1 = t0 - pad, t1 + pad
    scale = (right - left) / (t1 - t0)

    plot_h = ROW_H * len(rows)
    height = TOP + plot_h + BOTTOM
    bottom = TOP + plot_h
    out = [_open(height, "被标记学员的学习时间线")]
    if t1 - t0 <= NIGHT_MAX_DAYS * DAY:
        bands = []
        night = (t0 // DAY - 1) * DAY + NIGHT[0] * HOUR
        while night < t1:
            a, b = max(night, t0), min(night + (24 - NIGHT[0] + NIGHT[1]) * HOUR, t1)
            if b > a:
                xa, xb = left + (a - t0) * scale, left + (b - t0) * scale
                bands.append(f"M{xa:.1f} {TOP:.1f}H{xb:.1f}V{bottom:.1f}H{xa:.1f}Z")
            night += DAY
        out.append(f'<path d="{"".join(bands)}" fill="{NIGHT_COLOUR}"/>')
    ticks = _time_ticks(t0, t1)
    xs = [(left + (t - t0) * scale, text) for t, text in ticks]
    grid = "".join(f"M{x:.1f} {TOP:.1f}V{bottom:.1f}" for x, _ in xs)
    out.append(f'<path d="{grid}" stroke="#dddddd" stroke-width="0.6"/>')
    for x, text in xs:
        out.append(f'<text x="{x:.1f}" y="{bottom + 13:.1f}" text-anchor="middle">{text}</text>')
    out.append(
        f'<path d="M{left:.1f} {bottom:.1f}H{right:.1f}" stroke="#333333" stroke-width="0.8"/>'
    )
    for i, (row, text) in enumerate(zip(rows, labels, strict=True)):
        mid = TOP + ROW_H * i + ROW_H / 2
        out.append(
            f"<g><title>{escape(text)}：学习 {len(row.sessions)} 次，签到 {len(row.signins)} 次，"
            f"考试提交 {len(row.exams)} 次</title>"
            f'<text x="{left - 8:.1f}" y="{mid + 3:.1f}" text-anchor="end">{escape(text)}</text>'
        )
        out.append(_ticks(row.signins, SIGNIN_COLOUR, mid, left, t0, scale))
        if row.sessions:  # over the sign-ins, which often come just before
            y = f"{mid - 5:.1f}"
            bars = []
            for s, e in row.sessions:
                w = max((e - s) * scale, 1.0)
                bars.append(f"M{left + (s - t0) * scale:.1f} {y}h{w:.1f}v10h{-w:.1f}Z")
            out.append(f'<path d="{"".join(bars)}" fill="{BAR_COLOUR}"/>')
        out.append(_ticks(row.exams, EXAM_COLOUR, mid, left, t0, scale))
        out.append("</g>")
    out.append(
        _legend(
            [
                (f'<rect y="2" width="10" height="6" fill="{BAR_COLOUR}"/>', "学习记录"),
                (f'<path d="M5 0v10" stroke="{SIGNIN_COLOUR}" stroke-width="1.5"/>', "签到"),
                (f'<path d="M5 0v10" stroke="{EXAM_COLOUR}" stroke-width="1.5"/>', "考试提交"),
                (
                    f'<rect width="10" height="10" fill="{NIGHT_COLOUR}"/>',
                    f"夜间 {NIGHT[0]}:00–{NIGHT[1]:02d}:00",
                ),
            ],
            y=14,
            x=left,
        )
    )
    out.append("</svg>")
    return "".join(out)


def _ticks(
    times: list[float], colour: str, mid: float, left: float, t0: float, scale: float
) -> str:
    """Vertical ticks across a row at each time, as one path ('' for none)."""
    if not times:
        return ""
    y = f"{mid - 8:.1f}"
    d = "".join(f"M{left + (t - t0) * scale:.1f} {y}v16" for t in times)
    return f'<path d="{d}" stroke="{colour}" stroke-width="1.2"/>'


def _time_ticks(t0: float, t1: float) -> list[tuple[float, str]]:
    """matplotlib's date ticks between two epoch times, with their labels."""
    start, end = EPOCH + dt.timedelta(seconds=t0), EPOCH + dt.timedelta(seconds=t1)
    fmt = "%m-%d %H:%M" if t1 - t0 <= 3 * DAY else "%m-%d"
    if start.year != end.year:
        fmt = "%Y-" + fmt
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ticks = []
    for value in locator.tick_values(start, end):
        at = mdates.num2date(value).replace(tzinfo=None)
        t = (at - EPOCH).total_seconds()
        if t0 <= t <= t1:
            ticks.append((t, at.strftime(fmt)))
    return ticks


# --- shared devices: devices left, trainees right ---

NODE_GAP = 20.0


def devices_chart(
    devices: list[SharedDevice],
    trainees: list[tuple[str, str, bool]],
    label: Callable[[str, str], str],
    device_label: Callable[[str], str],
) -> str:
    """Devices (left) linked to the trainees who used them (right); flagged trainees in red.

    `devices` most used first; `trainees` (person_id, name, flagged) are those drawn, in any
    order: they are placed by the mean position of their devices, so lines cross little.
    """
    if not devices or not trainees:
        return ""
    drawn = {t[0] for t in trainees}
    rank = {d.device_id: i for i, d in enumerate(devices)}
    links: dict[str, list[int]] = {}
    for d in devices:
        for person, _, _ in d.users:
            if person in drawn:
                links.setdefault(person, []).append(rank[d.device_id])
    order = sorted(
        (t for t in trainees if t[0] in links),
        key=lambda t: (sum(links[t[0]]) / len(links[t[0]]), t[0]),
    )
    n = max(len(devices), len(order))
    top = 26.0
    height = top + NODE_GAP * n + 8
    x_dev, x_person = 300.0, 420.0

    def y_of(i: int, count: int) -> float:
        return top + NODE_GAP * n * (i + 0.5) / count

    dev_y = {d.device_id: y_of(i, len(devices)) for i, d in enumerate(devices)}
    person_y = {t[0]: y_of(i, len(order)) for i, t in enumerate(order)}
    out = [_open(height, "多名学员共用的设备")]
    edges = "".join(
        f"M{x_dev:.1f} {dev_y[d.device_id]:.1f}L{x_person:.1f} {person_y[p]:.1f}"
        for d in devices
        for p, _, _ in d.users
        if p in person_y
    )
    out.append(f'<path d="{edges}" stroke="#9a9a9a" stroke-width="0.8" fill="none"/>')
    for d in devices:
        y = dev_y[d.device_id]
        text = _fit(f"{device_label(d.device_id)} · {d.people} 人", x_dev - 16)
        out.append(
            f'<rect x="{x_dev - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
            f'fill="{DEVICE_COLOUR}"/>'
            f'<text x="{x_dev - 10:.1f}" y="{y + 3:.1f}" text-anchor="end">{escape(text)}</text>'
        )
    for person, name, flagged in order:
        y = person_y[person]
        colour = FLAGGED_COLOUR if flagged else OTHER_COLOUR
        text = _fit(label(name, person), WIDTH - x_person - 16)
        out.append(
            f'<circle cx="{x_person:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
            f'<text x="{x_person + 10:.1f}" y="{y + 3:.1f}">{escape(text)}</text>'
        )
    out.append(
        _legend(
            [
                (f'<rect x="1" y="1" width="8" height="8" fill="{DEVICE_COLOUR}"/>', "设备"),
                (f'<circle cx="5" cy="5" r="4" fill="{FLAGGED_COLOUR}"/>', "被标记学员"),
                (f'<circle cx="5" cy="5" r="4" fill="{OTHER_COLOUR}"/>', "其他学员"),
            ],
            y=14,
            x=x_dev - 120,
        )
    )
    out.append("</svg>")
    return "".join(out)
