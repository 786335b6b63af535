"""Exports of a survey: the raw answers (one row per response) and the results, as CSV or XLSX.

CSV follows the reader's spreadsheet: in German a semicolon between fields and a decimal comma
(what German Excel expects on a double click), in English a comma and a decimal point; always
UTF-8 with a byte order mark, so Excel does not mistake the umlauts for Windows-1252. Dates
are ISO (2030-01-07), which both read as dates.

Formula injection: a text cell that starts with =, +, -, @, a tab or a carriage return would be
run as a formula by a spreadsheet. In CSV such text gets a leading apostrophe; in XLSX it is
stored as a string cell (never a formula) with Excel's quote prefix (``qcrm.spreadsheets``, shared
with the report's XLSX). Numbers are written as numbers and are never touched.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from qcrm.extensions import db
from qcrm.models import Channel
from qcrm.spreadsheets import (  # noqa: F401  (is_formula_like: part of this module's interface)
    XLSX_MIMETYPE,
    Cell,
    csv_safe,
    is_formula_like,
    workbook_bytes,
)
from qcrm.statistics import Figure
from qcrm.verdicts import verdict_label
from surveys.anonymity import DATE_GRAIN_LABELS, Disclosure, disclosure_of
from surveys.labels import RESPONSE_SOURCE_LABELS
from surveys.models import (
    Answer,
    QuestionKind,
    Response,
    Survey,
)
from surveys.results import Grain, Group, Headline, SurveyResults

#: Rows fetched at a time from the database for the raw answers.
BATCH = 2000
CSV_MIMETYPE = "text/csv; charset=utf-8"


# --- raw answers --------------------------------------------------------------------------------


def answer_rows(survey: Survey) -> Iterator[list[Cell]]:
    """A header, then one row per response in the order of its random key: key, date,
    channel, source, and one column per question (multiple choice as "a; b" in option order).

    Source, channel and date are told as ``surveys.anonymity`` allows: a cell too small to
    tell is empty, the date is the first day of the grain the header names (or empty).

    The answers are read in batches and grouped by response as they stream past, so the
    memory needed does not grow with the number of responses. What the rows need from the
    survey is read now, before the response streams (when the view's objects are gone).
    """
    questions = [
        _QuestionColumn(q.id, q.position, q.text, q.kind, list(q.options or []))
        for q in survey.questions
    ]
    channels = dict(
        db.session.execute(
            select(Channel.id, Channel.name).where(Channel.client_id == survey.client_id)
        ).all()
    )
    return _answer_rows(survey.id, questions, channels, disclosure_of(survey))


@dataclass(frozen=True)
class _QuestionColumn:
    id: int
    position: int
    text: str
    kind: QuestionKind
    options: list[str]


def _answer_rows(
    survey_id: int,
    questions: list[_QuestionColumn],
    channels: dict[int, str],
    disclosure: Disclosure,
) -> Iterator[list[Cell]]:
    column = {question.id: index for index, question in enumerate(questions)}
    grain = disclosure.grain
    yield [
        _("Response"),
        _("Date (%(grain)s)", grain=DATE_GRAIN_LABELS[grain]) if grain else _("Date (not told)"),
        _("Channel"),
        _("Source"),
        *[f"{q.position}. {q.text}" for q in questions],
    ]
    rows = db.session.execute(
        select(
            Response.key,
            Response.submitted_on,
            Response.channel_id,
            Response.source,
            Answer.question_id,
            Answer.number,
            Answer.text,
        )
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(Response.survey_id == survey_id)
        .order_by(Response.key, Answer.question_id, Answer.number)
        .execution_options(yield_per=BATCH)
    )
    for key, answers in itertools.groupby(rows, key=lambda r: r[0]):
        answers = list(answers)
        first = answers[0]
        values: list[list[Cell]] = [[] for _question in questions]
        for *_response, question_id, value, text in answers:
            if question_id in column:
                values[column[question_id]].append(value if text is None else text)
        source, channel_id = disclosure.cell(first.source, first.channel_id)
        yield [
            key,
            disclosure.date(first.submitted_on),
            channels.get(channel_id, "") if channel_id else "",
            str(RESPONSE_SOURCE_LABELS[source]) if source else "",
            *[_answer_cell(q, v) for q, v in zip(questions, values, strict=True)],
        ]


def _answer_cell(question: _QuestionColumn, values: list[Cell]) -> Cell:
    if not values:
        return None
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        options = question.options
        return "; ".join(
            options[v] if isinstance(v, int) and 0 <= v < len(options) else str(v)
            for v in sorted(values, key=lambda v: (not isinstance(v, int), v))
        )
    return values[0]


# --- results ------------------------------------------------------------------------------------


def result_header() -> list[str]:
    return [
        _("Section"),
        _("Figure"),
        _("Question no."),
        _("Question"),
        _("Answer"),
        _("Count"),
        _("Value"),
        _("n"),
        _("Lower bound (95 percent interval)"),
        _("Upper bound (95 percent interval)"),
        _("Target"),
        _("Against the target"),
        _("Small sample"),
    ]


def result_rows(results: SurveyResults) -> Iterator[list[Cell]]:
    """The results as one table: the survey's counts and response rate, each question's
    figures and distribution, and the breakdowns (suppressed cells with their n only; by
    channel, the channels too small to tell apart as one row "other channels").

    Shares are 0–1, NPS in points (−100…100), means on their scale.
    """
    yield result_header()
    survey_section = _("Survey")
    yield _count_row(survey_section, _("Responses"), results.total_responses)
    if results.invitations is not None:
        counts = results.invitations
        yield _count_row(survey_section, _("Invited"), counts.invited)
        yield _count_row(survey_section, _("Not sent yet"), counts.queued)
        yield _count_row(survey_section, _("Failed"), counts.failed)
        yield _count_row(survey_section, _("Bounced"), counts.bounced)
        yield _count_row(survey_section, _("Delivered"), counts.delivered)
        yield _count_row(survey_section, _("Responded via invitation"), counts.responded)
        if counts.response_rate is not None:
            yield _figure_row(survey_section, _("Response rate"), counts.response_rate)
    if not results.enough:
        return
    question_section, distribution = _("Question"), _("Distribution")
    for question in results.questions:
        about = (question.position, question.text)
        yield _count_row(question_section, _("Respondents"), question.n, about)
        if question.score is not None:
            yield _figure_row(question_section, _score_label(question.kind), question.score, about)
        if question.mean is not None:
            yield _figure_row(question_section, _("Mean"), question.mean, about)
        split = question.nps_split
        if split is not None:
            for label, count in (
                (_("Promoters (9–10)"), split.promoters),
                (_("Passives (7–8)"), split.passives),
                (_("Detractors (0–6)"), split.detractors),
            ):
                yield [question_section, label, *about, "", count, split.share(count), split.n]
        for bar in question.bars:
            yield [distribution, _("Answers"), *about, bar.label, bar.count, bar.share, question.n]
    yield from _group_rows(_("Channel"), results.by_channel, results)
    period = _("Week") if results.grain is Grain.WEEK else _("Month")
    yield from _group_rows(period, results.over_time, results)


def _score_label(kind: QuestionKind) -> str:
    return {
        QuestionKind.CSAT: _("CSAT (share of 4–5)"),
        QuestionKind.NPS: _("NPS"),
        QuestionKind.CES: _("CES (mean)"),
    }[kind]


def _count_row(section: str, label: str, count: int, about: tuple = ("", "")) -> list[Cell]:
    return [section, label, *about, "", count]


def _figure_row(section: str, label: str, figure: Figure, about=("", ""), answer="") -> list[Cell]:
    return [
        section,
        label,
        *about,
        answer,
        None,
        figure.value,
        figure.n,
        figure.interval.low if figure.interval else None,
        figure.interval.high if figure.interval else None,
        figure.target,
        verdict_label(figure.verdict),
        figure.small_sample,
    ]


def _group_rows(section: str, groups: Sequence[Group], results: SurveyResults):
    for group in groups:
        if group.start is not None:
            name = group.start.isoformat()
            if results.grain is Grain.WEEK:
                year, week, _day = group.start.isocalendar()
                name = f"{year}-W{week:02d}"
        elif group.other:
            name = _("other channels, together")
        else:
            name = group.label or _("no channel")
        yield [section, _("Responses"), "", "", name, group.n]
        if group.headline is not None:
            yield from _headline_rows(section, group.headline, name)


def _headline_rows(section: str, headline: Headline, name: str) -> Iterator[list[Cell]]:
    for label, figure in (
        (_("CSAT (share of 4–5)"), headline.csat),
        (_("NPS"), headline.nps),
        (_("CES (mean)"), headline.ces),
    ):
        if figure is not None:
            yield _figure_row(section, label, figure, answer=name)


# --- writers ------------------------------------------------------------------------------------


def csv_dialect() -> tuple[str, bool]:
    """(delimiter, decimal comma) for the reader's language (see the module docstring)."""
    german = str(get_locale() or "en").startswith("de")
    return (";", True) if german else (",", False)


def csv_cell(value: Cell, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_decimal(value, format="0.##########", locale="de" if decimal_comma else "en")
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_safe(str(value))


def to_csv(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """CSV text in pieces (BOM first), one line per row, for a streamed response."""
    delimiter, decimal_comma = csv_dialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow([csv_cell(value, decimal_comma) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def to_xlsx(title: str, rows: Iterable[Sequence[Cell]]) -> bytes:
    """An XLSX workbook with one sheet (see ``qcrm.spreadsheets.workbook_bytes``)."""
    return workbook_bytes([(title, rows)])
