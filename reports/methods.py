"""The method comparison: quality dimensions × methods, and where the methods disagree.

DOMAIN.md: no measurement method is "the right one"; the report compares what several methods say
about the same quality dimension. This module builds that comparison from the mystery figures
(``reports.analysis``) and the satisfaction surveys of the same scope. Every interval and every
comparison comes from ``qcrm.statistics``; nothing statistical is computed here.

**Methods and columns.** A *method* is one of DOMAIN.md's seven (``Method``). The matrix has a
*column* per view that measured something (``Column``): the mystery contacts' transaction,
communication and handling views (all three are mystery monitoring, DOMAIN.md method 5) and the
satisfaction survey (method 4). ``methods_used`` lists the DOMAIN.md methods behind the present
columns, so a report from mystery contacts and a survey uses **two** methods and is warned about
(``too_few_methods``: the rule of thumb asks for at least three). Methods 1–3, 6 and 7 on real
service data join as columns when their imports exist.

**Cells** (row = quality dimension, column = view); every cell is a *share* with its 95 %
interval, so all cells of a row are on one comparable scale:

* *mystery transaction × reachability* = the **answer rate** (answered / sent, every sent
  inquiry, against the wave's ``target_answer_rate``) whenever inquiries were sent;
* *mystery transaction × responsiveness* = the **share of sent inquiries answered within the
  wave's target hours** (against ``target_frt_within_share``) whenever the wave sets target hours;
* every other mystery cell (and those two when their wave figure is missing) = the **pooled pass
  share** of the scorecard items of that method dimension mapped to that quality dimension:
  passing answers / applicable scored answers, summed over the items (pass as
  ``reports.analysis`` defines it), with DOMAIN.md's contact-clustered interval
  (``qcrm.statistics.pooled_share`` over the cell's ``ItemPool``). n = **contacts** with at least
  one applicable answer, not answers: the answers of one contact move together, so 6 contacts ×
  4 items are 6 cases, not 24 (the small-sample rule counts contacts too). Target = the items'
  ``target_pass_rate`` weighted by their answers (the pass share the cell would have if every
  item met exactly its own target); None unless every pooled item has a target (a Soll for part
  of the answers is no Soll for their pooled share);
* *survey × satisfaction* = the pooled **CSAT share** (4–5 of 5) against ``target_csat``.

**Disagreements** (``method_disagreements``) compare, exactly:

1. within each quality dimension, every pair of filled cells of *different columns*, in column
   order (first − second); and
2. the classic one, when no mystery cell sits in the satisfaction row: the mystery contacts'
   overall view of quality — the pooled pass share of *all* scored items of the scope
   (``MethodMatrix.mystery_overall``, clustered by contact as the cells) — against the survey's
   CSAT share.

A pair disagrees only when the 95 % interval of the difference of the two shares excludes zero
(``qcrm.statistics.differs``). That interval is Newcombe's hybrid construction applied to the two
cells' own intervals (``qcrm.statistics.newcombe_from_intervals``): Wilson for a plain share,
the contact-clustered interval for a pooled one — so a pooled share is compared with the
uncertainty of its contacts, not of its answers counted as independent. The two samples are
treated as independent (the mystery views share contacts; for positively related views that
makes the interval wider, i.e. cautious). Equal or overlapping methods give no finding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from audits.mystery.models import Wave
from audits.scorecards.models import MethodDimension, QualityDimension
from qcrm.extensions import db
from qcrm.models import Channel
from qcrm.statistics import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    ClusterSums,
    Figure,
    Interval,
    ces_from_counts,
    csat,
    differs,
    newcombe_from_intervals,
    nps_estimate,
    pooled_share,
    share_estimate,
)
from reports.analysis import ItemPassRate, MysteryFigures, ReportScope
from surveys.invitations import delivered_invitations
from surveys.models import (
    FIXED_SCALES,
    Answer,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
)
from surveys.results import headline_questions

__all__ = [
    "BIASES",
    "CASES_LABELS",
    "COLUMN_LABELS",
    "COLUMN_METHOD",
    "METHOD_LABELS",
    "MIN_METHODS",
    "Cell",
    "CellSource",
    "Column",
    "Disagreement",
    "Method",
    "MethodMatrix",
    "SurveyFigures",
    "cases_label",
    "method_disagreements",
    "method_matrix",
    "survey_figures",
    "survey_period",
]

#: DOMAIN.md's rule of thumb: a realistic picture needs at least this many methods.
MIN_METHODS = 3


class Method(enum.Enum):
    """The seven measurement methods of DOMAIN.md."""

    TRANSACTION_MONITORING = "transaction_monitoring"
    COMMUNICATION_MONITORING = "communication_monitoring"
    HANDLING_MONITORING = "handling_monitoring"
    SATISFACTION_SURVEY = "satisfaction_survey"
    MYSTERY_MONITORING = "mystery_monitoring"
    COMPLAINT_MANAGEMENT = "complaint_management"
    COVERT_COMPLAINTS = "covert_complaints"


class Column(enum.Enum):
    """A column of the matrix: one view of one method (``MYSTERY_OVERALL`` is no column: it is the
    mystery contacts' overall view compared with the survey, see the module docstring)."""

    MYSTERY_TRANSACTION = "mystery_transaction"
    MYSTERY_COMMUNICATION = "mystery_communication"
    MYSTERY_HANDLING = "mystery_handling"
    SURVEY = "survey"
    MYSTERY_OVERALL = "mystery_overall"


#: The matrix columns in display order.
COLUMNS = (
    Column.MYSTERY_TRANSACTION,
    Column.MYSTERY_COMMUNICATION,
    Column.MYSTERY_HANDLING,
    Column.SURVEY,
)
COLUMN_METHOD = {
    Column.MYSTERY_TRANSACTION: Method.MYSTERY_MONITORING,
    Column.MYSTERY_COMMUNICATION: Method.MYSTERY_MONITORING,
    Column.MYSTERY_HANDLING: Method.MYSTERY_MONITORING,
    Column.MYSTERY_OVERALL: Method.MYSTERY_MONITORING,
    Column.SURVEY: Method.SATISFACTION_SURVEY,
}
_VIEW_COLUMN = {
    MethodDimension.TRANSACTION: Column.MYSTERY_TRANSACTION,
    MethodDimension.COMMUNICATION: Column.MYSTERY_COMMUNICATION,
    MethodDimension.HANDLING: Column.MYSTERY_HANDLING,
}

METHOD_LABELS = {
    Method.TRANSACTION_MONITORING: _l("Transaction monitoring"),
    Method.COMMUNICATION_MONITORING: _l("Communication monitoring"),
    Method.HANDLING_MONITORING: _l("Handling monitoring"),
    Method.SATISFACTION_SURVEY: _l("Customer satisfaction survey"),
    Method.MYSTERY_MONITORING: _l("Mystery monitoring"),
    Method.COMPLAINT_MANAGEMENT: _l("Complaint management"),
    Method.COVERT_COMPLAINTS: _l("Covert complaints (social web)"),
}
COLUMN_LABELS = {
    Column.MYSTERY_TRANSACTION: _l("Mystery contacts: transaction"),
    Column.MYSTERY_COMMUNICATION: _l("Mystery contacts: communication"),
    Column.MYSTERY_HANDLING: _l("Mystery contacts: handling"),
    Column.SURVEY: _l("Customer survey"),
    Column.MYSTERY_OVERALL: _l("Mystery contacts: all criteria"),
}
#: What the n of a column's cells counts: every mystery view counts contacts (a sent inquiry, or
#: a contact with at least one applicable answer for a pooled share), the survey its responses.
_CONTACTS = _l("n = %(n)s contacts")
CASES_LABELS = {
    Column.MYSTERY_TRANSACTION: _CONTACTS,
    Column.MYSTERY_COMMUNICATION: _CONTACTS,
    Column.MYSTERY_HANDLING: _CONTACTS,
    Column.MYSTERY_OVERALL: _CONTACTS,
    Column.SURVEY: _l("n = %(n)s responses"),
}


def cases_label(column: Column, n: str) -> str:
    """ "n = 6 contacts": a cell's n (already formatted) with what it counts, so that a pooled
    share is never read as n answers."""
    return str(CASES_LABELS[column]) % {"n": n}


#: The likely bias of each view, from DOMAIN.md's table of methods.
BIASES = {
    Column.MYSTERY_TRANSACTION: _l(
        "mystery contacts: small samples, testers may be recognised; counts and clocks only "
        "(fast is not the same as good)"
    ),
    Column.MYSTERY_COMMUNICATION: _l(
        "mystery contacts: small samples, testers may be recognised; reviewer subjectivity"
    ),
    Column.MYSTERY_HANDLING: _l(
        "mystery contacts: small samples, testers may be recognised; checks process "
        "conformity, not customer value"
    ),
    Column.MYSTERY_OVERALL: _l(
        "mystery contacts: small samples, testers may be recognised, scenario realism"
    ),
    Column.SURVEY: _l(
        "customer survey: self-selection, response rates, question wording, scale effects"
    ),
}


# --- the survey method ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyFigures:
    """The satisfaction-survey method of a scope: the headline figures pooled over its surveys.

    Pooling adds up the answer counts per scale value of each contributing survey's headline
    questions (its first CSAT, NPS and CES question, as ``surveys.results`` defines the headline)
    and computes the figures once from the sums. So every response weighs the same — a survey
    with more responses weighs more — and the intervals are those of the pooled sample; averaging
    the surveys' figures instead would give a small survey the weight of a large one.
    """

    #: Surveys whose responses count (at least their min_responses in the period).
    survey_ids: tuple[int, ...]
    #: Surveys with responses in the period, but fewer than their min_responses: they
    #: contribute nothing (their respondents could be singled out).
    withheld_survey_ids: tuple[int, ...]
    #: The survey the targets come from: the latest published of the contributing ones.
    target_survey_id: int | None
    #: Responses of the contributing surveys in the period.
    responses: int
    #: The days whose responses count (None: all).
    period: tuple[dt.date, dt.date] | None
    csat: Figure | None
    csat_mean: Figure | None
    nps: Figure | None
    ces: Figure | None
    #: Responses through a personal invitation / invitations delivered (bounced, failed and
    #: queued ones left out), pooled over the contributing surveys (Wilson; no target: surveys
    #: set none). None without delivered invitations (e.g. public links only).
    response_rate: Figure | None = None
    #: Its numerator and denominator.
    invitation_responses: int = 0
    invitations_delivered: int = 0
    #: Pooled answers per scale value (zeros left out).
    csat_counts: Mapping[int, int] = field(default_factory=dict)
    nps_counts: Mapping[int, int] = field(default_factory=dict)
    ces_counts: Mapping[int, int] = field(default_factory=dict)

    @property
    def csat_satisfied(self) -> int:
        """CSAT answers of 4 or 5."""
        return self.csat_counts.get(4, 0) + self.csat_counts.get(5, 0)


def survey_period(scope: ReportScope) -> tuple[dt.date, dt.date] | None:
    """The days whose survey responses belong to ``scope``: its period; else, for given waves,
    from the earliest wave start to the latest wave end; else None (all responses)."""
    if scope.period is not None:
        return scope.period
    if not scope.wave_ids:
        return None
    start, end = db.session.execute(
        select(func.min(Wave.period_start), func.max(Wave.period_end)).where(
            Wave.id.in_(scope.wave_ids), Wave.client_id == scope.client_id
        )
    ).one()
    return None if start is None or end is None else (start, end)


def survey_figures(scope: ReportScope) -> SurveyFigures | None:
    """The satisfaction-survey method of ``scope``; None when no survey has a response in it.

    Which surveys: the client's published surveys (archived ones included: their responses stay
    valid for past periods) that are about at least one of the scope's channels or about no
    channel in particular — every published survey of the client when the scope names no
    channels. Which responses: all responses of such a survey submitted in ``survey_period``;
    they are not cut by channel (a survey speaks for its channels as a whole, and a channel cut
    is the results page's, with its suppression rules). A survey with fewer responses there than
    its ``min_responses`` contributes nothing. Targets: the latest published contributing
    survey's (``published_at``, then id). The response rate pools invitation responses in the
    period over the contributing surveys' delivered invitations (capped at 100 %, as the results
    page does). Four queries.
    """
    query = (
        select(Survey)
        .where(Survey.client_id == scope.client_id, Survey.published_at.is_not(None))
        .options(selectinload(Survey.questions))
    )
    if scope.channel_ids:
        query = query.where(
            or_(~Survey.channels.any(), Survey.channels.any(Channel.id.in_(scope.channel_ids)))
        )
    surveys = {survey.id: survey for survey in db.session.scalars(query)}
    if not surveys:
        return None
    period = survey_period(scope)
    in_period = [] if period is None else [Response.submitted_on.between(*period)]
    by_source = db.session.execute(
        select(Response.survey_id, Response.source, func.count(Response.id))
        .where(Response.survey_id.in_(surveys), *in_period)
        .group_by(Response.survey_id, Response.source)
    ).all()
    responses: dict[int, int] = defaultdict(int)
    invited_responses: dict[int, int] = defaultdict(int)
    for survey_id, source, n in by_source:
        responses[survey_id] += n
        if source is ResponseSource.INVITATION:
            invited_responses[survey_id] += n
    if not responses:
        return None
    counted = sorted(
        survey_id
        for survey_id, n in responses.items()
        if n >= max(1, surveys[survey_id].min_responses)
    )
    withheld = tuple(sorted(set(responses) - set(counted)))
    headline: dict[int, QuestionKind] = {}
    for survey_id in counted:
        for kind, question_id in headline_questions(list(surveys[survey_id].questions)).items():
            headline[question_id] = kind
    pooled: dict[QuestionKind, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if headline:
        rows = db.session.execute(
            select(Answer.question_id, Answer.number, func.count(Answer.id))
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.question_id.in_(headline), Answer.number.is_not(None), *in_period)
            .group_by(Answer.question_id, Answer.number)
        ).all()
        for question_id, number, count in rows:
            kind = headline[question_id]
            low, high = FIXED_SCALES[kind]
            if low <= number <= high:
                pooled[kind][int(number)] += int(count)
    latest = max(
        (surveys[survey_id] for survey_id in counted),
        key=lambda s: (s.published_at, s.id),
        default=None,
    )
    # the invitation page's and the results' one rule of "delivered"
    delivered = sum(delivered_invitations(counted).values())
    responded = min(sum(invited_responses[i] for i in counted), delivered)
    rate = share_estimate(responded, delivered)
    figures = _survey_figures(
        counted, withheld, latest, sum(responses[i] for i in counted), period, pooled
    )
    return dataclasses.replace(
        figures,
        response_rate=rate.against(None) if rate else None,
        invitation_responses=responded,
        invitations_delivered=delivered,
    )


def _survey_figures(
    counted: Sequence[int],
    withheld: tuple[int, ...],
    latest: Survey | None,
    responses: int,
    period: tuple[dt.date, dt.date] | None,
    pooled: Mapping[QuestionKind, Mapping[int, int]],
) -> SurveyFigures:
    csat_counts = dict(pooled.get(QuestionKind.CSAT, {}))
    nps_counts = dict(pooled.get(QuestionKind.NPS, {}))
    ces_counts = dict(pooled.get(QuestionKind.CES, {}))
    satisfaction = csat(csat_counts)
    promoters = sum(c for v, c in nps_counts.items() if v >= PROMOTER_MIN)
    detractors = sum(c for v, c in nps_counts.items() if v <= DETRACTOR_MAX)
    passives = sum(nps_counts.values()) - promoters - detractors
    net = nps_estimate(promoters, passives, detractors)
    effort = ces_from_counts(ces_counts)
    targets = latest
    return SurveyFigures(
        survey_ids=tuple(counted),
        withheld_survey_ids=withheld,
        target_survey_id=None if latest is None else latest.id,
        responses=responses,
        period=period,
        csat=None
        if satisfaction is None
        else satisfaction.share.against(targets.target_csat if targets else None),
        csat_mean=None if satisfaction is None else satisfaction.mean.against(None),
        nps=None if net is None else net.against(targets.target_nps if targets else None),
        ces=None if effort is None else effort.against(targets.target_ces if targets else None),
        csat_counts=csat_counts,
        nps_counts=nps_counts,
        ces_counts=ces_counts,
    )


# --- the matrix -----------------------------------------------------------------------------------


class CellSource(enum.Enum):
    """What a cell's share is (see the module docstring)."""

    ANSWER_RATE = "answer_rate"
    FRT_WITHIN_TARGET = "frt_within_target"
    ITEMS = "items"
    CSAT = "csat"


@dataclass(frozen=True)
class Cell:
    """One share of the matrix with its interval and target. ``figure.n`` counts the cases: sent
    inquiries or contacts for the mystery views, CSAT answers for the survey. ``successes`` of
    ``answers`` is the share's fraction: the same cases for a plain share (Wilson interval), the
    passing of the applicable answers for a pooled one (source ITEMS, contact-clustered
    interval)."""

    column: Column
    #: None for the mystery contacts' overall view.
    dimension: QualityDimension | None
    source: CellSource
    figure: Figure
    successes: int
    #: The scorecard items pooled (source ITEMS).
    item_ids: tuple[int, ...] = ()
    #: The denominator of the share: applicable answers (source ITEMS), else ``figure.n``.
    answers: int = 0

    def __post_init__(self) -> None:
        if not self.answers:
            object.__setattr__(self, "answers", self.figure.n)

    @property
    def method(self) -> Method:
        return COLUMN_METHOD[self.column]


@dataclass(frozen=True)
class MethodMatrix:
    """Quality dimensions × views. ``cells`` holds the filled cells only."""

    scope: ReportScope
    #: The columns with at least one filled cell, in display order.
    columns: tuple[Column, ...]
    #: Every quality dimension, in DOMAIN.md's order (a row may be empty).
    rows: tuple[QualityDimension, ...]
    cells: Mapping[tuple[QualityDimension, Column], Cell]
    #: DOMAIN.md methods behind the columns (a method with a contributing source counts even
    #: when it has no filled cell, e.g. a survey without a CSAT question).
    methods_used: tuple[Method, ...]
    #: Pooled pass share of every scored item of the scope (None without scored answers).
    mystery_overall: Cell | None = None
    #: Contributing surveys (for the link to the responses behind the survey column).
    survey_ids: tuple[int, ...] = ()

    def cell(self, dimension: QualityDimension, column: Column) -> Cell | None:
        return self.cells.get((dimension, column))

    def row(self, dimension: QualityDimension) -> tuple[Cell, ...]:
        """The filled cells of a row, in column order."""
        return tuple(
            cell for column in COLUMNS if (cell := self.cells.get((dimension, column))) is not None
        )

    @property
    def too_few_methods(self) -> bool:
        """Fewer than three methods: DOMAIN.md's rule of thumb is not met; the report warns."""
        return len(self.methods_used) < MIN_METHODS


def _pool(
    column: Column,
    dimension: QualityDimension | None,
    items: Iterable[ItemPassRate],
    sums: ClusterSums | None,
) -> Cell | None:
    """A pooled pass share: value, n (contacts) and interval from the cell's per-contact
    ``sums``; the target from the items, weighted by their answers."""
    items = list(items)
    estimate = None if sums is None else pooled_share(sums)
    answers = sum(item.pass_rate.n for item in items)
    if sums is None or estimate is None or answers == 0:
        return None
    targets = [item.pass_rate.target for item in items]
    target = None
    if len(set(targets)) == 1:
        target = targets[0]  # one Soll for all (also None): no rounding from the weighting
    elif all(t is not None for t in targets):
        target = sum(t * item.pass_rate.n for t, item in zip(targets, items, strict=True)) / answers
    return Cell(
        column=column,
        dimension=dimension,
        source=CellSource.ITEMS,
        figure=estimate.against(target),
        successes=sums.passes,
        item_ids=tuple(item.item_id for item in items),
        answers=sums.answers,
    )


def _wave_cell(
    column: Column, dimension: QualityDimension, source: CellSource, figure: Figure | None
) -> Cell | None:
    if figure is None:
        return None
    return Cell(column, dimension, source, figure, round(figure.value * figure.n))


def method_matrix(mystery: MysteryFigures, survey: SurveyFigures | None) -> MethodMatrix:
    """The dimension × method matrix of one scope (cells as the module docstring defines)."""
    pools = {
        (pool.method_dimension, pool.quality_dimension): pool.sums for pool in mystery.item_pools
    }
    by_cell: dict[tuple[MethodDimension, QualityDimension], list[ItemPassRate]] = defaultdict(list)
    for item in mystery.item_pass_rates:
        by_cell[item.method_dimension, item.quality_dimension].append(item)
    cells: dict[tuple[QualityDimension, Column], Cell] = {}
    for (view, dimension), items in by_cell.items():
        column = _VIEW_COLUMN[view]
        pooled = _pool(column, dimension, items, pools.get((view, dimension)))
        if pooled is not None:
            cells[dimension, column] = pooled
    transaction = Column.MYSTERY_TRANSACTION
    for dimension, source, figure in (
        (QualityDimension.REACHABILITY, CellSource.ANSWER_RATE, mystery.answer_rate),
        (QualityDimension.RESPONSIVENESS, CellSource.FRT_WITHIN_TARGET, mystery.frt_within_target),
    ):
        cell = _wave_cell(transaction, dimension, source, figure)
        if cell is not None:
            cells[dimension, transaction] = cell
    survey_used = survey is not None and bool(survey.survey_ids)
    if survey is not None and survey.csat is not None and survey_used:
        satisfaction = QualityDimension.SATISFACTION
        cells[satisfaction, Column.SURVEY] = Cell(
            Column.SURVEY, satisfaction, CellSource.CSAT, survey.csat, survey.csat_satisfied
        )
    columns = tuple(c for c in COLUMNS if any(column == c for _, column in cells))
    methods: list[Method] = []
    mystery_used = mystery.counts.sent + mystery.counts.not_contactable > 0
    if mystery_used or any(COLUMN_METHOD[c] is Method.MYSTERY_MONITORING for c in columns):
        methods.append(Method.MYSTERY_MONITORING)
    if survey_used:
        methods.append(Method.SATISFACTION_SURVEY)
    return MethodMatrix(
        scope=mystery.scope,
        columns=columns,
        rows=tuple(QualityDimension),
        cells=cells,
        methods_used=tuple(methods),
        mystery_overall=_pool(
            Column.MYSTERY_OVERALL, None, mystery.item_pass_rates, pools.get((None, None))
        ),
        survey_ids=survey.survey_ids if survey is not None else (),
    )


# --- disagreements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """Two methods' shares for one quality dimension (None: overall quality) that differ: the
    95 % Newcombe interval of ``first − second`` (from the two cells' own intervals) excludes
    zero."""

    dimension: QualityDimension | None
    first: Cell
    second: Cell
    difference: Interval

    @property
    def value(self) -> float:
        """first − second."""
        return self.first.figure.value - self.second.figure.value

    @property
    def biases(self) -> tuple[object, object]:
        """The likely biases of the two views (lazy translated texts from DOMAIN.md)."""
        return BIASES[self.first.column], BIASES[self.second.column]


def _compare(dimension: QualityDimension | None, first: Cell, second: Cell) -> Disagreement | None:
    difference = newcombe_from_intervals(
        first.figure.value, first.figure.interval, second.figure.value, second.figure.interval
    )
    if difference is None or not differs(difference):
        return None
    return Disagreement(dimension, first, second, difference)


def method_disagreements(matrix: MethodMatrix) -> list[Disagreement]:
    """Where two methods say significantly different things (pairs: see the module docstring),
    row by row in DOMAIN.md's order, then the overall comparison."""
    found: list[Disagreement] = []
    for dimension in matrix.rows:
        row = matrix.row(dimension)
        for index, first in enumerate(row):
            for second in row[index + 1 :]:
                disagreement = _compare(dimension, first, second)
                if disagreement is not None:
                    found.append(disagreement)
    satisfaction = matrix.row(QualityDimension.SATISFACTION)
    survey = matrix.cell(QualityDimension.SATISFACTION, Column.SURVEY)
    mystery_in_row = any(cell.method is Method.MYSTERY_MONITORING for cell in satisfaction)
    if matrix.mystery_overall is not None and survey is not None and not mystery_in_row:
        disagreement = _compare(None, matrix.mystery_overall, survey)
        if disagreement is not None:
            found.append(disagreement)
    return found
