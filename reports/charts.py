"""Report charts, drawn once with reportlab graphics for the dashboard (SVG) and the PDF alike.

Every chart is a pure function: it takes plain, already computed and already translated data
(labels are strings from the caller, figures are floats, ``None`` means "no data") and returns a
``reportlab.graphics.shapes.Drawing``. The same Drawing goes into a platypus story (it is a
Flowable) and through :func:`svg` onto the page, so screen and paper show the same figures.

Conventions shared by all charts:

* Numbers are formatted by the caller's ``value_format`` (and ``count_format`` for n), so the
  locale's "83,4 %" stays the caller's job; :func:`format_number`, :func:`format_percent` and
  :func:`format_count` are plain defaults.
* Every fixed text a chart prints ("No data", "Target", the legend entries) comes from a
  :class:`ChartText`, which the caller fills with translated strings.
* Colours are the Okabe–Ito palette (colour-blind safe). Meeting or missing a target is never
  shown by colour alone: the value is printed and a check or cross mark is drawn beside it.
  Small samples (n below ``small_sample_n``) are drawn lighter and hatched, and their n is
  marked with an asterisk explained in the legend.
* Text is Helvetica, one of the PDF standard fonts, so German umlauts print without embedding a
  font. Characters outside Windows-1252 are drawn by reportlab from the Symbol or ZapfDingbats
  fonts where those have them (≤, ≥, ✓) and are missing otherwise; keep labels within Latin-1.
* Elements a test or a stylesheet may want to find carry a class in the SVG: ``qc-bar``
  (``qc-small``, ``qc-meets``, ``qc-misses``), ``qc-target``, ``qc-target-label``, ``qc-cell``
  (``qc-empty``), ``qc-point``, ``qc-segment``, ``qc-label``, ``qc-value``, ``qc-no-data``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from xml.dom.minidom import Element

from reportlab.graphics import renderSVG
from reportlab.graphics.renderbase import renderScaledDrawing
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, Shape, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = [
    "PALETTE",
    "ChartText",
    "bar_chart",
    "format_count",
    "format_number",
    "format_percent",
    "grouped_bars",
    "heatmap",
    "histogram",
    "nps_split",
    "svg",
    "trend",
]

ValueFormat = Callable[[float], str]
CountFormat = Callable[[int], str]


# --- palette and type --------------------------------------------------------------------------


class Palette:
    """Okabe–Ito colours plus the greys the charts use; contrast ratios are against white."""

    ink: Color = HexColor("#1A1A1A")  # text, axes, target lines (17:1)
    muted: Color = HexColor("#595959")  # secondary text such as n (7:1)
    grid: Color = HexColor("#D9D9D9")  # grid lines, empty cells
    neutral: Color = HexColor("#0072B2")  # blue: bars without a target (5.2:1)
    meets: Color = HexColor("#009E73")  # bluish green: meets the target (3.4:1)
    misses: Color = HexColor("#D55E00")  # vermillion: misses the target (3.9:1)
    passive: Color = HexColor("#B3B3B3")  # NPS passives, always with an outline
    series: tuple[Color, ...] = (
        HexColor("#0072B2"),  # blue
        HexColor("#E69F00"),  # orange
        HexColor("#009E73"),  # bluish green
        HexColor("#CC79A7"),  # reddish purple
        HexColor("#56B4E9"),  # sky blue
        HexColor("#D55E00"),  # vermillion
    )
    # sequential single-hue scale (ColorBrewer "Blues"), light = low, dark = high
    sequential: tuple[Color, ...] = (
        HexColor("#EFF3FF"),
        HexColor("#C6DBEF"),
        HexColor("#9ECAE1"),
        HexColor("#6BAED6"),
        HexColor("#3182BD"),
        HexColor("#08519C"),
    )


PALETTE = Palette()

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_SIZE = 9.0
SMALL_SIZE = 7.5
PAD = 4.0
SWATCH = 9.0


@dataclass(frozen=True)
class ChartText:
    """The fixed texts the charts print, translated by the caller.

    ``n`` and ``small_sample`` may contain ``{n}``, replaced by the formatted count or the
    small-sample threshold.
    """

    no_data: str = "No data"
    target: str = "Target"
    meets_target: str = "meets target"
    misses_target: str = "misses target"
    small_sample: str = "small sample (n < {n})"
    n: str = "n = {n}"
    promoters: str = "Promoters"
    passives: str = "Passives"
    detractors: str = "Detractors"


def format_number(value: float) -> str:
    """Default value format: one decimal, no grouping ("83.4")."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def format_percent(value: float) -> str:
    """Default share format: a share in 0..1 as a percentage with one decimal ("83.4 %")."""
    return format_number(value * 100) + " %"


def format_count(count: int) -> str:
    """Default count format."""
    return str(count)


# --- SVG ---------------------------------------------------------------------------------------

_FONT_HACKS = {
    FONT: {"family": "Helvetica, Arial, sans-serif"},
    FONT_BOLD: {"family": "Helvetica, Arial, sans-serif", "weight": "bold"},
}
_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-opacity",
        "stroke-dasharray",
        "stroke-dashoffset",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "font-variant",
        "clip-path",
    }
)
_SAFE_VALUE = re.compile(r"^[\w\s#%(),.+-]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_ID = re.compile(r"^[A-Za-z][\w-]*$")


def svg(drawing: Drawing, title: str, description: str, *, id_prefix: str | None = None) -> str:
    """Render ``drawing`` with reportlab's SVG renderer as markup to embed inline in HTML.

    The result has no XML declaration or DOCTYPE, ``role="img"`` with ``aria-labelledby``
    pointing at its ``<title>`` and ``<desc>`` (ids unique per call unless ``id_prefix`` is
    given), a ``viewBox`` with ``width="100%"`` and no fixed height so it scales to its container,
    and no ``style`` attributes: renderSVG writes every paint property as inline CSS, which the
    app's Content-Security-Policy (``style-src 'self'``) blocks, so each is moved into the
    equivalent SVG presentation attribute. All text is escaped by the DOM serializer.
    """
    prefix = id_prefix or f"qc-chart-{uuid.uuid4().hex[:10]}"
    if not _ID.match(prefix):
        raise ValueError(f"id_prefix must be a valid id, got {prefix!r}")
    drawing = renderScaledDrawing(drawing)
    canvas = renderSVG.SVGCanvas((drawing.width, drawing.height), fontHacks=_FONT_HACKS)
    renderSVG.draw(drawing, canvas)
    root: Element = canvas.svg

    root.removeAttribute("height")
    root.setAttribute("width", "100%")
    root.setAttribute("role", "img")
    root.setAttribute("aria-labelledby", f"{prefix}-title {prefix}-desc")
    root.setAttribute("class", "qc-chart")
    for tag, text in (("title", title), ("desc", description)):
        node = root.getElementsByTagName(tag)[0]
        node.setAttribute("id", f"{prefix}-{tag}")
        for child in list(node.childNodes):
            node.removeChild(child)
        node.appendChild(canvas.doc.createTextNode(_clean(text)))

    for node in root.getElementsByTagName("*"):
        _inline_styles_to_attributes(node, prefix)
    return root.toxml()


def _inline_styles_to_attributes(node: Element, prefix: str) -> None:
    if node.hasAttribute("style"):
        declarations = node.getAttribute("style").split(";")
        node.removeAttribute("style")
        for declaration in declarations:
            name, _, value = declaration.partition(":")
            name, value = name.strip(), value.strip()
            if name == "clip-path":
                value = value.replace("url(#clip)", f"url(#{prefix}-clip)")
            if name in _PRESENTATION and value and _SAFE_VALUE.match(value):
                node.setAttribute(name, value)
    if node.hasAttribute("transform") and not node.getAttribute("transform").strip():
        node.removeAttribute("transform")
    node_id = node.getAttribute("id")
    if node_id == "clip":
        node.setAttribute("id", f"{prefix}-clip")
    elif node_id == "group":
        node.removeAttribute("id")


# --- drawing helpers ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Drop characters XML cannot carry (control characters)."""
    return _CONTROL.sub("", str(text))


def _width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    return stringWidth(text, FONT_BOLD if bold else FONT, size)


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = FONT_SIZE,
    anchor: str = "start",
    color: Color = PALETTE.ink,
    bold: bool = False,
    cls: str | None = None,
) -> String:
    string = String(
        x,
        y,
        _clean(text),
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        fillColor=color,
        textAnchor=anchor,
    )
    if cls:
        string._svgAttrs = {"class": cls}
    return string


def _rect(
    x: float,
    y: float,
    w: float,
    h: float,
    fill: Color | None,
    *,
    stroke: Color | None = None,
    stroke_width: float = 0.75,
    cls: str | None = None,
    radius: float = 0,
) -> Rect:
    rect = Rect(
        x,
        y,
        w,
        h,
        fillColor=fill,
        strokeColor=stroke,
        strokeWidth=stroke_width,
        rx=radius,
        ry=radius,
    )
    if cls:
        rect._svgAttrs = {"class": cls}
    return rect


def _tint(color: Color, amount: float = 0.3) -> Color:
    """``color`` mixed with white: ``amount`` of the colour remains."""
    return Color(
        1 - (1 - color.red) * amount,
        1 - (1 - color.green) * amount,
        1 - (1 - color.blue) * amount,
    )


def _luminance(color: Color) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red) + 0.7152 * channel(color.green) + 0.0722 * channel(color.blue)
    )


def _text_on(fill: Color) -> Color:
    """Ink or white, whichever contrasts more with ``fill``."""
    luminance = _luminance(fill)
    against_ink = (luminance + 0.05) / (_luminance(PALETTE.ink) + 0.05)
    against_white = 1.05 / (luminance + 0.05)
    return PALETTE.ink if against_ink >= against_white else white


def _truncate(text: str, max_width: float, size: float = FONT_SIZE, bold: bool = False) -> str:
    if _width(text, size, bold) <= max_width:
        return text
    while text and _width(text + "…", size, bold) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, max_width: float, size: float = FONT_SIZE, max_lines: int = 2) -> list[str]:
    """Break ``text`` at spaces (or hyphens) into lines of at most ``max_width``."""
    text = _clean(text).strip()
    if not text:
        return [""]
    words = re.findall(r"\S+-(?=\S)|\S+", text)
    lines: list[str] = []
    current = ""
    for word in words:
        joiner = "" if current.endswith("-") or not current else " "
        candidate = current + joiner + word
        if _width(candidate, size) <= max_width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [_truncate(line, max_width, size) for line in lines]


def _hatch(x: float, y: float, w: float, h: float, color: Color, step: float = 4.0) -> list[Line]:
    """Diagonal lines (slope 1) filling the rectangle, clipped to it by hand."""
    lines = []
    offset = -h
    while offset < w:
        x_start, y_start = x + offset, y
        x_end, y_end = x + offset + h, y + h
        if x_start < x:
            y_start += x - x_start
            x_start = x
        if x_end > x + w:
            y_end -= x_end - (x + w)
            x_end = x + w
        if x_end > x_start:
            lines.append(Line(x_start, y_start, x_end, y_end, strokeColor=color, strokeWidth=0.8))
        offset += step
    return lines


def _check(x: float, y: float, size: float, color: Color) -> PolyLine:
    """A check mark in the box (x, y, size, size)."""
    return PolyLine(
        [x, y + size * 0.5, x + size * 0.38, y + size * 0.12, x + size, y + size * 0.9],
        strokeColor=color,
        strokeWidth=1.6,
        strokeLineCap=1,
        strokeLineJoin=1,
    )


def _cross(x: float, y: float, size: float, color: Color) -> list[Line]:
    """A cross (×) in the box (x, y, size, size)."""
    inset = size * 0.12
    return [
        Line(
            x + inset,
            y + inset,
            x + size - inset,
            y + size - inset,
            strokeColor=color,
            strokeWidth=1.6,
            strokeLineCap=1,
        ),
        Line(
            x + inset,
            y + size - inset,
            x + size - inset,
            y + inset,
            strokeColor=color,
            strokeWidth=1.6,
            strokeLineCap=1,
        ),
    ]


def _small_swatch(x: float, y: float, color: Color) -> list[Shape]:
    return [
        _rect(x, y, SWATCH, SWATCH, _tint(color)),
        *_hatch(x, y, SWATCH, SWATCH, color, step=3.0),
        _rect(x, y, SWATCH, SWATCH, None, stroke=color),
    ]


def _no_data(width: float, height: float, text: ChartText) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(_rect(0.5, 0.5, width - 1, height - 1, None, stroke=PALETTE.grid))
    drawing.add(
        _text(
            width / 2,
            height / 2 - FONT_SIZE / 3,
            text.no_data,
            anchor="middle",
            color=PALETTE.muted,
            cls="qc-no-data",
        )
    )
    return drawing


def _n_text(text: ChartText, n: int | None, count_format: CountFormat, small: bool) -> str:
    if n is None:
        return ""
    return text.n.replace("{n}", count_format(n)) + ("*" if small else "")


def _is_small(n: int | None, small_sample_n: int) -> bool:
    return n is not None and n < small_sample_n


def _meets(value: float, target: float, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


_N_GAP = 4.0  # between a value and its n (SVG collapses leading spaces, so no "  " prefix)


def _annotation_width(value_text: str, n_text: str, marker: bool) -> float:
    width = (SWATCH + 3 if marker else 0) + _width(value_text, bold=True)
    return width + (_N_GAP + _width(n_text, SMALL_SIZE) if n_text else 0)


def _annotation(
    x: float,
    centre: float,
    value_text: str,
    n_text: str,
    meets: bool | None,
    target_x: float | None = None,
) -> list[Shape]:
    """Marker, value and n left-aligned at ``x``, vertically centred on ``centre``.

    Where they would cross the target line at ``target_x`` they move to its right; a white
    ground behind them keeps them legible over anything else.
    """
    ann_w = _annotation_width(value_text, n_text, meets is not None)
    if target_x is not None and x - 3 < target_x < x + ann_w + 3:
        x = target_x + 4
    shapes: list[Shape] = [
        _rect(
            x - 1.5,
            centre - 6,
            _annotation_width(value_text, n_text, meets is not None) + 3,
            12,
            white,
        ),
    ]
    if meets is not None:
        marker_y = centre - SWATCH / 2
        if meets:
            shapes.append(_check(x, marker_y, SWATCH, PALETTE.meets))
        else:
            shapes += _cross(x, marker_y, SWATCH, PALETTE.misses)
        x += SWATCH + 3
    text_y = centre - FONT_SIZE / 3
    shapes.append(_text(x, text_y, value_text, bold=True, cls="qc-value"))
    if n_text:
        x += _width(value_text, bold=True) + _N_GAP
        shapes.append(_text(x, text_y, n_text, size=SMALL_SIZE, color=PALETTE.muted))
    return shapes


def _bar(
    left: float,
    bottom: float,
    width: float,
    height: float,
    color: Color,
    *,
    small: bool,
    meets: bool | None,
    outline: bool,
) -> list[Shape]:
    """One bar; small samples light and hatched. Its first shape carries the ``qc-bar`` class."""
    cls = "qc-bar" + (" qc-small" if small else "")
    cls += "" if meets is None else " qc-meets" if meets else " qc-misses"
    if small:
        return [
            _rect(left, bottom, width, height, _tint(color), cls=cls),
            *_hatch(left, bottom, width, height, color),
            _rect(left, bottom, width, height, None, stroke=color, stroke_width=1),
        ]
    stroke = PALETTE.ink if outline else None
    return [_rect(left, bottom, width, height, color, stroke=stroke, stroke_width=0.5, cls=cls)]


@dataclass
class _LegendEntry:
    swatch: Callable[[float, float], list[Shape]]  # draws into the box (x, y, SWATCH, SWATCH)
    label: str


def _legend_rows(entries: Sequence[_LegendEntry], width: float) -> list[list[tuple[float, int]]]:
    """Flow the entries into rows that fit ``width``: per row (x offset, entry index)."""
    rows: list[list[tuple[float, int]]] = [[]]
    x = 0.0
    for index, entry in enumerate(entries):
        entry_width = SWATCH + 3 + _width(entry.label, SMALL_SIZE)
        if rows[-1] and x + entry_width > width:
            rows.append([])
            x = 0.0
        rows[-1].append((x, index))
        x += entry_width + 10
    return rows if rows[0] else []


_LEGEND_ROW = 13.0


def _legend_height(entries: Sequence[_LegendEntry], width: float) -> float:
    return len(_legend_rows(entries, width)) * _LEGEND_ROW


def _draw_legend(
    drawing: Drawing, entries: Sequence[_LegendEntry], x: float, top: float, width: float
) -> None:
    """Draw the legend with its first row's top at ``top``."""
    for row_index, row in enumerate(_legend_rows(entries, width)):
        y = top - (row_index + 1) * _LEGEND_ROW + 3
        for offset, index in row:
            entry = entries[index]
            for shape in entry.swatch(x + offset, y):
                drawing.add(shape)
            label = _truncate(entry.label, width - SWATCH - 3, SMALL_SIZE)
            drawing.add(
                _text(x + offset + SWATCH + 3, y + 1.5, label, size=SMALL_SIZE, color=PALETTE.ink)
            )


def _target_entries(text: ChartText, has_target: bool) -> list[_LegendEntry]:
    if not has_target:
        return []
    return [
        _LegendEntry(
            lambda x, y: [_rect(x + SWATCH / 2 - 0.75, y - 1, 1.5, SWATCH + 2, PALETTE.ink)],
            text.target,
        ),
        _LegendEntry(lambda x, y: [_check(x, y, SWATCH, PALETTE.meets)], text.meets_target),
        _LegendEntry(lambda x, y: _cross(x, y, SWATCH, PALETTE.misses), text.misses_target),
    ]


def _small_entry(text: ChartText, small_sample_n: int) -> _LegendEntry:
    label = "* " + text.small_sample.replace("{n}", str(small_sample_n))
    return _LegendEntry(lambda x, y: _small_swatch(x, y, PALETTE.muted), label)


def _domain(
    values: Sequence[float], value_min: float | None, value_max: float | None
) -> tuple[float, float]:
    lo = value_min if value_min is not None else min(0.0, *values)
    hi = value_max if value_max is not None else max(0.0, *values)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    tick = first
    while tick <= hi + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


# --- 1. bars per channel / dimension -----------------------------------------------------------


def bar_chart(
    items: Sequence[tuple[str, float | None, int | None]],
    *,
    target: float | None = None,
    value_format: ValueFormat = format_number,
    count_format: CountFormat = format_count,
    higher_is_better: bool = True,
    small_sample_n: int = 30,
    value_min: float | None = None,
    value_max: float | None = None,
    width: float = 360,
    height: float | None = None,
    text: ChartText = ChartText(),
) -> Drawing:
    """Horizontal bars, one per ``(label, value, n)``, in the caller's order (never ranked).

    With a ``target`` a vertical target line is drawn and each bar is coloured and marked (check
    or cross) as meeting or missing it (``higher_is_better`` says which side meets). The value
    and n are printed at each bar's end; bars with n < ``small_sample_n`` are light and hatched
    and their n carries an asterisk. ``height=None`` sizes the drawing to its rows.
    """
    values = [v for _, v, _ in items if v is not None]
    if not values:
        return _no_data(width, height or 60, text)

    has_small = any(_is_small(n, small_sample_n) for _, v, n in items if v is not None)
    legend = _target_entries(text, target is not None)
    if has_small:
        legend.append(_small_entry(text, small_sample_n))
    legend_h = _legend_height(legend, width - 2 * PAD)

    annotations = []
    for _, value, n in items:
        small = value is not None and _is_small(n, small_sample_n)
        value_text = value_format(value) if value is not None else "–"
        n_text = _n_text(text, n, count_format, small)
        marker = target is not None and value is not None
        annotations.append((value_text, n_text, _annotation_width(value_text, n_text, marker)))
    ann_w = max(a[2] for a in annotations) + 6

    label_w_max = max(_width(_clean(label)) for label, _, _ in items)
    label_w = max(40.0, min(label_w_max, width * 0.4, width - 2 * PAD - ann_w - 90))
    wrapped = [_wrap(label, label_w, max_lines=3) for label, _, _ in items]
    label_w = max(_width(line) for lines in wrapped for line in lines)

    line_h = FONT_SIZE + 2
    row_heights = [max(20.0, len(lines) * line_h + 8) for lines in wrapped]
    top_h = 14.0 if target is not None else 4.0
    natural = PAD + top_h + sum(row_heights) + (legend_h + 6 if legend else 0) + PAD
    if height is None:
        height = natural
    else:  # stretch or squeeze the rows into the given height
        factor = max(0.5, (height - (natural - sum(row_heights))) / sum(row_heights))
        row_heights = [h * factor for h in row_heights]

    drawing = Drawing(width, height)
    x0 = PAD + label_w + 8
    x1 = width - PAD - ann_w
    lo, hi = _domain([*values, *([target] if target is not None else [])], value_min, value_max)

    def x_of(v: float) -> float:
        return x0 + (min(max(v, lo), hi) - lo) / (hi - lo) * (x1 - x0)

    plot_top = height - PAD - top_h
    plot_bottom = plot_top - sum(row_heights)
    drawing.add(
        Line(
            x_of(0.0 if lo <= 0 <= hi else lo),
            plot_bottom,
            x_of(0.0 if lo <= 0 <= hi else lo),
            plot_top,
            strokeColor=PALETTE.ink,
            strokeWidth=0.75,
        )
    )

    overlay: list[Shape] = []
    y = plot_top
    for (_label, value, n), lines, row_h, (value_text, n_text, _) in zip(
        items, wrapped, row_heights, annotations, strict=True
    ):
        y -= row_h
        centre = y + row_h / 2
        first = centre + (len(lines) - 1) * line_h / 2 - FONT_SIZE / 3
        for i, line in enumerate(lines):
            drawing.add(
                _text(PAD + label_w, first - i * line_h, line, anchor="end", cls="qc-label")
            )
        bar_h = min(12.0, row_h - 6)
        small = _is_small(n, small_sample_n)
        meets = None if target is None or value is None else _meets(value, target, higher_is_better)
        color = PALETTE.neutral if meets is None else PALETTE.meets if meets else PALETTE.misses
        base = x_of(0.0 if lo <= 0 <= hi else lo)
        x_end = base
        if value is not None:
            left, right = sorted((base, x_of(value)))
            for shape in _bar(
                left,
                centre - bar_h / 2,
                right - left,
                bar_h,
                color,
                small=small,
                meets=meets,
                outline=False,
            ):
                drawing.add(shape)
            x_end = right
        target_x = x_of(target) if target is not None else None
        overlay += _annotation(x_end + 4, centre, value_text, n_text, meets, target_x)

    if target is not None:  # over the bars, under the figures
        xt = x_of(target)
        drawing.add(
            _rect(
                xt - 0.75,
                plot_bottom,
                1.5,
                plot_top - plot_bottom + 3,
                PALETTE.ink,
                cls="qc-target",
            )
        )
        label = f"{text.target} {value_format(target)}"
        half = _width(label, SMALL_SIZE) / 2
        lx = min(max(xt, PAD + half), width - PAD - half)
        drawing.add(
            _text(lx, plot_top + 5, label, size=SMALL_SIZE, anchor="middle", cls="qc-target-label")
        )
    for shape in overlay:
        drawing.add(shape)
    if legend:
        _draw_legend(drawing, legend, PAD, plot_bottom - 6, width - 2 * PAD)
    return drawing


# --- 2. dimensions × methods -------------------------------------------------------------------


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    counts: Mapping[str, Sequence[int | None]] | None = None,
    targets: Sequence[float | None] | None = None,
    value_format: ValueFormat = format_number,
    count_format: CountFormat = format_count,
    higher_is_better: bool = True,
    small_sample_n: int = 30,
    value_min: float | None = None,
    value_max: float | None = None,
    width: float = 360,
    height: float | None = None,
    text: ChartText = ChartText(),
) -> Drawing:
    """Horizontal bars grouped by category, one bar per series (e.g. dimension × method).

    ``series`` maps each series name (shown in the legend, in order) to one value per category;
    ``counts`` optionally gives the n of each value (small samples are hatched and marked);
    ``targets`` optionally gives each category's target, drawn as a line across its group, with
    each bar marked as meeting or missing it.
    """
    names = list(series)
    values = [v for name in names for v in series[name] if v is not None]
    if not categories or not values:
        return _no_data(width, height or 60, text)

    def n_of(name: str, index: int) -> int | None:
        if counts is None or name not in counts:
            return None
        return counts[name][index]

    def target_of(index: int) -> float | None:
        return targets[index] if targets is not None else None

    colors = {name: PALETTE.series[i % len(PALETTE.series)] for i, name in enumerate(names)}
    legend = [
        _LegendEntry(
            lambda x, y, c=colors[name]: [
                _rect(x, y, SWATCH, SWATCH, c, stroke=PALETTE.ink, stroke_width=0.5)
            ],
            name,
        )
        for name in names
    ]
    has_target = targets is not None and any(t is not None for t in targets)
    legend += _target_entries(text, has_target)
    has_small = any(
        _is_small(n_of(name, i), small_sample_n)
        for name in names
        for i, v in enumerate(series[name])
        if v is not None
    )
    if has_small:
        legend.append(_small_entry(text, small_sample_n))
    legend_h = _legend_height(legend, width - 2 * PAD)

    annotations: dict[tuple[str, int], tuple[str, str, bool | None]] = {}
    ann_w = 0.0
    for name in names:
        for i, value in enumerate(series[name]):
            n = n_of(name, i)
            small = value is not None and _is_small(n, small_sample_n)
            value_text = value_format(value) if value is not None else "–"
            n_text = _n_text(text, n, count_format, small)
            t = target_of(i)
            meets = None if t is None or value is None else _meets(value, t, higher_is_better)
            annotations[name, i] = (value_text, n_text, meets)
            ann_w = max(ann_w, _annotation_width(value_text, n_text, meets is not None))
    ann_w += 6

    label_w_max = max(_width(_clean(c)) for c in categories)
    label_w = max(40.0, min(label_w_max, width * 0.35, width - 2 * PAD - ann_w - 90))
    line_h = FONT_SIZE + 2
    wrapped = [_wrap(c, label_w, max_lines=3) for c in categories]
    label_w = max(_width(line) for lines in wrapped for line in lines)

    bar_h, bar_gap, group_gap = 11.0, 3.0, 10.0
    group_h = [
        max(len(names) * (bar_h + bar_gap) - bar_gap, len(lines) * line_h) + group_gap
        for lines in wrapped
    ]
    natural = PAD + legend_h + 6 + sum(group_h) + PAD
    height = height or natural
    drawing = Drawing(width, height)

    extra = [t for t in (targets or []) if t is not None]
    lo, hi = _domain([*values, *extra], value_min, value_max)
    x0 = PAD + label_w + 8
    x1 = width - PAD - ann_w

    def x_of(v: float) -> float:
        return x0 + (min(max(v, lo), hi) - lo) / (hi - lo) * (x1 - x0)

    base = x_of(0.0 if lo <= 0 <= hi else lo)
    _draw_legend(drawing, legend, PAD, height - PAD, width - 2 * PAD)
    plot_top = height - PAD - legend_h - 6
    y = plot_top
    for i, (lines, gh) in enumerate(zip(wrapped, group_h, strict=True)):
        top = y - group_gap / 2
        bars_h = len(names) * (bar_h + bar_gap) - bar_gap
        centre = top - (gh - group_gap) / 2
        first = centre + (len(lines) - 1) * line_h / 2 - FONT_SIZE / 3
        for j, line in enumerate(lines):
            drawing.add(
                _text(PAD + label_w, first - j * line_h, line, anchor="end", cls="qc-label")
            )
        bar_top = centre + bars_h / 2
        overlay: list[Shape] = []
        for k, name in enumerate(names):
            value = series[name][i]
            by = bar_top - k * (bar_h + bar_gap) - bar_h
            value_text, n_text, meets = annotations[name, i]
            small = value is not None and _is_small(n_of(name, i), small_sample_n)
            x_end = base
            if value is not None:
                left, right = sorted((base, x_of(value)))
                for shape in _bar(
                    left,
                    by,
                    right - left,
                    bar_h,
                    colors[name],
                    small=small,
                    meets=meets,
                    outline=True,
                ):
                    drawing.add(shape)
                x_end = right
            t = target_of(i)
            target_x = x_of(t) if t is not None else None
            overlay += _annotation(x_end + 4, by + bar_h / 2, value_text, n_text, meets, target_x)
        t = target_of(i)
        if t is not None:  # over the bars, under the figures
            xt = x_of(t)
            drawing.add(
                _rect(
                    xt - 0.75, bar_top - bars_h - 2, 1.5, bars_h + 4, PALETTE.ink, cls="qc-target"
                )
            )
        for shape in overlay:
            drawing.add(shape)
        y -= gh
    drawing.add(
        Line(
            base,
            y + group_gap / 2,
            base,
            plot_top - group_gap / 2,
            strokeColor=PALETTE.ink,
            strokeWidth=0.75,
        )
    )
    return drawing


# --- 3. response-time distribution -------------------------------------------------------------


def histogram(
    bins: Sequence[tuple[str, int | None]],
    *,
    count_format: CountFormat = format_count,
    share_format: ValueFormat | None = format_percent,
    width: float = 360,
    height: float = 180,
    text: ChartText = ChartText(),
) -> Drawing:
    """Vertical bars of counts per bin (e.g. ≤ 1 h … never), in the caller's order.

    Each bar is labelled with its count and, with a ``share_format``, its share of the total.
    """
    counts = [c for _, c in bins if c is not None]
    total = sum(counts)
    if not counts or total <= 0:
        return _no_data(width, height, text)

    slot = (width - 2 * PAD) / len(bins)
    bar_w = min(slot * 0.7, 48.0)
    wrapped = [_wrap(label, slot - 4, SMALL_SIZE + 0.5, max_lines=3) for label, _ in bins]
    line_h = SMALL_SIZE + 2.5
    label_h = max(len(lines) for lines in wrapped) * line_h + 4
    annotation_h = 2 * (SMALL_SIZE + 2) + 4 if share_format else SMALL_SIZE + 6
    plot_bottom = PAD + label_h
    plot_top = height - PAD - annotation_h
    drawing = Drawing(width, height)
    top = max(counts)
    drawing.add(
        Line(PAD, plot_bottom, width - PAD, plot_bottom, strokeColor=PALETTE.ink, strokeWidth=0.75)
    )
    for i, ((_, count), lines) in enumerate(zip(bins, wrapped, strict=True)):
        cx = PAD + slot * (i + 0.5)
        for j, line in enumerate(lines):
            drawing.add(
                _text(
                    cx,
                    plot_bottom - (j + 1) * line_h,
                    line,
                    size=SMALL_SIZE + 0.5,
                    anchor="middle",
                    cls="qc-label",
                )
            )
        bar_top = plot_bottom
        if count is not None:
            h = count / top * (plot_top - plot_bottom)
            if count > 0:
                drawing.add(
                    _rect(cx - bar_w / 2, plot_bottom, bar_w, h, PALETTE.neutral, cls="qc-bar")
                )
            bar_top = plot_bottom + h
        count_text = count_format(count) if count is not None else "–"
        if share_format and count is not None:
            share_text = share_format(count / total)
            if _width(share_text, SMALL_SIZE) > slot - 2:
                share_text = _truncate(share_text, slot - 2, SMALL_SIZE)
            drawing.add(
                _text(
                    cx,
                    bar_top + 3,
                    share_text,
                    size=SMALL_SIZE,
                    anchor="middle",
                    color=PALETTE.muted,
                )
            )
            drawing.add(
                _text(
                    cx,
                    bar_top + 4 + SMALL_SIZE + 1.5,
                    count_text,
                    anchor="middle",
                    bold=True,
                    size=SMALL_SIZE + 0.5,
                    cls="qc-value",
                )
            )
        else:
            drawing.add(
                _text(
                    cx,
                    bar_top + 3,
                    count_text,
                    anchor="middle",
                    bold=True,
                    size=SMALL_SIZE + 0.5,
                    cls="qc-value",
                )
            )
    return drawing


# --- 4. hour band × weekday --------------------------------------------------------------------


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[tuple[float | None, int | None]]],
    *,
    value_format: ValueFormat = format_number,
    count_format: CountFormat = format_count,
    value_min: float | None = None,
    value_max: float | None = None,
    small_sample_n: int = 30,
    width: float = 360,
    height: float | None = None,
    text: ChartText = ChartText(),
) -> Drawing:
    """A grid of ``rows`` × ``columns`` cells, ``values[row][column] = (value, n)``.

    Cells are coloured on a light-to-dark sequential scale between ``value_min`` and
    ``value_max`` (the data's range by default) with the value printed in them ("–" for no
    data) and, where there is room, the n; small samples get an asterisk and a dashed outline.
    The legend shows the scale.
    """
    present = [v for row in values for v, _ in row if v is not None]
    if not rows or not columns or not present:
        return _no_data(width, height or 60, text)
    lo = value_min if value_min is not None else min(present)
    hi = value_max if value_max is not None else max(present)
    if hi <= lo:
        hi = lo + 1.0

    def fill_of(v: float) -> Color:
        scale = PALETTE.sequential
        position = (min(max(v, lo), hi) - lo) / (hi - lo) * (len(scale) - 1)
        i = min(int(position), len(scale) - 2)
        t = position - i
        a, b = scale[i], scale[i + 1]
        return Color(
            a.red + (b.red - a.red) * t,
            a.green + (b.green - a.green) * t,
            a.blue + (b.blue - a.blue) * t,
        )

    row_label_w = min(max(_width(_clean(r)) for r in rows), width * 0.25)
    x0 = PAD + row_label_w + 6
    cell_w = (width - PAD - x0) / len(columns)
    cell_texts = [
        [
            (value_format(v) if v is not None else "–")
            + ("*" if v is not None and _is_small(n, small_sample_n) else "")
            for v, n in row
        ]
        for row in values
    ]
    size = FONT_SIZE
    widest = max(_width(t, size) for row in cell_texts for t in row)
    if widest > cell_w - 4:
        size = max(6.0, size * (cell_w - 4) / widest)
    col_wrapped = [_wrap(c, cell_w - 2, SMALL_SIZE + 0.5) for c in columns]
    line_h = SMALL_SIZE + 2.5
    header_h = max(len(lines) for lines in col_wrapped) * line_h + 3

    scale_entries = 5
    has_small = any(_is_small(n, small_sample_n) for row in values for v, n in row if v is not None)
    legend_h = 2 * _LEGEND_ROW + (_LEGEND_ROW if has_small else 0)
    cell_h = 26.0
    if height is None:
        height = PAD + header_h + cell_h * len(rows) + 8 + legend_h + PAD
    else:
        cell_h = max(12.0, (height - 2 * PAD - header_h - 8 - legend_h) / len(rows))
    show_n = cell_h >= 24 and size >= 7
    drawing = Drawing(width, height)
    grid_top = height - PAD - header_h
    for j, lines in enumerate(col_wrapped):
        cx = x0 + cell_w * (j + 0.5)
        for k, line in enumerate(lines):
            drawing.add(
                _text(
                    cx,
                    height - PAD - (k + 1) * line_h + 2,
                    line,
                    anchor="middle",
                    size=SMALL_SIZE + 0.5,
                    cls="qc-label",
                )
            )
    for i, (label, row) in enumerate(zip(rows, values, strict=True)):
        y = grid_top - (i + 1) * cell_h
        drawing.add(
            _text(
                PAD + row_label_w,
                y + cell_h / 2 - FONT_SIZE / 3,
                _truncate(_clean(label), row_label_w),
                anchor="end",
                cls="qc-label",
            )
        )
        for j, (value, n) in enumerate(row):
            x = x0 + j * cell_w
            small = value is not None and _is_small(n, small_sample_n)
            if value is None:
                fill, ink, cls = white, PALETTE.muted, "qc-cell qc-empty"
            else:
                fill = fill_of(value)
                ink, cls = _text_on(fill), "qc-cell" + (" qc-small" if small else "")
            drawing.add(
                _rect(
                    x + 1,
                    y + 1,
                    cell_w - 2,
                    cell_h - 2,
                    fill,
                    stroke=PALETTE.grid,
                    stroke_width=0.5,
                    cls=cls,
                )
            )
            if small:
                outline = _rect(
                    x + 2, y + 2, cell_w - 4, cell_h - 4, None, stroke=ink, stroke_width=0.75
                )
                outline.strokeDashArray = [2, 2]
                drawing.add(outline)
            cell_text = cell_texts[i][j]
            if show_n and value is not None and n is not None:
                drawing.add(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 + 1,
                        cell_text,
                        size=size,
                        anchor="middle",
                        color=ink,
                        bold=True,
                        cls="qc-value",
                    )
                )
                n_text = _truncate(text.n.replace("{n}", count_format(n)), cell_w - 4, 6.5)
                drawing.add(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 - 7.5,
                        n_text,
                        size=6.5,
                        anchor="middle",
                        color=ink,
                    )
                )
            else:
                drawing.add(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 - size / 3,
                        cell_text,
                        size=size,
                        anchor="middle",
                        color=ink,
                        bold=value is not None,
                        cls="qc-value",
                    )
                )

    # legend: the scale in steps with the values at its ends and middle, then the markers
    legend_top = grid_top - cell_h * len(rows) - 8
    step_w = min(36.0, (width - 2 * PAD) / (scale_entries + 1))
    ly = legend_top - _LEGEND_ROW + 3
    for k in range(scale_entries):
        v = lo + (hi - lo) * k / (scale_entries - 1)
        fill = fill_of(v)
        drawing.add(
            _rect(PAD + k * step_w, ly, step_w, SWATCH, fill, stroke=PALETTE.grid, stroke_width=0.5)
        )
    for k, v in ((0, lo), (scale_entries - 1, hi)):
        drawing.add(
            _text(
                PAD + (k + 0.5) * step_w,
                ly - SMALL_SIZE - 1,
                value_format(v),
                size=SMALL_SIZE - 0.5,
                anchor="middle",
                color=PALETTE.muted,
            )
        )
    notes = [
        _LegendEntry(
            lambda x, y: [_rect(x, y, SWATCH, SWATCH, white, stroke=PALETTE.grid)],
            "– " + text.no_data,
        ),
    ]
    if has_small:
        notes.append(
            _LegendEntry(
                lambda x, y: [_dashed(_rect(x, y, SWATCH, SWATCH, None, stroke=PALETTE.ink))],
                "* " + text.small_sample.replace("{n}", str(small_sample_n)),
            )
        )
    notes_x = PAD + scale_entries * step_w + 12
    _draw_legend(drawing, notes, notes_x, legend_top, width - PAD - notes_x)
    return drawing


def _dashed(rect: Rect) -> Rect:
    rect.strokeDashArray = [2, 2]
    return rect


# --- 5. trend over waves / months --------------------------------------------------------------


def trend(
    points: Sequence[tuple[str, float | None, int | None]],
    *,
    target: float | None = None,
    value_format: ValueFormat = format_number,
    tick_format: ValueFormat | None = None,
    count_format: CountFormat = format_count,
    higher_is_better: bool = True,
    small_sample_n: int = 30,
    value_min: float | None = None,
    value_max: float | None = None,
    width: float = 360,
    height: float = 200,
    text: ChartText = ChartText(),
) -> Drawing:
    """A line over ``(label, value, n)`` points (waves, months) with a marker and value per point.

    A point without a value breaks the line. With a ``target`` a horizontal target line is drawn
    and each point's marker is coloured and its value marked (check or cross) as meeting or
    missing it; small samples are drawn as hollow markers with an asterisk.
    """
    values = [v for _, v, _ in points if v is not None]
    if not values:
        return _no_data(width, height, text)
    tick_format = tick_format or value_format
    has_small = any(_is_small(n, small_sample_n) for _, v, n in points if v is not None)
    legend = _target_entries(text, target is not None)
    if has_small:
        legend.append(
            _LegendEntry(
                lambda x, y: [
                    _rect(
                        x + 1,
                        y + 1,
                        SWATCH - 2,
                        SWATCH - 2,
                        white,
                        stroke=PALETTE.neutral,
                        stroke_width=1.5,
                        radius=(SWATCH - 2) / 2,
                    )
                ],
                "* " + text.small_sample.replace("{n}", str(small_sample_n)),
            )
        )
    legend_h = _legend_height(legend, width - 2 * PAD)

    extra = [target] if target is not None else []
    lo = value_min if value_min is not None else min(*values, *extra)
    hi = value_max if value_max is not None else max(*values, *extra)
    if value_min is None or value_max is None:
        span = (hi - lo) or abs(hi) or 1.0
        lo = lo - span * 0.15 if value_min is None else lo
        hi = hi + span * 0.15 if value_max is None else hi
        if value_min is None and min(*values, *extra) >= 0 > lo:
            lo = 0.0
    ticks = [t for t in _nice_ticks(lo, hi, 5) if lo - 1e-9 <= t <= hi + 1e-9]
    tick_w = max(_width(tick_format(t), SMALL_SIZE) for t in ticks) if ticks else 0

    slot = (width - PAD - (PAD + tick_w + 6)) / len(points)
    wrapped = [_wrap(label, slot - 2, SMALL_SIZE + 0.5) for label, _, _ in points]
    for lines, (_, _, n) in zip(wrapped, points, strict=True):
        if n is not None:
            n_text = text.n.replace("{n}", count_format(n))
            if _width(n_text, SMALL_SIZE + 0.5) > slot - 2:  # narrow slots: "n=150"
                n_text = n_text.replace(" ", "")
            lines.append(n_text)
    line_h = SMALL_SIZE + 2.5
    label_h = max(len(lines) for lines in wrapped) * line_h + 4
    x0 = PAD + tick_w + 6
    plot_bottom = PAD + label_h + (legend_h + 4 if legend else 0)
    plot_top = height - PAD - 2 * (SMALL_SIZE + 2)
    drawing = Drawing(width, height)

    def y_of(v: float) -> float:
        return plot_bottom + (min(max(v, lo), hi) - lo) / (hi - lo) * (plot_top - plot_bottom)

    for t in ticks:
        drawing.add(
            Line(x0, y_of(t), width - PAD, y_of(t), strokeColor=PALETTE.grid, strokeWidth=0.5)
        )
        drawing.add(
            _text(
                x0 - 4,
                y_of(t) - SMALL_SIZE / 3,
                tick_format(t),
                size=SMALL_SIZE,
                anchor="end",
                color=PALETTE.muted,
            )
        )
    if target is not None:
        yt = y_of(target)
        drawing.add(_rect(x0, yt - 0.75, width - PAD - x0, 1.5, PALETTE.ink, cls="qc-target"))
        label = f"{text.target} {value_format(target)}"
        drawing.add(
            _text(width - PAD, yt + 3, label, size=SMALL_SIZE, anchor="end", cls="qc-target-label")
        )

    xs = [x0 + slot * (i + 0.5) for i in range(len(points))]
    r = 3.5
    segments: list[tuple[float, float, float, float]] = []
    obstacles: list[tuple[float, float, float, float]] = []  # boxes (left, bottom, right, top)
    if target is not None:
        obstacles.append((x0, y_of(target) - 1, width - PAD, y_of(target) + 1))
        label = f"{text.target} {value_format(target)}"
        obstacles.append(
            (
                width - PAD - _width(label, SMALL_SIZE),
                y_of(target) + 2,
                width - PAD,
                y_of(target) + 3 + SMALL_SIZE,
            )
        )
    segment: list[float] = []
    for x, (_, value, _) in [*zip(xs, points, strict=True), (0.0, ("", None, None))]:
        if value is not None:
            segment += [x, y_of(value)]
            obstacles.append((x - r, y_of(value) - r, x + r, y_of(value) + r))
            continue
        if len(segment) >= 4:
            drawing.add(
                PolyLine(
                    segment,
                    strokeColor=PALETTE.neutral,
                    strokeWidth=2,
                    strokeLineJoin=1,
                    strokeLineCap=1,
                )
            )
            segments += [
                (segment[k], segment[k + 1], segment[k + 2], segment[k + 3])
                for k in range(0, len(segment) - 2, 2)
            ]
        segment = []

    def collides(box: tuple[float, float, float, float]) -> bool:
        left, bottom, right, top = box
        if left < PAD or right > width - PAD or bottom < plot_bottom or top > height - PAD:
            return True
        for o_left, o_bottom, o_right, o_top in obstacles:
            if left < o_right and o_left < right and bottom < o_top and o_bottom < top:
                return True
        for xa, ya, xb, yb in segments:
            for step in range(25):
                px, py = xa + (xb - xa) * step / 24, ya + (yb - ya) * step / 24
                if left - 1 < px < right + 1 and bottom - 1 < py < top + 1:
                    return True
        return False

    for x, (_, value, n), lines in zip(xs, points, wrapped, strict=True):
        for j, line in enumerate(lines):
            is_n = n is not None and j == len(lines) - 1
            size = SMALL_SIZE + 0.5
            if is_n and _width(line, size) > slot - 2:
                size = max(5.5, size * (slot - 2) / _width(line, size))
            drawing.add(
                _text(
                    x,
                    plot_bottom - (j + 1) * line_h,
                    line,
                    size=size,
                    anchor="middle",
                    color=PALETTE.muted if is_n else PALETTE.ink,
                    cls=None if is_n else "qc-label",
                )
            )
        if value is None:
            drawing.add(
                _text(x, plot_bottom + 4, "–", anchor="middle", color=PALETTE.muted, cls="qc-value")
            )
            continue
        small = _is_small(n, small_sample_n)
        meets = None if target is None else _meets(value, target, higher_is_better)
        color = PALETTE.neutral if meets is None else PALETTE.meets if meets else PALETTE.misses
        y = y_of(value)
        cls = "qc-point" + (" qc-small" if small else "")
        cls += "" if meets is None else " qc-meets" if meets else " qc-misses"
        drawing.add(
            _rect(
                x - r,
                y - r,
                2 * r,
                2 * r,
                white if small else color,
                stroke=color,
                stroke_width=1.5,
                radius=r,
                cls=cls,
            )
        )
        label = value_format(value) + ("*" if small else "")
        size = SMALL_SIZE + 0.5
        if _width(label, size, bold=True) > slot - 2:
            size = max(6.0, size * (slot - 2) / _width(label, size, bold=True))
        box_w = _width(label, size, bold=True) + (0.0 if meets is None else size + 1)
        # the first of above, below, right, left that hits no line, marker or other label
        candidates = [
            (x - box_w / 2, y + r + 3),
            (x - box_w / 2, y - r - 3 - size),
            (x + r + 3, y - size / 2),
            (x - r - 3 - box_w, y - size / 2),
        ]
        left, bottom = next(
            (c for c in candidates if not collides((c[0], c[1] - 1, c[0] + box_w, c[1] + size))),
            candidates[0],
        )
        obstacles.append((left, bottom - 1, left + box_w, bottom + size))
        drawing.add(_rect(left - 1, bottom - 2, box_w + 2, size + 3, white))
        if meets is not None:
            if meets:
                drawing.add(_check(left, bottom, size, PALETTE.meets))
            else:
                for shape in _cross(left, bottom, size, PALETTE.misses):
                    drawing.add(shape)
            left += size + 1
        drawing.add(_text(left, bottom, label, size=size, bold=True, cls="qc-value"))
    if legend:
        _draw_legend(drawing, legend, PAD, PAD + legend_h, width - 2 * PAD)
    return drawing


# --- 6. NPS split ------------------------------------------------------------------------------


def nps_split(
    promoters: float | None,
    passives: float | None,
    detractors: float | None,
    *,
    share_format: ValueFormat = format_percent,
    n: int | None = None,
    count_format: CountFormat = format_count,
    width: float = 360,
    height: float = 64,
    text: ChartText = ChartText(),
) -> Drawing:
    """One stacked 100 % bar: detractors, passives, promoters (counts or shares, normalised).

    Each share is printed in its segment where it fits and always in the legend below.
    """
    parts = [
        (text.detractors, detractors, PALETTE.misses),
        (text.passives, passives, PALETTE.passive),
        (text.promoters, promoters, PALETTE.meets),
    ]
    if any(v is None or v < 0 for _, v, _ in parts):
        return _no_data(width, height, text)
    total = sum(v for _, v, _ in parts if v is not None)
    if total <= 0:
        return _no_data(width, height, text)
    shares = [(label, (v or 0.0) / total, color) for label, v, color in parts]

    legend = [
        _LegendEntry(
            lambda x, y, c=color: [
                _rect(x, y, SWATCH, SWATCH, c, stroke=PALETTE.ink, stroke_width=0.5)
            ],
            f"{label} {share_format(share)}",
        )
        for label, share, color in shares
    ]
    if n is not None:
        legend.append(_LegendEntry(lambda x, y: [], text.n.replace("{n}", count_format(n))))
    legend_h = _legend_height(legend, width - 2 * PAD)
    drawing = Drawing(width, height)
    bar_h = max(14.0, height - 2 * PAD - legend_h - 6)
    bar_y = height - PAD - bar_h
    x = PAD
    for _label, share, color in shares:
        w = share * (width - 2 * PAD)
        if w <= 0:
            continue
        drawing.add(
            _rect(x, bar_y, w, bar_h, color, stroke=white, stroke_width=1, cls="qc-segment")
        )
        share_text = share_format(share)
        if _width(share_text, FONT_SIZE, bold=True) + 6 <= w:
            drawing.add(
                _text(
                    x + w / 2,
                    bar_y + bar_h / 2 - FONT_SIZE / 3,
                    share_text,
                    anchor="middle",
                    bold=True,
                    color=_text_on(color),
                    cls="qc-value",
                )
            )
        x += w
    drawing.add(
        _rect(PAD, bar_y, width - 2 * PAD, bar_h, None, stroke=PALETTE.ink, stroke_width=0.5)
    )
    _draw_legend(drawing, legend, PAD, bar_y - 5, width - 2 * PAD)
    return drawing
