"""A report's figures as an XLSX workbook for analysts: every figure of its snapshot, one row each.

The workbook reads the report's snapshot (``reports.services.current_snapshot``), the same JSON
the page, the PDF and the API show, so its numbers are theirs. Each sheet is a long table whose
figure rows share the columns value, n, 95 % interval low/high, target, meets target and small
sample: shares as 0–1, scores and NPS in points, CES on its 1–7 scale, times in seconds. Numbers
are numbers; every text (SWOT sentences, a manager's wording, item texts, channel names) is a
string cell, never a formula (``qcrm.spreadsheets``). Labels and SWOT sentences are written in the
current language: call ``report_workbook`` under the reader's locale.

Testers' identities appear nowhere: the snapshot holds none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask_babel import gettext as _

from audits.mystery.forms.waves import HOUR_BAND_LABELS
from audits.mystery.models import HourBand
from audits.scorecards.labels import (
    ITEM_TYPE_LABELS,
    KNOCKOUT_SCOPE_LABELS,
    METHOD_DIMENSION_LABELS,
    QUALITY_DIMENSION_LABELS,
)
from audits.scorecards.models import ItemType, KnockoutScope, MethodDimension, QualityDimension
from qcrm.clients import WEEKDAY_LABELS
from qcrm.spreadsheets import Cell, workbook_bytes
from qcrm.statistics import Interval, differs, verdict_of
from qcrm.verdicts import verdict_label
from reports.methods import COLUMN_LABELS, METHOD_LABELS, Column, Method, cases_label
from reports.models import Report, ReportFinding
from reports.snapshot import finding_from_json
from reports.swot import Quadrant, sentence

__all__ = ["finding_text", "report_workbook"]

_WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Row = list[Cell]


def finding_text(finding: ReportFinding) -> str:
    """A finding's sentence in the current language: the manager's wording if there is one."""
    if finding.text:
        return finding.text
    if not finding.data:
        return ""
    return sentence(finding_from_json(finding.data))


def _quadrant_labels() -> dict[Quadrant, str]:
    return {
        Quadrant.STRENGTH: _("Strength"),
        Quadrant.WEAKNESS: _("Weakness"),
        Quadrant.OPPORTUNITY: _("Opportunity"),
        Quadrant.THREAT: _("Threat"),
    }


def _figure_header(*first: str) -> Row:
    return [
        *first,
        _("Value"),
        _("n"),
        _("Lower bound (95 percent interval)"),
        _("Upper bound (95 percent interval)"),
        _("Target"),
        _("Against the target"),
        _("Small sample"),
    ]


def _figure_cells(figure: Mapping[str, Any] | None) -> Row:
    if not figure:
        return [None] * 7
    return [
        figure.get("value"),
        figure.get("n"),
        figure.get("low"),
        figure.get("high"),
        figure.get("target"),
        verdict_label(verdict_of(figure)),
        figure.get("small_sample"),
    ]


# --- sheets ---------------------------------------------------------------------------------------


def _summary_rows(snapshot: Mapping[str, Any]) -> Iterator[Row]:
    yield _figure_header(_("Section"), _("Figure"), _("Unit"))
    mystery = snapshot.get("mystery") or {}
    share, seconds, points = _("share 0–1"), _("seconds"), _("points 0–100")
    section = _("Mystery contacts")
    for key, label, unit in (
        ("answer_rate", _("Answer rate"), share),
        ("answered_second_attempt", _("Answered only at the second attempt"), share),
        ("late", _("Answered late"), share),
        ("never_answered", _("Never answered"), share),
        ("not_contactable", _("Not contactable"), share),
        ("frt_within_target", _("Share answered within the target hours"), share),
        ("first_contact_resolution", _("First-contact resolution"), share),
        ("transaction_score", _("Transaction score"), points),
        ("communication_score", _("Communication score"), points),
        ("handling_score", _("Handling score"), points),
        ("total_score", _("Total score"), points),
    ):
        if mystery.get(key):
            yield [section, label, unit, *_figure_cells(mystery[key])]
    for key, label in (
        ("frt_calendar", _("First response time (calendar)")),
        ("frt_business", _("First response time (business hours)")),
    ):
        times = mystery.get(key)
        if times:
            for part, part_label in (
                ("median", _("median")),
                ("p90", _("90th percentile")),
                ("mean", _("mean")),
            ):
                if times.get(part):
                    yield [section, f"{label}: {part_label}", seconds, *_figure_cells(times[part])]
    cutoffs = mystery.get("cutoffs") or {}
    for key, label in (
        ("within_1h", _("Answered within 1 hour")),
        ("within_24h", _("Answered within 24 hours")),
        ("within_2_business_days", _("Answered within 2 business days")),
        ("never", _("Not answered within the timeout")),
    ):
        if cutoffs.get(key):
            yield [section, label, share, *_figure_cells(cutoffs[key])]
    counts = mystery.get("counts") or {}
    count_section, count_unit = _("Inquiries"), _("count")
    for key, label in (
        ("planned", _("Planned")),
        ("cancelled", _("Cancelled")),
        ("unreviewed", _("Not reviewed (counted nowhere)")),
        ("not_contactable", _("Not contactable")),
        ("sent", _("Sent")),
        ("answered", _("Answered")),
        ("answered_second_attempt", _("Answered only at the second attempt")),
        ("late", _("Answered late")),
        ("never_answered", _("Never answered")),
        ("solved", _("Solved at the first answer")),
    ):
        if key in counts:
            yield [count_section, label, count_unit, counts[key]]
    for key, label in (("evaluations", _("Evaluations")), ("knockouts", _("Knock-outs"))):
        if key in mystery:
            yield [count_section, label, count_unit, mystery[key]]
    survey = snapshot.get("survey")
    if survey:
        survey_section = _("Customer survey")
        yield [survey_section, _("Responses"), count_unit, survey.get("responses")]
        for key, label, unit in (
            ("csat", _("CSAT (share of 4–5)"), share),
            ("csat_mean", _("CSAT (mean of 1–5)"), _("mean 1–5")),
            ("nps", _("NPS"), _("points −100…100")),
            ("ces", _("CES (mean)"), _("mean 1–7")),
            ("response_rate", _("Response rate (of delivered invitations)"), share),
        ):
            if survey.get(key):
                yield [survey_section, label, unit, *_figure_cells(survey[key])]
    comparison = snapshot.get("comparison")
    if comparison:
        trend = _("Change against the previous wave")
        for key, label in (("answer_rate", _("Answer rate")), ("total_score", _("Total score"))):
            change = comparison.get(key) or {}
            for when, when_label in (("previous", _("previous wave")), ("current", _("this wave"))):
                if change.get(when):
                    yield [trend, f"{label}: {when_label}", "", *_figure_cells(change[when])]
            difference = change.get("difference")
            if difference and change.get("previous") and change.get("current"):
                value = change["current"]["value"] - change["previous"]["value"]
                significant = differs(Interval(difference["low"], difference["high"]))
                yield [
                    trend,
                    f"{label}: {_('difference')}",
                    "",
                    value,
                    None,
                    difference["low"],
                    difference["high"],
                    None,
                    None,
                    None,
                    _("significant") if significant else _("not significant"),
                ]


def _group_label(breakdown: str, group: Mapping[str, Any]) -> str:
    key = group.get("key")
    if breakdown == "by_hour_band":
        try:
            return str(HOUR_BAND_LABELS[HourBand(key)])
        except (ValueError, KeyError):
            return str(key)
    if breakdown == "by_weekday":
        if isinstance(key, int) and 0 <= key < len(_WEEKDAY_CODES):
            return str(WEEKDAY_LABELS[_WEEKDAY_CODES[key]])
        return str(key)
    return group.get("label") or str(key)


def _breakdown_rows(snapshot: Mapping[str, Any]) -> Iterator[Row]:
    yield _figure_header(
        _("Breakdown"), _("Group"), _("Sent"), _("Not contactable"), _("Answered"), _("Figure")
    )
    breakdowns = (snapshot.get("mystery") or {}).get("breakdowns") or {}
    for key, label in (
        ("by_channel", _("Channel")),
        ("by_scenario", _("Scenario")),
        ("by_hour_band", _("Time of day")),
        ("by_weekday", _("Weekday")),
    ):
        for group in breakdowns.get(key) or []:
            name = _group_label(key, group)
            counts = [group.get("sent"), group.get("not_contactable"), group.get("answered")]
            for figure_key, figure_label in (
                ("answer_rate", _("Answer rate")),
                ("frt_median", _("Median first response time (seconds)")),
                ("total_score", _("Total score")),
            ):
                yield [label, name, *counts, figure_label, *_figure_cells(group.get(figure_key))]


def _item_rows(snapshot: Mapping[str, Any]) -> Iterator[Row]:
    yield [
        _("No."),
        _("Criterion"),
        _("Method dimension"),
        _("Quality dimension"),
        _("Type"),
        _("Knock-out"),
        _("Knock-outs"),
        *_figure_header(),
    ]
    for item in (snapshot.get("mystery") or {}).get("item_pass_rates") or []:
        yield [
            item.get("position"),
            item.get("text"),
            _label(METHOD_DIMENSION_LABELS, MethodDimension, item.get("method_dimension")),
            _label(QUALITY_DIMENSION_LABELS, QualityDimension, item.get("quality_dimension")),
            _label(ITEM_TYPE_LABELS, ItemType, item.get("item_type")),
            _label(KNOCKOUT_SCOPE_LABELS, KnockoutScope, item.get("knockout")),
            item.get("knockouts"),
            *_figure_cells(item.get("pass_rate")),
        ]


def _label(labels: Mapping, kind, value) -> str:
    if value is None:
        return ""
    try:
        return str(labels[kind(value)])
    except (ValueError, KeyError):
        return str(value)


def _method_rows(snapshot: Mapping[str, Any]) -> Iterator[Row]:
    matrix = snapshot.get("matrix") or {}
    yield [_("Methods used")]
    for method in matrix.get("methods_used") or []:
        yield [_label(METHOD_LABELS, Method, method)]
    if matrix.get("too_few_methods"):
        yield [_("Fewer than three methods were used: the picture may be one-sided.")]
    yield []
    yield [
        *_figure_header(
            _("Quality dimension"), _("Method"), _("Cases meeting the criterion"), _("Out of")
        ),
        _("What n counts"),
    ]
    cells = list(matrix.get("cells") or [])
    if matrix.get("mystery_overall"):
        cells.append(matrix["mystery_overall"])
    for cell in cells:
        dimension = cell.get("dimension")
        figure = cell.get("figure") or {}
        # a pooled share: passing answers out of applicable answers, n = contacts
        yield [
            _label(QUALITY_DIMENSION_LABELS, QualityDimension, dimension)
            if dimension
            else _("Overall quality"),
            _label(COLUMN_LABELS, Column, cell.get("column")),
            cell.get("successes"),
            cell.get("answers", figure.get("n")),
            *_figure_cells(figure),
            cases_label(Column(cell["column"]), str(figure.get("n"))),
        ]
    disagreements = snapshot.get("disagreements") or []
    yield []
    yield [
        _("Methods that disagree"),
        _("First method"),
        _("First value"),
        _("Second method"),
        _("Second value"),
        _("Difference"),
        _("Lower bound (95 percent interval)"),
        _("Upper bound (95 percent interval)"),
    ]
    for item in disagreements:
        first, second = item["first"], item["second"]
        dimension = item.get("dimension")
        yield [
            _label(QUALITY_DIMENSION_LABELS, QualityDimension, dimension)
            if dimension
            else _("Overall quality"),
            _label(COLUMN_LABELS, Column, first.get("column")),
            first["figure"]["value"],
            _label(COLUMN_LABELS, Column, second.get("column")),
            second["figure"]["value"],
            first["figure"]["value"] - second["figure"]["value"],
            (item.get("difference") or {}).get("low"),
            (item.get("difference") or {}).get("high"),
        ]
    if not disagreements:
        yield [_("None: where methods measure the same, they do not differ significantly.")]


def _swot_rows(report: Report) -> Iterator[Row]:
    labels = _quadrant_labels()
    yield [
        _("Quadrant"),
        _("No."),
        _("Finding"),
        _("Edited"),
        _("Value"),
        _("n"),
        _("Target"),
    ]
    order = list(Quadrant)
    findings = sorted(
        (f for f in report.findings if not f.removed),
        key=lambda f: (order.index(f.quadrant), f.position),
    )
    for finding in findings:
        data = finding.data or {}
        yield [
            labels[finding.quadrant],
            finding.position,
            finding_text(finding),
            finding.edited,
            data.get("figure"),
            data.get("n"),
            data.get("target"),
        ]


def _survey_rows(snapshot: Mapping[str, Any]) -> Iterator[Row]:
    survey = snapshot.get("survey")
    yield [_("Question"), _("Answer"), _("Count")]
    if not survey:
        return
    for key, label in (
        ("csat_counts", _("CSAT")),
        ("nps_counts", _("NPS")),
        ("ces_counts", _("CES")),
    ):
        counts = survey.get(key) or {}
        for value in sorted(counts, key=int):
            yield [label, int(value), counts[value]]


def report_workbook(report: Report, snapshot: Mapping[str, Any]) -> bytes:
    """The report's figures as XLSX (see the module docstring); a report without figures (an
    empty snapshot) gets the sheets' headers and its SWOT."""
    about: list[Row] = [
        [_("Report"), report.title],
        [_("Client"), report.client.name],
        [_("Generated"), snapshot.get("generated_at") or ""],
    ]
    if not snapshot.get("mystery") and not snapshot.get("survey"):
        about.append([_("This report has no figures.")])
    return workbook_bytes(
        [
            (_("Figures"), [*about, [], *_summary_rows(snapshot)]),
            (_("Breakdowns"), _breakdown_rows(snapshot)),
            (_("Criteria"), _item_rows(snapshot)),
            (_("Methods"), _method_rows(snapshot)),
            (_("SWOT"), _swot_rows(report)),
            (_("Survey"), _survey_rows(snapshot)),
        ]
    )
