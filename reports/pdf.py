"""The report as a PDF for executives, laid out with reportlab platypus.

The renderer knows no Flask and no database: it receives a :class:`ReportDocument` — the report's
snapshot (reports/snapshot.py), its SWOT sentences, a few verbatim quotes and every fixed text
already in the document's language (``PdfTexts``) — and returns the PDF's bytes
(:func:`render`). ``reports.documents`` assembles the document from the database.

What it prints, in order: a cover (title, client, scope, publishing date); the table of contents;
an executive summary with a traffic light per headline figure against its target; the SWOT
matrix; the method comparison; results per channel, per dimension and over response times and
the times of day; the change against the previous wave; the customer survey; verbatim quotes;
an appendix with the definitions, the sample sizes and every figure with its n and interval.
Every page carries "Page x of y" in its footer.

Rules it keeps:

* Every figure is printed with its n, its 95 % interval (where DOMAIN.md gives one) and its
  target; numbers are written as ``reports.swot.format_value`` writes them (``Numbers``), so the
  PDF, the dashboard and the SWOT sentences agree to the digit.
* Traffic lights never rely on colour: each has its own shape and symbol and a text — green
  circle with a check (meets the target), amber triangle with "!" (misses it, not
  significantly), red square with "×" (significantly worse than the target).
* Small samples (n < 30) are marked with an asterisk and explained under the table.
* All text from the document is plain text and escaped here before it reaches platypus markup
  (client names, manager's wording and customers' verbatims may contain "<" or "&").
* It only reads what the snapshot holds: testers, personas and evaluators are not in it, and
  nothing here adds them. An empty snapshot (``{}``) prints "no figures" where figures would be.
* Helvetica (a PDF standard font) covers German; characters outside Windows-1252 are replaced
  by "?" rather than dropped silently.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from babel import Locale
from babel.numbers import format_decimal, format_percent
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from qcrm.statistics import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    Interval,
    Verdict,
    differs,
    verdict_of,
)
from reports import charts
from reports.charts import ChartText

__all__ = [
    "DocumentFinding",
    "Numbers",
    "PdfTexts",
    "ReportDocument",
    "Verbatim",
    "render",
]

#: The units ``reports.swot.Unit`` names (by value): how a figure is written.
SHARE, POINTS, MEAN, SECONDS, COUNT = "share", "points", "mean", "seconds", "count"
#: DOMAIN.md "Uncertainty": a figure on fewer cases is a small sample.
SMALL_SAMPLE_N = 30
QUADRANTS = ("strength", "weakness", "opportunity", "threat")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
#: The content frame's inner height (platypus frames pad 6 pt on each side).
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 12

INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#595959")
ACCENT = colors.HexColor("#0072B2")
RULE = colors.HexColor("#BFBFBF")
HEADER_FILL = colors.HexColor("#EAF1F8")
ZEBRA = colors.HexColor("#F5F5F5")
GREEN = colors.HexColor("#009E73")
AMBER = colors.HexColor("#E69F00")
RED = colors.HexColor("#D55E00")
GREY = colors.HexColor("#8C8C8C")


# --- what the renderer receives -------------------------------------------------------------------


@dataclass(frozen=True)
class PdfTexts:
    """Every fixed text of the PDF, already translated. Texts with ``%(name)s`` are filled here.

    The mappings translate the snapshot's codes: ``figures`` the figure names (keys as in
    ``FIGURE_KEYS``), ``dimensions`` the quality dimensions, ``columns`` and ``biases`` the
    method-matrix columns, ``methods`` DOMAIN.md's methods, ``hour_bands`` the hour bands,
    ``weekdays`` Monday to Sunday, ``quadrants`` the SWOT quadrants' headings.
    """

    # page furniture
    page: str  # "Page %(page)s of %(pages)s"
    contents: str
    cover_client: str
    cover_scope: str
    cover_published: str
    cover_note: str
    # sections
    summary: str
    swot: str
    methods: str
    channels: str
    dimensions: str
    response_times: str
    times_of_day: str
    trend: str
    survey: str
    verbatims: str
    appendix: str
    appendix_definitions: str
    appendix_samples: str
    appendix_figures: str
    # table headings
    figure: str
    value: str
    n: str
    interval: str
    target: str
    status: str
    channel: str
    sent: str
    answered: str
    dimension: str
    item: str
    knockouts: str
    previous: str
    current: str
    change: str
    change_interval: str
    significant: str
    yes: str
    no: str
    # verdicts: Verdict value → its label (qcrm.verdicts)
    verdicts: Mapping[str, str]
    small_sample: str  # "%(n)s" = the threshold
    small_sample_note: str
    none: str  # "no target" in a target cell
    no_value: str  # "–"
    # messages
    no_figures: str
    no_survey: str
    no_comparison: str
    no_findings: str
    no_verbatims: str
    no_channels: str
    no_items: str
    edited: str  # "(edited)"
    summary_counts: str  # "%(evaluations)s", "%(responses)s"
    summary_findings: str  # "Findings of the SWOT" (followed by the count per quadrant)
    methods_used: str  # "%(methods)s"
    too_few_methods: str
    no_disagreement: str
    disagreement: str  # heading of one disagreement
    disagreement_text: str  # filled with first/second/… see _disagreements
    matrix_note: str
    channels_chart: str
    channels_score_chart: str
    dimensions_chart: str
    matrix_chart: str
    cutoffs_chart: str
    cutoffs_note: str
    hour_band_chart: str
    weekday_chart: str
    crossed_chart: str  # hour band × weekday
    crossed_head: str  # the first column of its table
    heatmap_note: str
    trend_chart_answer_rate: str
    trend_chart_total_score: str
    nps_chart: str
    survey_counts: str  # "%(responses)s … %(surveys)s"
    survey_withheld: str  # "%(count)s"
    verbatims_note: str
    minutes: str  # "%(value)s min"
    hours: str  # "%(value)s h"
    percentage_points: str  # "%(value)s percentage points"
    interval_range: str  # "%(low)s to %(high)s"
    # the appendix
    definitions: tuple[tuple[str, str], ...]
    samples: tuple[tuple[str, str], ...]  # (label, key into the counts); see _samples
    # code → label
    figures: Mapping[str, str]
    dimensions_: Mapping[str, str]
    columns: Mapping[str, str]
    #: column code → "n = %(n)s contacts": what a matrix cell's n counts
    cases: Mapping[str, str]
    biases: Mapping[str, str]
    methods_: Mapping[str, str]
    hour_bands: Mapping[str, str]
    weekdays: tuple[str, ...]
    quadrants: Mapping[str, str]
    chart: ChartText = field(default_factory=ChartText)


@dataclass(frozen=True)
class DocumentFinding:
    """One SWOT item as printed: its quadrant (``reports.swot.Quadrant`` value), its sentence in
    the document's language, and whether a manager wrote or changed it."""

    quadrant: str
    sentence: str
    edited: bool = False


@dataclass(frozen=True)
class Verbatim:
    """A customer's free-text answer, quoted as given, with the day it was submitted."""

    text: str
    day: str


@dataclass(frozen=True)
class ReportDocument:
    """Everything the PDF prints; plain data, already in ``language``."""

    language: str
    #: Babel locale name for numbers ("de", "en").
    locale: str
    title: str
    client: str
    #: The scope in words (waves, period, channels).
    scope: str
    #: The publishing date, formatted (or a "draft" note for a draft).
    published: str
    #: The figures as reports.snapshot.build_snapshot made them ({} for none).
    snapshot: Mapping[str, Any]
    findings: tuple[DocumentFinding, ...]
    verbatims: tuple[Verbatim, ...]
    texts: PdfTexts
    #: Wave id → name, for the scope's and the previous comparable wave.
    wave_names: Mapping[int, str] = field(default_factory=dict)
    #: Which wave the changes are measured against, in words.
    comparison: str = ""
    #: What is counted, in words (sent, approved, awaiting review, not contactable).
    counts: str = ""
    #: Why the figures may still change: printed on the cover and atop the summary.
    notices: tuple[str, ...] = ()


# --- numbers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbers:
    """Writes values as ``reports.swot.format_value`` does, with Babel for ``locale`` only: shares
    as percent with one decimal, points with one, means with two, seconds as minutes below two
    hours and as hours above, counts as whole numbers; None as a dash."""

    locale: str
    minutes: str = "%(value)s min"
    hours: str = "%(value)s h"
    percentage_points: str = "%(value)s percentage points"
    dash: str = "–"

    def __post_init__(self) -> None:
        locale = Locale.parse(self.locale)
        pattern = locale.percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
        object.__setattr__(self, "_percent", pattern)

    def value(self, value: float | None, unit: str) -> str:
        if value is None:
            return self.dash
        if unit == SHARE:
            return format_percent(value, self._percent, locale=self.locale)  # type: ignore[attr-defined]
        if unit == POINTS:
            return format_decimal(value, "#,##0.0", locale=self.locale)
        if unit == MEAN:
            return format_decimal(value, "#,##0.00", locale=self.locale)
        if unit == SECONDS:
            if value < 2 * 3600:
                return self.minutes % {
                    "value": format_decimal(value / 60, "#,##0", locale=self.locale)
                }
            return self.hours % {
                "value": format_decimal(value / 3600, "#,##0.0", locale=self.locale)
            }
        return format_decimal(value, "#,##0", locale=self.locale)

    def count(self, value: int | float | None) -> str:
        return self.value(value, COUNT)

    def hours_number(self, value: float | None) -> str:
        return self.dash if value is None else format_decimal(value, "#,##0.#", locale=self.locale)

    def difference(self, value: float | None, unit: str) -> str:
        """A signed difference: percentage points for shares, else in the figure's unit."""
        if value is None:
            return self.dash
        if unit == SHARE:
            number = format_decimal(value * 100, "+#,##0.0;-#,##0.0", locale=self.locale)
            return self.percentage_points % {"value": number}
        if unit == POINTS:
            return format_decimal(value, "+#,##0.0;-#,##0.0", locale=self.locale)
        if unit == MEAN:
            return format_decimal(value, "+#,##0.00;-#,##0.00", locale=self.locale)
        return self.value(value, unit)


# --- styles ---------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "PdfBody",
        fontName="Helvetica",
        fontSize=9.5,
        leading=13,
        textColor=INK,
        alignment=TA_LEFT,
        spaceAfter=5,
    )
    return {
        "body": base,
        "title": ParagraphStyle(
            "PdfTitle", parent=base, fontName="Helvetica-Bold", fontSize=26, leading=32
        ),
        "cover": ParagraphStyle("PdfCover", parent=base, fontSize=12, leading=17, spaceAfter=4),
        "cover_label": ParagraphStyle(
            "PdfCoverLabel", parent=base, fontSize=8.5, textColor=MUTED, spaceAfter=0
        ),
        "h1": ParagraphStyle(
            "PdfH1",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=16,
            leading=20,
            spaceBefore=4,
            spaceAfter=8,
            textColor=ACCENT,
        ),
        "h2": ParagraphStyle(
            "PdfH2",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "contents": ParagraphStyle(
            "PdfContents", parent=base, fontName="Helvetica-Bold", fontSize=16, leading=20
        ),
        "cell": ParagraphStyle("PdfCell", parent=base, fontSize=8, leading=10, spaceAfter=0),
        "cell_bold": ParagraphStyle(
            "PdfCellBold",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=8,
            leading=10,
            spaceAfter=0,
        ),
        "cell_small": ParagraphStyle(
            "PdfCellSmall", parent=base, fontSize=7, leading=8.5, textColor=MUTED, spaceAfter=0
        ),
        "head": ParagraphStyle(
            "PdfHead",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=8,
            leading=10,
            spaceAfter=0,
        ),
        "note": ParagraphStyle(
            "PdfNote", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=6
        ),
        "warning": ParagraphStyle(
            "PdfWarning",
            parent=base,
            fontName="Helvetica-Bold",
            textColor=colors.HexColor("#8A3B00"),
            borderColor=RED,
            borderWidth=0.8,
            borderPadding=5,
            backColor=colors.HexColor("#FDF1E8"),
            spaceBefore=4,
            spaceAfter=10,
        ),
        "swot_item": ParagraphStyle(
            "PdfSwotItem",
            parent=base,
            fontSize=8.5,
            leading=11,
            leftIndent=8,
            bulletIndent=0,
            spaceAfter=4,
        ),
        "quote": ParagraphStyle(
            "PdfQuote",
            parent=base,
            fontName="Helvetica-Oblique",
            leftIndent=14,
            rightIndent=14,
            spaceAfter=2,
        ),
        "toc1": ParagraphStyle(
            "PdfToc1", parent=base, fontSize=11, leading=16, leftIndent=0, firstLineIndent=0
        ),
        "toc2": ParagraphStyle(
            "PdfToc2",
            parent=base,
            fontSize=9.5,
            leading=13,
            leftIndent=16,
            firstLineIndent=0,
            textColor=MUTED,
        ),
    }


_CP1252 = "cp1252"


def _text(value: object) -> str:
    """Plain text made safe for platypus markup, within what Helvetica can print."""
    text = "" if value is None else str(value)
    text = text.encode(_CP1252, errors="replace").decode(_CP1252)
    return escape(text)


# --- traffic lights -------------------------------------------------------------------------------


#: The traffic light of each verdict: a significantly better figure meets its target too.
_LIGHTS = {
    Verdict.SIGNIFICANTLY_BETTER: "meets",
    Verdict.MEETS: "meets",
    Verdict.MISSES: "misses",
    Verdict.SIGNIFICANTLY_WORSE: "worse",
    Verdict.NO_TARGET: None,
}


def verdict(figure: Mapping[str, Any] | None) -> str | None:
    """The traffic light of a snapshot figure: "meets", "misses" (not significantly), "worse"
    (significantly worse) or None (no target or no figure), from its verdict."""
    return _LIGHTS[verdict_of(figure)]


class TrafficLight(Flowable):
    """A traffic light that needs no colour: circle + check, triangle + "!", square + "×", or a
    grey ring without a target."""

    SIZE = 11.0

    def __init__(self, state: str | None) -> None:
        super().__init__()
        self.state = state
        self.width = self.height = self.SIZE

    def wrap(self, available_width, available_height):
        return self.SIZE, self.SIZE

    def draw(self) -> None:
        draw_light(self.canv, 0, 0, self.state, self.SIZE)


class Marked(Flowable):
    """A paragraph with a small traffic light after its first line (none without a target)."""

    SIZE = 7.5

    def __init__(self, paragraph: Paragraph, state: str | None) -> None:
        super().__init__()
        self.paragraph = paragraph
        self.state = state

    def wrap(self, available_width, available_height):
        room = available_width - (self.SIZE + 3 if self.state else 0)
        _, height = self.paragraph.wrap(room, available_height)
        style = self.paragraph.style
        text_width = stringWidth(self.paragraph.getPlainText(), style.fontName, style.fontSize)
        self._icon_x = min(text_width, room) + 3
        self.width, self.height = available_width, height
        return self.width, self.height

    def draw(self) -> None:
        self.paragraph.drawOn(self.canv, 0, 0)
        if self.state:
            leading = self.paragraph.style.leading
            y = self.height - leading + (leading - self.SIZE) / 2 - 0.5
            draw_light(self.canv, self._icon_x, y, self.state, self.SIZE)


def draw_light(canvas: Canvas, x: float, y: float, state: str | None, size: float) -> None:
    """Draw a traffic light with its lower left corner at (x, y) (canvas calls: fast)."""
    canvas.saveState()
    canvas.translate(x, y)
    half = size / 2
    canvas.setLineWidth(size * 0.15)
    canvas.setStrokeColor(colors.white)
    if state == "meets":
        canvas.setFillColor(GREEN)
        canvas.circle(half, half, half, stroke=0, fill=1)
        path = canvas.beginPath()
        path.moveTo(size * 0.25, size * 0.5)
        path.lineTo(size * 0.43, size * 0.3)
        path.lineTo(size * 0.75, size * 0.72)
        canvas.drawPath(path, stroke=1, fill=0)
    elif state == "misses":
        canvas.setFillColor(AMBER)
        path = canvas.beginPath()
        path.moveTo(0, 0)
        path.lineTo(size, 0)
        path.lineTo(half, size)
        path.close()
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.setFillColor(INK)
        canvas.setFont("Helvetica-Bold", size * 0.72)
        canvas.drawCentredString(half, size * 0.14, "!")
    elif state == "worse":
        canvas.setFillColor(RED)
        canvas.rect(0.5, 0.5, size - 1, size - 1, stroke=0, fill=1)
        inset = size * 0.28
        canvas.line(inset, inset, size - inset, size - inset)
        canvas.line(inset, size - inset, size - inset, inset)
    else:
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(1.2)
        canvas.circle(half, half, half - 0.8, stroke=1, fill=0)
    canvas.restoreState()


# --- the document template ------------------------------------------------------------------------


_HEADING_LEVELS = {"PdfH1": 0, "PdfH2": 1}


class _Template(BaseDocTemplate):
    """Cover and content pages; headings feed the table of contents and the PDF outline."""

    def __init__(self, buffer: io.BytesIO, document: ReportDocument) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=document.title,
            subject=document.client,
            author="Q-CRM",
            creator="Q-CRM",
            lang=document.language,
            invariant=1,
        )
        self.document = document
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            FRAME_WIDTH,
            PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
            id="content",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        cover = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            FRAME_WIDTH,
            PAGE_HEIGHT - 70 * mm - MARGIN_BOTTOM,
            id="cover",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates(
            [
                PageTemplate("cover", [cover], onPage=self._cover_page),
                PageTemplate("content", [frame], onPage=self._content_page),
            ]
        )
        self._heading = 0

    def _cover_page(self, canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, PAGE_HEIGHT - 42 * mm, PAGE_WIDTH, 42 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawString(MARGIN_X, PAGE_HEIGHT - 24 * mm, "Q-CRM")
        canvas.restoreState()

    def _content_page(self, canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        header = f"{self.document.title} – {self.document.client}"
        header = header.encode(_CP1252, errors="replace").decode(_CP1252)
        while canvas.stringWidth(header, "Helvetica", 7.5) > FRAME_WIDTH and len(header) > 4:
            header = header[:-2].rstrip() + "…"
        canvas.drawString(MARGIN_X, PAGE_HEIGHT - 13 * mm, header)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, PAGE_HEIGHT - 15 * mm, PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - 15 * mm)
        canvas.restoreState()

    def afterFlowable(self, flowable) -> None:
        if not isinstance(flowable, Paragraph):
            return
        level = _HEADING_LEVELS.get(flowable.style.name)
        if level is None:
            return
        text = flowable.getPlainText()
        self._heading += 1
        key = f"h{self._heading}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, _text(text), self.page, key))

    def beforeDocument(self) -> None:
        self._heading = 0


def _numbered_canvas(document: ReportDocument) -> type[Canvas]:
    """A canvas that writes "Page x of y" once it knows y (pages are kept until saved)."""
    page_text = document.texts.page

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            text = page_text % {"page": self._pageNumber, "pages": total}
            self.saveState()
            self.setFont("Helvetica", 7.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, 13 * mm, PAGE_WIDTH - MARGIN_X, 13 * mm)
            self.drawRightString(PAGE_WIDTH - MARGIN_X, 9 * mm, text)
            self.restoreState()

    return NumberedCanvas


# --- building blocks ------------------------------------------------------------------------------


class _Builder:
    """Turns the document into platypus flowables, section by section."""

    def __init__(self, document: ReportDocument) -> None:
        self.doc = document
        self.t = document.texts
        self.s = _styles()
        self.num = Numbers(
            document.locale,
            minutes=self.t.minutes,
            hours=self.t.hours,
            percentage_points=self.t.percentage_points,
            dash=self.t.no_value,
        )
        snapshot = document.snapshot or {}
        self.snapshot = snapshot
        self.mystery: Mapping[str, Any] = snapshot.get("mystery") or {}
        self.survey: Mapping[str, Any] | None = snapshot.get("survey") or None
        self.matrix: Mapping[str, Any] = snapshot.get("matrix") or {}
        self.empty = not self.mystery
        self.chart_text = self.t.chart
        self.toc = TableOfContents(dotsMinLevel=0)

    # -- small helpers

    def p(self, text: str, style: str = "body", markup: bool = False) -> Paragraph:
        return Paragraph(text if markup else _text(text), self.s[style])

    def h1(self, text: str) -> list[Flowable]:
        return [CondPageBreak(60 * mm), self.p(text, "h1")]

    def h2(self, text: str) -> list[Flowable]:
        return [CondPageBreak(45 * mm), self.p(text, "h2")]

    def fmt(self, value: float | None, unit: str) -> str:
        return self.num.value(value, unit)

    def figure_value(self, figure: Mapping[str, Any] | None, unit: str) -> str:
        if not figure:
            return self.t.no_value
        text = self.fmt(figure.get("value"), unit)
        if figure.get("small_sample"):
            text += "*"
        return text

    def figure_interval(self, figure: Mapping[str, Any] | None, unit: str) -> str:
        if not figure or figure.get("low") is None or figure.get("high") is None:
            return self.t.no_value
        return self.t.interval_range % {
            "low": self.fmt(figure["low"], unit),
            "high": self.fmt(figure["high"], unit),
        }

    def figure_target(self, figure: Mapping[str, Any] | None, unit: str) -> str:
        if not figure or figure.get("target") is None:
            return self.t.none
        return self.fmt(figure["target"], unit)

    def figure_n(self, figure: Mapping[str, Any] | None) -> str:
        return self.t.no_value if not figure else self.num.count(figure.get("n"))

    def verdict_text(self, figure: Mapping[str, Any] | None) -> str:
        return self.t.verdicts[verdict_of(figure).value]

    def value_cell(self, figure: Mapping[str, Any] | None, unit: str, interval: bool = True):
        """A value with its mark against the target (shape, not colour, carries it: see
        ``draw_light``) and, small below it, its interval."""
        value = Paragraph(_text(self.figure_value(figure, unit)), self.s["cell"])
        parts: list[Flowable] = [Marked(value, verdict(figure)) if figure else value]
        if interval and figure and figure.get("low") is not None:
            parts.append(Paragraph(_text(self.figure_interval(figure, unit)), self.s["cell_small"]))
        return parts

    def table(
        self,
        rows: list[list[Any]],
        widths: Sequence[float],
        header_rows: int = 1,
        extra: Sequence[tuple] = (),
    ) -> Table:
        cooked = [
            [
                cell
                if not isinstance(cell, str)
                else Paragraph(_text(cell), self.s["head" if r < header_rows else "cell"])
                for cell in row
            ]
            for r, row in enumerate(rows)
        ]
        table = Table(
            cooked, colWidths=list(widths), repeatRows=header_rows, splitInRow=1, hAlign="LEFT"
        )
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, INK),
            ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, RULE),
        ]
        if header_rows:
            style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
        for r in range(header_rows, len(rows)):
            if (r - header_rows) % 2 == 1:
                style.append(("BACKGROUND", (0, r), (-1, r), ZEBRA))
        table.setStyle(TableStyle([*style, *extra]))
        return table

    def chart(self, title: str, drawing: Drawing) -> Flowable:
        return KeepTogether(
            [self.p(title, "cell_bold"), Spacer(1, 3), _Chart(drawing), Spacer(1, 8)]
        )

    def group_bars(
        self,
        title: str,
        groups: Sequence[Mapping[str, Any]],
        key: str,
        targets: Mapping[str, Any],
        unit: str,
        value_max: float,
    ) -> Flowable:
        """A bar per group (e.g. channel) of one of its figures, against the figure's target."""
        return self.chart(
            title,
            charts.bar_chart(
                [
                    (
                        g.get("label") or "",
                        (g.get(key) or {}).get("value"),
                        (g.get(key) or {}).get("n"),
                    )
                    for g in groups
                ],
                target=targets.get(key),
                value_format=lambda v: self.fmt(v, unit),
                count_format=self.num.count,
                value_min=0,
                value_max=value_max,
                width=FRAME_WIDTH,
                text=self.chart_text,
            ),
        )

    def small_sample_note(self) -> Paragraph:
        return self.p(self.t.small_sample_note % {"n": self.num.count(SMALL_SAMPLE_N)}, "note")

    def label(self, key: str, **params: Any) -> str:
        text = self.t.figures.get(key, key)
        return text % params if params else text

    # -- headline figures

    def headline(self) -> list[tuple[str, Mapping[str, Any] | None, str]]:
        """(label, figure, unit) of the executive summary's figures."""
        m = self.mystery
        targets = m.get("targets") or {}
        frt = m.get("frt_calendar") or {}
        rows: list[tuple[str, Mapping[str, Any] | None, str]] = [
            (self.label("answer_rate"), m.get("answer_rate"), SHARE),
            (self.label("frt_median"), frt.get("median"), SECONDS),
        ]
        if targets.get("frt_within_hours") is not None:
            rows.append(
                (
                    self.label(
                        "frt_within_target",
                        hours=self.num.hours_number(targets["frt_within_hours"]),
                    ),
                    m.get("frt_within_target"),
                    SHARE,
                )
            )
        for key in ("transaction_score", "communication_score", "handling_score", "total_score"):
            rows.append((self.label(key), m.get(key), POINTS))
        if self.survey and self.survey.get("survey_ids"):
            rows += [
                (self.label("csat"), self.survey.get("csat"), SHARE),
                (self.label("nps"), self.survey.get("nps"), POINTS),
                (self.label("ces"), self.survey.get("ces"), MEAN),
            ]
        return rows

    # -- sections

    def cover(self) -> list[Flowable]:
        t = self.t
        story: list[Flowable] = [
            self.p(self.doc.title, "title"),
            Spacer(1, 14 * mm),
        ]
        for label, value in (
            (t.cover_client, self.doc.client),
            (t.cover_scope, self.doc.scope),
            (t.cover_published, self.doc.published),
        ):
            story += [self.p(label, "cover_label"), self.p(value, "cover"), Spacer(1, 4 * mm)]
        for notice in self.doc.notices:
            story += [Spacer(1, 4 * mm), self.p(notice, "warning")]
        story += [Spacer(1, 30 * mm), self.p(t.cover_note, "note")]
        return story

    def contents(self) -> list[Flowable]:
        self.toc.levelStyles = [self.s["toc1"], self.s["toc2"]]
        return [self.p(self.t.contents, "contents"), Spacer(1, 6 * mm), self.toc]

    def summary(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.summary)
        if self.empty:
            return [*story, self.p(t.no_figures)]
        story += [self.p(notice, "warning") for notice in self.doc.notices]
        story.append(self.p(self.doc.counts))
        story.append(
            self.p(
                t.summary_counts
                % {
                    "evaluations": self.num.count(self.mystery.get("evaluations", 0)),
                    "responses": self.num.count((self.survey or {}).get("responses", 0)),
                }
            )
        )
        rows: list[list[Any]] = [[t.figure, t.value, t.n, t.interval, t.target, "", t.status]]
        for label, figure, unit in self.headline():
            state = verdict(figure)
            status = self.verdict_text(figure)
            if figure and figure.get("small_sample"):
                status += " · " + t.small_sample % {"n": self.num.count(SMALL_SAMPLE_N)}
            rows.append(
                [
                    Paragraph(_text(label), self.s["cell_bold"]),
                    self.figure_value(figure, unit),
                    self.figure_n(figure),
                    self.figure_interval(figure, unit),
                    self.figure_target(figure, unit),
                    TrafficLight(state if figure else None),
                    status,
                ]
            )
        widths = [118, 50, 32, 100, 52, 17, FRAME_WIDTH - 369]
        story.append(
            self.table(
                rows,
                widths,
                extra=[("VALIGN", (5, 1), (5, -1), "MIDDLE"), ("ALIGN", (1, 0), (2, -1), "RIGHT")],
            )
        )
        story.append(Spacer(1, 3))
        story.append(self.light_legend())
        story.append(self.small_sample_note())
        story += self.findings_overview()
        story += self.methods_note()
        return story

    def light_legend(self) -> Table:
        cells = []
        for shown in (
            Verdict.MEETS,
            Verdict.MISSES,
            Verdict.SIGNIFICANTLY_WORSE,
            Verdict.NO_TARGET,
        ):
            label = self.t.verdicts[shown.value]
            cells += [TrafficLight(_LIGHTS[shown]), self.p(label, "cell_small")]
        table = Table([cells], colWidths=[15, 95] * 4, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return table

    def findings_overview(self) -> list[Flowable]:
        counts = dict.fromkeys(QUADRANTS, 0)
        for finding in self.doc.findings:
            counts[finding.quadrant] = counts.get(finding.quadrant, 0) + 1
        parts = " · ".join(
            f"{self.t.quadrants.get(q, q)}: {self.num.count(counts[q])}" for q in QUADRANTS
        )
        return [self.p(f"{self.t.summary_findings}: {parts}")]

    def methods_note(self) -> list[Flowable]:
        used = self.matrix.get("methods_used") or []
        if not self.matrix:
            return []
        story = [
            self.p(
                self.t.methods_used
                % {"methods": ", ".join(self.t.methods_.get(m, m) for m in used) or self.t.no_value}
            )
        ]
        if self.matrix.get("too_few_methods"):
            story.append(self.p(self.t.too_few_methods, "warning"))
        return story

    def swot(self) -> list[Flowable]:
        t = self.t
        story = [PageBreak(), *self.h1(t.swot)]
        by_quadrant: dict[str, list[DocumentFinding]] = {q: [] for q in QUADRANTS}
        for finding in self.doc.findings:
            by_quadrant.setdefault(finding.quadrant, []).append(finding)

        def cell(quadrant: str) -> list[Flowable]:
            items = by_quadrant.get(quadrant) or []
            parts: list[Flowable] = [self.p(t.quadrants.get(quadrant, quadrant), "h2")]
            if not items:
                parts.append(self.p(t.no_findings, "note"))
            for finding in items:
                text = _text(finding.sentence)
                if finding.edited:
                    text += f' <font color="#595959"><i>{_text(t.edited)}</i></font>'
                parts.append(Paragraph(text, self.s["swot_item"], bulletText="•"))
            return parts

        half = FRAME_WIDTH / 2
        table = Table(
            [[cell("strength"), cell("weakness")], [cell("opportunity"), cell("threat")]],
            colWidths=[half, half],
            splitInRow=1,
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BOX", (0, 0), (-1, -1), 0.8, INK),
                    ("INNERGRID", (0, 0), (-1, -1), 0.8, INK),
                    ("BACKGROUND", (0, 0), (0, 0), colors.HexColor("#E6F5F0")),
                    ("BACKGROUND", (1, 0), (1, 0), colors.HexColor("#FBEDE3")),
                    ("BACKGROUND", (0, 1), (0, 1), colors.HexColor("#EAF1F8")),
                    ("BACKGROUND", (1, 1), (1, 1), colors.HexColor("#F6EEF3")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 7),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        story += [table, Spacer(1, 8)]
        return story

    def methods(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.methods)
        if not self.matrix:
            return [*story, self.p(t.no_figures)]
        story += self.methods_note()
        columns = list(self.matrix.get("columns") or [])
        cells = {(c.get("dimension"), c.get("column")): c for c in self.matrix.get("cells") or []}
        rows_with_cells = [
            d for d in self.matrix.get("rows") or [] if any((d, c) in cells for c in columns)
        ]
        if columns and rows_with_cells:
            story.append(self.p(t.matrix_note, "note"))
            label_width = 112
            width = (FRAME_WIDTH - label_width) / len(columns)
            rows: list[list[Any]] = [[t.dimension, *(t.columns.get(c, c) for c in columns)]]
            for dimension in self.matrix.get("rows") or []:
                row: list[Any] = [
                    Paragraph(_text(t.dimensions_.get(dimension, dimension)), self.s["cell_bold"])
                ]
                for column in columns:
                    cell = cells.get((dimension, column))
                    if cell is None:
                        row.append(t.no_value)
                        continue
                    figure = cell.get("figure") or {}
                    row.append(
                        [
                            *self.value_cell(figure, SHARE),
                            Paragraph(
                                _text(
                                    t.cases[column] % {"n": self.figure_n(figure)}
                                    + f" · {t.target} {self.figure_target(figure, SHARE)}"
                                ),
                                self.s["cell_small"],
                            ),
                        ]
                    )
                rows.append(row)
            story.append(self.table(rows, [label_width] + [width] * len(columns)))
            story.append(self.small_sample_note())
            story.append(self.matrix_chart(columns, cells, rows_with_cells))
        else:
            story.append(self.p(t.no_figures))
        story += self.h2(t.disagreement)
        disagreements = self.snapshot.get("disagreements") or []
        if not disagreements:
            story.append(self.p(t.no_disagreement))
        for item in disagreements:
            story.append(self.disagreement(item))
        return story

    def matrix_chart(self, columns, cells, dimensions) -> Flowable:
        t = self.t
        series = {
            t.columns.get(c, c): [
                (cells.get((d, c)) or {}).get("figure", {}).get("value")
                if (d, c) in cells
                else None
                for d in dimensions
            ]
            for c in columns
        }
        counts = {
            t.columns.get(c, c): [
                (cells[(d, c)]["figure"] or {}).get("n") if (d, c) in cells else None
                for d in dimensions
            ]
            for c in columns
        }
        targets = []
        for d in dimensions:
            found = {
                (cells[(d, c)]["figure"] or {}).get("target") for c in columns if (d, c) in cells
            }
            targets.append(found.pop() if len(found) == 1 else None)
        drawing = charts.grouped_bars(
            [t.dimensions_.get(d, d) for d in dimensions],
            series,
            counts=counts,
            targets=targets,
            value_format=lambda v: self.fmt(v, SHARE),
            count_format=self.num.count,
            value_min=0,
            value_max=1,
            width=FRAME_WIDTH,
            text=self.chart_text,
        )
        return self.chart(t.matrix_chart, drawing)

    def disagreement(self, item: Mapping[str, Any]) -> Flowable:
        t = self.t
        first, second = item.get("first") or {}, item.get("second") or {}
        f1, f2 = first.get("figure") or {}, second.get("figure") or {}
        difference = item.get("difference") or {}
        dimension = item.get("dimension")
        name = (
            t.dimensions_.get(dimension, dimension)
            if dimension
            else t.figures.get("overall_quality", "")
        )
        value = None
        if f1.get("value") is not None and f2.get("value") is not None:
            value = f1["value"] - f2["value"]
        rows = [
            [t.dimension, t.figure, t.value, t.n, t.interval, t.target],
            *[
                [
                    name if index == 0 else "",
                    t.columns.get(cell.get("column"), cell.get("column", "")),
                    self.figure_value(figure, SHARE),
                    self.figure_n(figure),
                    self.figure_interval(figure, SHARE),
                    self.figure_target(figure, SHARE),
                ]
                for index, (cell, figure) in enumerate(((first, f1), (second, f2)))
            ],
        ]
        text = t.disagreement_text % {
            "difference": self.num.difference(value, SHARE),
            "low": self.num.difference(difference.get("low"), SHARE),
            "high": self.num.difference(difference.get("high"), SHARE),
            "first_bias": t.biases.get(first.get("column"), ""),
            "second_bias": t.biases.get(second.get("column"), ""),
        }
        return KeepTogether(
            [
                self.table(rows, [80, 130, 55, 35, 110, FRAME_WIDTH - 410]),
                Spacer(1, 3),
                self.p(text),
            ]
        )

    def channels(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.channels)
        if self.empty:
            return [*story, self.p(t.no_figures)]
        groups = (self.mystery.get("breakdowns") or {}).get("by_channel") or []
        if not groups:
            return [*story, self.p(t.no_channels)]
        targets = self.mystery.get("targets") or {}
        rows: list[list[Any]] = [
            [
                t.channel,
                t.sent,
                t.answered,
                f"{self.label('answer_rate')} ({t.target} "
                f"{self.fmt(targets.get('answer_rate'), SHARE)})",
                f"{self.label('frt_median')} ({t.target} "
                f"{self.fmt(targets.get('frt_median_seconds'), SECONDS)})",
                f"{self.label('total_score')} ({t.target} "
                f"{self.fmt(targets.get('total_score'), POINTS)})",
            ]
        ]
        for group in groups:
            rows.append(
                [
                    Paragraph(_text(group.get("label") or ""), self.s["cell_bold"]),
                    self.num.count(group.get("sent")),
                    self.num.count(group.get("answered")),
                    self.value_cell(group.get("answer_rate"), SHARE),
                    [
                        *self.value_cell(group.get("frt_median"), SECONDS, interval=False),
                        Paragraph(
                            _text(f"{t.n} = {self.figure_n(group.get('frt_median'))}"),
                            self.s["cell_small"],
                        ),
                    ],
                    [
                        *self.value_cell(group.get("total_score"), POINTS),
                        Paragraph(
                            _text(f"{t.n} = {self.figure_n(group.get('total_score'))}"),
                            self.s["cell_small"],
                        ),
                    ],
                ]
            )
        story.append(
            self.table(
                rows,
                [100, 48, 60, 96, 78, FRAME_WIDTH - 382],
                extra=[("ALIGN", (1, 1), (2, -1), "RIGHT")],
            )
        )
        story.append(self.small_sample_note())
        story.append(self.group_bars(t.channels_chart, groups, "answer_rate", targets, SHARE, 1))
        story.append(
            self.group_bars(t.channels_score_chart, groups, "total_score", targets, POINTS, 100)
        )
        return story

    def dimensions(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.dimensions)
        if self.empty:
            return [*story, self.p(t.no_figures)]
        keys = ("transaction_score", "communication_score", "handling_score", "total_score")
        rows: list[list[Any]] = [[t.dimension, t.value, t.n, t.interval, t.target, t.status]]
        for key in keys:
            figure = self.mystery.get(key)
            rows.append(
                [
                    Paragraph(_text(self.label(key)), self.s["cell_bold"]),
                    self.figure_value(figure, POINTS),
                    self.figure_n(figure),
                    self.figure_interval(figure, POINTS),
                    self.figure_target(figure, POINTS),
                    self.verdict_text(figure),
                ]
            )
        story.append(self.table(rows, [130, 55, 35, 110, 55, FRAME_WIDTH - 385]))
        story.append(Spacer(1, 6))
        story.append(
            self.chart(
                t.dimensions_chart,
                charts.grouped_bars(
                    [self.label(k) for k in keys],
                    {self.label("score"): [(self.mystery.get(k) or {}).get("value") for k in keys]},
                    counts={
                        self.label("score"): [(self.mystery.get(k) or {}).get("n") for k in keys]
                    },
                    targets=[(self.mystery.get(k) or {}).get("target") for k in keys],
                    value_format=lambda v: self.fmt(v, POINTS),
                    count_format=self.num.count,
                    value_min=0,
                    value_max=100,
                    width=FRAME_WIDTH,
                    text=self.chart_text,
                ),
            )
        )
        items = self.mystery.get("item_pass_rates") or []
        story += self.h2(self.label("item_pass_rates"))
        if not items:
            story.append(self.p(t.no_items))
            return story
        rows = [[t.item, t.dimension, t.value, t.n, t.interval, t.target, t.knockouts]]
        for item in items:
            figure = item.get("pass_rate")
            rows.append(
                [
                    item.get("text") or "",
                    t.dimensions_.get(item.get("quality_dimension"), item.get("quality_dimension")),
                    self.value_cell(figure, SHARE, interval=False),
                    self.figure_n(figure),
                    self.figure_interval(figure, SHARE),
                    self.figure_target(figure, SHARE),
                    self.num.count(item.get("knockouts")) if item.get("knockout") else t.no_value,
                ]
            )
        story.append(
            self.table(
                rows,
                [132, 72, 52, 28, 90, 42, FRAME_WIDTH - 416],
                extra=[("ALIGN", (3, 1), (3, -1), "RIGHT")],
            )
        )
        story.append(self.small_sample_note())
        return story

    def response_times(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.response_times)
        if self.empty:
            return [*story, self.p(t.no_figures)]
        rows: list[list[Any]] = [[t.figure, t.value, t.n, t.interval, t.target]]
        for prefix, times in (
            ("calendar", self.mystery.get("frt_calendar")),
            ("business", self.mystery.get("frt_business")),
        ):
            for stat in ("median", "p90", "mean"):
                figure = (times or {}).get(stat)
                rows.append(
                    [
                        self.label(f"frt_{prefix}_{stat}"),
                        self.value_cell(figure, SECONDS, interval=False),
                        self.figure_n(figure),
                        self.figure_interval(figure, SECONDS),
                        self.figure_target(figure, SECONDS),
                    ]
                )
        cutoffs = self.mystery.get("cutoffs") or {}
        for key in ("within_1h", "within_24h", "within_2_business_days", "never"):
            figure = cutoffs.get(key)
            rows.append(
                [
                    self.label(f"cutoff_{key}"),
                    self.figure_value(figure, SHARE),
                    self.figure_n(figure),
                    self.figure_interval(figure, SHARE),
                    self.figure_target(figure, SHARE),
                ]
            )
        story.append(self.table(rows, [190, 65, 35, 120, FRAME_WIDTH - 410]))
        story.append(self.small_sample_note())
        if cutoffs:
            bins = []
            for key in ("within_1h", "within_24h", "within_2_business_days", "never"):
                figure = cutoffs.get(key) or {}
                count = None
                if figure.get("value") is not None and figure.get("n"):
                    count = round(figure["value"] * figure["n"])
                bins.append((self.label(f"cutoff_{key}"), count))
            story.append(
                self.chart(
                    t.cutoffs_chart,
                    charts.histogram(
                        bins,
                        count_format=self.num.count,
                        share_format=None,
                        width=FRAME_WIDTH,
                        height=170,
                        text=self.chart_text,
                    ),
                )
            )
            story.append(self.p(t.cutoffs_note, "note"))
        return story

    def times_of_day(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.times_of_day)
        if self.empty:
            return [*story, self.p(t.no_figures)]
        breakdowns = self.mystery.get("breakdowns") or {}
        story.append(self.p(t.heatmap_note, "note"))
        crossed = breakdowns.get("by_hour_band_weekday") or []
        if crossed:  # snapshots published before the crossed breakdown have only the two below
            return [*story, *self.crossed(crossed), self.small_sample_note()]
        for title, groups, label in (
            (
                t.hour_band_chart,
                breakdowns.get("by_hour_band") or [],
                lambda g: t.hour_bands.get(g.get("key"), str(g.get("key"))),
            ),
            (
                t.weekday_chart,
                breakdowns.get("by_weekday") or [],
                lambda g: (
                    t.weekdays[int(g["key"])] if str(g.get("key")).isdigit() else str(g.get("key"))
                ),
            ),
        ):
            if not groups:
                continue
            values = [
                [
                    (
                        (g.get("answer_rate") or {}).get("value"),
                        (g.get("answer_rate") or {}).get("n"),
                    )
                    for g in groups
                ]
            ]
            story.append(
                self.chart(
                    title,
                    charts.heatmap(
                        [self.label("answer_rate")],
                        [label(g) for g in groups],
                        values,
                        value_format=lambda v: self.fmt(v, SHARE),
                        count_format=self.num.count,
                        value_min=0,
                        value_max=1,
                        width=FRAME_WIDTH,
                        text=self.chart_text,
                    ),
                )
            )
            rows: list[list[Any]] = [
                [
                    title,
                    t.sent,
                    t.answered,
                    self.label("answer_rate"),
                    self.label("frt_median"),
                    self.label("total_score"),
                ]
            ]
            for g in groups:
                rows.append(
                    [
                        label(g),
                        self.num.count(g.get("sent")),
                        self.num.count(g.get("answered")),
                        self.value_cell(g.get("answer_rate"), SHARE),
                        self.value_cell(g.get("frt_median"), SECONDS, interval=False),
                        self.value_cell(g.get("total_score"), POINTS),
                    ]
                )
            story.append(
                self.table(
                    rows,
                    [110, 48, 60, 92, 70, FRAME_WIDTH - 380],
                    extra=[("ALIGN", (1, 1), (2, -1), "RIGHT")],
                )
            )
            story.append(Spacer(1, 8))
        story.append(self.small_sample_note())
        return story

    def crossed(self, groups: Sequence[Mapping[str, Any]]) -> list[Flowable]:
        """The answer rate per hour band (rows) × weekday (columns), then the cells' numbers."""
        t = self.t
        cells = {(g["key"][0], int(g["key"][1])): g for g in groups}
        bands = list(t.hour_bands)
        values = []
        for band in bands:
            row = []
            for day in range(7):
                g = cells.get((band, day)) or {}
                rate = g.get("answer_rate") or {}
                row.append((rate.get("value"), g.get("sent", 0)))
            values.append(row)
        story: list[Flowable] = [
            self.chart(
                t.crossed_chart,
                charts.heatmap(
                    [t.hour_bands[band] for band in bands],
                    list(t.weekdays),
                    values,
                    value_format=lambda v: self.fmt(v, SHARE),
                    count_format=self.num.count,
                    value_min=0,
                    value_max=1,
                    width=FRAME_WIDTH,
                    text=self.chart_text,
                ),
            )
        ]
        rows: list[list[Any]] = [
            [
                t.crossed_head,
                t.sent,
                t.answered,
                self.label("answer_rate"),
                self.label("frt_median"),
                self.label("total_score"),
            ]
        ]
        for band in bands:
            for day in range(7):
                g = cells.get((band, day))
                if not g or not (g.get("sent") or g.get("not_contactable")):
                    continue
                rows.append(
                    [
                        f"{t.hour_bands[band]}, {t.weekdays[day]}",
                        self.num.count(g.get("sent")),
                        self.num.count(g.get("answered")),
                        self.value_cell(g.get("answer_rate"), SHARE),
                        self.value_cell(g.get("frt_median"), SECONDS, interval=False),
                        self.value_cell(g.get("total_score"), POINTS),
                    ]
                )
        if len(rows) > 1:
            # room for its head and a few rows, so the table does not start at a page's foot
            story.append(CondPageBreak(30 * mm))
            story.append(
                self.table(
                    rows,
                    [110, 48, 60, 92, 70, FRAME_WIDTH - 380],
                    extra=[("ALIGN", (1, 1), (2, -1), "RIGHT")],
                )
            )
        return story

    def trend(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.trend)
        comparison = self.snapshot.get("comparison")
        if not comparison:
            return [*story, self.p(self.doc.comparison or t.no_comparison)]
        if self.doc.comparison:
            story.append(self.p(self.doc.comparison))
        previous_ids = (self.snapshot.get("previous_scope") or {}).get("wave_ids") or []
        current_ids = (self.snapshot.get("scope") or {}).get("wave_ids") or []
        previous_label = ", ".join(self.doc.wave_names.get(i, str(i)) for i in previous_ids)
        current_label = ", ".join(self.doc.wave_names.get(i, str(i)) for i in current_ids)
        rows: list[list[Any]] = [
            [
                t.figure,
                f"{t.previous}: {previous_label}",
                f"{t.current}: {current_label}",
                t.change,
                t.change_interval,
                t.significant,
            ]
        ]
        drawings = []
        for key, unit, title in (
            ("answer_rate", SHARE, t.trend_chart_answer_rate),
            ("total_score", POINTS, t.trend_chart_total_score),
        ):
            change = comparison.get(key) or {}
            previous, current = change.get("previous") or {}, change.get("current") or {}
            difference = change.get("difference") or None
            value = None
            if previous.get("value") is not None and current.get("value") is not None:
                value = current["value"] - previous["value"]
            significant = difference is not None and differs(
                Interval(difference["low"], difference["high"])
            )
            rows.append(
                [
                    self.label(key),
                    f"{self.figure_value(previous, unit)} ({t.n} = {self.figure_n(previous)})",
                    f"{self.figure_value(current, unit)} ({t.n} = {self.figure_n(current)})",
                    self.num.difference(value, unit),
                    t.interval_range
                    % {
                        "low": self.num.difference(difference["low"], unit),
                        "high": self.num.difference(difference["high"], unit),
                    }
                    if difference
                    else t.no_value,
                    t.yes if significant else t.no,
                ]
            )
            drawings.append(
                self.chart(
                    title,
                    charts.trend(
                        [
                            (previous_label, previous.get("value"), previous.get("n")),
                            (current_label, current.get("value"), current.get("n")),
                        ],
                        target=current.get("target"),
                        value_format=lambda v, unit=unit: self.fmt(v, unit),
                        count_format=self.num.count,
                        value_min=0,
                        value_max=1 if unit == SHARE else 100,
                        width=FRAME_WIDTH,
                        height=170,
                        text=self.chart_text,
                    ),
                )
            )
        story.append(self.table(rows, [95, 90, 90, 70, 90, FRAME_WIDTH - 435]))
        story.append(Spacer(1, 8))
        story += drawings
        return story

    def survey_section(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.survey)
        survey = self.survey
        if self.empty:
            return [*story, self.p(t.no_figures)]
        if not survey or not survey.get("survey_ids"):
            story.append(self.p(t.no_survey))
            if survey and survey.get("withheld_survey_ids"):
                story.append(
                    self.p(
                        t.survey_withheld
                        % {"count": self.num.count(len(survey["withheld_survey_ids"]))},
                        "note",
                    )
                )
            return story
        story.append(
            self.p(
                t.survey_counts
                % {
                    "responses": self.num.count(survey.get("responses", 0)),
                    "surveys": self.num.count(len(survey.get("survey_ids") or [])),
                }
            )
        )
        if survey.get("withheld_survey_ids"):
            story.append(
                self.p(
                    t.survey_withheld
                    % {"count": self.num.count(len(survey["withheld_survey_ids"]))},
                    "note",
                )
            )
        rows: list[list[Any]] = [[t.figure, t.value, t.n, t.interval, t.target, t.status]]
        for key, unit in (
            ("csat", SHARE),
            ("csat_mean", MEAN),
            ("nps", POINTS),
            ("ces", MEAN),
            ("response_rate", SHARE),
        ):
            figure = survey.get(key)
            rows.append(
                [
                    Paragraph(_text(self.label(key)), self.s["cell_bold"]),
                    self.figure_value(figure, unit),
                    self.figure_n(figure),
                    self.figure_interval(figure, unit),
                    self.figure_target(figure, unit),
                    self.verdict_text(figure),
                ]
            )
        story.append(self.table(rows, [140, 55, 35, 110, 55, FRAME_WIDTH - 395]))
        story.append(self.small_sample_note())
        nps_counts = {int(k): int(v) for k, v in (survey.get("nps_counts") or {}).items()}
        if nps_counts:
            promoters = sum(c for v, c in nps_counts.items() if v >= PROMOTER_MIN)
            detractors = sum(c for v, c in nps_counts.items() if v <= DETRACTOR_MAX)
            passives = sum(nps_counts.values()) - promoters - detractors
            story.append(
                self.chart(
                    t.nps_chart,
                    charts.nps_split(
                        promoters,
                        passives,
                        detractors,
                        share_format=lambda v: self.fmt(v, SHARE),
                        n=promoters + passives + detractors,
                        count_format=self.num.count,
                        width=FRAME_WIDTH,
                        text=self.chart_text,
                    ),
                )
            )
        return story

    def verbatims(self) -> list[Flowable]:
        t = self.t
        story = self.h1(t.verbatims)
        if not self.doc.verbatims:
            if self.survey and self.survey.get("survey_ids"):
                return [*story, self.p(t.no_verbatims)]
            return [*story, self.p(t.no_survey)]
        story.append(self.p(t.verbatims_note, "note"))
        for verbatim in self.doc.verbatims:
            quote = f"„{verbatim.text}“" if self.doc.language == "de" else f"“{verbatim.text}”"
            # one paragraph, so a quote is never parted from its day
            story.append(
                self.p(
                    f'{_text(quote)}<br/><font name="Helvetica" size="7.5" color="#595959">'
                    f"{_text(verbatim.day)}</font>",
                    "quote",
                    markup=True,
                )
            )
        return story

    def appendix(self) -> list[Flowable]:
        t = self.t
        story = [PageBreak(), *self.h1(t.appendix), *self.h2(t.appendix_definitions)]
        for term, text in t.definitions:
            story.append(self.p(f"<b>{_text(term)}</b> – {_text(text)}", markup=True))
        story += self.h2(t.appendix_samples)
        if self.empty:
            story.append(self.p(t.no_figures))
            return story
        counts = self.mystery.get("counts") or {}
        values = {
            **counts,
            "evaluations": self.mystery.get("evaluations"),
            "knockouts": self.mystery.get("knockouts"),
            "responses": (self.survey or {}).get("responses"),
        }
        rows: list[list[Any]] = [[t.figure, t.n]]
        for label, key in t.samples:
            rows.append([label, self.num.count(values.get(key))])
        story.append(self.table(rows, [300, 60], extra=[("ALIGN", (1, 0), (1, -1), "RIGHT")]))
        story += self.h2(t.appendix_figures)
        rows = [[t.figure, t.value, t.n, t.interval, t.target]]
        for label, figure, unit in self.all_figures():
            rows.append(
                [
                    label,
                    self.figure_value(figure, unit),
                    self.figure_n(figure),
                    self.figure_interval(figure, unit),
                    self.figure_target(figure, unit),
                ]
            )
        story.append(self.table(rows, [190, 65, 40, 120, FRAME_WIDTH - 415]))
        story.append(self.small_sample_note())
        return story

    def all_figures(self) -> list[tuple[str, Mapping[str, Any] | None, str]]:
        m = self.mystery
        rows = list(self.headline())
        for key, unit in (
            ("answered_second_attempt", SHARE),
            ("late", SHARE),
            ("never_answered", SHARE),
            ("not_contactable", SHARE),
            ("first_contact_resolution", SHARE),
        ):
            rows.append((self.label(key), m.get(key), unit))
        for prefix in ("calendar", "business"):
            times = m.get(f"frt_{prefix}") or {}
            for stat in ("median", "p90", "mean"):
                if prefix == "calendar" and stat == "median":
                    continue
                rows.append((self.label(f"frt_{prefix}_{stat}"), times.get(stat), SECONDS))
        cutoffs = m.get("cutoffs") or {}
        for key in ("within_1h", "within_24h", "within_2_business_days", "never"):
            rows.append((self.label(f"cutoff_{key}"), cutoffs.get(key), SHARE))
        if self.survey and self.survey.get("survey_ids"):
            rows.append((self.label("csat_mean"), self.survey.get("csat_mean"), MEAN))
        overall = (self.matrix or {}).get("mystery_overall")
        if overall:
            rows.append((self.t.columns.get("mystery_overall", ""), overall.get("figure"), SHARE))
        return rows

    def story(self) -> list[Flowable]:
        story: list[Flowable] = [*self.cover(), NextPageTemplate("content"), PageBreak()]
        story += self.contents()
        story += [PageBreak()]
        story += self.summary()
        story += self.swot()
        for section in (
            self.methods,
            self.channels,
            self.dimensions,
            self.response_times,
            self.times_of_day,
            self.trend,
            self.survey_section,
            self.verbatims,
            self.appendix,
        ):
            story += section()
        return story


class _Chart(Flowable):
    """A chart that is laid out in every pass but drawn only in the final one.

    A chart taller or wider than the frame (a bar per item of a long scorecard, say) is scaled
    down to fit it: platypus cannot split a drawing, and would otherwise give up on the page.
    """

    #: Room kept for the chart's title above it inside the same KeepTogether.
    TITLE_ROOM = 30

    def __init__(self, drawing: Drawing) -> None:
        super().__init__()
        self.drawing = drawing
        self.scale = 1.0

    def wrap(self, available_width, available_height):
        width, height = self.drawing.wrap(available_width, available_height)
        self.scale = min(1.0, available_width / width, (FRAME_HEIGHT - self.TITLE_ROOM) / height)
        return width * self.scale, height * self.scale

    def draw(self) -> None:
        template = getattr(self.canv, "_doctemplate", None)
        if not getattr(template, "dry", False):
            self.canv.saveState()
            self.canv.scale(self.scale, self.scale)
            self.drawing.drawOn(self.canv, 0, 0)
            self.canv.restoreState()


def render(document: ReportDocument) -> bytes:
    """The PDF of ``document`` (reproducible: same document, same bytes).

    Like platypus' ``multiBuild``, but cheaper: the table of contents starts with its entries
    (page 0) so that a first, "dry" pass (charts laid out, not drawn) lays the pages out as the
    final pass will and learns the pages; the final pass draws everything. Should the pages
    still move, passes repeat (at most ``MAX_PASSES``).
    """
    buffer = io.BytesIO()
    template = _Template(buffer, document)
    builder = _Builder(document)
    story = builder.story()
    toc = builder.toc
    toc._entries = [  # seeded: see the docstring
        (level, text, 0, None) for level, text in _headings(story)
    ]
    canvasmaker = _numbered_canvas(document)
    template._indexingFlowables = [toc]
    template._doSave = 0  # saved once, after the final pass
    template.dry = True
    # A pass leaves marks on the flowables it postponed or kept together; like multiBuild,
    # record them and undo them after each pass, or the next pass takes a flowable that was
    # merely postponed once for one too large to place anywhere (LayoutError).
    edits: list[tuple] = []
    template._multiBuildEdits = edits.append
    for _pass in range(MAX_PASSES):
        toc.beforeBuild()
        template.build(story[:], canvasmaker=canvasmaker)
        toc.afterBuild()
        for undo, *arguments in edits:
            undo(*arguments)
        edits.clear()
        if not template.dry and toc.isSatisfied():
            break
        template.dry = False
    template.canv.save()
    return buffer.getvalue()


MAX_PASSES = 5


def _headings(story: Sequence[Flowable]) -> list[tuple[int, str]]:
    found = []
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name in _HEADING_LEVELS:
            found.append((_HEADING_LEVELS[flowable.style.name], _text(flowable.getPlainText())))
    return found


#: For readers of ``PdfTexts.figures``: the keys the renderer asks for.
FIGURE_KEYS = (
    "answer_rate",
    "frt_median",
    "frt_within_target",
    "transaction_score",
    "communication_score",
    "handling_score",
    "total_score",
    "score",
    "item_pass_rates",
    "csat",
    "csat_mean",
    "nps",
    "ces",
    "response_rate",
    "answered_second_attempt",
    "late",
    "never_answered",
    "not_contactable",
    "first_contact_resolution",
    "frt_calendar_median",
    "frt_calendar_p90",
    "frt_calendar_mean",
    "frt_business_median",
    "frt_business_p90",
    "frt_business_mean",
    "cutoff_within_1h",
    "cutoff_within_24h",
    "cutoff_within_2_business_days",
    "cutoff_never",
    "overall_quality",
)
