"""What the dashboard page shows of a report snapshot, in the reader's language.

Turns one snapshot (reports/snapshot.py: every figure already computed, with its n, interval,
target and verdicts) into rows, tables and charts for the template. Nothing statistical happens
here: values are read from the snapshot and written with ``reports.swot.format_value`` in the
current locale; the only arithmetic is splitting the cut-off counts into disjoint bins for the
response-time chart (counts of sent inquiries, which add up to the number sent) and summing the
NPS answer counts into promoters, passives and detractors. Charts are drawn by reports/charts.py
and rendered as inline SVG (CSP-safe, escaped by the renderer), each with a table of its numbers
next to it. Testers are never named: the snapshot names channels, items, hour bands and weekdays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from audits.mystery.forms.waves import HOUR_BAND_LABELS
from audits.mystery.models import HourBand
from audits.scorecards.labels import METHOD_DIMENSION_LABELS, QUALITY_DIMENSION_LABELS
from audits.scorecards.models import MethodDimension, QualityDimension
from qcrm.clients import WEEKDAY_LABELS, WEEKDAYS
from qcrm.statistics import DETRACTOR_MAX, PROMOTER_MIN, Interval, Verdict, differs, verdict_of
from reports import charts
from reports.methods import BIASES, COLUMN_LABELS, METHOD_LABELS, Column, Method, cases_label
from reports.snapshot import finding_from_json
from reports.swot import Quadrant, Unit, format_value, sentence

QUADRANT_LABELS = {
    Quadrant.STRENGTH: _l("Strengths"),
    Quadrant.WEAKNESS: _l("Weaknesses"),
    Quadrant.OPPORTUNITY: _l("Opportunities"),
    Quadrant.THREAT: _l("Threats"),
}
QUADRANT_HINTS = {
    Quadrant.STRENGTH: _l("significantly better than the target"),
    Quadrant.WEAKNESS: _l("significantly worse than the target"),
    Quadrant.OPPORTUNITY: _l("trends for the better, chances"),
    Quadrant.THREAT: _l("risks, worsening trends, disagreeing methods, gaps"),
}


# --- figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    """One figure as the page writes it."""

    key: str
    label: str
    value: str
    n: int
    low: str | None
    high: str | None
    target: str | None
    verdict: Verdict
    small_sample: bool
    raw: Mapping[str, Any]


def figure_row(key: str, label: str, figure: Mapping[str, Any], unit: Unit) -> FigureRow:
    return FigureRow(
        key=key,
        label=label,
        value=format_value(figure["value"], unit),
        n=figure["n"],
        low=None if figure.get("low") is None else format_value(figure["low"], unit),
        high=None if figure.get("high") is None else format_value(figure["high"], unit),
        target=None if figure.get("target") is None else format_value(figure["target"], unit),
        verdict=verdict_of(figure),
        small_sample=bool(figure.get("small_sample")),
        raw=figure,
    )


def _rows(entries: Iterable[tuple[str, str, Mapping[str, Any] | None, Unit]]) -> list[FigureRow]:
    return [figure_row(key, label, fig, unit) for key, label, fig, unit in entries if fig]


def _hours(value: float | None) -> str:
    return "" if value is None else format_decimal(value, "#,##0.#")


def _interval_head() -> str:
    return _("%(level)s interval", level="95 %")


def headline_rows(mystery: Mapping[str, Any]) -> list[FigureRow]:
    """The mystery figures against their targets, in the order a reader asks for them."""
    targets = mystery.get("targets") or {}
    calendar = mystery.get("frt_calendar") or {}
    business = mystery.get("frt_business") or {}
    within = _("Share answered within %(hours)s h", hours=_hours(targets.get("frt_within_hours")))
    return _rows(
        [
            ("answer_rate", _("Answer rate"), mystery.get("answer_rate"), Unit.SHARE),
            (
                "answered_second_attempt",
                _("Answered only at the second attempt"),
                mystery.get("answered_second_attempt"),
                Unit.SHARE,
            ),
            ("late", _("Answered late (after the timeout)"), mystery.get("late"), Unit.SHARE),
            ("never_answered", _("No answer at all"), mystery.get("never_answered"), Unit.SHARE),
            ("not_contactable", _("Not contactable"), mystery.get("not_contactable"), Unit.SHARE),
            (
                "frt_median",
                _("First response time, median"),
                calendar.get("median"),
                Unit.SECONDS,
            ),
            ("frt_p90", _("First response time, p90"), calendar.get("p90"), Unit.SECONDS),
            ("frt_mean", _("First response time, mean"), calendar.get("mean"), Unit.SECONDS),
            (
                "frt_business_median",
                _("First response time in business hours, median"),
                business.get("median"),
                Unit.SECONDS,
            ),
            ("frt_within_target", within, mystery.get("frt_within_target"), Unit.SHARE),
            (
                "first_contact_resolution",
                _("Solved by the first answer"),
                mystery.get("first_contact_resolution"),
                Unit.SHARE,
            ),
            (
                "transaction_score",
                _("Transaction score"),
                mystery.get("transaction_score"),
                Unit.POINTS,
            ),
            (
                "communication_score",
                _("Communication score"),
                mystery.get("communication_score"),
                Unit.POINTS,
            ),
            ("handling_score", _("Handling score"), mystery.get("handling_score"), Unit.POINTS),
            ("total_score", _("Total score"), mystery.get("total_score"), Unit.POINTS),
        ]
    )


def survey_rows(survey: Mapping[str, Any] | None) -> list[FigureRow]:
    if not survey:
        return []
    return _rows(
        [
            (
                "csat",
                _("Customer satisfaction (CSAT, share of 4 and 5)"),
                survey.get("csat"),
                Unit.SHARE,
            ),
            ("csat_mean", _("CSAT, mean on 1–5"), survey.get("csat_mean"), Unit.MEAN),
            ("nps", _("Net Promoter Score"), survey.get("nps"), Unit.POINTS),
            ("ces", _("Customer effort score (mean on 1–7)"), survey.get("ces"), Unit.MEAN),
            (
                "response_rate",
                _("Response rate (responses to invitations / invitations delivered)"),
                survey.get("response_rate"),
                Unit.SHARE,
            ),
        ]
    )


# --- charts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """An inline SVG chart with the table of its numbers (for screen readers and for checking)."""

    key: str
    title: str
    svg: Markup
    caption: str
    head: Sequence[str]
    rows: Sequence[Sequence[str]]
    note: str | None = None


def _text() -> charts.ChartText:
    return charts.ChartText(
        no_data=_("No data"),
        target=_("Target"),
        meets_target=_("meets target"),
        misses_target=_("misses target"),
        small_sample=_("small sample (n < {n})"),
        n=_("n = {n}"),
        promoters=_("Promoters"),
        passives=_("Passives"),
        detractors=_("Detractors"),
    )


def _count(n: int | None) -> str:
    return "–" if n is None else format_value(n, Unit.COUNT)


def _svg(drawing, key: str, title: str, description: str) -> Markup:
    # charts.svg escapes every text itself and writes no style attributes
    return Markup(charts.svg(drawing, title, description, id_prefix=f"qc-chart-{key}"))  # noqa: S704


def _fig_text(figure: Mapping[str, Any] | None, unit: Unit) -> str:
    return "–" if not figure else format_value(figure["value"], unit)


def _interval_text(figure: Mapping[str, Any] | None, unit: Unit) -> str:
    if not figure or figure.get("low") is None or figure.get("high") is None:
        return "–"
    return _(
        "%(low)s to %(high)s",
        low=format_value(figure["low"], unit),
        high=format_value(figure["high"], unit),
    )


def _target_text(figure: Mapping[str, Any] | None, unit: Unit) -> str:
    if not figure or figure.get("target") is None:
        return _("none")
    return format_value(figure["target"], unit)


def response_time_chart(mystery: Mapping[str, Any]) -> Chart | None:
    """Sent inquiries by how fast they were answered: disjoint bins that add up to the sent."""
    cutoffs, counts = mystery.get("cutoffs"), mystery.get("counts") or {}
    if not cutoffs or not counts.get("sent"):
        return None
    sent, answered = counts["sent"], counts["answered"]

    def count(name: str) -> int:
        figure = cutoffs[name]
        return round(figure["value"] * figure["n"])

    within_1h, within_24h = count("within_1h"), count("within_24h")
    bins = [
        (_("within 1 h"), within_1h),
        (_("1 to 24 h"), within_24h - within_1h),
        (_("later than 24 h"), answered - within_24h),
        (_("not answered in time"), sent - answered),
    ]
    text = _text()
    drawing = charts.histogram(
        bins,
        count_format=_count,
        share_format=lambda v: format_value(v, Unit.SHARE),
        text=text,
    )
    title = _("First responses by time")
    description = _(
        "Sent inquiries (n = %(n)s) by how fast the first answer came: %(bins)s.",
        n=_count(sent),
        bins="; ".join(f"{label} {_count(value)}" for label, value in bins),
    )
    rows = [
        [
            _("within 1 h"),
            _fig_text(cutoffs["within_1h"], Unit.SHARE),
            _count(cutoffs["within_1h"]["n"]),
            _interval_text(cutoffs["within_1h"], Unit.SHARE),
        ],
        [
            _("within 24 h"),
            _fig_text(cutoffs["within_24h"], Unit.SHARE),
            _count(cutoffs["within_24h"]["n"]),
            _interval_text(cutoffs["within_24h"], Unit.SHARE),
        ],
        [
            _("within 2 business days"),
            _fig_text(cutoffs["within_2_business_days"], Unit.SHARE),
            _count(cutoffs["within_2_business_days"]["n"]),
            _interval_text(cutoffs["within_2_business_days"], Unit.SHARE),
        ],
        [
            _("not answered in time"),
            _fig_text(cutoffs["never"], Unit.SHARE),
            _count(cutoffs["never"]["n"]),
            _interval_text(cutoffs["never"], Unit.SHARE),
        ],
    ]
    return Chart(
        key="response-times",
        title=title,
        svg=_svg(drawing, "response-times", title, description),
        caption=_("Cut-offs: shares of the sent inquiries (cumulative)"),
        head=[_("Answered"), _("Share"), "n", _interval_head()],
        rows=rows,
    )


def _group_table(
    groups: Sequence[Mapping[str, Any]], label_of
) -> tuple[list[list[str]], list[str]]:
    head = [
        "",
        _("Sent"),
        _("Answered"),
        _("Answer rate"),
        _interval_head(),
        _("Median first response"),
        _("Total score"),
    ]
    rows = []
    for group in groups:
        rate = group.get("answer_rate")
        small = " *" if rate and rate.get("small_sample") else ""
        rows.append(
            [
                label_of(group),
                _count(group["sent"]),
                _count(group["answered"]),
                _fig_text(rate, Unit.SHARE) + small,
                _interval_text(rate, Unit.SHARE),
                _fig_text(group.get("frt_median"), Unit.SECONDS),
                _fig_text(group.get("total_score"), Unit.POINTS),
            ]
        )
    return rows, head


def answer_rate_chart(
    key: str,
    title: str,
    groups: Sequence[Mapping[str, Any]],
    label_of,
    target: float | None,
    caption: str,
) -> Chart | None:
    """Answer rate per group (channel, hour band, weekday) against the target, never ranked."""
    if not groups:
        return None
    items = []
    for group in groups:
        rate = group.get("answer_rate")
        items.append((label_of(group), rate["value"] if rate else None, group["sent"]))
    drawing = charts.bar_chart(
        items,
        target=target,
        value_format=lambda v: format_value(v, Unit.SHARE),
        count_format=_count,
        value_min=0.0,
        value_max=1.0,
        text=_text(),
    )
    description = "; ".join(
        f"{label}: {'–' if value is None else format_value(value, Unit.SHARE)} (n = {_count(n)})"
        for label, value, n in items
    )
    if target is not None:
        description += ". " + _("Target %(target)s.", target=format_value(target, Unit.SHARE))
    rows, head = _group_table(groups, label_of)
    head[0] = caption
    return Chart(
        key=key,
        title=title,
        svg=_svg(drawing, key, title, description),
        caption=title,
        head=head,
        rows=rows,
        note=_("* small sample (fewer than 30): shown, never ranked"),
    )


def activity_heatmap(groups: Sequence[Mapping[str, Any]], target: float | None) -> Chart | None:
    """Answer rate per hour band (rows) × weekday (columns), the crossed breakdown; None for a
    snapshot without it (published before it existed: the page shows the two charts instead)."""
    if not groups:
        return None
    cells = {}
    for group in groups:
        band, day = group["key"]
        cells[(band, int(day))] = group
    bands = [band.value for band in HourBand]
    values = []
    for band in bands:
        row = []
        for day in range(7):
            group = cells.get((band, day)) or {}
            rate = group.get("answer_rate")
            row.append((rate["value"] if rate else None, group.get("sent", 0)))
        values.append(row)
    drawing = charts.heatmap(
        [str(HOUR_BAND_LABELS[HourBand(band)]) for band in bands],
        [str(WEEKDAY_LABELS[code]) for code in WEEKDAYS],
        values,
        value_format=lambda v: format_value(v, Unit.SHARE),
        count_format=_count,
        value_min=0.0,
        value_max=1.0,
        width=640,
        text=_text(),
    )
    title = _("Answer rate by time of day and weekday")
    description = _(
        "Rows: times of day; columns: weekdays; each cell the answer rate and the number of "
        "inquiries sent. The numbers are in the table below."
    )
    if target is not None:
        description += " " + _("Target %(target)s.", target=format_value(target, Unit.SHARE))
    # the table lists the cells with inquiries; the heatmap shows the empty ones as "–"
    ordered = [
        cells[(b, d)]
        for b in bands
        for d in range(7)
        if (b, d) in cells and (cells[(b, d)]["sent"] or cells[(b, d)].get("not_contactable"))
    ]
    rows, head = _group_table(ordered, _cell_label)
    head[0] = _("Time of day, weekday")
    return Chart(
        key="activity",
        title=title,
        svg=_svg(drawing, "activity", title, description),
        caption=title,
        head=head,
        rows=rows,
        note=_("* small sample (fewer than 30): shown, never ranked"),
    )


def _cell_label(group: Mapping[str, Any]) -> str:
    band, day = group["key"]
    return f"{HOUR_BAND_LABELS[HourBand(band)]}, {WEEKDAY_LABELS[WEEKDAYS[int(day)]]}"


def _hour_band_label(group: Mapping[str, Any]) -> str:
    return str(HOUR_BAND_LABELS[HourBand(group["key"])])


def _weekday_label(group: Mapping[str, Any]) -> str:
    return str(WEEKDAY_LABELS[WEEKDAYS[int(group["key"])]])


def _channel_label(group: Mapping[str, Any]) -> str:
    return group.get("label") or "–"


SCORE_KEYS = (
    (MethodDimension.TRANSACTION, "transaction_score"),
    (MethodDimension.COMMUNICATION, "communication_score"),
    (MethodDimension.HANDLING, "handling_score"),
)


def scores_chart(mystery: Mapping[str, Any]) -> Chart | None:
    """The three method-dimension scores and the total, each against its target."""
    entries = [(str(METHOD_DIMENSION_LABELS[d]), mystery.get(key)) for d, key in SCORE_KEYS]
    entries.append((_("Total score"), mystery.get("total_score")))
    if not any(figure for _, figure in entries):
        return None
    name = _("Mean score")
    drawing = charts.grouped_bars(
        [label for label, _ in entries],
        {name: [f["value"] if f else None for _, f in entries]},
        counts={name: [f["n"] if f else None for _, f in entries]},
        targets=[f.get("target") if f else None for _, f in entries],
        value_format=lambda v: format_value(v, Unit.POINTS),
        count_format=_count,
        value_min=0.0,
        value_max=100.0,
        text=_text(),
    )
    title = _("Scores by method dimension")
    description = "; ".join(
        _(
            "%(label)s %(value)s (n = %(n)s, target %(target)s)",
            label=label,
            value=_fig_text(f, Unit.POINTS),
            n=_count(f["n"] if f else None),
            target=_target_text(f, Unit.POINTS),
        )
        for label, f in entries
    )
    rows = [
        [
            label,
            _fig_text(f, Unit.POINTS) + (" *" if f and f.get("small_sample") else ""),
            _count(f["n"] if f else None),
            _interval_text(f, Unit.POINTS),
            _target_text(f, Unit.POINTS),
        ]
        for label, f in entries
    ]
    return Chart(
        key="scores",
        title=title,
        svg=_svg(drawing, "scores", title, description),
        caption=title,
        head=[_("Dimension"), _("Score (0–100)"), "n", _interval_head(), _("Target")],
        rows=rows,
        note=_("* small sample (fewer than 30): shown, never ranked"),
    )


def trend_charts(
    comparison: Mapping[str, Any] | None,
    previous_label: str,
    current_label: str,
) -> list[Chart]:
    """The answer rate and the total score in the previous comparable wave and in this one."""
    if not comparison:
        return []
    found = []
    for key, title, unit, lo, hi in (
        ("answer_rate", _("Answer rate over waves"), Unit.SHARE, 0.0, 1.0),
        ("total_score", _("Total score over waves"), Unit.POINTS, 0.0, 100.0),
    ):
        change = comparison.get(key)
        if not change:
            continue
        previous, current = change.get("previous"), change.get("current")
        points = [
            (previous_label, previous["value"] if previous else None, (previous or {}).get("n")),
            (current_label, current["value"] if current else None, (current or {}).get("n")),
        ]
        target = (current or previous or {}).get("target")
        drawing = charts.trend(
            points,
            target=target,
            value_format=lambda v, u=unit: format_value(v, u),
            count_format=_count,
            value_min=lo,
            value_max=hi,
            text=_text(),
        )
        difference = change.get("difference")
        interval = Interval(difference["low"], difference["high"]) if difference else None
        if previous and current:
            delta = current["value"] - previous["value"]
            if unit is Unit.SHARE:
                delta_text = _(
                    "%(value)s percentage points",
                    value=format_value(delta * 100, Unit.POINTS),
                )
            else:
                delta_text = format_value(delta, unit)
        else:
            delta_text = "–"
        verdict = _("significant") if differs(interval) else _("not significant")
        description = _(
            "%(previous)s: %(before)s; %(current)s: %(now)s; change %(change)s (%(verdict)s).",
            previous=previous_label,
            before=_fig_text(previous, unit),
            current=current_label,
            now=_fig_text(current, unit),
            change=delta_text,
            verdict=verdict,
        )
        rows = [
            [previous_label, _fig_text(previous, unit), _count((previous or {}).get("n"))],
            [current_label, _fig_text(current, unit), _count((current or {}).get("n"))],
        ]
        if interval is not None:
            low, high = (
                (interval.low * 100, interval.high * 100)
                if unit is Unit.SHARE
                else (interval.low, interval.high)
            )
            note = _(
                "Change %(change)s, 95 %% interval %(low)s to %(high)s: %(verdict)s.",
                change=delta_text,
                low=format_value(low, Unit.POINTS),
                high=format_value(high, Unit.POINTS),
                verdict=verdict,
            )
        else:
            note = _("No change can be computed.")
        found.append(
            Chart(
                key=f"trend-{key.replace('_', '-')}",
                title=title,
                svg=_svg(drawing, f"trend-{key.replace('_', '-')}", title, description),
                caption=title,
                head=[_("Wave"), _("Value"), "n"],
                rows=rows,
                note=note,
            )
        )
    return found


def nps_chart(survey: Mapping[str, Any] | None) -> Chart | None:
    if not survey or not survey.get("nps_counts"):
        return None
    counts = {int(k): v for k, v in survey["nps_counts"].items()}
    promoters = sum(c for v, c in counts.items() if v >= PROMOTER_MIN)
    detractors = sum(c for v, c in counts.items() if v <= DETRACTOR_MAX)
    passives = sum(counts.values()) - promoters - detractors
    n = promoters + passives + detractors
    if n == 0:
        return None
    share = lambda v: format_value(v, Unit.SHARE)  # noqa: E731
    drawing = charts.nps_split(
        promoters, passives, detractors, share_format=share, n=n, count_format=_count, text=_text()
    )
    title = _("Promoters, passives and detractors")
    nps = survey.get("nps")
    description = _(
        "Promoters %(p)s, passives %(a)s, detractors %(d)s of %(n)s answers; NPS %(nps)s.",
        p=_count(promoters),
        a=_count(passives),
        d=_count(detractors),
        n=_count(n),
        nps=_fig_text(nps, Unit.POINTS),
    )
    rows = [
        [_("Promoters (9–10)"), _count(promoters), share(promoters / n)],
        [_("Passives (7–8)"), _count(passives), share(passives / n)],
        [_("Detractors (0–6)"), _count(detractors), share(detractors / n)],
    ]
    return Chart(
        key="nps",
        title=title,
        svg=_svg(drawing, "nps", title, description),
        caption=title,
        head=[_("Group"), _("Answers"), _("Share")],
        rows=rows,
    )


# --- method matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCell:
    value: str
    n: int
    #: "n = 6 contacts"
    cases: str
    low: str | None
    high: str | None
    target: str | None
    verdict: Verdict
    small_sample: bool


@dataclass(frozen=True)
class Matrix:
    columns: list[str]
    rows: list[tuple[str, list[MatrixCell | None]]]
    methods_used: list[str]
    too_few_methods: bool


def method_matrix(matrix: Mapping[str, Any] | None) -> Matrix | None:
    if not matrix:
        return None
    columns = [Column(c) for c in matrix.get("columns") or []]
    cells = {(c["dimension"], c["column"]): c for c in matrix.get("cells") or []}
    rows = []
    for dimension in matrix.get("rows") or []:
        row: list[MatrixCell | None] = []
        for column in columns:
            cell = cells.get((dimension, column.value))
            if cell is None:
                row.append(None)
                continue
            f = figure_row("", "", cell["figure"], Unit.SHARE)
            cases = cases_label(column, format_value(f.n, Unit.COUNT))
            row.append(
                MatrixCell(f.value, f.n, cases, f.low, f.high, f.target, f.verdict, f.small_sample)
            )
        rows.append((str(QUALITY_DIMENSION_LABELS[QualityDimension(dimension)]), row))
    return Matrix(
        columns=[str(COLUMN_LABELS[c]) for c in columns],
        rows=rows,
        methods_used=[str(METHOD_LABELS[Method(m)]) for m in matrix.get("methods_used") or []],
        too_few_methods=bool(matrix.get("too_few_methods")),
    )


@dataclass(frozen=True)
class DisagreementRow:
    dimension: str
    first: str
    first_value: str
    first_n: int
    second: str
    second_value: str
    second_n: int
    difference: str
    biases: str


def disagreement_rows(disagreements: Sequence[Mapping[str, Any]] | None) -> list[DisagreementRow]:
    found = []
    for d in disagreements or []:
        first, second = d["first"], d["second"]
        dimension = d.get("dimension")
        difference = d.get("difference") or {}
        delta = (first["figure"]["value"] - second["figure"]["value"]) * 100
        found.append(
            DisagreementRow(
                dimension=_("Overall quality")
                if dimension is None
                else str(QUALITY_DIMENSION_LABELS[QualityDimension(dimension)]),
                first=str(COLUMN_LABELS[Column(first["column"])]),
                first_value=format_value(first["figure"]["value"], Unit.SHARE),
                first_n=first["figure"]["n"],
                second=str(COLUMN_LABELS[Column(second["column"])]),
                second_value=format_value(second["figure"]["value"], Unit.SHARE),
                second_n=second["figure"]["n"],
                difference=_(
                    "%(value)s percentage points (95 %% interval %(low)s to %(high)s)",
                    value=format_value(delta, Unit.POINTS),
                    low=format_value(difference.get("low", 0) * 100, Unit.POINTS),
                    high=format_value(difference.get("high", 0) * 100, Unit.POINTS),
                ),
                biases="; ".join(str(BIASES[Column(c["column"])]) for c in (first, second)),
            )
        )
    return found


# --- SWOT -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingLink:
    label: str
    endpoint: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class FindingView:
    """One SWOT item as the page shows it: its sentence in the reader's language (or the
    manager's wording) and links to the contacts behind it."""

    quadrant: Quadrant
    text: str
    edited: bool = False
    removed: bool = False
    generated: bool = True
    id: int | None = None
    links: list[FindingLink] = field(default_factory=list)


def finding_text(data: Mapping[str, Any], text: str | None) -> str:
    """The manager's wording, else the rule's sentence in the current language."""
    if text:
        return text
    if not data:
        return ""
    return sentence(finding_from_json(data))


def finding_links(
    link: Mapping[str, Any] | None,
    wave_names: Mapping[int, str],
    *,
    may_open_waves: bool,
    may_open_surveys: bool,
) -> list[FindingLink]:
    """Pages with the contacts behind a finding: the waves' pages (with their inquiries) and the
    surveys' results. Channels, items and times of day have no page of their own yet."""
    if not link:
        return []
    found = []
    if may_open_waves:
        ids = [*(link.get("wave_ids") or []), *(link.get("previous_wave_ids") or [])]
        for wave_id in dict.fromkeys(ids):
            found.append(
                FindingLink(
                    _("Contacts of %(wave)s", wave=wave_names.get(wave_id, f"#{wave_id}")),
                    "audits.wave",
                    {"wave_id": wave_id, "_anchor": "inquiries-heading"},
                )
            )
    if may_open_surveys:
        for survey_id in link.get("survey_ids") or []:
            found.append(
                FindingLink(_("Survey responses"), "surveys.results", {"survey_id": survey_id})
            )
    return found


def link_wave_ids(
    snapshot: Mapping[str, Any], finding_data: Iterable[Mapping[str, Any]]
) -> set[int]:
    """Every wave a page of this snapshot names: the scope's, the previous one's, the open
    ones, the links'."""
    ids: set[int] = set((snapshot.get("mystery") or {}).get("open_wave_ids") or [])
    for scope in (snapshot.get("scope"), snapshot.get("previous_scope")):
        ids.update((scope or {}).get("wave_ids") or [])
    for data in finding_data:
        link = (data or {}).get("link") or {}
        ids.update(link.get("wave_ids") or [])
        ids.update(link.get("previous_wave_ids") or [])
    return ids


# --- the whole page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    empty: bool
    generated_at: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    headline: list[FigureRow] = field(default_factory=list)
    survey: list[FigureRow] = field(default_factory=list)
    survey_responses: int | None = None
    response_times: Chart | None = None
    channels: Chart | None = None
    scores: Chart | None = None
    #: Hour band × weekday; None for older snapshots, which show hour_bands and weekdays.
    activity: Chart | None = None
    hour_bands: Chart | None = None
    weekdays: Chart | None = None
    trends: list[Chart] = field(default_factory=list)
    #: Which wave the changes are measured against (:func:`comparison_sentence`).
    comparison: str = ""
    #: What is counted, in words (:func:`counts_sentence`).
    counts_text: str = ""
    #: Why the figures may still change (:func:`provisional_notices`).
    notices: list[str] = field(default_factory=list)
    nps: Chart | None = None
    matrix: Matrix | None = None
    disagreements: list[DisagreementRow] = field(default_factory=list)
    item_rates: list[tuple[FigureRow, str, int]] = field(default_factory=list)


def provisional_notices(snapshot: Mapping[str, Any], wave_names: Mapping[int, str]) -> list[str]:
    """Why the figures may still change: waves still running, sent contacts not yet reviewed.
    Shown prominently on the page and in the PDF alike."""
    mystery = snapshot.get("mystery") or {}
    notices = []
    open_ids = mystery.get("open_wave_ids") or []
    if open_ids:
        names = ", ".join(wave_names.get(i, f"#{i}") for i in open_ids)
        notices.append(
            ngettext(
                "Provisional: the wave %(waves)s is not closed yet, so these figures will still "
                "change.",
                "Provisional: the waves %(waves)s are not closed yet, so these figures will "
                "still change.",
                len(open_ids),
                waves=names,
            )
        )
    awaiting = int((mystery.get("counts") or {}).get("awaiting_review") or 0)
    if awaiting:
        notices.append(
            ngettext(
                "%(num)d contact that was sent is awaiting review: it counts in no figure yet.",
                "%(num)d contacts that were sent are awaiting review: they count in no figure yet.",
                awaiting,
            )
        )
    return notices


def counts_sentence(counts: Mapping[str, Any]) -> str:
    """What the report counts, in words: everything sent, of it what is approved (and so in
    the figures), what awaits review, and how the counted inquiries ended (page and PDF)."""

    def number(name: str) -> int:
        return int(counts.get(name) or 0)

    return _(
        "Planned %(planned)d; sent %(dispatched)d (all that went out, reviewed or not), not "
        "yet sent %(not_sent)d, cancelled %(cancelled)d. Counted in the figures are approved "
        "contacts only: sent %(sent)d and not contactable %(nc)d; awaiting review "
        "%(awaiting)d. Of the %(sent)d counted sent: answered in time %(answered)d (of them "
        "only at the second attempt %(second)d), answered late %(late)d, no answer at all "
        "%(never)d.",
        planned=number("planned"),
        dispatched=number("dispatched"),
        not_sent=max(number("unreviewed") - number("awaiting_review"), 0),
        cancelled=number("cancelled"),
        sent=number("sent"),
        nc=number("not_contactable"),
        awaiting=number("awaiting_review"),
        answered=number("answered"),
        second=number("answered_second_attempt"),
        late=number("late"),
        never=number("never_answered"),
    )


def comparison_sentence(snapshot: Mapping[str, Any], wave_names: Mapping[int, str]) -> str:
    """Which wave the report's changes are measured against, and why (page and PDF alike)."""
    previous_ids = (snapshot.get("previous_scope") or {}).get("wave_ids") or []
    names = ", ".join(wave_names.get(i, f"#{i}") for i in previous_ids)
    basis = snapshot.get("comparison_basis")
    if previous_ids and basis == "chosen":
        return _("Changes are measured against %(wave)s, chosen by a quality manager.", wave=names)
    if previous_ids:
        return _(
            "Changes are measured against %(wave)s, the previous comparable wave: the latest "
            "closed wave of the client with the same scorecard that ended before this one began.",
            wave=names,
        )
    if basis == "none":
        return _("No comparison with an earlier wave: a quality manager chose none.")
    return _("No previous comparable wave: no change to show.")


def build(snapshot: Mapping[str, Any] | None, wave_names: Mapping[int, str]) -> Dashboard:
    """Everything the page shows of a snapshot; an empty snapshot gives the empty state."""
    if not snapshot or not snapshot.get("mystery"):
        return Dashboard(empty=True)
    mystery = snapshot["mystery"]
    targets = mystery.get("targets") or {}
    breakdowns = mystery.get("breakdowns") or {}
    target_rate = targets.get("answer_rate")
    previous_ids = (snapshot.get("previous_scope") or {}).get("wave_ids") or []
    current_ids = (snapshot.get("scope") or {}).get("wave_ids") or []
    previous_label = ", ".join(wave_names.get(i, f"#{i}") for i in previous_ids) or _(
        "Previous wave"
    )
    current_label = ", ".join(wave_names.get(i, f"#{i}") for i in current_ids) or _("This report")
    survey = snapshot.get("survey")
    activity = activity_heatmap(breakdowns.get("by_hour_band_weekday") or [], target_rate)
    items = []
    for item in mystery.get("item_pass_rates") or []:
        row = figure_row(f"item-{item['item_id']}", item["text"], item["pass_rate"], Unit.SHARE)
        dimension = str(METHOD_DIMENSION_LABELS[MethodDimension(item["method_dimension"])])
        items.append((row, dimension, item.get("knockouts", 0)))
    return Dashboard(
        empty=False,
        generated_at=snapshot.get("generated_at"),
        counts=mystery.get("counts") or {},
        headline=headline_rows(mystery),
        survey=survey_rows(survey),
        survey_responses=(survey or {}).get("responses"),
        response_times=response_time_chart(mystery),
        channels=answer_rate_chart(
            "channels",
            _("Answer rate by channel"),
            breakdowns.get("by_channel") or [],
            _channel_label,
            target_rate,
            _("Channel"),
        ),
        scores=scores_chart(mystery),
        activity=activity,
        hour_bands=None
        if activity
        else answer_rate_chart(
            "hour-bands",
            _("Answer rate by time of day"),
            breakdowns.get("by_hour_band") or [],
            _hour_band_label,
            target_rate,
            _("Time of day"),
        ),
        weekdays=None
        if activity
        else answer_rate_chart(
            "weekdays",
            _("Answer rate by weekday"),
            breakdowns.get("by_weekday") or [],
            _weekday_label,
            target_rate,
            _("Weekday"),
        ),
        trends=trend_charts(snapshot.get("comparison"), previous_label, current_label),
        comparison=comparison_sentence(snapshot, wave_names),
        counts_text=counts_sentence(mystery.get("counts") or {}),
        notices=provisional_notices(snapshot, wave_names),
        nps=nps_chart(survey),
        matrix=method_matrix(snapshot.get("matrix")),
        disagreements=disagreement_rows(snapshot.get("disagreements")),
        item_rates=items,
    )


def snapshot_findings(
    snapshot: Mapping[str, Any] | None,
    wave_names: Mapping[int, str],
    *,
    may_open_waves: bool,
    may_open_surveys: bool,
) -> dict[Quadrant, list[FindingView]]:
    """The generated SWOT of a snapshot (the live wave dashboard: nothing stored, no edits)."""
    quadrants: dict[Quadrant, list[FindingView]] = {q: [] for q in Quadrant}
    swot = (snapshot or {}).get("swot") or {}
    for items in swot.values():
        for data in items:
            quadrant = Quadrant(data["quadrant"])
            quadrants[quadrant].append(
                FindingView(
                    quadrant=quadrant,
                    text=finding_text(data, None),
                    links=finding_links(
                        data.get("link"),
                        wave_names,
                        may_open_waves=may_open_waves,
                        may_open_surveys=may_open_surveys,
                    ),
                )
            )
    return quadrants
