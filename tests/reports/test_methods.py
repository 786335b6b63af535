"""The method comparison: survey figures of a scope, the dimension × method matrix and the
method disagreements, checked against hand calculations.

z = 1.959964 (z² = 3.841459) throughout; Wilson intervals are written to 4 decimals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from audits.mystery.models import HourBand, InquiryStatus, Scenario, Wave
from audits.scorecards.models import ItemType, MethodDimension, QualityDimension, ScorecardItem
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType
from qcrm.statistics import ClusterSums, Figure, wilson_interval
from reports.analysis import ItemPassRate, ItemPool, ReportScope, mystery_figures
from reports.methods import (
    Cell,
    CellSource,
    Column,
    Method,
    MethodMatrix,
    method_disagreements,
    method_matrix,
    survey_figures,
    survey_period,
)
from surveys.models import Question, QuestionKind, Survey
from surveys.results import Period, survey_results
from tests.reports.test_analysis import Builder, _build, approx4
from tests.surveys.results_helpers import INV, add_fixed_responses, add_response

JAN = (dt.date(2030, 1, 1), dt.date(2030, 1, 31))
R, IN, CO, PR, SA = (
    QualityDimension.REACHABILITY,
    QualityDimension.INDIVIDUALITY,
    QualityDimension.COMPETENCE,
    QualityDimension.PROCESS,
    QualityDimension.SATISFACTION,
)
T, C, H, SV = (
    Column.MYSTERY_TRANSACTION,
    Column.MYSTERY_COMMUNICATION,
    Column.MYSTERY_HANDLING,
    Column.SURVEY,
)


def _survey(client_id, title, *, published=None, channels=(), minimum=3, targets=(0.8, 20, 5.5)):
    survey = Survey(
        client_id=client_id,
        title=title,
        min_responses=minimum,
        published_at=published,
        target_csat=targets[0],
        target_nps=targets[1],
        target_ces=targets[2],
        channels=list(channels),
        questions=[
            Question(position=1, kind=QuestionKind.CSAT, text="CSAT"),
            Question(position=2, kind=QuestionKind.NPS, text="NPS"),
            Question(position=3, kind=QuestionKind.CES, text="CES"),
        ],
    )
    db.session.add(survey)
    db.session.flush()
    return survey


def _answers(survey, rows, day, channel_id=None):
    """rows of (csat, nps, ces): one response each."""
    for csat, nps, ces in rows:
        add_response(survey.id, (csat, nps, ces, None, None, (), None, None, day, INV), channel_id)
    db.session.flush()


# --- survey figures -------------------------------------------------------------------------------


def test_survey_figures_pool_the_surveys_of_the_scope(app, world):
    with app.app_context():
        client, channel_a = world.client_a.id, world.channel_a.id
        # survey_a (the world's, about channel A, min 3, targets 0.8 / 20 / 5.5, published
        # 2029-12-01): the fixed responses; in January the first ten count (two are in February):
        # CSAT 5 5 5 4 4 4 4 4 4 3 → 9 of 10 satisfied; NPS 10 10 9 9 9 8 8 7 7 6 → 5 promoters,
        # 4 passives, 1 detractor; CES 7 7 7 6 6 6 6 5 5 5 → Σ 60
        add_fixed_responses(world.survey_a.id, channel_a)
        # survey C: general (no channel), published later: its targets win; 4 in January
        survey_c = _survey(
            client,
            "Allgemein",
            published=dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
            targets=(0.75, 10, 5.0),
        )
        _answers(survey_c, [(5, 10, 7), (2, 3, 2), (1, 0, 1), (4, 8, 6)], dt.date(2030, 1, 20))
        _answers(survey_c, [(5, 10, 7)], dt.date(2030, 3, 1))  # outside the period
        # survey D: 2 responses, min 5 → withheld, contributes nothing
        survey_d = _survey(
            client, "Klein", published=dt.datetime(2029, 12, 1, tzinfo=dt.UTC), minimum=5
        )
        _answers(survey_d, [(1, 0, 1), (1, 0, 1)], dt.date(2030, 1, 10))
        # a draft survey and client B's survey never count
        draft = _survey(client, "Entwurf")
        _answers(draft, [(1, 0, 1)] * 5, dt.date(2030, 1, 10))
        _answers(db.session.get(Survey, world.survey_b.id), [(1, 0, 1)] * 5, dt.date(2030, 1, 10))
        # survey F: about another channel of client A
        other = Channel(client_id=client, type=ChannelType.X, name="X", address="@aue")
        db.session.add(other)
        db.session.flush()
        survey_f = _survey(
            client,
            "X",
            published=dt.datetime(2029, 11, 1, tzinfo=dt.UTC),
            channels=[other],
        )
        _answers(survey_f, [(5, 10, 7)] * 3, dt.date(2030, 1, 10))
        db.session.commit()

        figures = survey_figures(ReportScope(client, period=JAN, channel_ids=(channel_a,)))
        assert figures is not None
        assert figures.survey_ids == (world.survey_a.id, survey_c.id)
        assert figures.withheld_survey_ids == (survey_d.id,)
        assert figures.target_survey_id == survey_c.id
        assert figures.responses == 14
        # Pooled CSAT: (9 + 2) / (10 + 4) = 11/14 = 0.7857, Wilson [0.5241, 0.9243], target 0.75
        assert figures.csat.value == pytest.approx(11 / 14)
        assert figures.csat.n == 14
        assert figures.csat.interval.low == approx4(0.5241)
        assert figures.csat.interval.high == approx4(0.9243)
        assert figures.csat.target == 0.75
        assert figures.csat_satisfied == 11
        # NPS: promoters 5 + 1, passives 4 + 1, detractors 1 + 2 → 100 × (6 − 3) / 14 = 21.43
        assert figures.nps.value == pytest.approx(300 / 14)
        assert figures.nps.n == 14 and figures.nps.target == 10
        # CES: (60 + 7 + 2 + 1 + 6) / 14 = 76 / 14 = 5.4286, target 5
        assert figures.ces.value == pytest.approx(76 / 14)
        assert figures.ces.target == 5.0
        assert figures.csat_counts == {5: 4, 4: 7, 3: 1, 2: 1, 1: 1}

        # Without a channel filter survey F (about channel X) counts as well: 14 + 3
        everything = survey_figures(ReportScope(client, period=JAN))
        assert everything.survey_ids == (world.survey_a.id, survey_c.id, survey_f.id)
        assert everything.csat.n == 17 and everything.csat_satisfied == 14


def test_one_survey_gives_the_results_page_figures(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id)
        survey = db.session.get(Survey, world.survey_a.id)
        figures = survey_figures(ReportScope(world.client_a.id, period=JAN))
        page = survey_results(survey, period=Period(*JAN)).headline
        assert figures.csat == page.csat
        assert figures.csat_mean == page.csat_mean
        assert figures.nps == page.nps
        assert figures.ces == page.ces


def test_survey_period_and_nothing_to_report(app, world):
    with app.app_context():
        client = world.client_a.id
        # the waves' span: wave A runs 2030-01-07 … 2030-01-18
        assert survey_period(ReportScope(client, wave_ids=(world.wave_a.id,))) == (
            dt.date(2030, 1, 7),
            dt.date(2030, 1, 18),
        )
        assert survey_period(ReportScope(client, period=JAN)) == JAN
        assert survey_period(ReportScope(client)) is None
        # no response at all → None
        assert survey_figures(ReportScope(client, period=JAN)) is None
        # responses only below the minimum (3): figures without a contributing survey
        _answers(db.session.get(Survey, world.survey_a.id), [(5, 10, 7)] * 2, dt.date(2030, 1, 8))
        db.session.commit()
        figures = survey_figures(ReportScope(client, period=JAN))
        assert figures.survey_ids == () and figures.withheld_survey_ids == (world.survey_a.id,)
        assert figures.csat is None and figures.nps is None and figures.ces is None
        assert figures.responses == 0


# --- the matrix -----------------------------------------------------------------------------------


def test_matrix_of_the_fixed_data_set(app, world):
    with app.app_context():
        ids = _build(world)
        mystery = mystery_figures(ReportScope(ids["client"], wave_ids=(ids["wave"],)))
        matrix = method_matrix(mystery, None)
        # reachability × transaction: the answer rate 7/10 against the wave's 0.8
        reach = matrix.cell(R, T)
        assert reach.source is CellSource.ANSWER_RATE
        assert (reach.successes, reach.figure.n, reach.figure.target) == (7, 10, 0.8)
        # responsiveness × transaction: answered within 24 h (nr 1, 3, 4, 7) = 4/10, target 0.9
        speed = matrix.cell(QualityDimension.RESPONSIVENESS, T)
        assert speed.source is CellSource.FRT_WITHIN_TARGET
        assert (speed.successes, speed.figure.n, speed.figure.target) == (4, 10, 0.9)
        # individuality × communication: I1 7/10 (no target) + I2 5/10 (target 0.7) = 12/20
        # answers of n = 10 contacts; not every item has a target → no target.
        # Per contact (aᵢ, pᵢ): (2,2) (2,1) (2,2) (2,2) (2,0) (2,0) (2,2) (2,1) (2,2) (2,0);
        # R = 0.6, pᵢ − 0.6·aᵢ = 0.8 (5 times), −0.2 (twice), −1.2 (3 times): squares
        # 5·0.64 + 2·0.04 + 3·1.44 = 7.6; v = 7.6 / (10·9·2²)
        # = 0.0211111, z·√v = 0.284776 → [0.315224, 0.884776] (Wilson over 20: [0.3866, 0.7812])
        individual = matrix.cell(IN, C)
        assert individual.source is CellSource.ITEMS
        assert (individual.successes, individual.answers, individual.figure.n) == (12, 20, 10)
        assert individual.figure.value == 0.6
        assert individual.figure.target is None
        assert individual.figure.interval.low == approx4(0.315224)
        assert individual.figure.interval.high == approx4(0.884776)
        # process × handling: I3 8/9, target 0.9 (one answer per contact: Wilson);
        # competence × handling: I4 6/10, target 0.5
        process = matrix.cell(PR, H)
        assert (process.successes, process.figure.n, process.figure.target) == (8, 9, 0.9)
        assert process.figure.interval == wilson_interval(8, 9)
        competence = matrix.cell(CO, H)
        assert (competence.successes, competence.figure.n, competence.figure.target) == (6, 10, 0.5)
        # nothing else; no survey column
        assert set(matrix.cells) == {
            (R, T),
            (QualityDimension.RESPONSIVENESS, T),
            (IN, C),
            (PR, H),
            (CO, H),
        }
        assert matrix.columns == (T, C, H)
        assert matrix.rows == tuple(QualityDimension)
        # overall: 7 + 5 + 8 + 6 = 26 of 10 + 10 + 9 + 10 = 39 scored answers of 10 contacts:
        # (4,4) (4,2) (4,4) (4,4) (4,0) (4,1) (4,4) (4,3) (4,4) (3,0); R = 2/3; squared
        # residuals (pᵢ − 2aᵢ/3)² sum to 210/9 = 23.3333; ā = 3.9, n(n − 1)ā² = 1368.9;
        # v = 0.0170453, z·√v = 0.255889 → [0.410778, 0.922556]
        overall = matrix.mystery_overall
        assert (overall.successes, overall.answers, overall.figure.n) == (26, 39, 10)
        assert overall.figure.interval.low == approx4(0.410778)
        assert overall.figure.interval.high == approx4(0.922556)
        # one method only: warned
        assert matrix.methods_used == (Method.MYSTERY_MONITORING,)
        assert matrix.too_few_methods


def _item(item_id, method, quality, passes, n, target):
    return ItemPassRate(
        item_id=item_id,
        scorecard_version_id=1,
        position=item_id,
        text=f"I{item_id}",
        method_dimension=method,
        quality_dimension=quality,
        item_type=ItemType.YES_NO,
        knockout=None,
        pass_rate=Figure(passes / n, n, wilson_interval(passes, n), target),
        knockouts=0,
    )


def test_pooled_target_is_weighted_by_answers(app, world):
    with app.app_context():
        ids = _build(world)
        mystery = mystery_figures(ReportScope(ids["client"], wave_ids=(ids["wave"],)))
        handling = MethodDimension.HANDLING
        items = (
            _item(1, handling, PR, 27, 30, 0.9),
            _item(2, handling, PR, 5, 10, 0.5),
            # transaction items on reachability give way to the answer rate
            _item(3, MethodDimension.TRANSACTION, R, 1, 10, 0.9),
        )
        # the same answers from 20 contacts with two answers each: 12 pass both, 8 one
        pools = (
            ItemPool(handling, PR, ClusterSums.of([(2, 2)] * 12 + [(2, 1)] * 8)),
            ItemPool(MethodDimension.TRANSACTION, R, ClusterSums.of([(1, 1)] + [(1, 0)] * 9)),
        )
        replaced = dataclasses.replace(mystery, item_pass_rates=items, item_pools=pools)
        matrix = method_matrix(replaced, None)
        cell = matrix.cell(PR, H)
        # (27 + 5) / 40 = 0.8; target (0.9 × 30 + 0.5 × 10) / 40 = 32 / 40 = 0.8
        assert (cell.successes, cell.answers, cell.figure.n) == (32, 40, 20)
        assert cell.figure.target == pytest.approx(0.8)
        assert cell.figure.meets_target
        assert cell.item_ids == (1, 2)
        assert matrix.cell(R, T).source is CellSource.ANSWER_RATE
        # without sent inquiries the transaction items fill the reachability cell
        nothing = dataclasses.replace(
            replaced, answer_rate=None, frt_within_target=None, item_pass_rates=items
        )
        assert method_matrix(nothing, None).cell(R, T).source is CellSource.ITEMS


# --- pooled shares count contacts, not answers ----------------------------------------------------


def _individuality_items(world, view: MethodDimension, target: float | None) -> list:
    items = [
        ScorecardItem(
            version_id=world.version.id,
            position=10 + index + (0 if view is MethodDimension.COMMUNICATION else 4),
            method_dimension=view,
            quality_dimension=IN,
            text=f"{view.value} {index}",
            item_type=ItemType.YES_NO,
            target_pass_rate=target,
        )
        for index in range(4)
    ]
    db.session.add_all(items)
    db.session.flush()
    return items


def test_six_contacts_with_four_items_are_six_cases(app, world):
    with app.app_context():
        communication = _individuality_items(world, MethodDimension.COMMUNICATION, 0.85)
        handling = _individuality_items(world, MethodDimension.HANDLING, None)
        build = Builder(world, communication + handling)
        wave = db.session.get(Wave, world.wave_a.id)
        channel = db.session.get(Channel, world.channel_a.id)
        scenario = db.session.get(Scenario, world.scenario.id)
        # per contact: passes of the 4 communication items, of the 4 handling items
        passes = [(4, 4), (4, 4), (1, 4), (2, 4), (4, 4), (0, 3)]
        for number, (spoken, handled) in enumerate(passes):
            answers = tuple([1] * spoken + [0] * (4 - spoken) + [1] * handled + [0] * (4 - handled))
            build.contact(
                wave, channel, scenario, day=number % 5, band=HourBand.MORNING,
                status=InquiryStatus.ANSWERED, frt=(600, 600), solved=True,
                scores=(None, None, None, None), answers=answers,
            )  # fmt: skip
        db.session.commit()
        matrix = method_matrix(
            mystery_figures(ReportScope(world.client_a.id, wave_ids=(world.wave_a.id,))), None
        )
        # communication: 15 of 24 answers = 62.5 %, n = 6 contacts; clustered interval
        # (test_statistics: pᵢ − 2.5 → Σ squares 15.5, v = 15.5/480) [0.272797, 0.977203]
        # contains the target 0.85 — as 24 independent answers Wilson [0.4271, 0.7884] did not
        spoken = matrix.cell(IN, C)
        assert (spoken.successes, spoken.answers, spoken.figure.n) == (15, 24, 6)
        assert spoken.figure.value == 0.625 and spoken.figure.target == 0.85
        assert spoken.figure.interval.low == approx4(0.272797)
        assert spoken.figure.interval.high == approx4(0.977203)
        assert spoken.figure.small_sample
        assert not spoken.figure.significantly_worse
        # handling: 23 of 24; pᵢ − 23/6 = 1/6 (5 times), −5/6: Σ squares 5/6, v = (5/6) / 480
        # = 0.0017361, z·√v = 0.081665 → [0.876668, 1.040 → 1]
        handled = matrix.cell(IN, H)
        assert (handled.successes, handled.answers, handled.figure.n) == (23, 24, 6)
        assert handled.figure.interval.low == approx4(0.876668)
        assert handled.figure.interval.high == 1.0
        # Newcombe from the two clustered intervals: d = −0.333333, ε = √(0.352203² + 0.081665²)
        # = 0.361547 → upper end 0.028214 > 0: no disagreement (over answers it would be one:
        # Wilson 15/24 and 23/24 give the upper end −0.1041)
        assert method_disagreements(matrix) == []


# --- a planted disagreement -----------------------------------------------------------------------


def _plant(world, satisfied: int) -> ReportScope:
    """40 approved, answered mystery contacts whose only item (the world's "Persönliche Anrede",
    communication × individuality, no target) passes 36 times; 40 survey responses in the wave's
    period of which ``satisfied`` give CSAT 4, the rest CSAT 2."""
    wave = db.session.get(Wave, world.wave_a.id)
    channel = db.session.get(Channel, world.channel_a.id)
    scenario = db.session.get(Scenario, world.scenario.id)
    build = Builder(world, [db.session.get(ScorecardItem, world.item.id)])
    for n in range(40):
        build.contact(
            wave, channel, scenario, day=n % 5, band=HourBand.MORNING,
            status=InquiryStatus.ANSWERED, frt=(600, 600), solved=True,
            scores=(None, None, None, None), answers=(1 if n < 36 else 0,),
        )  # fmt: skip
    survey = db.session.get(Survey, world.survey_a.id)
    rows = [(4, 9, 6)] * satisfied + [(2, 3, 2)] * (40 - satisfied)
    _answers(survey, rows, dt.date(2030, 1, 9), world.channel_a.id)
    db.session.commit()
    return ReportScope(world.client_a.id, wave_ids=(world.wave_a.id,))


def test_planted_disagreement_is_found(app, world):
    with app.app_context():
        scope = _plant(world, satisfied=16)
        matrix = method_matrix(mystery_figures(scope), survey_figures(scope))
        assert matrix.columns == (T, C, SV)
        assert matrix.methods_used == (Method.MYSTERY_MONITORING, Method.SATISFACTION_SURVEY)
        assert matrix.too_few_methods  # two methods are still fewer than three
        (found,) = method_disagreements(matrix)
        assert found.dimension is None  # the classic: mystery overall vs survey CSAT
        assert found.first.column is Column.MYSTERY_OVERALL
        assert (found.first.successes, found.first.figure.n) == (36, 40)
        assert found.second.column is Column.SURVEY
        assert (found.second.successes, found.second.figure.n) == (16, 40)
        assert found.second.figure.target == 0.8
        assert found.value == pytest.approx(0.5)
        # Newcombe, p1 = 36/40 = 0.9, p2 = 16/40 = 0.4, d = 0.5
        # Wilson 36/40: centre = (0.9 + z²/80) / (1 + z²/40) = 0.948018 / 1.096036 = 0.864951,
        #   half = z / 1.096036 × √(0.9 × 0.1 / 40 + z² / 6400) = 1.788227 × 0.053388 = 0.095469
        #   → [0.7695, 0.9604]
        # Wilson 16/40: centre = (0.4 + 0.048018) / 1.096036 = 0.408762,
        #   half = 1.788227 × √(0.4 × 0.6 / 40 + 0.000600) = 1.788227 × 0.081245 = 0.145279
        #   → [0.2635, 0.5540]
        # δ = √((0.9 − 0.7695)² + (0.5540 − 0.4)²) = √(0.017035 + 0.023729) = 0.2019
        #   → low = 0.5 − 0.2019 = 0.2981
        # ε = √((0.9604 − 0.9)² + (0.4 − 0.2635)²) = √(0.003651 + 0.018637) = 0.1493
        #   → high = 0.5 + 0.1493 = 0.6493
        assert found.first.figure.interval.low == approx4(0.7695)
        assert found.second.figure.interval.high == approx4(0.5540)
        assert found.difference.low == approx4(0.2981)
        assert found.difference.high == approx4(0.6493)
        assert [str(bias) for bias in found.biases] == [
            "mystery contacts: small samples, testers may be recognised, scenario realism",
            "customer survey: self-selection, response rates, question wording, scale effects",
        ]


def test_equal_methods_give_no_disagreement(app, world):
    with app.app_context():
        scope = _plant(world, satisfied=36)
        matrix = method_matrix(mystery_figures(scope), survey_figures(scope))
        # 36/40 against 36/40: d = 0, Newcombe [−0.1438, 0.1438] contains 0
        assert method_disagreements(matrix) == []


# --- which pairs are compared (pure) --------------------------------------------------------------


def _cell(column, dimension, successes, n, target=None, source=CellSource.ITEMS):
    figure = Figure(successes / n, n, wilson_interval(successes, n), target)
    return Cell(column, dimension, source, figure, successes)


def _matrix(cells, overall=None, methods=(Method.MYSTERY_MONITORING,)):
    return MethodMatrix(
        scope=ReportScope(1),
        columns=tuple(c for c in (T, C, H, SV) if any(col == c for _, col in cells)),
        rows=tuple(QualityDimension),
        cells=cells,
        methods_used=methods,
        mystery_overall=overall,
    )


def test_pairs_within_a_row():
    # Reachability: transaction 38/40, communication 37/40, handling 20/40.
    # T vs C: d = 0.025, overlapping → nothing; T vs H and C vs H differ.
    cells = {
        (R, T): _cell(T, R, 38, 40, source=CellSource.ANSWER_RATE),
        (R, C): _cell(C, R, 37, 40),
        (R, H): _cell(H, R, 20, 40),
        (CO, C): _cell(C, CO, 10, 40),  # alone in its row: compared with nothing
    }
    found = method_disagreements(_matrix(cells))
    assert [(d.dimension, d.first.column, d.second.column) for d in found] == [
        (R, T, H),
        (R, C, H),
    ]
    assert all(d.difference.low > 0 for d in found)


def test_classic_comparison_only_without_a_mystery_satisfaction_cell():
    overall = _cell(Column.MYSTERY_OVERALL, None, 36, 40)
    survey = _cell(SV, SA, 16, 40, 0.8, CellSource.CSAT)
    # with a mystery cell in the satisfaction row, that cell is compared instead
    mystery_satisfaction = _cell(C, SA, 35, 40)
    found = method_disagreements(
        _matrix({(SA, SV): survey, (SA, C): mystery_satisfaction}, overall)
    )
    assert [(d.dimension, d.first.column, d.second.column) for d in found] == [(SA, C, SV)]
    found = method_disagreements(_matrix({(SA, SV): survey}, overall))
    assert [(d.dimension, d.first.column) for d in found] == [(None, Column.MYSTERY_OVERALL)]
    # small samples differ only when the gap is large: 8/10 against 5/10 (d = 0.3) is no
    # disagreement (Newcombe [−0.1067, 0.5999] contains 0), 9/10 against 4/10 is one
    # (Newcombe [0.0816, 0.7459])
    small_survey = _cell(SV, SA, 5, 10, 0.8, CellSource.CSAT)
    small_overall = _cell(Column.MYSTERY_OVERALL, None, 8, 10)
    assert method_disagreements(_matrix({(SA, SV): small_survey}, small_overall)) == []
    small_survey = _cell(SV, SA, 4, 10, 0.8, CellSource.CSAT)
    small_overall = _cell(Column.MYSTERY_OVERALL, None, 9, 10)
    (found,) = method_disagreements(_matrix({(SA, SV): small_survey}, small_overall))
    assert found.difference.low == approx4(0.0816)


def test_three_methods_are_enough():
    methods = (
        Method.MYSTERY_MONITORING,
        Method.SATISFACTION_SURVEY,
        Method.COMPLAINT_MANAGEMENT,
    )
    assert not _matrix({}, methods=methods).too_few_methods
    assert _matrix({}, methods=methods[:2]).too_few_methods
    assert _matrix({}, methods=()).too_few_methods
