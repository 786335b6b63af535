"""The SWOT of a report: findings made by explicit rules, each backed by a figure, n and target.

DOMAIN.md: Strengths and Weaknesses are internal and measured against the Soll; Opportunities and
Threats are external or forward-looking (trends, risks such as unanswered public complaints, a gap
between what testers experience and what customers report). A finding is never free invention:
each comes from one rule below, a small function whose docstring states it, over figures computed
by ``reports.analysis`` and ``reports.methods``. The rules are pure (no database, no app context);
``sentence`` turns a finding into a sentence in the current language (call it under
``flask_babel.force_locale`` for a report's language).

The rules:

* ``STRENGTH_ABOVE_TARGET`` — ``strength_above_target``
* ``WEAKNESS_BELOW_TARGET`` — ``weakness_below_target``
* ``OPPORTUNITY_IMPROVING`` — ``opportunity_improving``
* ``THREAT_WORSENING`` — ``threat_worsening``
* ``THREAT_UNANSWERED_PUBLIC_SOCIAL`` — ``threat_unanswered_public_social``
* ``THREAT_NOT_CONTACTABLE`` — ``threat_not_contactable``
* ``THREAT_METHOD_DISAGREEMENT`` — ``threat_method_disagreement``
* ``THREAT_COVERAGE_GAP`` — ``threat_coverage_gap``

What the strength and weakness rules look at (``measures``): the scope's answer rate, calendar FRT
median, share answered within the target hours, the three dimension scores and the total score,
each scorecard item's pass rate, the survey's CSAT, NPS and CES — every one with a target — and,
when the scope has more than one channel, each channel's answer rate, FRT median and total score.
Trends look at the answer rate and the total score (``WaveComparison``).

**Works-council mode** (issue 6, point 7) needs no switch here: no rule reads, groups by or names
a tester, persona, evaluator or employee; findings name channels, scenarios' items, hour bands
and weekdays only, and ``link`` points at contacts through the scope, a channel, an item or a time
of day — never through a person.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from audits.mystery.forms.waves import HOUR_BAND_LABELS
from audits.mystery.models import HOUR_BAND_HOURS, HourBand, Inquiry, Wave, wave_channels
from audits.scorecards.labels import QUALITY_DIMENSION_LABELS
from audits.scorecards.models import QualityDimension
from qcrm.business_time import parse_business_hours
from qcrm.clients import WEEKDAY_LABELS
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType
from qcrm.statistics import Figure, Interval, Verdict, wilson_interval
from reports.analysis import (
    Change,
    GroupFigures,
    MysteryFigures,
    ReportScope,
    WaveComparison,
)
from reports.methods import (
    BIASES,
    COLUMN_LABELS,
    Column,
    Disagreement,
    MethodMatrix,
    SurveyFigures,
)

__all__ = [
    "PUBLIC_SOCIAL_TYPES",
    "SUBJECT_LABELS",
    "ChannelFacts",
    "Finding",
    "Measure",
    "Quadrant",
    "Rule",
    "Subject",
    "Swot",
    "Unit",
    "channel_facts",
    "format_value",
    "measures",
    "opportunity_improving",
    "scope_link",
    "sentence",
    "strength_above_target",
    "swot",
    "threat_coverage_gap",
    "threat_method_disagreement",
    "threat_not_contactable",
    "threat_unanswered_public_social",
    "threat_worsening",
    "weakness_below_target",
]

#: Channel types whose posts are public: an unanswered inquiry there is visible to everyone.
#: (A channel of these types may also take direct messages; the product does not tell public
#: posts from direct messages on one channel, so every inquiry on it counts as public.)
PUBLIC_SOCIAL_TYPES = frozenset(
    {ChannelType.FACEBOOK, ChannelType.X, ChannelType.INSTAGRAM, ChannelType.LINKEDIN}
)
_WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Quadrant(enum.Enum):
    STRENGTH = "strength"
    WEAKNESS = "weakness"
    OPPORTUNITY = "opportunity"
    THREAT = "threat"


class Rule(enum.Enum):
    STRENGTH_ABOVE_TARGET = "strength_above_target"
    WEAKNESS_BELOW_TARGET = "weakness_below_target"
    OPPORTUNITY_IMPROVING = "opportunity_improving"
    THREAT_WORSENING = "threat_worsening"
    THREAT_UNANSWERED_PUBLIC_SOCIAL = "threat_unanswered_public_social"
    THREAT_NOT_CONTACTABLE = "threat_not_contactable"
    THREAT_METHOD_DISAGREEMENT = "threat_method_disagreement"
    THREAT_COVERAGE_GAP = "threat_coverage_gap"


class Unit(enum.Enum):
    """How a value is written: a share (percent), points (scores 0–100, NPS), a mean (CES 1–7),
    seconds (response times) or a count."""

    SHARE = "share"
    POINTS = "points"
    MEAN = "mean"
    SECONDS = "seconds"
    COUNT = "count"


class Subject(enum.Enum):
    """What a finding's figure is."""

    ANSWER_RATE = "answer_rate"
    FRT_MEDIAN = "frt_median"
    FRT_WITHIN_TARGET = "frt_within_target"
    TRANSACTION_SCORE = "transaction_score"
    COMMUNICATION_SCORE = "communication_score"
    HANDLING_SCORE = "handling_score"
    TOTAL_SCORE = "total_score"
    ITEM_PASS_RATE = "item_pass_rate"  # noqa: S105 (a name, not a password)
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"
    UNANSWERED = "unanswered"
    NOT_CONTACTABLE = "not_contactable"
    METHOD_CELL = "method_cell"
    HOUR_BAND_COVERAGE = "hour_band_coverage"
    WEEKDAY_COVERAGE = "weekday_coverage"


SUBJECT_LABELS = {
    Subject.ANSWER_RATE: _l("Answer rate"),
    Subject.FRT_MEDIAN: _l("Median first response time"),
    Subject.FRT_WITHIN_TARGET: _l("Share answered within %(hours)s h"),
    Subject.TRANSACTION_SCORE: _l("Transaction score"),
    Subject.COMMUNICATION_SCORE: _l("Communication score"),
    Subject.HANDLING_SCORE: _l("Handling score"),
    Subject.TOTAL_SCORE: _l("Total score"),
    Subject.ITEM_PASS_RATE: _l("Pass rate of “%(item)s”"),
    Subject.CSAT: _l("Customer satisfaction (CSAT)"),
    Subject.NPS: _l("Net Promoter Score"),
    Subject.CES: _l("Customer effort score"),
    Subject.UNANSWERED: _l("Unanswered inquiries"),
    Subject.NOT_CONTACTABLE: _l("Not contactable"),
    Subject.METHOD_CELL: _l("Method comparison"),
    Subject.HOUR_BAND_COVERAGE: _l("Inquiries by time of day"),
    Subject.WEEKDAY_COVERAGE: _l("Inquiries by weekday"),
}


# --- inputs and findings --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFacts:
    """What the rules need to know about a channel (no person in it)."""

    id: int
    name: str
    type: ChannelType
    business_hours: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    """A figure the strength and weakness rules look at, with what it is and where it comes from."""

    subject: Subject
    figure: Figure
    unit: Unit
    params: Mapping[str, Any] = field(default_factory=dict)
    link: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One SWOT item: a rule applied to a figure.

    ``figure`` is the value (None where there is no value, e.g. a coverage gap is a count in
    ``n``), ``interval`` its 95 % interval, ``n`` its number of cases, ``target`` its Soll (None:
    none), ``unit`` how to write them. ``params`` hold what the sentence needs beyond that (names,
    the other figure of a comparison, the difference interval); ``link`` is a structured reference
    to the contacts behind the finding (client, waves, period, channels, and the channel, item,
    hour band or weekday it is about) — not a URL. Both hold plain JSON values only.
    """

    quadrant: Quadrant
    rule: Rule
    subject: Subject
    figure: float | None
    n: int
    target: float | None
    unit: Unit
    interval: tuple[float, float] | None = None
    higher_is_better: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    link: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Swot:
    strengths: tuple[Finding, ...] = ()
    weaknesses: tuple[Finding, ...] = ()
    opportunities: tuple[Finding, ...] = ()
    threats: tuple[Finding, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.strengths + self.weaknesses + self.opportunities + self.threats


def _interval(interval: Interval | None) -> tuple[float, float] | None:
    return None if interval is None else (interval.low, interval.high)


def _finding(
    quadrant: Quadrant,
    rule: Rule,
    subject: Subject,
    figure: Figure,
    unit: Unit,
    params: Mapping[str, Any],
    link: Mapping[str, Any],
) -> Finding:
    return Finding(
        quadrant=quadrant,
        rule=rule,
        subject=subject,
        figure=figure.value,
        n=figure.n,
        target=figure.target,
        unit=unit,
        interval=_interval(figure.interval),
        higher_is_better=figure.higher_is_better,
        params=dict(params),
        link=dict(link),
    )


# --- the rules ------------------------------------------------------------------------------------


def strength_above_target(measure: Measure) -> Finding | None:
    """STRENGTH_ABOVE_TARGET: a figure with a target, on at least 30 cases, whose whole 95 %
    interval lies on the good side of its target (significantly above it; below it for figures
    where lower is better). Small samples never give a strength (DOMAIN.md "Uncertainty")."""
    figure = measure.figure
    if figure.small_sample or figure.target is None or not figure.significantly_better:
        return None
    return _finding(
        Quadrant.STRENGTH,
        Rule.STRENGTH_ABOVE_TARGET,
        measure.subject,
        figure,
        measure.unit,
        measure.params,
        measure.link,
    )


def weakness_below_target(measure: Measure) -> Finding | None:
    """WEAKNESS_BELOW_TARGET: a figure with a target, on at least 30 cases, whose whole 95 %
    interval lies on the bad side of its target (significantly below it; above it where lower is
    better) — the same bar as a strength (DOMAIN.md "SWOT"). A point value that misses within
    the noise is no weakness: the tables show it as "misses, not significant"
    (``qcrm.statistics.Verdict.MISSES``). Small samples never give a weakness."""
    figure = measure.figure
    if figure.small_sample or figure.verdict is not Verdict.SIGNIFICANTLY_WORSE:
        return None
    return _finding(
        Quadrant.WEAKNESS,
        Rule.WEAKNESS_BELOW_TARGET,
        measure.subject,
        figure,
        measure.unit,
        measure.params,
        measure.link,
    )


def _trend(
    quadrant: Quadrant,
    rule: Rule,
    subject: Subject,
    change: Change,
    unit: Unit,
    link: Mapping[str, Any],
) -> Finding:
    current, previous, difference = change.current, change.previous, change.difference
    assert current is not None and previous is not None and difference is not None  # noqa: S101
    params = {
        "previous": previous.value,
        "previous_n": previous.n,
        "difference": change.value,
        "difference_interval": [difference.low, difference.high],
    }
    return _finding(quadrant, rule, subject, current, unit, params, link)


def opportunity_improving(
    subject: Subject, change: Change, unit: Unit, link: Mapping[str, Any]
) -> Finding | None:
    """OPPORTUNITY_IMPROVING: the figure changed for the better against the previous comparable
    wave, and significantly: the 95 % interval of current − previous (Newcombe for shares, Welch
    for means) excludes zero. A trend is forward-looking, hence an opportunity. No n ≥ 30 rule:
    the interval carries the sample sizes (DOMAIN.md's small-sample rule is about strengths and
    weaknesses), so a small sample only changes significantly when the change is large."""
    if change.improved is not True:
        return None
    return _trend(Quadrant.OPPORTUNITY, Rule.OPPORTUNITY_IMPROVING, subject, change, unit, link)


def threat_worsening(
    subject: Subject, change: Change, unit: Unit, link: Mapping[str, Any]
) -> Finding | None:
    """THREAT_WORSENING: the figure changed significantly for the worse against the previous
    comparable wave (as ``opportunity_improving``, in the other direction)."""
    if change.improved is not False:
        return None
    return _trend(Quadrant.THREAT, Rule.THREAT_WORSENING, subject, change, unit, link)


def threat_unanswered_public_social(
    group: GroupFigures,
    channel: ChannelFacts,
    target_answer_rate: float | None,
    link: Mapping[str, Any],
) -> Finding | None:
    """THREAT_UNANSWERED_PUBLIC_SOCIAL: on a public social channel (``PUBLIC_SOCIAL_TYPES``) at
    least one sent inquiry was not answered within its timeout (late answers included, as they do
    not count as answered). Any number is a threat, whatever the sample: an unanswered public
    post is visible to everyone and can grow into a "shitstorm" (DOMAIN.md "Channels"). The
    figure is the unanswered share of sent inquiries (Wilson interval), n = sent, held against
    the ceiling 1 − the wave's target answer rate."""
    if channel.type not in PUBLIC_SOCIAL_TYPES or group.sent == 0:
        return None
    unanswered = group.sent - group.answered
    if unanswered <= 0:
        return None
    target = None if target_answer_rate is None else 1.0 - target_answer_rate
    figure = Figure(
        unanswered / group.sent,
        group.sent,
        wilson_interval(unanswered, group.sent),
        target,
        higher_is_better=False,
    )
    params = {"channel": channel.name, "count": unanswered}
    link = {**link, "channel_id": channel.id, "outcome": "unanswered"}
    return _finding(
        Quadrant.THREAT,
        Rule.THREAT_UNANSWERED_PUBLIC_SOCIAL,
        Subject.UNANSWERED,
        figure,
        Unit.SHARE,
        params,
        link,
    )


def threat_not_contactable(
    group: GroupFigures, channel: ChannelFacts, link: Mapping[str, Any]
) -> Finding | None:
    """THREAT_NOT_CONTACTABLE: at least one inquiry to the channel could not be placed at all (no
    contact form, private messages disabled, personal data demanded first, hotline never
    reachable): those customers are lost before any service happens. DOMAIN.md reports "not
    contactable" as a result of its own, a share of (sent + not contactable); it has no Soll, so
    it is a risk (threat), not a weakness. Any number counts."""
    if group.not_contactable <= 0:
        return None
    placed = group.sent + group.not_contactable
    figure = Figure(
        group.not_contactable / placed,
        placed,
        wilson_interval(group.not_contactable, placed),
        None,
        higher_is_better=False,
    )
    params = {"channel": channel.name, "count": group.not_contactable}
    link = {**link, "channel_id": channel.id, "outcome": "not_contactable"}
    return _finding(
        Quadrant.THREAT,
        Rule.THREAT_NOT_CONTACTABLE,
        Subject.NOT_CONTACTABLE,
        figure,
        Unit.SHARE,
        params,
        link,
    )


def threat_method_disagreement(disagreement: Disagreement, link: Mapping[str, Any]) -> Finding:
    """THREAT_METHOD_DISAGREEMENT: two methods disagree on a quality dimension — the 95 %
    Newcombe interval of the difference of their shares excludes zero
    (``reports.methods.method_disagreements`` says which pairs are compared). A gap between what
    testers experience and what real customers report is a threat (DOMAIN.md "SWOT"). The
    finding carries both figures with n and target, the difference and its interval, and the
    columns whose likely biases (DOMAIN.md's table) the sentence names."""
    first, second = disagreement.first, disagreement.second
    params = {
        "dimension": None if disagreement.dimension is None else disagreement.dimension.value,
        "first_column": first.column.value,
        "second_column": second.column.value,
        "second_figure": second.figure.value,
        "second_n": second.figure.n,
        "second_target": second.figure.target,
        "second_interval": list(_interval(second.figure.interval) or ()),
        "difference": disagreement.value,
        "difference_interval": [disagreement.difference.low, disagreement.difference.high],
    }
    link = {
        **link,
        "dimension": params["dimension"],
        "item_ids": sorted({*first.item_ids, *second.item_ids}),
    }
    return _finding(
        Quadrant.THREAT,
        Rule.THREAT_METHOD_DISAGREEMENT,
        Subject.METHOD_CELL,
        first.figure,
        Unit.SHARE,
        params,
        link,
    )


def threat_coverage_gap(
    group: GroupFigures,
    open_channels: Sequence[ChannelFacts],
    counted: int,
    link: Mapping[str, Any],
) -> Finding | None:
    """THREAT_COVERAGE_GAP: an hour band (or weekday) in which at least one of the scope's
    channels is open by its stated business hours, but no inquiry of the scope was counted (sent
    or not contactable), while ``counted`` > 0 inquiries were counted at other times. How the
    service behaves then is unknown — DOMAIN.md: contacts are spread over weekdays and times of
    day, evening and weekend included when the service claims it. Channels without stated
    business hours claim no time, so they open no gap. One counted inquiry closes the gap (its
    figure is then shown as a small sample, which is not a coverage question)."""
    if counted <= 0 or not open_channels or group.sent + group.not_contactable > 0:
        return None
    if isinstance(group.key, HourBand):
        subject, where = Subject.HOUR_BAND_COVERAGE, {"hour_band": group.key.value}
    else:
        subject, where = Subject.WEEKDAY_COVERAGE, {"weekday": group.key}
    return Finding(
        quadrant=Quadrant.THREAT,
        rule=Rule.THREAT_COVERAGE_GAP,
        subject=subject,
        figure=0.0,
        n=counted,
        target=None,
        unit=Unit.COUNT,
        params={**where, "channels": [channel.name for channel in open_channels]},
        link={**link, **where, "channel_ids": [channel.id for channel in open_channels]},
    )


# --- collecting the figures -----------------------------------------------------------------------


def scope_link(scope: ReportScope) -> dict[str, Any]:
    """The part of every link that names the report's scope."""
    return {
        "client_id": scope.client_id,
        "wave_ids": list(scope.wave_ids),
        "period": None if scope.period is None else [day.isoformat() for day in scope.period],
        "channel_ids": list(scope.channel_ids),
    }


def measures(mystery: MysteryFigures, survey: SurveyFigures | None = None) -> list[Measure]:
    """The figures the strength and weakness rules look at (see the module docstring)."""
    base = scope_link(mystery.scope)
    found: list[Measure] = []

    def add(
        subject: Subject,
        figure: Figure | None,
        unit: Unit,
        params: Mapping[str, Any] | None = None,
        link: Mapping[str, Any] | None = None,
    ) -> None:
        if figure is not None:
            found.append(Measure(subject, figure, unit, params or {}, {**base, **(link or {})}))

    targets = mystery.targets
    add(Subject.ANSWER_RATE, mystery.answer_rate, Unit.SHARE)
    if mystery.frt_calendar is not None:
        add(Subject.FRT_MEDIAN, mystery.frt_calendar.median, Unit.SECONDS)
    add(
        Subject.FRT_WITHIN_TARGET,
        mystery.frt_within_target,
        Unit.SHARE,
        {"hours": targets.frt_within_hours},
    )
    add(Subject.TRANSACTION_SCORE, mystery.transaction_score, Unit.POINTS)
    add(Subject.COMMUNICATION_SCORE, mystery.communication_score, Unit.POINTS)
    add(Subject.HANDLING_SCORE, mystery.handling_score, Unit.POINTS)
    add(Subject.TOTAL_SCORE, mystery.total_score, Unit.POINTS)
    for item in mystery.item_pass_rates:
        add(
            Subject.ITEM_PASS_RATE,
            item.pass_rate,
            Unit.SHARE,
            {"item": item.text},
            {"item_id": item.item_id},
        )
    channels = mystery.breakdowns.by_channel
    if len(channels) > 1:
        for group in channels:
            where = {"channel": group.label}
            link = {"channel_id": group.key}
            add(Subject.ANSWER_RATE, group.answer_rate, Unit.SHARE, where, link)
            add(Subject.FRT_MEDIAN, group.frt_median, Unit.SECONDS, where, link)
            add(Subject.TOTAL_SCORE, group.total_score, Unit.POINTS, where, link)
    if survey is not None and survey.survey_ids:
        link = {"survey_ids": list(survey.survey_ids)}
        add(Subject.CSAT, survey.csat, Unit.SHARE, link=link)
        add(Subject.NPS, survey.nps, Unit.POINTS, link=link)
        add(Subject.CES, survey.ces, Unit.MEAN, link=link)
    return found


def _open_in_band(channel: ChannelFacts, band: HourBand) -> bool:
    start, end = (hour * 60 for hour in HOUR_BAND_HOURS[band])
    week = parse_business_hours(channel.business_hours or {})
    return any(low < end and high > start for day in week for low, high in day)


def _open_on_weekday(channel: ChannelFacts, weekday: int) -> bool:
    return bool(parse_business_hours(channel.business_hours or {})[weekday])


def swot(
    mystery: MysteryFigures,
    comparison: WaveComparison | None = None,
    matrix: MethodMatrix | None = None,
    disagreements: Iterable[Disagreement] = (),
    channels: Sequence[ChannelFacts] = (),
    survey: SurveyFigures | None = None,
    previous_scope: ReportScope | None = None,
) -> Swot:
    """Every rule applied to a scope's figures, each quadrant in a fixed order (the order of the
    measures, then channels by name, hour bands from night, weekdays from Monday).

    ``channels`` are the scope's channels (``channel_facts``) — needed for the public-social,
    not-contactable and coverage rules; ``previous_scope`` only adds the previous waves to the
    trend findings' links; ``matrix`` is accepted for the report's sake and not needed by a rule
    (its disagreements come in ``disagreements``).
    """
    del matrix  # the disagreements carry everything the rules need from the matrix
    base = scope_link(mystery.scope)
    strengths: list[Finding] = []
    weaknesses: list[Finding] = []
    opportunities: list[Finding] = []
    threats: list[Finding] = []
    for measure in measures(mystery, survey):
        if (finding := strength_above_target(measure)) is not None:
            strengths.append(finding)
        if (finding := weakness_below_target(measure)) is not None:
            weaknesses.append(finding)
    if comparison is not None:
        link = dict(base)
        if previous_scope is not None:
            link["previous_wave_ids"] = list(previous_scope.wave_ids)
        for subject, change, unit in (
            (Subject.ANSWER_RATE, comparison.answer_rate, Unit.SHARE),
            (Subject.TOTAL_SCORE, comparison.total_score, Unit.POINTS),
        ):
            if (finding := opportunity_improving(subject, change, unit, link)) is not None:
                opportunities.append(finding)
            if (finding := threat_worsening(subject, change, unit, link)) is not None:
                threats.append(finding)
    by_id = {channel.id: channel for channel in channels}
    for group in mystery.breakdowns.by_channel:
        channel = by_id.get(int(group.key))  # type: ignore[arg-type]
        if channel is None:
            continue
        finding = threat_unanswered_public_social(group, channel, mystery.targets.answer_rate, base)
        if finding is not None:
            threats.append(finding)
        if (finding := threat_not_contactable(group, channel, base)) is not None:
            threats.append(finding)
    threats.extend(threat_method_disagreement(d, base) for d in disagreements)
    counted = mystery.counts.sent + mystery.counts.not_contactable
    ordered = sorted(channels, key=lambda c: (c.name, c.id))
    for group in mystery.breakdowns.by_hour_band:
        band = group.key
        assert isinstance(band, HourBand)  # noqa: S101
        open_channels = [c for c in ordered if _open_in_band(c, band)]
        if (finding := threat_coverage_gap(group, open_channels, counted, base)) is not None:
            threats.append(finding)
    for group in mystery.breakdowns.by_weekday:
        open_channels = [c for c in ordered if _open_on_weekday(c, int(group.key))]  # type: ignore[arg-type]
        if (finding := threat_coverage_gap(group, open_channels, counted, base)) is not None:
            threats.append(finding)
    return Swot(tuple(strengths), tuple(weaknesses), tuple(opportunities), tuple(threats))


def channel_facts(scope: ReportScope) -> tuple[ChannelFacts, ...]:
    """The scope's channels: the given ones; else the channels of its waves (the given waves, or
    the client's waves overlapping the period, or all of them) and every channel with an inquiry
    of those waves. One query."""
    if scope.channel_ids:
        condition = Channel.id.in_(scope.channel_ids)
    else:
        waves = select(Wave.id).where(Wave.client_id == scope.client_id)
        if scope.wave_ids:
            waves = waves.where(Wave.id.in_(scope.wave_ids))
        elif scope.period is not None:
            start, end = scope.period
            waves = waves.where(Wave.period_start <= end, Wave.period_end >= start)
        condition = or_(
            Channel.id.in_(
                select(wave_channels.c.channel_id).where(wave_channels.c.wave_id.in_(waves))
            ),
            Channel.id.in_(select(Inquiry.channel_id).where(Inquiry.wave_id.in_(waves))),
        )
    rows = db.session.execute(
        select(Channel.id, Channel.name, Channel.type, Channel.business_hours)
        .where(condition)
        .order_by(Channel.name, Channel.id)
    ).all()
    return tuple(
        ChannelFacts(id=id_, name=name, type=type_, business_hours=hours or {})
        for id_, name, type_, hours in rows
    )


# --- sentences ------------------------------------------------------------------------------------


def _percent_pattern(locale) -> str:
    """The locale's percent pattern with one decimal ("#,##0.0 %" in German)."""
    pattern = locale.percent_formats[None].pattern
    return pattern.replace("#,##0", "#,##0.0", 1)


def format_value(value: float | None, unit: Unit) -> str:
    """A value as the current language writes it: shares as percent with one decimal, points
    with one decimal, means with two, response times in minutes (below two hours) or hours,
    counts as whole numbers. None is written as a dash. Needs an app context."""
    if value is None:
        return "–"
    locale = get_locale()
    if unit is Unit.SHARE:
        return format_percent(value, _percent_pattern(locale), locale=locale)
    if unit is Unit.POINTS:
        return format_decimal(value, "#,##0.0", locale=locale)
    if unit is Unit.MEAN:
        return format_decimal(value, "#,##0.00", locale=locale)
    if unit is Unit.SECONDS:
        if value < 2 * 3600:
            return _("%(value)s min", value=format_decimal(value / 60, "#,##0", locale=locale))
        return _("%(value)s h", value=format_decimal(value / 3600, "#,##0.0", locale=locale))
    return format_decimal(value, "#,##0", locale=locale)


def _difference(value: float, unit: Unit) -> str:
    """A difference: percentage points for shares, else in the figure's unit, with its sign."""
    locale = get_locale()
    if unit is Unit.SHARE:
        number = format_decimal(value * 100, "+#,##0.0;-#,##0.0", locale=locale)
        return _("%(value)s percentage points", value=number)
    if unit is Unit.POINTS:
        return format_decimal(value, "+#,##0.0;-#,##0.0", locale=locale)
    if unit is Unit.MEAN:
        return format_decimal(value, "+#,##0.00;-#,##0.00", locale=locale)
    return format_value(value, unit)


def _target(value: float | None, unit: Unit) -> str:
    return _("none") if value is None else format_value(value, unit)


def _subject(finding: Finding) -> str:
    params = finding.params
    label = str(SUBJECT_LABELS[finding.subject])
    if finding.subject is Subject.FRT_WITHIN_TARGET:
        hours = params.get("hours")
        label = _(
            "Share answered within %(hours)s h",
            hours=format_decimal(hours or 0, "#,##0.#", locale=get_locale()),
        )
    elif finding.subject is Subject.ITEM_PASS_RATE:
        label = _("Pass rate of “%(item)s”", item=params.get("item", ""))
    if params.get("channel"):
        label = _("%(subject)s on %(channel)s", subject=label, channel=params["channel"])
    return label


def _numbers(finding: Finding) -> dict[str, str]:
    unit = finding.unit
    low, high = finding.interval or (None, None)
    return {
        "figure": format_value(finding.figure, unit),
        "n": format_value(finding.n, Unit.COUNT),
        "target": _target(finding.target, unit),
        "low": format_value(low, unit),
        "high": format_value(high, unit),
    }


def _when(finding: Finding) -> str:
    if "hour_band" in finding.params:
        return str(HOUR_BAND_LABELS[HourBand(finding.params["hour_band"])])
    return str(WEEKDAY_LABELS[_WEEKDAY_CODES[int(finding.params["weekday"])]])


def sentence(finding: Finding) -> str:
    """The finding as one sentence in the current language, with its figure, n and target."""
    numbers = _numbers(finding)
    rule, params, unit = finding.rule, finding.params, finding.unit
    if rule is Rule.STRENGTH_ABOVE_TARGET:
        return _(
            "%(subject)s: %(figure)s (n = %(n)s), significantly better than the target of "
            "%(target)s (95 %% interval %(low)s to %(high)s).",
            subject=_subject(finding),
            **numbers,
        )
    if rule is Rule.WEAKNESS_BELOW_TARGET:
        # findings stored before weaknesses needed significance say so in params["significant"]
        if params.get("significant", True):
            return _(
                "%(subject)s: %(figure)s (n = %(n)s) misses the target of %(target)s, "
                "significantly (95 %% interval %(low)s to %(high)s).",
                subject=_subject(finding),
                **numbers,
            )
        return _(
            "%(subject)s: %(figure)s (n = %(n)s) misses the target of %(target)s.",
            subject=_subject(finding),
            **numbers,
        )
    if rule in (Rule.OPPORTUNITY_IMPROVING, Rule.THREAT_WORSENING):
        low, high = params["difference_interval"]
        values = {
            "subject": _subject(finding),
            "previous": format_value(params["previous"], unit),
            "previous_n": format_value(params["previous_n"], Unit.COUNT),
            "difference": _difference(params["difference"], unit),
            "difference_low": _difference(low, unit),
            "difference_high": _difference(high, unit),
            **numbers,
        }
        if rule is Rule.OPPORTUNITY_IMPROVING:
            return _(
                "%(subject)s improved from %(previous)s (n = %(previous_n)s) in the previous "
                "wave to %(figure)s (n = %(n)s; target %(target)s): a significant change of "
                "%(difference)s (95 %% interval %(difference_low)s to %(difference_high)s).",
                **values,
            )
        return _(
            "%(subject)s worsened from %(previous)s (n = %(previous_n)s) in the previous wave "
            "to %(figure)s (n = %(n)s; target %(target)s): a significant change of "
            "%(difference)s (95 %% interval %(difference_low)s to %(difference_high)s).",
            **values,
        )
    if rule is Rule.THREAT_UNANSWERED_PUBLIC_SOCIAL:
        return _(
            "%(count)s of %(n)s inquiries on the public social channel %(channel)s were not "
            "answered in time (%(figure)s unanswered; target at most %(target)s): an unanswered "
            "public post is visible to everyone and can grow into a shitstorm.",
            count=format_value(params["count"], Unit.COUNT),
            channel=params["channel"],
            **numbers,
        )
    if rule is Rule.THREAT_NOT_CONTACTABLE:
        return _(
            "%(count)s of %(n)s inquiries to %(channel)s could not be placed at all "
            "(%(figure)s not contactable; target %(target)s): those customers are lost before "
            "any service happens.",
            count=format_value(params["count"], Unit.COUNT),
            channel=params["channel"],
            **numbers,
        )
    if rule is Rule.THREAT_METHOD_DISAGREEMENT:
        return _method_sentence(finding, numbers)
    return _(
        "No inquiry was counted in %(when)s (%(figure)s of %(n)s counted inquiries; target "
        "%(target)s), although %(channels)s are open then by their business hours: how the "
        "service behaves then is unknown.",
        when=_when(finding),
        channels=", ".join(params["channels"]),
        **numbers,
    )


def _method_sentence(finding: Finding, numbers: Mapping[str, str]) -> str:
    params, unit = finding.params, finding.unit
    first, second = Column(params["first_column"]), Column(params["second_column"])
    dimension = params["dimension"]
    if dimension is None:
        subject = _("Overall quality")
    else:
        subject = str(QUALITY_DIMENSION_LABELS[QualityDimension(dimension)])
    low, high = params["difference_interval"]
    return _(
        "%(dimension)s: %(first)s gives %(figure)s (n = %(n)s, target %(target)s), "
        "%(second)s gives %(second_figure)s (n = %(second_n)s, target %(second_target)s). "
        "The difference of %(difference)s is significant (95 %% interval %(difference_low)s "
        "to %(difference_high)s). Likely biases: %(first_bias)s; %(second_bias)s.",
        dimension=subject,
        first=str(COLUMN_LABELS[first]),
        second=str(COLUMN_LABELS[second]),
        second_figure=format_value(params["second_figure"], unit),
        second_n=format_value(params["second_n"], Unit.COUNT),
        second_target=_target(params["second_target"], unit),
        difference=_difference(params["difference"], unit),
        difference_low=_difference(low, unit),
        difference_high=_difference(high, unit),
        first_bias=str(BIASES[first]),
        second_bias=str(BIASES[second]),
        **numbers,
    )
