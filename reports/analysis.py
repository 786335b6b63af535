"""The mystery figures of a report scope, exactly as DOMAIN.md defines them.

Plain functions over SQL aggregates: counts are conditional sums (``SUM(CASE …)``), means come
from ``COUNT``/``SUM(x)``/``SUM(x * x)`` (``qcrm.statistics.Moments``), breakdowns are
``GROUP BY`` queries. The only Python work over rows is the percentile: the first response
times of the answered inquiries are fetched as one sorted column (with the breakdown keys beside
it, so each group's column is that sorted column partitioned, still sorted) and handed to
``qcrm.statistics.median`` and ``p90``. Every interval, every comparison and the small-sample
rule come from ``qcrm.statistics``; nothing statistical is computed here. The number of queries
is fixed (see ``QUERIES``), whatever the number of inquiries.

What counts (the definitions chosen here, binding for every later report):

* **Scope.** The inquiries of the client's waves (``Wave.client_id``; all of them, or the given
  waves), planned in the period (``planned_local_date``, both ends included) on the given
  channels (all when none are given).
* **Counted inquiries.** Only inquiries whose contact log is *approved* count in any figure;
  cancelled inquiries never count, whatever their log. An inquiry without an approved log is
  *unreviewed*: it is in ``InquiryCounts.planned`` and ``unreviewed`` and in no figure.
* **Not contactable**: a counted inquiry whose log records why contact was impossible
  (``ContactLog.not_contactable``) or whose status is ``NOT_CONTACTABLE``. **Sent**: every
  other counted inquiry (an approved log has a known outcome, so it was sent).
  So ``planned = sent + not_contactable + cancelled + unreviewed``. **Dispatched** counts
  every inquiry that went out whatever its review (what the wave page calls sent); **awaiting
  review** the part of ``unreviewed`` that was sent or found not contactable but whose log is not
  approved yet. A scope whose waves are not all closed lists them in ``open_wave_ids``: its
  figures may still change, and the report says so.
* **Answered**: sent, with an answer within the timeout (``Inquiry.first_answer_at`` is set only
  then; an automatic acknowledgement never sets it). **Answered only at the second attempt**:
  answered with ``answered_attempt`` ≥ 2 (included in answered). **Late**: sent, not answered,
  with a reply that is late and no automatic acknowledgement (not included in answered).
  **Never answered**: sent, not answered and no late answer either — no answer at all.
  ``sent = answered + late + never_answered``.
* **FRT**: ``ContactLog.first_response_seconds`` (calendar) and
  ``first_response_business_seconds`` (within the channel's business hours), both from the
  first sending to the first answer, over answered inquiries. Seconds throughout.
* **Intervals of means** (t) are clipped to the values the mean can take: 0–100 for scores,
  ≥ 0 for times (a small, skewed sample's symmetric interval can reach past them).
* **FRT target pair** (DOMAIN.md): the median against ``target_frt_median_minutes`` (as
  seconds, lower is better), and the share of *sent* inquiries answered within
  ``target_frt_within_hours`` on the calendar against ``target_frt_within_share`` (0.9 when
  unset). Both halves are held against calendar time, as the scorecard's derived
  "first response within target" item is; the business-time figures carry no target.
* **Cut-offs**, shares of sent: answered within ≤ 1 h and ≤ 24 h of calendar time; within
  ≤ 2 business days, i.e. business seconds ≤ 2 × the channel's average daily open hours
  (weekly open hours / number of days with any opening hours, from its stated business hours);
  and *never*: not answered within the timeout (late answers included: a late answer does not
  count as answered), so ``never = 1 − answer rate``. A channel without business hours has no
  business time: its business FRT is 0 and every answer falls within 2 business days.
* **First-contact resolution** = answered inquiries whose log says the first answer solved the
  scenario / answered inquiries.
* **Scores**: means of the PRIMARY evaluations of *sent* counted inquiries (calibration
  evaluations never count; a not-contactable contact is a result of its own and not scored),
  each score over the evaluations where it is not None, with Student's t interval.
* **Item pass rates**, per scorecard item over the applicable, scored answers of those
  evaluations (``earned`` not None): an answer *passes* when it earns the item in full —
  ``earned == 1`` for yes/no items and number/duration items with a threshold — or, for a 1–5
  scale, when its value is 4 or 5 (the share of good ratings, as CSAT counts 4 and 5). Pass rates
  use what the answer earned on its own, before knock-outs of other items.
* **Pooled pass shares** over several items (``ItemPool``: per method dimension × quality
  dimension, and over every scored item): the same answers, summed per contact (primary
  evaluation) to applicable answers aᵢ and passes pᵢ and aggregated over contacts, so that
  ``qcrm.statistics.pooled_share`` can treat the contact as the sampling unit (DOMAIN.md).
* **Targets** come from one wave: the latest of the scope's waves (largest ``period_end``, then
  id); the scope's waves are the given ones, or else the client's waves overlapping the period
  (all the client's waves without a period). A report over several waves is thus held against
  the Soll that applies now.
* **Hour band and weekday** are those of the first attempt's actual sending in the channel's
  time zone (``Inquiry.sent_hour_band``/``sent_weekday``), never the planned slot; FRT is
  measured from that first sending too. Not-contactable inquiries, never sent, are counted in
  the slot they were planned in (tried in).
* **Testers are never named**: nothing here selects or groups by tester, persona or evaluator.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select

from audits.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind
from audits.mystery.models import (
    ContactLog,
    HourBand,
    Inquiry,
    InquiryReply,
    InquiryStatus,
    ReviewStatus,
    Scenario,
    Wave,
    WaveStatus,
)
from audits.scorecards.models import (
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    ScorecardItem,
)
from qcrm.business_time import parse_business_hours
from qcrm.extensions import db
from qcrm.models import Channel
from qcrm.statistics import (
    DURATION_SCALE,
    SCORE_SCALE,
    Bounds,
    ClusterSums,
    Figure,
    Interval,
    Moments,
    differs,
    median,
    moments_mean,
    newcombe_difference,
    p90,
    welch_difference_from_moments,
    wilson_interval,
)

__all__ = [
    "QUERIES",
    "Breakdown",
    "Breakdowns",
    "Change",
    "CutOffs",
    "GroupFigures",
    "InquiryCounts",
    "ItemPassRate",
    "ItemPool",
    "MysteryFigures",
    "ReportScope",
    "ResponseTimes",
    "Targets",
    "WaveComparison",
    "business_day_seconds",
    "compare_figures",
    "compare_waves",
    "mystery_figures",
]

HOUR = 3600.0
DAY = 24 * HOUR
#: "Within 2 business days": the cut-off in business days.
BUSINESS_DAYS = 2
#: The share of sent inquiries that should be answered within the target hours, when unset.
DEFAULT_FRT_WITHIN_SHARE = 0.9
#: A 1–5 scale answer at or above this passes its item.
SCALE_PASS_VALUE = 4
#: Queries one ``mystery_figures`` call runs, whatever the number of inquiries.
QUERIES = 19


# --- scope ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: one client; some of its waves (all when empty); a period of planned
    local dates, both ends included (any when None); some channels (all when empty)."""

    client_id: int
    wave_ids: tuple[int, ...] = ()
    period: tuple[dt.date, dt.date] | None = None
    channel_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "wave_ids", tuple(sorted(set(self.wave_ids))))
        object.__setattr__(self, "channel_ids", tuple(sorted(set(self.channel_ids))))
        if self.period is not None:
            start, end = self.period
            if end < start:
                raise ValueError("the period must not end before it starts")
            object.__setattr__(self, "period", (start, end))


def _scope_waves(scope: ReportScope):
    waves = select(Wave.id).where(Wave.client_id == scope.client_id)
    if scope.wave_ids:
        waves = waves.where(Wave.id.in_(scope.wave_ids))
    return waves


def _in_scope(scope: ReportScope) -> list[ColumnElement[bool]]:
    conditions = [Inquiry.wave_id.in_(_scope_waves(scope))]
    if scope.period is not None:
        conditions.append(Inquiry.planned_local_date.between(*scope.period))
    if scope.channel_ids:
        conditions.append(Inquiry.channel_id.in_(scope.channel_ids))
    return conditions


# --- the conditions every figure is built from (see the module docstring) -------------------------

_COUNTED = and_(
    ContactLog.status == ReviewStatus.APPROVED, Inquiry.status != InquiryStatus.CANCELLED
)
_NOT_CONTACTABLE = and_(
    _COUNTED,
    or_(
        ContactLog.not_contactable.is_not(None),
        Inquiry.status == InquiryStatus.NOT_CONTACTABLE,
    ),
)
_SENT = and_(
    _COUNTED,
    ContactLog.not_contactable.is_(None),
    Inquiry.status != InquiryStatus.NOT_CONTACTABLE,
)
#: Went out (logged by the tester or sent by the scheduler), whatever its review.
_DISPATCHED = Inquiry.status.in_(
    [InquiryStatus.SENT, InquiryStatus.ANSWERED, InquiryStatus.UNANSWERED]
)
#: Sent or found not contactable, but its contact log is not approved (yet): in no figure.
_AWAITING_REVIEW = and_(
    or_(_DISPATCHED, Inquiry.status == InquiryStatus.NOT_CONTACTABLE),
    or_(ContactLog.status.is_(None), ContactLog.status != ReviewStatus.APPROVED),
)
_ANSWERED = and_(_SENT, Inquiry.first_answer_at.is_not(None))
_SECOND_ATTEMPT = and_(_ANSWERED, Inquiry.answered_attempt >= 2)
_LATE_REPLIES = select(InquiryReply.inquiry_id).where(
    InquiryReply.is_late.is_(True), InquiryReply.is_auto_acknowledgement.is_(False)
)
_LATE = and_(_SENT, Inquiry.first_answer_at.is_(None), Inquiry.id.in_(_LATE_REPLIES))
_SOLVED = and_(_ANSWERED, ContactLog.solved.is_(True))
_frt_calendar = ContactLog.first_response_seconds
_frt_business = ContactLog.first_response_business_seconds


def _count(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _moments_columns(name: str, condition: ColumnElement[bool] | None, value) -> list:
    """COUNT, SUM and SUM of squares of ``value`` (where ``condition`` holds)."""
    if condition is not None:
        value = case((condition, value), else_=null())
    return [
        func.count(value).label(f"{name}_n"),
        func.sum(value).label(f"{name}_sum"),
        func.sum(value * value).label(f"{name}_squares"),
    ]


def _moments(row: Mapping[str, Any], name: str) -> Moments:
    return Moments(
        int(row[f"{name}_n"] or 0),
        float(row[f"{name}_sum"] or 0.0),
        float(row[f"{name}_squares"] or 0.0),
    )


# --- result types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The Soll the scope is held against, from one wave (see the module docstring)."""

    #: The wave the targets come from; None when the scope has no wave.
    wave_id: int | None = None
    answer_rate: float | None = None
    #: target_frt_median_minutes × 60.
    frt_median_seconds: float | None = None
    frt_within_hours: float | None = None
    #: target_frt_within_share, or 0.9 when unset (only meaningful with frt_within_hours).
    frt_within_share: float = DEFAULT_FRT_WITHIN_SHARE
    transaction_score: float | None = None
    communication_score: float | None = None
    handling_score: float | None = None
    total_score: float | None = None

    def dimension_score(self, dimension: MethodDimension) -> float | None:
        """The target score (0–100) of a method dimension."""
        return getattr(self, f"{dimension.value}_score")


@dataclass(frozen=True)
class InquiryCounts:
    """How many inquiries of the scope ended how.

    ``planned = sent + not_contactable + cancelled + unreviewed`` and
    ``sent = answered + late + never_answered``.
    """

    #: Every inquiry of the scope, cancelled and unreviewed ones included.
    planned: int
    cancelled: int
    #: Not cancelled, but no approved contact log yet: in no figure.
    unreviewed: int
    not_contactable: int
    sent: int
    #: Answered within the timeout (second-attempt answers included).
    answered: int
    answered_second_attempt: int
    #: Only a late answer (after the timeout): not answered.
    late: int
    #: No answer at all, not even a late one.
    never_answered: int
    #: Answered, and the first answer solved the scenario.
    solved: int
    #: Every inquiry that went out, approved or not: what the wave page calls sent. The report's
    #: ``sent`` is the approved part of it.
    dispatched: int = 0
    #: Of ``unreviewed``: sent or not contactable, but the contact log is not approved yet;
    #: the rest of ``unreviewed`` has not been sent yet.
    awaiting_review: int = 0


@dataclass(frozen=True)
class ResponseTimes:
    """First response times over answered inquiries, in seconds: median and p90 (no interval;
    DOMAIN.md's order statistics) and mean (Student's t interval). Lower is better."""

    median: Figure
    p90: Figure
    mean: Figure

    @property
    def n(self) -> int:
        """Answered inquiries with a first response time."""
        return self.median.n


@dataclass(frozen=True)
class CutOffs:
    """Shares of sent inquiries by how fast they were answered (Wilson intervals, no targets)."""

    within_1h: Figure
    within_24h: Figure
    #: Business seconds ≤ 2 × the channel's average daily open hours.
    within_2_business_days: Figure
    #: Not answered within the timeout (late answers included) = 1 − answer rate.
    never: Figure


@dataclass(frozen=True)
class ItemPassRate:
    """How often one scorecard item passed (see the module docstring for "pass")."""

    item_id: int
    scorecard_version_id: int
    position: int
    text: str
    method_dimension: MethodDimension
    quality_dimension: QualityDimension
    item_type: ItemType
    knockout: KnockoutScope | None
    #: Passing answers / applicable scored answers, Wilson interval, target = target_pass_rate.
    pass_rate: Figure
    #: For knock-out items: how often the failing answer (earning 0) triggered it.
    knockouts: int


@dataclass(frozen=True)
class ItemPool:
    """The per-contact sums of a pass share pooled over the items of one method dimension ×
    quality dimension (both None: over every scored item), for ``qcrm.statistics.pooled_share``."""

    method_dimension: MethodDimension | None
    quality_dimension: QualityDimension | None
    sums: ClusterSums


class Breakdown(enum.Enum):
    """What the core figures are broken down by."""

    CHANNEL = "channel"
    SCENARIO = "scenario"
    HOUR_BAND = "hour_band"
    WEEKDAY = "weekday"


@dataclass(frozen=True)
class GroupFigures:
    """The core figures of one group of a breakdown, with the scope's targets.

    ``key`` is the channel or scenario id, the HourBand, the weekday (0 = Monday), or, crossed,
    the pair (HourBand, weekday) (JSON: ``["evening", 5]``); ``label`` the channel's name or the
    scenario's title (None for hour bands and weekdays, which the display translates). Figures
    are None where nothing was measured; each Figure says itself whether it is a small sample.
    """

    key: int | HourBand | tuple[HourBand, int]
    label: str | None
    sent: int
    not_contactable: int
    answered: int
    answer_rate: Figure | None
    frt_median: Figure | None
    total_score: Figure | None

    @property
    def small_sample(self) -> bool:
        """Fewer than 30 sent inquiries: shown, never ranked."""
        return self.answer_rate is None or self.answer_rate.small_sample


@dataclass(frozen=True)
class Breakdowns:
    """The core figures per channel (by name), scenario (by title), hour band (every band,
    night to evening), weekday (every day, Monday first) and hour band × weekday (every pair,
    hour band by hour band, each Monday to Sunday: 5 × 7 cells). Channels and scenarios appear
    when at least one of their inquiries counts."""

    by_channel: tuple[GroupFigures, ...]
    by_scenario: tuple[GroupFigures, ...]
    by_hour_band: tuple[GroupFigures, ...]
    by_weekday: tuple[GroupFigures, ...]
    #: Keyed (HourBand, weekday); the cells' counts add up to the scope's.
    by_hour_band_weekday: tuple[GroupFigures, ...] = ()

    def of(self, breakdown: Breakdown) -> tuple[GroupFigures, ...]:
        return getattr(self, f"by_{breakdown.value}")


@dataclass(frozen=True)
class MysteryFigures:
    """Every mystery-monitoring figure of a scope (see the module docstring for definitions).

    Shares and means are ``qcrm.statistics.Figure``s (value, n, 95 % interval, target, direction);
    a figure is None when its denominator is 0.
    """

    scope: ReportScope
    targets: Targets
    #: The scope's waves that are not closed yet: its figures may still change.
    open_wave_ids: tuple[int, ...]
    counts: InquiryCounts
    #: answered / sent, against the wave's target_answer_rate.
    answer_rate: Figure | None
    #: Shares of sent (lower is better).
    answered_second_attempt: Figure | None
    late: Figure | None
    never_answered: Figure | None
    #: not contactable / (sent + not contactable), lower is better.
    not_contactable: Figure | None
    frt_calendar: ResponseTimes | None
    frt_business: ResponseTimes | None
    #: Share of sent answered within targets.frt_within_hours (calendar), against
    #: targets.frt_within_share; None without a target in hours.
    frt_within_target: Figure | None
    cutoffs: CutOffs | None
    #: solved / answered.
    first_contact_resolution: Figure | None
    transaction_score: Figure | None
    communication_score: Figure | None
    handling_score: Figure | None
    total_score: Figure | None
    #: n, Σ, Σ² of the total scores, for Welch's comparison with another scope.
    total_score_moments: Moments
    #: Primary evaluations counted, and how many of them a knock-out triggered in.
    evaluations: int
    knockouts: int
    item_pass_rates: tuple[ItemPassRate, ...]
    breakdowns: Breakdowns
    #: Per-contact sums of the pass shares pooled over items (see ``ItemPool``).
    item_pools: tuple[ItemPool, ...] = ()

    def dimension_score(self, dimension: MethodDimension) -> Figure | None:
        """The mean score of a method dimension."""
        return getattr(self, f"{dimension.value}_score")


# --- helpers -----------------------------------------------------------------------------------


def _share(
    successes: int, n: int, target: float | None = None, higher_is_better: bool = True
) -> Figure | None:
    interval = wilson_interval(successes, n)
    if interval is None:
        return None
    return Figure(successes / n, n, interval, target, higher_is_better)


def _share_of(
    successes: int, n: int, target: float | None = None, higher_is_better: bool = True
) -> Figure:
    """A share whose n is known to be positive (e.g. grouped rows, or after checking sent)."""
    figure = _share(successes, n, target, higher_is_better)
    if figure is None:
        raise ValueError("a share needs n > 0")
    return figure


#: The values a score (0–100) or a duration (≥ 0) can take.
SCORE_RANGE = SCORE_SCALE
DURATION_RANGE = DURATION_SCALE


def _mean(
    moments: Moments,
    target: float | None = None,
    higher_is_better: bool = True,
    bounds: Bounds = SCORE_RANGE,
) -> Figure | None:
    """The mean with its t interval, clipped to the values the mean can take: a small, skewed
    sample's symmetric interval can reach past them (a score of "107.7", a time of "−405 min")."""
    estimate = moments_mean(moments, bounds=bounds)
    return None if estimate is None else estimate.against(target, higher_is_better)


def _median(values: Sequence[float], target: float | None) -> Figure | None:
    value = median(values)
    return None if value is None else Figure(value, len(values), None, target, False)


def business_day_seconds(hours: Mapping[str, list[str]]) -> float:
    """Business seconds of "one business day" of a channel: its weekly open hours divided by the
    number of weekdays it opens at all (0 for a channel that never opens)."""
    week = parse_business_hours(hours)
    open_days = [ranges for ranges in week if ranges]
    if not open_days:
        return 0.0
    minutes = sum(end - start for ranges in open_days for start, end in ranges)
    return minutes * 60.0 / len(open_days)


def _scope_wave_rows(scope: ReportScope) -> list[Wave]:
    """The scope's waves, latest first: the given ones, or the client's overlapping the period."""
    query = select(Wave).where(Wave.id.in_(_scope_waves(scope)))
    if scope.period is not None and not scope.wave_ids:
        start, end = scope.period
        query = query.where(Wave.period_start <= end, Wave.period_end >= start)
    return list(db.session.scalars(query.order_by(Wave.period_end.desc(), Wave.id.desc())))


def _targets(wave: Wave | None) -> Targets:
    if wave is None:
        return Targets()
    scores = {key: float(value) for key, value in (wave.target_dimension_scores or {}).items()}
    return Targets(
        wave_id=wave.id,
        answer_rate=wave.target_answer_rate,
        frt_median_seconds=None
        if wave.target_frt_median_minutes is None
        else wave.target_frt_median_minutes * 60.0,
        frt_within_hours=wave.target_frt_within_hours,
        frt_within_share=DEFAULT_FRT_WITHIN_SHARE
        if wave.target_frt_within_share is None
        else wave.target_frt_within_share,
        transaction_score=scores.get(MethodDimension.TRANSACTION.value),
        communication_score=scores.get(MethodDimension.COMMUNICATION.value),
        handling_score=scores.get(MethodDimension.HANDLING.value),
        total_score=wave.target_total_score,
    )


# --- the queries ----------------------------------------------------------------------------------


def _inquiry_columns(business_day_limits: Mapping[int, float], within_seconds: float | None):
    # Per-channel limits in a CASE; no channel in scope means nothing is answered either.
    within_2bd = (
        _count(
            and_(
                _ANSWERED,
                _frt_business <= case(dict(business_day_limits), value=Inquiry.channel_id),
            )
        )
        if business_day_limits
        else literal(0)
    )
    within_target = (
        _count(and_(_ANSWERED, _frt_calendar <= within_seconds))
        if within_seconds is not None
        else literal(0)
    )
    return [
        func.count(Inquiry.id).label("planned"),
        _count(Inquiry.status == InquiryStatus.CANCELLED).label("cancelled"),
        _count(_DISPATCHED).label("dispatched"),
        _count(_AWAITING_REVIEW).label("awaiting_review"),
        _count(_NOT_CONTACTABLE).label("not_contactable"),
        _count(_SENT).label("sent"),
        _count(_ANSWERED).label("answered"),
        _count(_SECOND_ATTEMPT).label("second_attempt"),
        _count(_LATE).label("late"),
        _count(_SOLVED).label("solved"),
        _count(and_(_ANSWERED, _frt_calendar <= HOUR)).label("within_1h"),
        _count(and_(_ANSWERED, _frt_calendar <= DAY)).label("within_24h"),
        within_2bd.label("within_2bd"),
        within_target.label("within_target"),
        *_moments_columns("calendar", _ANSWERED, _frt_calendar),
        *_moments_columns("business", _ANSWERED, _frt_business),
    ]


def _key_columns(key) -> list:
    """One grouping column labelled ``key``, or a pair labelled ``key`` and ``key_2``."""
    if key is None:
        return []
    if isinstance(key, tuple):
        return [key[0].label("key"), key[1].label("key_2")]
    return [key.label("key")]


def _group_by(query, key):
    if key is None:
        return query
    return query.group_by(*key) if isinstance(key, tuple) else query.group_by(key)


def _group_key(row: Mapping[str, Any], key) -> object:
    return (row["key"], row["key_2"]) if isinstance(key, tuple) else row["key"]


def _inquiry_aggregates(scope: ReportScope, columns: list, key=None) -> list[Mapping[str, Any]]:
    query = (
        select(*_key_columns(key), *columns)
        .select_from(Inquiry)
        .outerjoin(ContactLog, ContactLog.inquiry_id == Inquiry.id)
        .where(*_in_scope(scope))
    )
    return [row._mapping for row in db.session.execute(_group_by(query, key))]


_SCORES = (
    ("transaction", Evaluation.transaction_score),
    ("communication", Evaluation.communication_score),
    ("handling", Evaluation.handling_score),
    ("total", Evaluation.total_score),
)


def _score_aggregates(scope: ReportScope, key=None) -> list[Mapping[str, Any]]:
    columns = [
        func.count(Evaluation.id).label("evaluations"),
        _count(Evaluation.knocked_out.is_(True)).label("knockouts"),
    ]
    for name, column in _SCORES:
        columns += _moments_columns(name, None, column)
    query = (
        select(*_key_columns(key), *columns)
        .select_from(Evaluation)
        .join(Inquiry, Inquiry.id == Evaluation.inquiry_id)
        .join(ContactLog, ContactLog.inquiry_id == Inquiry.id)
        .where(*_in_scope(scope), _SENT, Evaluation.kind == EvaluationKind.PRIMARY)
    )
    return [row._mapping for row in db.session.execute(_group_by(query, key))]


#: An answer passes its item (see the module docstring); over the answers joined to their items.
_PASSED = or_(
    and_(ScorecardItem.item_type == ItemType.SCALE, EvaluationAnswer.value >= SCALE_PASS_VALUE),
    and_(ScorecardItem.item_type != ItemType.SCALE, EvaluationAnswer.earned >= 1),
)


def _scored_answers(scope: ReportScope, query):
    """``query`` over the scope's counted answers: the applicable, scored answers of the primary
    evaluations of sent, approved inquiries, each joined to its item."""
    return (
        query.select_from(Inquiry)
        .join(ContactLog, ContactLog.inquiry_id == Inquiry.id)
        .join(Evaluation, Evaluation.inquiry_id == Inquiry.id)
        .join(EvaluationAnswer, EvaluationAnswer.evaluation_id == Evaluation.id)
        .join(ScorecardItem, ScorecardItem.id == EvaluationAnswer.item_id)
        .where(
            *_in_scope(scope),
            _SENT,
            Evaluation.kind == EvaluationKind.PRIMARY,
            EvaluationAnswer.earned.is_not(None),
        )
    )


def _item_pools(scope: ReportScope) -> tuple[ItemPool, ...]:
    """The per-contact sums of the pooled pass shares, in one query: answers are summed per
    evaluation and cell (aᵢ, pᵢ), then n, Σa, Σp, Σa², Σp², Σap are aggregated per cell and, over
    the per-evaluation totals, for every scored item at once."""
    cells = (
        _scored_answers(
            scope,
            select(
                Evaluation.id.label("contact"),
                ScorecardItem.method_dimension.label("method_dimension"),
                ScorecardItem.quality_dimension.label("quality_dimension"),
                func.count(EvaluationAnswer.id).label("a"),
                _count(_PASSED).label("p"),
            ),
        )
        .group_by(Evaluation.id, ScorecardItem.method_dimension, ScorecardItem.quality_dimension)
        .cte("cells")
    )
    contacts = (
        select(func.sum(cells.c.a).label("a"), func.sum(cells.c.p).label("p"))
        .group_by(cells.c.contact)
        .subquery("contacts")
    )

    def sums(source) -> list:
        a, p = source.c.a, source.c.p
        return [
            func.count().label("n"),
            func.sum(a).label("answers"),
            func.sum(p).label("passes"),
            func.sum(a * a).label("answers_squares"),
            func.sum(p * p).label("passes_squares"),
            func.sum(a * p).label("products"),
        ]

    by_cell = select(cells.c.method_dimension, cells.c.quality_dimension, *sums(cells)).group_by(
        cells.c.method_dimension, cells.c.quality_dimension
    )
    overall = select(null(), null(), *sums(contacts))
    rows = db.session.execute(by_cell.union_all(overall)).all()
    pools = [
        ItemPool(method, quality, ClusterSums(int(n), *(int(total) for total in totals)))
        for method, quality, n, *totals in rows
        if n
    ]
    # the overall pool last; the cells in a fixed order on every engine
    return tuple(
        sorted(
            pools,
            key=lambda pool: (
                pool.method_dimension is None,
                pool.method_dimension.value if pool.method_dimension else "",
                pool.quality_dimension.value if pool.quality_dimension else "",
            ),
        )
    )


def _item_pass_rates(scope: ReportScope) -> tuple[ItemPassRate, ...]:
    """Each item's pass rate over the scope's counted answers.

    The answers are counted per ``item_id`` in a subquery that starts from the scope's inquiries,
    and only the small result is joined to the items for their texts: grouping every answer by
    the items' text columns instead made this the slowest query of a report (about 3 × slower
    over 10,000 contacts with 18 items each).
    """
    item = ScorecardItem
    passed = _PASSED
    counted = (
        _scored_answers(
            scope,
            select(
                EvaluationAnswer.item_id.label("item_id"),
                func.count(EvaluationAnswer.id).label("n"),
                _count(passed).label("passes"),
                _count(and_(item.knockout.is_not(None), EvaluationAnswer.earned == 0)).label(
                    "knockouts"
                ),
            ),
        )
        .group_by(EvaluationAnswer.item_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            item.id,
            item.version_id,
            item.position,
            item.text,
            item.method_dimension,
            item.quality_dimension,
            item.item_type,
            item.knockout,
            item.target_pass_rate,
            counted.c.n,
            counted.c.passes,
            counted.c.knockouts,
        )
        .join(counted, counted.c.item_id == item.id)
        .order_by(item.version_id, item.position, item.id)
    ).all()
    return tuple(
        ItemPassRate(
            item_id=item_id,
            scorecard_version_id=version_id,
            position=position,
            text=text,
            method_dimension=method_dimension,
            quality_dimension=quality_dimension,
            item_type=item_type,
            knockout=knockout,
            pass_rate=_share_of(int(passes), int(n), target),
            knockouts=int(knockouts),
        )
        for (
            item_id,
            version_id,
            position,
            text,
            method_dimension,
            quality_dimension,
            item_type,
            knockout,
            target,
            n,
            passes,
            knockouts,
        ) in rows
    )


#: When the inquiry was sent: the first attempt's sending time in the channel's time zone; an
#: inquiry never sent (not contactable) is counted at its planned slot, when it was tried.
_SENT_HOUR_BAND = func.coalesce(Inquiry.sent_hour_band, Inquiry.planned_hour_band)
_SENT_WEEKDAY = func.coalesce(Inquiry.sent_weekday, Inquiry.planned_weekday)
_BREAKDOWN_KEYS = {
    Breakdown.CHANNEL: Inquiry.channel_id,
    Breakdown.SCENARIO: Inquiry.scenario_id,
    Breakdown.HOUR_BAND: _SENT_HOUR_BAND,
    Breakdown.WEEKDAY: _SENT_WEEKDAY,
}
#: The crossed breakdown: hour band × weekday (the heatmap's rows and columns).
_CROSSED_KEY = (_SENT_HOUR_BAND, _SENT_WEEKDAY)


def _answered_times(scope: ReportScope, column) -> list:
    return list(
        db.session.execute(
            select(*_BREAKDOWN_KEYS.values(), column)
            .select_from(Inquiry)
            .join(ContactLog, ContactLog.inquiry_id == Inquiry.id)
            .where(*_in_scope(scope), _ANSWERED, column.is_not(None))
            .order_by(column, Inquiry.id)
        )
    )


def _response_times(values: Sequence[float], moments: Moments, median_target: float | None):
    """Median, p90 and mean of first response times; the mean's t interval is clipped at 0."""
    if not values:
        return None
    mean = _mean(moments, higher_is_better=False, bounds=DURATION_RANGE)
    middle = _median(values, median_target)
    highest = p90(values)
    if mean is None or middle is None or highest is None:  # pragma: no cover  (values not empty)
        return None
    return ResponseTimes(
        median=middle, p90=Figure(highest, len(values), None, None, False), mean=mean
    )


# --- the figures ----------------------------------------------------------------------------------


def _counts(row: Mapping[str, Any]) -> InquiryCounts:
    def number(name: str) -> int:
        return int(row[name] or 0)

    sent, answered, late = number("sent"), number("answered"), number("late")
    planned, cancelled, not_contactable = (
        number("planned"),
        number("cancelled"),
        number("not_contactable"),
    )
    return InquiryCounts(
        planned=planned,
        cancelled=cancelled,
        unreviewed=planned - cancelled - sent - not_contactable,
        not_contactable=not_contactable,
        sent=sent,
        answered=answered,
        answered_second_attempt=number("second_attempt"),
        late=late,
        never_answered=sent - answered - late,
        solved=number("solved"),
        dispatched=number("dispatched"),
        awaiting_review=number("awaiting_review"),
    )


def _group(
    key: int | HourBand | tuple[HourBand, int],
    label: str | None,
    counts: Mapping[str, Any] | None,
    scores: Mapping[str, Any] | None,
    times: Sequence[float],
    targets: Targets,
) -> GroupFigures:
    sent = int(counts["sent"] or 0) if counts else 0
    answered = int(counts["answered"] or 0) if counts else 0
    total = _moments(scores, "total") if scores else Moments(0, 0.0, 0.0)
    return GroupFigures(
        key=key,
        label=label,
        sent=sent,
        not_contactable=int(counts["not_contactable"] or 0) if counts else 0,
        answered=answered,
        answer_rate=_share(answered, sent, targets.answer_rate),
        frt_median=_median(times, targets.frt_median_seconds),
        total_score=_mean(total, targets.total_score),
    )


def _breakdowns(
    scope: ReportScope,
    columns: list,
    answered_rows: Sequence,
    labels: Mapping[Breakdown, Mapping[int, str]],
    targets: Targets,
) -> Breakdowns:
    groups: dict[Breakdown, tuple[GroupFigures, ...]] = {}
    for position, (breakdown, key) in enumerate(_BREAKDOWN_KEYS.items()):
        counts = {row["key"]: row for row in _inquiry_aggregates(scope, columns, key)}
        scores = {row["key"]: row for row in _score_aggregates(scope, key)}
        # The sorted column split by group stays sorted: each group's median needs no sort.
        times: dict[object, list[float]] = {}
        for row in answered_rows:
            times.setdefault(row[position], []).append(row[-1])
        if breakdown is Breakdown.HOUR_BAND:
            keys: list = list(HourBand)
        elif breakdown is Breakdown.WEEKDAY:
            keys = list(range(7))
        else:
            counted = [k for k, row in counts.items() if row["sent"] or row["not_contactable"]]
            names = labels[breakdown]
            keys = sorted(counted, key=lambda k: (names.get(k, ""), k))
        groups[breakdown] = tuple(
            _group(
                k,
                labels.get(breakdown, {}).get(k),
                counts.get(k),
                scores.get(k),
                times.get(k, []),
                targets,
            )
            for k in keys
        )
    return Breakdowns(
        by_channel=groups[Breakdown.CHANNEL],
        by_scenario=groups[Breakdown.SCENARIO],
        by_hour_band=groups[Breakdown.HOUR_BAND],
        by_weekday=groups[Breakdown.WEEKDAY],
        by_hour_band_weekday=_crossed(scope, columns, answered_rows, targets),
    )


def _crossed(
    scope: ReportScope, columns: list, answered_rows: Sequence, targets: Targets
) -> tuple[GroupFigures, ...]:
    """Hour band × weekday: every pair, in two GROUP BY queries (counts, scores)."""
    key = _CROSSED_KEY
    counts = {_group_key(row, key): row for row in _inquiry_aggregates(scope, columns, key)}
    scores = {_group_key(row, key): row for row in _score_aggregates(scope, key)}
    band, day = (list(_BREAKDOWN_KEYS).index(b) for b in (Breakdown.HOUR_BAND, Breakdown.WEEKDAY))
    times: dict[object, list[float]] = {}
    for row in answered_rows:
        times.setdefault((row[band], row[day]), []).append(row[-1])
    return tuple(
        _group((b, d), None, counts.get((b, d)), scores.get((b, d)), times.get((b, d), []), targets)
        for b in HourBand
        for d in range(7)
    )


def mystery_figures(scope: ReportScope) -> MysteryFigures:
    """All mystery figures of ``scope``, with their n, 95 % intervals and targets, and the
    breakdowns by channel, scenario, hour band, weekday and hour band × weekday — in
    ``QUERIES`` queries."""
    waves = _scope_wave_rows(scope)
    targets = _targets(waves[0] if waves else None)
    scope_channels = select(Inquiry.channel_id).where(*_in_scope(scope))
    channels = db.session.execute(
        select(Channel.id, Channel.name, Channel.business_hours).where(
            Channel.id.in_(scope_channels)
        )
    ).all()
    scenario_titles = dict(
        db.session.execute(
            select(Scenario.id, Scenario.title).where(
                Scenario.id.in_(select(Inquiry.scenario_id).where(*_in_scope(scope)))
            )
        ).all()
    )
    limits = {
        channel_id: BUSINESS_DAYS * business_day_seconds(hours or {})
        for channel_id, _, hours in channels
    }
    within_seconds = None if targets.frt_within_hours is None else targets.frt_within_hours * HOUR
    columns = _inquiry_columns(limits, within_seconds)
    (row,) = _inquiry_aggregates(scope, columns)
    counts = _counts(row)
    (score_row,) = _score_aggregates(scope)
    answered_rows = _answered_times(scope, _frt_calendar)
    calendar = [r[-1] for r in answered_rows]
    business = [r[-1] for r in _answered_times(scope, _frt_business)]
    sent, answered = counts.sent, counts.answered

    cutoffs = None
    if sent:
        cutoffs = CutOffs(
            within_1h=_share_of(int(row["within_1h"]), sent),
            within_24h=_share_of(int(row["within_24h"]), sent),
            within_2_business_days=_share_of(int(row["within_2bd"]), sent),
            never=_share_of(sent - answered, sent, higher_is_better=False),
        )
    return MysteryFigures(
        scope=scope,
        targets=targets,
        open_wave_ids=tuple(w.id for w in waves if w.status is not WaveStatus.CLOSED),
        counts=counts,
        answer_rate=_share(answered, sent, targets.answer_rate),
        answered_second_attempt=_share(
            counts.answered_second_attempt, sent, higher_is_better=False
        ),
        late=_share(counts.late, sent, higher_is_better=False),
        never_answered=_share(counts.never_answered, sent, higher_is_better=False),
        not_contactable=_share(
            counts.not_contactable, sent + counts.not_contactable, higher_is_better=False
        ),
        frt_calendar=_response_times(
            calendar, _moments(row, "calendar"), targets.frt_median_seconds
        ),
        frt_business=_response_times(business, _moments(row, "business"), None),
        frt_within_target=None
        if within_seconds is None
        else _share(int(row["within_target"]), sent, targets.frt_within_share),
        cutoffs=cutoffs,
        first_contact_resolution=_share(counts.solved, answered),
        transaction_score=_mean(_moments(score_row, "transaction"), targets.transaction_score),
        communication_score=_mean(
            _moments(score_row, "communication"), targets.communication_score
        ),
        handling_score=_mean(_moments(score_row, "handling"), targets.handling_score),
        total_score=_mean(_moments(score_row, "total"), targets.total_score),
        total_score_moments=_moments(score_row, "total"),
        evaluations=int(score_row["evaluations"] or 0),
        knockouts=int(score_row["knockouts"] or 0),
        item_pass_rates=_item_pass_rates(scope),
        item_pools=_item_pools(scope),
        breakdowns=_breakdowns(
            scope,
            columns,
            answered_rows,
            {
                Breakdown.CHANNEL: {channel_id: name for channel_id, name, _ in channels},
                Breakdown.SCENARIO: scenario_titles,
            },
            targets,
        ),
    )


# --- change against the previous wave -------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure now and in the previous scope, and the 95 % interval of current − previous.

    ``significant`` only when that interval excludes zero (``qcrm.statistics.differs``):
    Newcombe's interval for shares, Welch's for means.
    """

    previous: Figure | None
    current: Figure | None
    difference: Interval | None

    @property
    def value(self) -> float | None:
        """current − previous; None when either is missing."""
        if self.previous is None or self.current is None:
            return None
        return self.current.value - self.previous.value

    @property
    def significant(self) -> bool:
        return differs(self.difference)

    @property
    def improved(self) -> bool | None:
        """True/False for a significant change for the better/worse; None when not significant."""
        if not self.significant or self.value is None or self.current is None:
            return None
        return (self.value > 0) == self.current.higher_is_better


@dataclass(frozen=True)
class WaveComparison:
    """The change of the headline figures against the previous comparable wave."""

    answer_rate: Change
    total_score: Change


def compare_figures(previous: MysteryFigures, current: MysteryFigures) -> WaveComparison:
    """Compare two scopes' figures: the answer rate with Newcombe's hybrid score interval, the
    mean total score with Welch's interval, both of current − previous."""
    now, before = current.counts, previous.counts
    return WaveComparison(
        answer_rate=Change(
            previous=previous.answer_rate,
            current=current.answer_rate,
            difference=newcombe_difference(now.answered, now.sent, before.answered, before.sent),
        ),
        total_score=Change(
            previous=previous.total_score,
            current=current.total_score,
            difference=welch_difference_from_moments(
                current.total_score_moments, previous.total_score_moments
            ),
        ),
    )


def compare_waves(previous_scope: ReportScope, current_scope: ReportScope) -> WaveComparison:
    """The change from ``previous_scope`` (e.g. the previous comparable wave) to
    ``current_scope``; see :func:`compare_figures`."""
    return compare_figures(mystery_figures(previous_scope), mystery_figures(current_scope))
