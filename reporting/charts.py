"""SVG charts for the dashboard and the quarterly PDF: the one charting path (SPEC §6).

Hand-written on purpose. The site's Content-Security-Policy allows styles and scripts from
``'self'`` only, and these charts are inlined into the HTML page, so an SVG must carry no
``<style>`` element, no ``style="…"`` attribute and no ``<script>``. Chart libraries such as pygal
emit exactly those (and the browser would block them, leaving an unstyled chart); matplotlib is a
large dependency for two chart kinds and draws text as paths unless configured otherwise. What we
need is small: a vertical grouped bar chart (the eight-quarter trend) and a horizontal bar chart
(causes, breach types). Everything here is drawn with SVG presentation attributes (``fill``,
``stroke``, ``font-size``, ``text-anchor``), which both browsers and WeasyPrint render.

Accessibility: every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that
``aria-labelledby`` names, and the description that :func:`dashboard_charts` writes lists every
number; the dashboard shows the same numbers as tables. Series are told apart by colour *and*
by fill (solid against a light tint with an outline, which survives greyscale printing), with a
legend and the value written on every bar. Text colours meet WCAG AA on white; bars meet the 3:1
contrast for graphics.

Safety: every piece of text that goes into an SVG (titles, descriptions, labels from the
database, ids) passes through :func:`_text` or :func:`_attr`, which XML-escape it and drop
characters XML cannot carry; numbers are formatted by this module. So the strings returned here
are well-formed XML and safe to mark with :func:`django.utils.safestring.mark_safe`;
:func:`dashboard_charts` returns them already marked.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from django.utils.safestring import mark_safe

from reporting.figures import Quarter, QuarterFigures

EMPTY_MESSAGE = "No data for this quarter"

# Colours, checked against white (#fff): ink 16:1, muted 7.9:1 (text, AA); series strokes and
# fills ≥ 3:1 (graphics).
INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#dde2e8"
AXIS = "#6b7682"
# (fill, stroke) per series: a solid bar, then a light tint outlined in a dark colour.
SERIES_STYLES: tuple[tuple[str, str], ...] = (
    ("#a4161a", "#a4161a"),  # dark red, solid (breaches)
    ("#d6e6f7", "#0b5cad"),  # light blue, outlined in blue (near misses)
    ("#12263f", "#12263f"),  # navy, solid
    ("#f5e6cc", "#8a5300"),  # light amber, outlined in brown
)
BAR_FILL = "#a4161a"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, Helvetica, Arial, sans-serif"

TITLE_SIZE = 16
LABEL_SIZE = 13
VALUE_SIZE = 12
# A generous average glyph width for a sans-serif face, in ems (DejaVu Sans, the PDF's font, is
# among the widest): enough to lay labels out without measuring fonts, which an SVG string cannot
# do. Generous, so a label may wrap a little early but never runs off the canvas.
EM_WIDTH = 0.6
BOLD_EM_WIDTH = 0.66

# Characters XML 1.0 cannot carry even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text and numbers ------------------------------------------------------------------------


def _text(value: object) -> str:
    """Text content, XML-escaped (``<``, ``>``, ``&``, quotes) with illegal characters removed."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def _attr(value: object) -> str:
    """An attribute value (always written in double quotes), escaped like text."""
    return _text(value)


def _num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def _text_width(text: str, size: float, em: float = EM_WIDTH) -> float:
    return len(text) * size * em


def _wrap(
    text: str, size: float, room: float, max_lines: int = 2, em: float = EM_WIDTH
) -> list[str]:
    """Word-wrap ``text`` into at most ``max_lines`` lines that fit ``room``; the last line is
    cut with an ellipsis if even that is not enough."""
    if _text_width(text, size, em) <= room:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and _text_width(candidate, size, em) > room:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    last = lines[-1]
    fits = max(1, int(room / (size * em)))
    if len(last) > fits:
        lines[-1] = last[: fits - 1].rstrip() + "…"
    return lines


def nice_scale(maximum: float, *, max_ticks: int = 5) -> tuple[int, int]:
    """A rounded top for an integer axis and the step between its gridlines.

    The step is 1, 2 or 5 times a power of ten, the smallest giving at most ``max_ticks`` steps
    above zero: 3 → (3, 1), 7 → (8, 2), 12 → (15, 5), 180 → (200, 50).
    """
    if maximum <= 0:
        return 1, 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            steps = math.ceil(maximum / step)
            if steps <= max_ticks:
                return steps * step, step
        magnitude *= 10


def _chart_id(chart_id: str | None, title: str) -> str:
    """An id for the title and description: the caller's, or one derived from the title (stable,
    so the same figures give the same SVG and a regenerated report is byte-for-byte alike)."""
    if chart_id:
        return re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
    return "chart-" + hashlib.sha256(title.encode()).hexdigest()[:10]


# --- the frame every chart shares ------------------------------------------------------------


def _title_lines(title: str, width: float) -> list[str]:
    return _wrap(title, TITLE_SIZE, width, em=BOLD_EM_WIDTH)


def _title_height(lines: Sequence[str]) -> float:
    """How far down the visible title reaches."""
    return len(lines) * (TITLE_SIZE + 4)


def _open(
    *, width: float, height: float, ident: str, title: str, lines: Sequence[str], description: str
) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" role="img" '
        f'aria-labelledby="{_attr(ident)}-title {_attr(ident)}-desc" '
        f'font-family="{_attr(FONT)}" class="chart-svg">',
        f'<title id="{_attr(ident)}-title">{_text(title)}</title>',
        f'<desc id="{_attr(ident)}-desc">{_text(description)}</desc>',
    ]
    # The visible title (wrapped): screen readers get <title> and <desc>, so this is for eyes.
    for n, line in enumerate(lines):
        parts.append(
            f'<text x="0" y="{TITLE_SIZE + 1 + n * (TITLE_SIZE + 4)}" font-size="{TITLE_SIZE}" '
            f'font-weight="700" fill="{INK}">{_text(line)}</text>'
        )
    return parts


def _empty(*, width: float, ident: str, title: str, message: str) -> str:
    lines = _title_lines(title, width)
    box_top = _title_height(lines) + 12
    message_lines = _wrap(message, 14, width - 24)
    box_height = 48 + len(message_lines) * 18
    height = box_top + box_height + 1
    parts = _open(
        width=width, height=height, ident=ident, title=title, lines=lines, description=message
    )
    parts.append(
        f'<rect x="0.5" y="{_num(box_top + 0.5)}" width="{_num(width - 1)}" '
        f'height="{_num(box_height)}" rx="4" fill="#f6f7f9" stroke="{GRID}"/>'
    )
    first = box_top + box_height / 2 + 5 - (len(message_lines) - 1) * 9
    for n, line in enumerate(message_lines):
        parts.append(
            f'<text x="{_num(width / 2)}" y="{_num(first + n * 18)}" font-size="14" '
            f'text-anchor="middle" fill="{MUTED}">{_text(line)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _all_zero(values: Iterable[int]) -> bool:
    return all(v == 0 for v in values)


# --- vertical grouped bars -------------------------------------------------------------------


def grouped_bars(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
    empty_message: str = EMPTY_MESSAGE,
) -> str:
    """A vertical grouped bar chart: one group per category, one bar per series.

    Gridlines at a rounded step up a rounded maximum, category labels under the groups, a
    legend, and each bar's value above it. No categories, no series or nothing but zeros draw an
    SVG that says ``empty_message``. Every text is escaped: safe for ``mark_safe``.
    """
    ident = _chart_id(chart_id, title)
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)}")
    if not categories or not series or _all_zero(v for _, vs in series for v in vs):
        return _empty(width=width, ident=ident, title=title, message=empty_message)

    top_value, step = nice_scale(max(v for _, vs in series for v in vs))
    tick_width = _text_width(str(top_value), LABEL_SIZE)
    left = tick_width + 10
    right = 4
    heading = _title_lines(title, width)
    # The legend's swatches and names, in rows that fit the width.
    legend: list[tuple[float, float, int, str]] = []  # x, baseline, series index, name
    x, legend_y = 0.0, _title_height(heading) + 16
    for index, (name, _) in enumerate(series):
        item_width = 21 + _text_width(name, LABEL_SIZE)
        if x and x + item_width > width:
            x, legend_y = 0.0, legend_y + LABEL_SIZE + 8
        legend.append((x, legend_y, index, name))
        x += item_width + 18
    plot_top = legend_y + 26  # room for the value written above the tallest bar
    plot_width = width - left - right
    group_width = plot_width / len(categories)
    label_lines = [_wrap(c, LABEL_SIZE, group_width - 4) for c in categories]
    line_count = max(len(lines) for lines in label_lines)
    plot_bottom = height - 8 - line_count * (LABEL_SIZE + 3)
    plot_height = plot_bottom - plot_top
    if plot_height < 40:
        raise ValueError(f"height {height} leaves no room to draw the bars")

    def y_of(value: float) -> float:
        return plot_bottom - value / top_value * plot_height

    parts = _open(
        width=width, height=height, ident=ident, title=title, lines=heading, description=description
    )

    # Legend: a swatch drawn like the series' bars, then its name.
    for x, baseline, index, name in legend:
        fill, stroke = SERIES_STYLES[index % len(SERIES_STYLES)]
        parts.append(
            f'<rect x="{_num(x + 1)}" y="{_num(baseline - 11)}" width="14" height="14" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<text x="{_num(x + 21)}" y="{_num(baseline)}" font-size="{LABEL_SIZE}" '
            f'fill="{INK}">{_text(name)}</text>'
        )

    # Gridlines and their values.
    for tick in range(0, top_value + 1, step):
        y = y_of(tick)
        colour = AXIS if tick == 0 else GRID
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(width - right)}" y2="{_num(y)}" '
            f'stroke="{colour}" stroke-width="1"/>'
            f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" font-size="{LABEL_SIZE}" '
            f'text-anchor="end" fill="{MUTED}">{tick}</text>'
        )

    # Bars: the group takes three quarters of its slot, bars 2 units apart.
    gap = 2.0
    span = group_width * 0.75
    bar_width = (span - gap * (len(series) - 1)) / len(series)
    value_size = min(VALUE_SIZE, max(7.0, bar_width / (len(str(top_value)) * EM_WIDTH)))
    for c in range(len(categories)):
        group_left = left + c * group_width + (group_width - span) / 2
        for s, (_, values) in enumerate(series):
            fill, stroke = SERIES_STYLES[s % len(SERIES_STYLES)]
            value = values[c]
            bar_x = group_left + s * (bar_width + gap)
            bar_height = value / top_value * plot_height
            parts.append(
                f'<rect class="bar" x="{_num(bar_x)}" y="{_num(plot_bottom - bar_height)}" '
                f'width="{_num(bar_width)}" height="{_num(bar_height)}" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="1.5"/>'
                f'<text x="{_num(bar_x + bar_width / 2)}" '
                f'y="{_num(plot_bottom - bar_height - 4)}" font-size="{_num(value_size)}" '
                f'text-anchor="middle" fill="{INK}">{value}</text>'
            )
        centre = left + c * group_width + group_width / 2
        for n, line in enumerate(label_lines[c]):
            parts.append(
                f'<text x="{_num(centre)}" y="{_num(plot_bottom + (n + 1) * (LABEL_SIZE + 3))}" '
                f'font-size="{LABEL_SIZE}" text-anchor="middle" fill="{INK}">{_text(line)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# --- horizontal bars -------------------------------------------------------------------------


def horizontal_bars(
    *,
    title: str,
    description: str,
    items: Sequence[tuple[str, int]],
    width: int = 640,
    chart_id: str | None = None,
    empty_message: str = EMPTY_MESSAGE,
) -> str:
    """A horizontal bar chart, one row per ``(label, count)`` in the order given: labels on the
    left, the value at the end of each bar, bars proportional to the largest value. The height
    grows with the number of rows. No items (or only zeros) draw an SVG that says
    ``empty_message``. Every text is escaped: safe for ``mark_safe``.
    """
    ident = _chart_id(chart_id, title)
    if not items or _all_zero(n for _, n in items):
        return _empty(width=width, ident=ident, title=title, message=empty_message)

    label_room = width * 0.5
    labels = [_wrap(str(label), LABEL_SIZE, label_room, max_lines=3) for label, _ in items]
    label_width = min(
        label_room, max(_text_width(line, LABEL_SIZE) for lines in labels for line in lines)
    )
    # Every row as tall as the most wrapped label needs, so the bars keep an even rhythm.
    row = 28.0 + (max(len(lines) for lines in labels) - 1) * (LABEL_SIZE + 2)
    bar_height = 18.0
    heading = _title_lines(title, width)
    top = _title_height(heading) + 8
    bar_left = label_width + 10
    value_room = _text_width(str(max(n for _, n in items)), LABEL_SIZE) + 10
    bar_room = width - bar_left - value_room
    largest = max(n for _, n in items)
    height = top + row * len(items) + 6

    parts = _open(
        width=width, height=height, ident=ident, title=title, lines=heading, description=description
    )
    for index, ((_, value), lines) in enumerate(zip(items, labels, strict=True)):
        middle = top + index * row + row / 2
        first_baseline = middle + 4 - (len(lines) - 1) * (LABEL_SIZE + 2) / 2
        for n, line in enumerate(lines):
            parts.append(
                f'<text x="{_num(label_width)}" y="{_num(first_baseline + n * (LABEL_SIZE + 2))}" '
                f'font-size="{LABEL_SIZE}" text-anchor="end" fill="{INK}">{_text(line)}</text>'
            )
        length = value / largest * bar_room
        parts.append(
            f'<rect class="bar" x="{_num(bar_left)}" y="{_num(middle - bar_height / 2)}" '
            f'width="{_num(length)}" height="{_num(bar_height)}" fill="{BAR_FILL}"/>'
            f'<text x="{_num(bar_left + length + 6)}" y="{_num(middle + 4)}" '
            f'font-size="{LABEL_SIZE}" fill="{INK}">{value}</text>'
        )
    parts.append(
        f'<line x1="{_num(bar_left)}" y1="{_num(top)}" x2="{_num(bar_left)}" '
        f'y2="{_num(top + row * len(items))}" stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


# --- the charts of the dashboard and the report -------------------------------------------------


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _field(figures: QuarterFigures | Mapping[str, Any], name: str) -> Any:
    """Read a figure from a QuarterFigures or from its stored ``to_dict()`` form (a report job
    keeps its figures as JSON, where pairs come back as lists)."""
    return figures[name] if isinstance(figures, Mapping) else getattr(figures, name)


def dashboard_charts(
    figures: QuarterFigures | Mapping[str, Any], *, compact: bool = False
) -> dict[str, str]:
    """The charts of SPEC §6, as SVG strings marked safe, for the dashboard and the PDF alike:
    ``trend`` (breaches and near misses over eight quarters), ``causes`` and ``breach_types``
    (the quarter's breaches), and ``discovery`` (how the quarter's reports came to light, issue
    17). Each description lists every number.

    ``compact`` draws the same charts on a narrower canvas for a phone, where a 640-unit chart
    scaled to the screen would shrink its text to about 6 px; their ids differ, so both sets
    can sit in one page (CSS shows one).
    """
    trend_width, bars_width, suffix = (400, 360, "-compact") if compact else (640, 640, "")
    # "2026 Q4 to date" for the quarter in progress; figures stored before the label existed
    # fall back to the quarter's own.
    label = figures.get("label") if isinstance(figures, Mapping) else figures.label
    quarter = label or Quarter.parse(_field(figures, "quarter")).label
    trend = list(_field(figures, "trend"))
    causes = [(str(label), int(n)) for label, n in _field(figures, "causes")]
    types = [(str(label), int(n)) for label, n in _field(figures, "breach_types")]
    current = _field(figures, "current")
    # Figures stored before issue 17 have no discovery counts: an empty chart.
    found = current.get("discovered", []) if isinstance(current, Mapping) else current.discovered
    discovery = [(str(label), int(n)) for label, n in found]

    trend_title = "Breaches and near misses, last eight quarters"
    if trend:
        span = f"{trend[0]['quarter']} to {trend[-1]['quarter']}"
        trend_description = (
            f"Bar chart of breaches and near misses reported in each quarter, {span}. "
            + "; ".join(
                f"{t['quarter']}: {_plural(t['breaches'], 'breach', 'breaches')}, "
                f"{_plural(t['near_misses'], 'near miss', 'near misses')}"
                for t in trend
            )
            + "."
        )
    else:
        trend_description = "No quarters to show."
    causes_title = f"Breaches by cause, {quarter}"
    types_title = f"Breaches by type, {quarter}"
    charts = {
        "trend": grouped_bars(
            title=trend_title,
            description=trend_description,
            categories=[t["quarter"] for t in trend],
            series=[
                ("Breaches", [t["breaches"] for t in trend]),
                ("Near misses", [t["near_misses"] for t in trend]),
            ],
            width=trend_width,
            chart_id=f"chart-trend{suffix}",
            empty_message="No breaches or near misses in these eight quarters",
        ),
        "causes": horizontal_bars(
            title=causes_title,
            description=(
                f"Bar chart of the breaches reported in {quarter} by cause: "
                + "; ".join(f"{label}, {n}" for label, n in causes)
                + "."
            ),
            items=causes,
            width=bars_width,
            chart_id=f"chart-causes{suffix}",
        ),
        "breach_types": horizontal_bars(
            title=types_title,
            description=(
                f"Bar chart of the breaches reported in {quarter} by type of breach "
                "(a breach can be of more than one type): "
                + "; ".join(f"{label}, {n}" for label, n in types)
                + "."
            ),
            items=types,
            width=bars_width,
            chart_id=f"chart-breach-types{suffix}",
        ),
        "discovery": horizontal_bars(
            title=f"How incidents came to light, {quarter}",
            description=(
                f"Bar chart of the breaches and near misses reported in {quarter} by how they "
                "came to light: " + "; ".join(f"{label}, {n}" for label, n in discovery) + "."
            ),
            items=discovery,
            width=bars_width,
            chart_id=f"chart-discovery{suffix}",
        ),
    }
    # Every text above went through _text/_attr (see the module docstring).
    return {name: mark_safe(svg) for name, svg in charts.items()}  # noqa: S308
