"""A report as the PDF prints it: the figures, SWOT sentences, quotes and texts in one language.

``report_document`` reads the database once and writes every text in the reader's language
(under ``flask_babel.force_locale``); ``reports.pdf.render`` lays the result out without Flask or
database. ``report_pdf`` does both — the PDF download and the mailed report call it.

What goes in:

* the report's snapshot (``reports.services.current_snapshot``: stored when published, live for a
  draft), so the PDF prints the numbers the JSON and the dashboard show;
* the SWOT items kept with the report, in position order per quadrant, removed ones left out: a
  manager's wording as written (marked edited), a generated item as
  ``reports.swot.sentence`` writes it in the language;
* a few verbatim quotes: the latest free-text answers of the surveys the snapshot counted
  (``survey.survey_ids``) in the snapshot's survey period, nothing submitted after the figures
  were computed, the same wording only once, and only from surveys that still have at least
  their ``min_responses`` there — selected when the PDF is made, so publishing stores nothing
  new. They carry no name: survey responses are anonymous, and testers never appear (the
  snapshot has none). Printed in the order of their responses' random keys and dated only as
  finely as ``surveys.anonymity`` allows, like every other outward view of responses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from audits.mystery.forms.waves import HOUR_BAND_LABELS
from audits.mystery.models import HourBand, Wave
from audits.scorecards.labels import QUALITY_DIMENSION_LABELS
from audits.scorecards.models import QualityDimension
from qcrm.clients import WEEKDAY_LABELS
from qcrm.extensions import db
from qcrm.models import Channel
from qcrm.statistics import Verdict
from qcrm.verdicts import verdict_label
from reports.charts import ChartText
from reports.dashboard import (
    comparison_sentence,
    counts_sentence,
    link_wave_ids,
    provisional_notices,
)
from reports.methods import BIASES, CASES_LABELS, COLUMN_LABELS, METHOD_LABELS, Column, Method
from reports.models import Report, ReportFinding
from reports.pdf import DocumentFinding, PdfTexts, ReportDocument, Verbatim, render
from reports.services import current_snapshot
from reports.snapshot import finding_from_json
from reports.swot import SUBJECT_LABELS, Quadrant, Subject, sentence
from surveys.anonymity import dated_label, disclosure_of
from surveys.models import Answer, Question, QuestionKind, Response, Survey

__all__ = ["LANGUAGES", "VERBATIMS", "chart_text", "pdf_texts", "report_document", "report_pdf"]

LANGUAGES = ("de", "en")
#: How many verbatim quotes the PDF prints, and how long each may be.
VERBATIMS = 6
VERBATIM_MAX = 600
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_QUADRANT_ORDER = {quadrant: index for index, quadrant in enumerate(Quadrant)}


def report_pdf(report: Report, language: str, now: dt.datetime | None = None) -> bytes:
    """The report as PDF in ``language`` ("de" or "en")."""
    return render(report_document(report, language, now))


def report_document(
    report: Report, language: str, now: dt.datetime | None = None
) -> ReportDocument:
    """Everything the PDF prints, in ``language``."""
    if language not in LANGUAGES:
        raise ValueError(f"no PDF in {language!r}")
    snapshot = current_snapshot(report, now) or {}
    names = _wave_names(snapshot, report)
    with force_locale(language):
        return ReportDocument(
            language=language,
            locale=language,
            title=report.title,
            client=report.client.name,
            scope=_scope_text(report),
            published=format_date(report.published_at, "long")
            if report.published_at
            else _("Draft – not published"),
            snapshot=snapshot,
            findings=_findings(report.findings),
            verbatims=_verbatims(snapshot),
            texts=pdf_texts(),
            wave_names=names,
            comparison=comparison_sentence(snapshot, names) if snapshot else "",
            counts=counts_sentence((snapshot.get("mystery") or {}).get("counts") or {}),
            notices=tuple(provisional_notices(snapshot, names)),
        )


# --- parts of the document ------------------------------------------------------------------------


def _scope_text(report: Report) -> str:
    parts = []
    if report.wave_ids:
        names = db.session.scalars(
            select(Wave.name).where(Wave.id.in_(report.wave_ids)).order_by(Wave.period_start)
        ).all()
        parts.append(_("Waves") + ": " + ", ".join(names))
    if report.period_start and report.period_end:
        parts.append(
            _("Period")
            + ": "
            + _(
                "%(start)s to %(end)s",
                start=format_date(report.period_start, "medium"),
                end=format_date(report.period_end, "medium"),
            )
        )
    if report.channel_ids:
        names = db.session.scalars(
            select(Channel.name).where(Channel.id.in_(report.channel_ids)).order_by(Channel.name)
        ).all()
        parts.append(_("Channels") + ": " + ", ".join(names))
    else:
        parts.append(_("All channels"))
    return " · ".join(parts)


def _wave_names(snapshot: Mapping[str, Any], report: Report) -> dict[int, str]:
    ids = set(report.wave_ids or ()) | link_wave_ids(snapshot, ())
    if not ids:
        return {}
    return dict(db.session.execute(select(Wave.id, Wave.name).where(Wave.id.in_(ids))).all())


def _findings(rows: list[ReportFinding]) -> tuple[DocumentFinding, ...]:
    """The report's SWOT items as printed (call under force_locale)."""
    kept = sorted(
        (f for f in rows if not f.removed),
        key=lambda f: (_QUADRANT_ORDER[f.quadrant], f.position, f.id or 0),
    )
    found = []
    for finding in kept:
        if finding.text:
            text = finding.text
        elif finding.data:
            text = sentence(finding_from_json(finding.data))
        else:
            continue
        found.append(DocumentFinding(finding.quadrant.value, text, bool(finding.edited)))
    return tuple(found)


def _verbatims(snapshot: Mapping[str, Any]) -> tuple[Verbatim, ...]:
    """The latest free-text answers of the surveys the figures counted (see the module
    docstring); formatted days in the current language."""
    survey = snapshot.get("survey") or {}
    survey_ids = list(survey.get("survey_ids") or ())
    if not survey_ids:
        return ()
    conditions = [Response.survey_id.in_(survey_ids)]
    period = survey.get("period")
    if period:
        conditions.append(
            Response.submitted_on.between(
                dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1])
            )
        )
    generated = snapshot.get("generated_at")
    if generated:
        conditions.append(Response.submitted_on <= dt.datetime.fromisoformat(generated).date())
    minimum = dict(
        db.session.execute(
            select(Survey.id, Survey.min_responses).where(Survey.id.in_(survey_ids))
        ).all()
    )
    counts = db.session.execute(
        select(Response.survey_id, func.count(Response.id))
        .where(*conditions)
        .group_by(Response.survey_id)
    ).all()
    allowed = [survey_id for survey_id, n in counts if n >= max(1, minimum.get(survey_id, 1) or 1)]
    if not allowed:
        return ()
    rows = db.session.execute(
        select(Answer.text, Response.submitted_on, Response.key, Response.survey_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(
            *conditions,
            Response.survey_id.in_(allowed),
            Question.kind == QuestionKind.FREE_TEXT,
            Answer.text.is_not(None),
            func.length(func.trim(Answer.text)) > 0,
        )
        .order_by(Response.submitted_on.desc(), Answer.id.desc())
        .limit(VERBATIMS * 4)
    ).all()
    disclosures = {
        survey_id: disclosure_of(db.session.get_one(Survey, survey_id))
        for survey_id in {row.survey_id for row in rows}
    }
    quotes: dict[str, tuple[str, Verbatim]] = {}
    for text, day, key, survey_id in rows:
        text = _shorten(" ".join(text.split()))
        if text.casefold() not in quotes and len(quotes) < VERBATIMS:
            told = disclosures[survey_id]
            quotes[text.casefold()] = (key, Verbatim(text, dated_label(told.date(day), told.grain)))
    # in the order of the responses' random keys: the page tells no order of arrival
    return tuple(verbatim for _key, verbatim in sorted(quotes.values(), key=lambda q: q[0]))


def _shorten(text: str) -> str:
    if len(text) <= VERBATIM_MAX:
        return text
    return text[: VERBATIM_MAX - 1].rstrip() + "…"


# --- texts ----------------------------------------------------------------------------------------


def chart_text() -> ChartText:
    """The charts' fixed texts in the current language."""
    return ChartText(
        no_data=_("No data"),
        target=_("Target"),
        meets_target=_("meets target"),
        misses_target=_("misses target"),
        small_sample=_("small sample (n below {n})"),
        n=_("n = {n}"),
        promoters=_("Promoters"),
        passives=_("Passives"),
        detractors=_("Detractors"),
    )


def pdf_texts() -> PdfTexts:
    """Every fixed text of the PDF in the current language."""
    return PdfTexts(
        page=_("Page %(page)d of %(pages)d"),
        contents=_("Contents"),
        cover_client=_("Client"),
        cover_scope=_("Scope"),
        cover_published=_("Published"),
        cover_note=_(
            "Quality report on the customer service, from approved mystery contacts and "
            "customer surveys. Every figure is shown with its number of cases (n), its "
            "95-percent interval and its target. Testers are anonymous: the report identifies "
            "contacts, never people."
        ),
        summary=_("Executive summary"),
        swot=_("SWOT"),
        methods=_("Method comparison"),
        channels=_("Results by channel"),
        dimensions=_("Results by dimension"),
        response_times=_("Response times"),
        times_of_day=_("Times of day and weekdays"),
        trend=_("Change against the previous wave"),
        survey=_("Customer survey"),
        verbatims=_("Verbatim quotes"),
        appendix=_("Appendix: method, sample sizes and intervals"),
        appendix_definitions=_("How the figures are defined"),
        appendix_samples=_("Sample sizes"),
        appendix_figures=_("Every figure with its n and interval"),
        figure=_("Figure"),
        value=_("Value"),
        n=_("n"),
        interval=_("95 percent interval"),
        target=_("Target"),
        status=_("Status"),
        channel=_("Channel"),
        sent=_("Sent"),
        answered=_("answered"),
        dimension=_("Dimension"),
        item=_("Scorecard item"),
        knockouts=_("Knock-outs"),
        previous=_("Previous"),
        current=_("Now"),
        change=_("Change"),
        change_interval=_("95 percent interval of the change"),
        significant=_("Significant"),
        yes=_("Yes"),
        no=_("No"),
        verdicts={v.value: verdict_label(v) for v in Verdict},
        small_sample=_("small sample"),
        small_sample_note=_(
            "* Small sample (n below %(n)s): shown, but not ranked and giving no strength or "
            "weakness. A check mark: meets the target; a cross: misses it."
        ),
        none=_("none"),
        no_value="–",
        no_figures=_("No figures: nothing was measured in this report's scope."),
        no_survey=_("No survey in this scope."),
        no_comparison=_("No previous comparable wave: no change to show."),
        no_findings=_("No findings."),
        no_verbatims=_("No free-text answers in this scope."),
        no_channels=_("No channel had counted inquiries."),
        no_items=_("No scorecard item was scored."),
        edited=_("(edited)"),
        summary_counts=_("Contacts evaluated: %(evaluations)s · survey responses: %(responses)s."),
        summary_findings=_("Findings of the SWOT"),
        methods_used=_("Methods used: %(methods)s."),
        too_few_methods=_(
            "Fewer than three methods were used: a realistic picture of the service quality "
            "needs at least three (for example mystery contacts, a customer survey and "
            "complaint management)."
        ),
        no_disagreement=_("The methods do not differ significantly on any quality dimension."),
        disagreement=_("Where the methods disagree"),
        disagreement_text=_(
            "The difference of %(difference)s is significant (95-percent interval %(low)s to "
            "%(high)s). Likely biases: %(first_bias)s; %(second_bias)s."
        ),
        matrix_note=_(
            "Each cell is a share with its n and target: the answer rate, the share answered "
            "within the target hours, the pooled pass share of the scorecard items, or the "
            "share of satisfied customers (CSAT)."
        ),
        channels_chart=_("Answer rate by channel"),
        channels_score_chart=_("Total score by channel"),
        dimensions_chart=_("Scores by dimension against their targets"),
        matrix_chart=_("Quality dimensions by method"),
        cutoffs_chart=_("Inquiries by how fast they were answered"),
        cutoffs_note=_(
            "The bars count sent inquiries; they overlap (an inquiry answered within 1 hour is "
            "also answered within 24 hours)."
        ),
        hour_band_chart=_("Answer rate by time of day"),
        weekday_chart=_("Answer rate by weekday"),
        crossed_chart=_("Answer rate by time of day and weekday"),
        crossed_head=_("Time of day, weekday"),
        heatmap_note=_("By when the inquiry was sent (the channel's local time)."),
        trend_chart_answer_rate=_("Answer rate: previous wave and now"),
        trend_chart_total_score=_("Total score: previous wave and now"),
        nps_chart=_("Promoters, passives and detractors"),
        survey_counts=_("Responses that count: %(responses)s · surveys: %(surveys)s."),
        survey_withheld=_(
            "Surveys left out because they have fewer responses than their minimum, so that no "
            "respondent can be singled out: %(count)s."
        ),
        verbatims_note=_(
            "The latest free-text answers of the surveys in this report, as customers wrote them."
        ),
        minutes=_("%(value)s min"),
        hours=_("%(value)s h"),
        percentage_points=_("%(value)s percentage points"),
        interval_range=_("%(low)s to %(high)s"),
        definitions=_definitions(),
        samples=(
            (_("Inquiries planned"), "planned"),
            (_("Cancelled"), "cancelled"),
            (_("Not yet reviewed (in no figure)"), "unreviewed"),
            (_("Not contactable"), "not_contactable"),
            (_("Sent"), "sent"),
            (_("Answered in time"), "answered"),
            (_("of them only at the second attempt"), "answered_second_attempt"),
            (_("Answered late only"), "late"),
            (_("Never answered"), "never_answered"),
            (_("Solved by the first answer"), "solved"),
            (_("Evaluations"), "evaluations"),
            (_("of them with a knock-out"), "knockouts"),
            (_("Survey responses"), "responses"),
        ),
        figures=_figure_labels(),
        dimensions_={d.value: str(QUALITY_DIMENSION_LABELS[d]) for d in QualityDimension},
        columns={c.value: str(COLUMN_LABELS[c]) for c in Column},
        cases={c.value: str(CASES_LABELS[c]) for c in Column},
        biases={c.value: str(BIASES[c]) for c in Column},
        methods_={m.value: str(METHOD_LABELS[m]) for m in Method},
        hour_bands={b.value: str(HOUR_BAND_LABELS[b]) for b in HourBand},
        weekdays=tuple(str(WEEKDAY_LABELS[code]) for code in _WEEKDAYS),
        quadrants={
            Quadrant.STRENGTH.value: _("Strengths"),
            Quadrant.WEAKNESS.value: _("Weaknesses"),
            Quadrant.OPPORTUNITY.value: _("Opportunities"),
            Quadrant.THREAT.value: _("Threats"),
        },
        chart=chart_text(),
    )


def _figure_labels() -> dict[str, str]:
    subject = {s: str(label) for s, label in SUBJECT_LABELS.items()}
    return {
        "answer_rate": subject[Subject.ANSWER_RATE],
        "frt_median": subject[Subject.FRT_MEDIAN],
        # keeps its placeholder: the renderer fills in the target hours
        "frt_within_target": _("Share answered within %(hours)s h", hours="%(hours)s"),
        "transaction_score": subject[Subject.TRANSACTION_SCORE],
        "communication_score": subject[Subject.COMMUNICATION_SCORE],
        "handling_score": subject[Subject.HANDLING_SCORE],
        "total_score": subject[Subject.TOTAL_SCORE],
        "score": _("Score"),
        "item_pass_rates": _("Pass rates of the scorecard items"),
        "csat": subject[Subject.CSAT],
        "csat_mean": _("Customer satisfaction, mean (1 to 5)"),
        "nps": subject[Subject.NPS],
        "ces": subject[Subject.CES],
        "response_rate": _("Survey response rate (responses to invitations / delivered)"),
        "answered_second_attempt": _("Answered only at the second attempt"),
        "late": _("Answered late only (not counted as answered)"),
        "never_answered": _("Never answered"),
        "not_contactable": _("Not contactable (share of sent and not contactable)"),
        "first_contact_resolution": _("First-contact resolution"),
        "frt_calendar_median": _("First response time, median (calendar)"),
        "frt_calendar_p90": _("First response time, 90th percentile (calendar)"),
        "frt_calendar_mean": _("First response time, mean (calendar)"),
        "frt_business_median": _("First response time, median (business hours)"),
        "frt_business_p90": _("First response time, 90th percentile (business hours)"),
        "frt_business_mean": _("First response time, mean (business hours)"),
        "cutoff_within_1h": _("Answered within 1 hour"),
        "cutoff_within_24h": _("Answered within 24 hours"),
        "cutoff_within_2_business_days": _("Answered within 2 business days"),
        "cutoff_never": _("Not answered in time"),
        "overall_quality": _("Overall quality"),
    }


def _definitions() -> tuple[tuple[str, str], ...]:
    """DOMAIN.md's definitions, short."""
    return (
        (
            _("Counting inquiries"),
            _(
                "Only contacts whose report the quality manager approved count. Planned "
                "inquiries are sent, not contactable (no contact form, private messages "
                "disabled, hotline never reachable) or cancelled. Every rate about inquiries "
                "has the sent inquiries as denominator."
            ),
        ),
        (
            _("Answer rate"),
            _(
                "Inquiries answered within their answer timeout divided by inquiries sent. An "
                "automatic acknowledgement is not an answer; a late answer does not count as "
                "answered. Answers only at the second attempt and late answers are shown "
                "separately."
            ),
        ),
        (
            _("First response time"),
            _(
                "Time from sending the inquiry to the first answer, on the calendar and within "
                "the channel's business hours, over answered inquiries: median, 90th "
                "percentile and mean. Its target is a pair: the median at most X, and a share "
                "of the sent inquiries (90 percent unless set) answered within Y hours."
            ),
        ),
        (
            _("Cut-off shares"),
            _(
                "Sent inquiries answered within 1 hour, within 24 hours, within 2 business "
                "days, and not in time, each divided by the inquiries sent."
            ),
        ),
        (
            _("Scores"),
            _(
                "Each scorecard item earns a fraction of its weight (yes/no 1 or 0, a 1 to 5 "
                "scale (value - 1) / 4, numbers 1 when they meet their threshold). A dimension "
                "score is 100 × the weighted earned points / the weights of its applicable "
                "items; the total score likewise over all items. A knock-out sets its "
                "dimension or the whole contact to 0."
            ),
        ),
        (
            _("Customer survey"),
            _(
                "CSAT: share of answers 4 or 5 on a 1 to 5 scale. NPS: percent promoters (9 "
                "or 10) minus percent detractors (0 to 6), from -100 to +100. CES: mean "
                "agreement on 1 to 7 that handling the request was easy; higher is better. "
                "Surveys with fewer responses than their minimum are left out."
            ),
        ),
        (
            _("Uncertainty"),
            _(
                "Every figure is an estimate from a sample, shown with n and a 95-percent "
                "interval: Wilson for shares, Student's t for means, the trinomial normal "
                "interval for NPS. Fewer than 30 cases are a small sample: shown, not ranked, "
                "and no strength or weakness. A figure meets its target when its value does; "
                "it is significantly better or worse when the whole interval is."
            ),
        ),
        (
            _("Method comparison"),
            _(
                "Each quality dimension is compared across the methods on shares. Two methods "
                "disagree only when the 95-percent interval of their difference (Newcombe) "
                "excludes zero; the report then names both figures and the likely biases."
            ),
        ),
        (
            _("Targets"),
            _(
                "The mystery figures' targets are those of the latest wave in the report; the "
                "survey's targets those of the latest published survey that counts."
            ),
        ),
    )
