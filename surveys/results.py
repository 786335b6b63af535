"""Results of a survey as DOMAIN.md defines them, computed by GROUP BY queries.

The database returns counts per (question, scale value) and per (channel, day); Python only
folds those few hundred rows and hands the counts to ``qcrm.statistics``, so the cost of the
results page hardly grows with the number of answers.

Rules that protect respondents (issue 5, point 5):

- Nothing but counts is shown while a survey (or the chosen channel) has fewer responses than
  ``survey.min_responses``: no figures, distributions or verbatims.
- In a breakdown (by channel, by week or month) a cell below the minimum is suppressed, and so
  is the next smallest cell when the suppressed cells together are still below the minimum;
  otherwise the total minus the shown cells would give the hidden ones away.
- A channel is told apart from the others (a breakdown row, a filter) only where
  ``surveys.anonymity`` allows it for every source of its responses; the channels it does not
  allow are one row "other channels", with their n together. A filter on such a channel is
  refused, so that no count of it leaks.
- Verbatims come in the order of their responses' random keys, dated only at the grain the
  anonymity rules allow.

The headline figures of a survey are those of its FIRST question of each kind (CSAT, NPS, CES,
by position); further questions of the same kind get the same figures in their own result.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, distinct, func, select

from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import Channel
from qcrm.statistics import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    Estimate,
    Figure,
    ces_from_counts,
    csat,
    mean_from_counts,
    nps_estimate,
    share_estimate,
)
from surveys.anonymity import (
    DateGrain,
    Disclosure,
    disclosure_from_counts,
    response_counts,
    suppressed_cells,
)
from surveys.invitations import DeliveryFailure, delivery_failures, invitation_counts
from surveys.models import (
    FIXED_SCALES,
    Answer,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
)

#: Verbatims shown per page.
VERBATIMS_PER_PAGE = 20
#: CSAT counts 4 and 5 as satisfied (DOMAIN.md); statistics.csat applies it.
HEADLINE_KINDS = (QuestionKind.CSAT, QuestionKind.NPS, QuestionKind.CES)


class Grain(enum.Enum):
    """Width of the buckets of the breakdown over time."""

    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class InvitationCounts:
    """Personal invitations, counted as ``surveys.invitations.invitation_counts`` counts them:
    invited = a mail queued; delivered = accepted by a mail server (not queued, failed or
    bounced); responded = responses that came through an invitation. The response rate is
    responded / delivered; ``failures`` say why mails could not be sent."""

    invited: int
    queued: int
    failed: int
    bounced: int
    delivered: int
    responded: int
    response_rate: Figure | None
    failures: tuple[DeliveryFailure, ...] = ()


@dataclass(frozen=True)
class Bar:
    """One value of a distribution: a scale point or a choice option."""

    value: int
    label: str
    count: int
    #: count / respondents who answered the question (for multiple choice: shares add up to
    #: more than 1, since one respondent may choose several options).
    share: float


@dataclass(frozen=True)
class NpsSplit:
    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def share(self, count: int) -> float:
        return count / self.n if self.n else 0.0

    @property
    def promoter_share(self) -> float:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float:
        return self.share(self.detractors)


@dataclass(frozen=True)
class Headline:
    """The survey's figures against its targets: CSAT share (and mean), NPS, CES mean."""

    csat: Figure | None = None
    csat_mean: Figure | None = None
    nps: Figure | None = None
    nps_split: NpsSplit | None = None
    ces: Figure | None = None


@dataclass(frozen=True)
class QuestionResult:
    """The results of one question."""

    question_id: int
    position: int
    kind: QuestionKind
    text: str
    #: Respondents who answered the question.
    n: int
    #: Counts per scale value (zeros included) or per option, in order; empty for free text.
    bars: tuple[Bar, ...]
    #: The figure DOMAIN.md defines for the kind, against the survey's target: CSAT share of
    #: 4–5, NPS, CES mean. None for other kinds or without answers.
    score: Figure | None = None
    #: The mean of a CSAT or rating scale (for CES the score is the mean).
    mean: Figure | None = None
    nps_split: NpsSplit | None = None


@dataclass(frozen=True)
class Group:
    """One cell of a breakdown: a channel (``channel_id`` None: responses without a channel)
    or a week/month starting on ``start``. ``headline`` is None when the cell is suppressed."""

    n: int
    suppressed: bool
    headline: Headline | None
    channel_id: int | None = None
    label: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    #: The row "other channels": the channels too small to be told apart, together.
    other: bool = False


@dataclass(frozen=True)
class Verbatim:
    question_id: int
    text: str
    #: The first day of the response's day, week or month (``SurveyResults.date_grain``), or
    #: None where no date may be told.
    dated: dt.date | None


@dataclass(frozen=True)
class Verbatims:
    items: tuple[Verbatim, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class SurveyResults:
    """Everything the results page, the export and the API show; figures only when
    ``enough`` (at least ``min_responses`` responses in the chosen scope)."""

    survey_id: int
    channel_id: int | None
    period: Period | None
    grain: Grain
    min_responses: int
    #: Responses from all sources (public link and invitations) in the chosen scope.
    total_responses: int
    enough: bool
    #: None with a period filter: invitations are not tied to the days of the responses.
    invitations: InvitationCounts | None
    headline: Headline | None
    questions: tuple[QuestionResult, ...]
    by_channel: tuple[Group, ...]
    over_time: tuple[Group, ...]
    verbatims: Verbatims | None
    #: How finely a response's date may be told (None: not at all); see surveys.anonymity.
    date_grain: DateGrain | None = None

    @property
    def withheld(self) -> bool:
        """Enough responses, but withheld so that a small group cannot be singled out."""
        return not self.enough and self.total_responses >= self.min_responses > 0

    def question(self, question_id: int) -> QuestionResult | None:
        return next((q for q in self.questions if q.question_id == question_id), None)


# --- the service --------------------------------------------------------------------------------


def survey_results(
    survey: Survey,
    *,
    channel_id: int | None = None,
    period: Period | None = None,
    grain: Grain = Grain.MONTH,
    verbatim_page: int = 1,
    verbatims_per_page: int = VERBATIMS_PER_PAGE,
) -> SurveyResults:
    """The results of ``survey``, optionally of one channel and/or a period of days.

    Raises ServiceError on ``channel`` when the channel is not one of the survey's client.
    """
    channel_names = _channel_names(survey)
    if channel_id is not None and channel_id not in channel_names:
        raise ServiceError.on("channel", _("Choose a channel of the survey's client."))
    if period is not None and period.start > period.end:
        raise ServiceError.on("period", _("The period ends before it starts."))
    minimum = survey.min_responses
    counts_by_cell = response_counts(survey)
    disclosure = disclosure_from_counts(counts_by_cell, minimum)
    if channel_id is not None and not disclosure.channel_shown(channel_id):
        raise ServiceError.on(
            "channel",
            _(
                "Too few responses share this channel to show it on its own (at least %(min)d "
                "are needed, also in the other channels left out).",
                min=minimum,
            ),
        )
    in_scope, total, enough = _scope(survey, channel_id, period, counts_by_cell)
    invitations = None if period is not None else _invitation_counts(survey, channel_id, in_scope)
    empty = SurveyResults(
        survey_id=survey.id,
        channel_id=channel_id,
        period=period,
        grain=grain,
        min_responses=minimum,
        total_responses=total,
        enough=False,
        invitations=invitations,
        headline=None,
        questions=(),
        by_channel=(),
        over_time=(),
        verbatims=None,
    )
    if not enough:
        return empty

    questions = list(survey.questions)
    filters = _response_filters(channel_id, period)
    headline_ids = headline_questions(questions)
    by_channel_counts, by_day_counts = _headline_counts_by_channel_and_day(
        survey, headline_ids, filters
    )
    # The headline questions' counts are the sums of the breakdown's; only the other
    # questions need a query of their own.
    counts = _value_counts([q for q in questions if q.id not in headline_ids.values()], filters)
    for channel_counts in by_channel_counts.values():
        for key, count in channel_counts.items():
            counts[key] = counts.get(key, 0) + count
    respondents = _multiple_choice_respondents(questions, filters)
    results = tuple(_question_result(q, counts, respondents, survey) for q in questions)
    headline = headline_of(results, headline_ids)
    n_by_channel: dict[int | None, int] = defaultdict(int)
    n_by_day: dict[dt.date, int] = defaultdict(int)
    for row_channel, _source, day, count in in_scope:
        n_by_channel[row_channel] += count
        n_by_day[day] += count
    by_channel = _channel_groups(
        n_by_channel, by_channel_counts, channel_names, headline_ids, survey, disclosure
    )
    over_time = _time_groups(n_by_day, by_day_counts, grain, headline_ids, survey)
    verbatims = _verbatims(questions, filters, verbatim_page, verbatims_per_page, disclosure)
    return SurveyResults(
        survey_id=survey.id,
        channel_id=channel_id,
        period=period,
        grain=grain,
        min_responses=minimum,
        total_responses=total,
        enough=True,
        invitations=invitations,
        headline=headline,
        questions=results,
        by_channel=by_channel,
        over_time=over_time,
        verbatims=verbatims,
        date_grain=disclosure.grain,
    )


def response_count(
    survey: Survey, *, channel_id: int | None = None, period: Period | None = None
) -> tuple[int, bool]:
    """(responses in the scope, whether results may be shown for it): one small query, for
    the raw-answer export and API, which need only the permission."""
    _in_scope, total, enough = _scope(survey, channel_id, period, response_counts(survey))
    return total, enough


def _scope(
    survey: Survey,
    channel_id: int | None,
    period: Period | None,
    counts_by_cell: Mapping[tuple[ResponseSource, int | None, dt.date], int],
) -> tuple[list, int, bool]:
    """The (channel, source, day, count) rows in the scope, their total, and whether it is
    enough: at least ``min_responses``, and for a channel filter a channel whose cell the
    survey-wide channel breakdown shows.

    ``counts_by_cell`` are the unfiltered counts per source, channel and day of
    ``surveys.anonymity.response_counts`` (one small covered query): they give the totals, the
    channel breakdown and the days for the breakdown over time."""
    rows = [
        (channel, source, day, count) for (source, channel, day), count in counts_by_cell.items()
    ]
    by_channel: dict[int | None, int] = defaultdict(int)
    for row_channel, _source, day, count in rows:
        if period is None or day in period:
            by_channel[row_channel] += count

    def selected(row_channel: int | None, day: dt.date) -> bool:
        return (channel_id is None or row_channel == channel_id) and (
            period is None or day in period
        )

    in_scope = [tuple(row) for row in rows if selected(row[0], row[2])]
    total = sum(row[3] for row in in_scope)
    enough = total > 0 and total >= survey.min_responses
    if channel_id is not None and channel_id in suppressed_cells(by_channel, survey.min_responses):
        enough = False
    return in_scope, total, enough


def headline_of(results: Iterable[QuestionResult], headline_ids: Mapping[QuestionKind, int]):
    """The survey's headline: the figures of the first CSAT, NPS and CES question."""
    by_id = {result.question_id: result for result in results}
    csat_result = by_id.get(headline_ids.get(QuestionKind.CSAT, -1))
    nps_result = by_id.get(headline_ids.get(QuestionKind.NPS, -1))
    ces_result = by_id.get(headline_ids.get(QuestionKind.CES, -1))
    return Headline(
        csat=csat_result.score if csat_result else None,
        csat_mean=csat_result.mean if csat_result else None,
        nps=nps_result.score if nps_result else None,
        nps_split=nps_result.nps_split if nps_result else None,
        ces=ces_result.score if ces_result else None,
    )


# --- queries ------------------------------------------------------------------------------------


def _channel_names(survey: Survey) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Channel.id, Channel.name)
            .where(Channel.client_id == survey.client_id)
            .order_by(Channel.name, Channel.id)
        ).all()
    )


def _response_filters(channel_id: int | None, period: Period | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if channel_id is not None:
        filters.append(Response.channel_id == channel_id)
    if period is not None:
        filters.extend([Response.submitted_on >= period.start, Response.submitted_on <= period.end])
    return filters


def _answers_in_scope(query, filters: list[ColumnElement[bool]]):
    """Join the responses only when a filter needs them: the plain case is an index scan."""
    if not filters:
        return query
    return query.join(Response, Response.id == Answer.response_id).where(*filters)


def _value_counts(
    questions: list[Question], filters: list[ColumnElement[bool]]
) -> dict[tuple[int, int | None], int]:
    """Answers per (question, number); free-text answers have number None."""
    if not questions:
        return {}
    query = (
        select(Answer.question_id, Answer.number, func.count())
        .where(Answer.question_id.in_([q.id for q in questions]))
        .group_by(Answer.question_id, Answer.number)
    )
    rows = db.session.execute(_answers_in_scope(query, filters)).all()
    return {(question_id, number): count for question_id, number, count in rows}


def _multiple_choice_respondents(
    questions: list[Question], filters: list[ColumnElement[bool]]
) -> dict[int, int]:
    """Respondents per multiple-choice question (one answer row per chosen option)."""
    ids = [q.id for q in questions if q.kind is QuestionKind.MULTIPLE_CHOICE]
    if not ids:
        return {}
    query = (
        select(Answer.question_id, func.count(distinct(Answer.response_id)))
        .where(Answer.question_id.in_(ids))
        .group_by(Answer.question_id)
    )
    return dict(db.session.execute(_answers_in_scope(query, filters)).all())


def _headline_counts_by_channel_and_day(
    survey: Survey, headline_ids: Mapping[QuestionKind, int], filters: list[ColumnElement[bool]]
) -> tuple[dict, dict]:
    """Answers of the headline questions per (channel, question, value) and (day, question,
    value), from one GROUP BY over day and channel. The costliest query of the results: it
    runs from the survey's responses into their answers, both through covering indexes."""
    by_channel: dict[int | None, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    by_day: dict[dt.date, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    if not headline_ids:
        return by_channel, by_day
    rows = db.session.execute(
        select(
            Response.channel_id,
            Response.submitted_on,
            Answer.question_id,
            Answer.number,
            func.count(),
        )
        .select_from(Response)
        .join(
            Answer,
            and_(
                Answer.response_id == Response.id,
                Answer.question_id.in_(list(headline_ids.values())),
            ),
        )
        .where(Response.survey_id == survey.id, *filters)
        .group_by(Response.submitted_on, Response.channel_id, Answer.question_id, Answer.number)
    ).all()
    for channel_id, day, question_id, number, count in rows:
        if number is None:
            continue
        by_channel[channel_id][question_id, number] += count
        by_day[day][question_id, number] += count
    return by_channel, by_day


def _invitation_counts(
    survey: Survey, channel_id: int | None, in_scope: list
) -> InvitationCounts | None:
    counts = invitation_counts(survey, channel_id)
    delivered = counts["delivered"]
    failures = delivery_failures(survey, channel_id) if counts["failed"] else []
    responded = sum(row[3] for row in in_scope if row[1] is ResponseSource.INVITATION)
    # Responses can outnumber delivered invitations only through inconsistent data (e.g.
    # invitations deleted by hand); the rate is capped at 100 % rather than failing.
    rate = share_estimate(min(responded, delivered), delivered)
    return InvitationCounts(
        invited=counts["invited"],
        queued=counts["queued"],
        failed=counts["failed"],
        bounced=counts["bounced"],
        delivered=delivered,
        responded=responded,
        response_rate=rate.against(None) if rate else None,
        failures=tuple(failures),
    )


def _verbatims(
    questions: list[Question],
    filters: list[ColumnElement[bool]],
    page: int,
    per_page: int,
    disclosure: Disclosure,
) -> Verbatims:
    ids = [q.id for q in questions if q.kind is QuestionKind.FREE_TEXT]
    page = max(1, page)
    if not ids:
        return Verbatims(items=(), total=0, page=1, per_page=per_page)
    scope = [Answer.question_id.in_(ids), Answer.text.is_not(None), Answer.text != ""]
    total = (
        db.session.scalar(_answers_in_scope(select(func.count(Answer.id)).where(*scope), filters))
        or 0
    )
    rows = db.session.execute(
        select(Answer.question_id, Answer.text, Response.submitted_on)
        .join(Response, Response.id == Answer.response_id)
        .where(*scope, *filters)
        .order_by(Response.key, Answer.question_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Verbatims(
        items=tuple(Verbatim(q, text or "", disclosure.date(day)) for q, text, day in rows),
        total=total,
        page=page,
        per_page=per_page,
    )


# --- from counts to figures ---------------------------------------------------------------------


def headline_questions(questions: list[Question]) -> dict[QuestionKind, int]:
    """The first question (by position) of each headline kind."""
    first: dict[QuestionKind, int] = {}
    for question in sorted(questions, key=lambda q: (q.position, q.id)):
        if question.kind in HEADLINE_KINDS:
            first.setdefault(question.kind, question.id)
    return first


def _scale_counts(
    question_id: int, scale: tuple[int, int], counts: Mapping[tuple[int, int | None], int]
) -> dict[int, int]:
    """Counts per scale value, zeros included; values off the scale are left out."""
    low, high = scale
    return {value: counts.get((question_id, value), 0) for value in range(low, high + 1)}


def _figures_for_scale(
    kind: QuestionKind, by_value: Mapping[int, int], survey: Survey, scale: tuple[int, int]
) -> tuple[Figure | None, Figure | None, NpsSplit | None]:
    """(score, mean, NPS split) of a scale question from its counts per value; a mean's interval
    is clipped to the question's ``scale`` (CSAT and CES clip to their fixed scales themselves)."""
    answered = {value: count for value, count in by_value.items() if count}
    if kind is QuestionKind.CSAT:
        result = csat(answered)
        if result is None:
            return None, None, None
        return result.share.against(survey.target_csat), result.mean.against(None), None
    if kind is QuestionKind.NPS:
        split = NpsSplit(
            promoters=sum(c for v, c in by_value.items() if v >= PROMOTER_MIN),
            passives=sum(c for v, c in by_value.items() if DETRACTOR_MAX < v < PROMOTER_MIN),
            detractors=sum(c for v, c in by_value.items() if v <= DETRACTOR_MAX),
        )
        estimate = nps_estimate(split.promoters, split.passives, split.detractors)
        return (estimate.against(survey.target_nps) if estimate else None), None, split
    if kind is QuestionKind.CES:
        estimate = ces_from_counts(answered)
        return (estimate.against(survey.target_ces) if estimate else None), None, None
    mean: Estimate | None = mean_from_counts(answered, bounds=(float(scale[0]), float(scale[1])))
    return None, (mean.against(None) if mean else None), None


def _question_result(
    question: Question,
    counts: Mapping[tuple[int, int | None], int],
    respondents: Mapping[int, int],
    survey: Survey,
) -> QuestionResult:
    base = {
        "question_id": question.id,
        "position": question.position,
        "kind": question.kind,
        "text": question.text,
    }
    scale = question.scale
    if scale is not None:
        by_value = _scale_counts(question.id, scale, counts)
        n = sum(by_value.values())
        score, mean, split = _figures_for_scale(question.kind, by_value, survey, scale)
        labels = {scale[0]: question.low_label, scale[1]: question.high_label}
        bars = tuple(
            Bar(value, _scale_label(value, labels.get(value, "")), count, count / n if n else 0.0)
            for value, count in by_value.items()
        )
        return QuestionResult(**base, n=n, bars=bars, score=score, mean=mean, nps_split=split)
    if question.kind is QuestionKind.FREE_TEXT:
        return QuestionResult(**base, n=counts.get((question.id, None), 0), bars=())
    options = list(question.options or [])
    by_option = {index: counts.get((question.id, index), 0) for index in range(len(options))}
    if question.kind is QuestionKind.MULTIPLE_CHOICE:
        n = respondents.get(question.id, 0)
    else:
        n = sum(by_option.values())
    bars = tuple(
        Bar(index, options[index], count, count / n if n else 0.0)
        for index, count in by_option.items()
    )
    return QuestionResult(**base, n=n, bars=bars)


def _scale_label(value: int, end_label: str) -> str:
    return f"{value} ({end_label})" if end_label else str(value)


def _headline_from_counts(
    counts: Mapping[tuple[int, int], int],
    headline_ids: Mapping[QuestionKind, int],
    survey: Survey,
) -> Headline:
    results = []
    for kind, question_id in headline_ids.items():
        scale = FIXED_SCALES[kind]
        by_value = _scale_counts(question_id, scale, counts)
        score, mean, split = _figures_for_scale(kind, by_value, survey, scale)
        results.append(
            QuestionResult(
                question_id=question_id,
                position=0,
                kind=kind,
                text="",
                n=sum(by_value.values()),
                bars=(),
                score=score,
                mean=mean,
                nps_split=split,
            )
        )
    return headline_of(results, headline_ids)


def _channel_groups(
    n_by_channel: Mapping[int | None, int],
    counts_by_channel: Mapping[int | None, Mapping[tuple[int, int], int]],
    names: Mapping[int, str],
    headline_ids: Mapping[QuestionKind, int],
    survey: Survey,
    disclosure: Disclosure,
) -> tuple[Group, ...]:
    """A row per channel that may be told apart; the rest together as one row "other
    channels" (``other`` true), whose n is at least the minimum or all responses."""
    hidden = suppressed_cells(n_by_channel, survey.min_responses, also=disclosure.hidden_channels)
    shown = [channel for channel in n_by_channel if channel not in hidden]
    order = sorted(shown, key=lambda c: (c is None, names.get(c, "") if c else "", c or 0))
    groups = [
        Group(
            n=n_by_channel[channel],
            suppressed=False,
            headline=_headline_from_counts(
                counts_by_channel.get(channel, {}), headline_ids, survey
            ),
            channel_id=channel,
            label=names.get(channel, "") if channel is not None else "",
        )
        for channel in order
    ]
    if hidden:
        groups.append(
            Group(
                n=sum(n_by_channel[channel] for channel in hidden),
                suppressed=True,
                headline=None,
                other=True,
            )
        )
    return tuple(groups)


def bucket_of(day: dt.date, grain: Grain) -> tuple[dt.date, dt.date]:
    """(first, last) day of the ISO week (Monday–Sunday) or calendar month of ``day``."""
    if grain is Grain.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=31)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def _time_groups(
    n_by_day: Mapping[dt.date, int],
    counts_by_day: Mapping[dt.date, Mapping[tuple[int, int], int]],
    grain: Grain,
    headline_ids: Mapping[QuestionKind, int],
    survey: Survey,
) -> tuple[Group, ...]:
    """Fold the days into weeks or months in Python: a few hundred distinct days at most, and
    the same code on SQLite and PostgreSQL."""
    n_by_bucket: dict[tuple[dt.date, dt.date], int] = defaultdict(int)
    counts_by_bucket: dict[tuple[dt.date, dt.date], dict[tuple[int, int], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for day, n in n_by_day.items():
        n_by_bucket[bucket_of(day, grain)] += n
    for day, counts in counts_by_day.items():
        bucket = counts_by_bucket[bucket_of(day, grain)]
        for key, count in counts.items():
            bucket[key] += count
    hidden = suppressed_cells(n_by_bucket, survey.min_responses)
    return tuple(
        Group(
            n=n_by_bucket[bucket],
            suppressed=bucket in hidden,
            headline=None
            if bucket in hidden
            else _headline_from_counts(counts_by_bucket.get(bucket, {}), headline_ids, survey),
            start=bucket[0],
            end=bucket[1],
        )
        for bucket in sorted(n_by_bucket)
    )
