"""The SWOT rules one by one — where each holds and where it does not, small samples included —
then the whole SWOT of the fixed data set, its sentences in German and English, and that no
finding names a person (works-council mode)."""

from __future__ import annotations

import dataclasses

import pytest
from flask_babel import force_locale

from audits.mystery.models import HourBand
from audits.scorecards.models import QualityDimension
from qcrm.models import ChannelType
from qcrm.statistics import Figure, Interval, Verdict, newcombe_difference, wilson_interval
from qcrm.verdicts import verdict_label
from reports.analysis import Change, GroupFigures, ReportScope, mystery_figures
from reports.dashboard import figure_row
from reports.methods import (
    Cell,
    CellSource,
    Column,
    Disagreement,
    method_disagreements,
    method_matrix,
    survey_figures,
)
from reports.snapshot import to_json
from reports.swot import (
    ChannelFacts,
    Finding,
    Measure,
    Quadrant,
    Rule,
    Subject,
    Unit,
    channel_facts,
    format_value,
    opportunity_improving,
    sentence,
    strength_above_target,
    swot,
    threat_coverage_gap,
    threat_method_disagreement,
    threat_not_contactable,
    threat_unanswered_public_social,
    threat_worsening,
    weakness_below_target,
)
from tests.reports.test_analysis import _build
from tests.reports.test_methods import _plant

LINK = {"client_id": 1, "wave_ids": [1], "period": None, "channel_ids": []}
SCOPE = ReportScope(1, wave_ids=(1,))


def share(successes: int, n: int, target: float | None) -> Figure:
    return Figure(successes / n, n, wilson_interval(successes, n), target)


def measure(figure: Figure, unit: Unit = Unit.SHARE) -> Measure:
    return Measure(Subject.ANSWER_RATE, figure, unit, {}, LINK)


# --- strengths and weaknesses ---------------------------------------------------------------------


def test_strength_above_target():
    # 36/40 = 0.9, Wilson [0.7695, 0.9604]: the whole interval above 0.7 → strength
    finding = strength_above_target(measure(share(36, 40, 0.7)))
    assert finding.quadrant is Quadrant.STRENGTH and finding.rule is Rule.STRENGTH_ABOVE_TARGET
    assert (finding.figure, finding.n, finding.target) == (0.9, 40, 0.7)
    assert finding.interval == pytest.approx((0.7695, 0.9604), abs=5e-5)
    assert finding.link == LINK
    # above the target, but not significantly: 0.8 on 40, Wilson low 0.6518 < 0.7
    assert strength_above_target(measure(share(32, 40, 0.7))) is None
    # significant, but a small sample: 18/20, Wilson [0.6990, 0.9721] above 0.6, n < 30
    assert share(18, 20, 0.6).significantly_above_target
    assert strength_above_target(measure(share(18, 20, 0.6))) is None
    # no target, or below it
    assert strength_above_target(measure(share(36, 40, None))) is None
    assert strength_above_target(measure(share(10, 40, 0.7))) is None
    # lower is better: an FRT mean whose interval lies under the ceiling is a strength; a median
    # (no interval) never is
    fast = Figure(1200.0, 40, None, 3600.0, higher_is_better=False)
    assert strength_above_target(measure(fast, Unit.SECONDS)) is None
    fast_mean = dataclasses.replace(fast, interval=Interval(900, 1500))
    assert strength_above_target(measure(fast_mean, Unit.SECONDS)).figure == 1200.0


def test_weakness_below_target():
    # 0.4 on 40: significantly below (Wilson high 0.5540 < 0.7) → weakness
    finding = weakness_below_target(measure(share(16, 40, 0.7)))
    assert finding.quadrant is Quadrant.WEAKNESS and finding.rule is Rule.WEAKNESS_BELOW_TARGET
    assert (finding.figure, finding.n, finding.target) == (0.4, 40, 0.7)
    assert finding.interval == pytest.approx((0.2635, 0.5540), abs=5e-5)
    # 0.6 on 40 against 0.7 misses the target, but within the noise (interval [0.4464, 0.7346]
    # reaches it): the same bar as a strength, so no weakness
    assert share(24, 40, 0.7).verdict is Verdict.MISSES
    assert weakness_below_target(measure(share(24, 40, 0.7))) is None
    # meets the target, or has none → nothing
    assert weakness_below_target(measure(share(28, 40, 0.7))) is None
    assert weakness_below_target(measure(share(16, 40, None))) is None
    # small sample: 2/20 is far below, but n < 30
    assert weakness_below_target(measure(share(2, 20, 0.7))) is None
    # lower is better: an FRT median of 90 min against 60 min has no interval, so it is never
    # significant; a mean whose whole interval lies above the ceiling is a weakness
    slow = Figure(5400.0, 40, None, 3600.0, higher_is_better=False)
    assert weakness_below_target(measure(slow, Unit.SECONDS)) is None
    slow_mean = dataclasses.replace(slow, interval=Interval(4000, 6800))
    finding = weakness_below_target(measure(slow_mean, Unit.SECONDS))
    assert finding.figure == 5400.0 and finding.higher_is_better is False
    quick = dataclasses.replace(slow_mean, value=3000.0, interval=Interval(2000, 4000))
    assert weakness_below_target(measure(quick, Unit.SECONDS)) is None


def test_a_csat_just_under_its_target_is_no_weakness_but_misses_not_significant(app):
    # CSAT 31/39 = 79.5 % against 80 %: Wilson [0.6447, 0.8922] reaches the target
    near = Measure(Subject.CSAT, share(31, 39, 0.8), Unit.SHARE, {}, LINK)
    assert near.figure.verdict is Verdict.MISSES
    assert weakness_below_target(near) is None and strength_above_target(near) is None
    # 20/39 = 51.3 % on 39 ≥ 30 cases: Wilson high 0.6613 < 0.8 → significantly below, weakness
    far = Measure(Subject.CSAT, share(20, 39, 0.8), Unit.SHARE, {}, LINK)
    assert far.figure.verdict is Verdict.SIGNIFICANTLY_WORSE
    assert weakness_below_target(far).figure == pytest.approx(20 / 39)
    # the tables write the verdict in one vocabulary, in both languages
    with app.test_request_context():
        for language, near_label, far_label in (
            ("en", "misses, not significant", "significantly worse than the target"),
            ("de", "verfehlt, nicht signifikant", "signifikant schlechter als der Zielwert"),
        ):
            with force_locale(language):
                row = figure_row("csat", "CSAT", to_json(near.figure), Unit.SHARE)
                assert verdict_label(row.verdict) == near_label
                assert verdict_label(far.figure.verdict) == far_label


# --- trends ---------------------------------------------------------------------------------------


def change(now: tuple[int, int], before: tuple[int, int]) -> Change:
    return Change(
        previous=share(*before, 0.8),
        current=share(*now, 0.8),
        difference=newcombe_difference(*now, *before),
    )


def test_opportunity_improving():
    # 30/30 now against 7/10 before: Newcombe [0.0768, 0.6032] → significant improvement
    better = change((30, 30), (7, 10))
    finding = opportunity_improving(Subject.ANSWER_RATE, better, Unit.SHARE, LINK)
    assert finding.quadrant is Quadrant.OPPORTUNITY
    assert (finding.figure, finding.n, finding.target) == (1.0, 30, 0.8)
    assert finding.params["previous"] == 0.7 and finding.params["previous_n"] == 10
    assert finding.params["difference_interval"] == pytest.approx([0.0768, 0.6032], abs=5e-5)
    assert threat_worsening(Subject.ANSWER_RATE, better, Unit.SHARE, LINK) is None
    # not significant: 7/10 against 6/10 (Newcombe [−0.2817, 0.4457])
    same = change((7, 10), (6, 10))
    assert opportunity_improving(Subject.ANSWER_RATE, same, Unit.SHARE, LINK) is None
    # small samples: 4/4 against 2/4 looks like +50 points but is not significant
    small = change((4, 4), (2, 4))
    assert not small.significant
    assert opportunity_improving(Subject.ANSWER_RATE, small, Unit.SHARE, LINK) is None
    # no previous wave
    missing = Change(previous=None, current=share(30, 30, 0.8), difference=None)
    assert opportunity_improving(Subject.ANSWER_RATE, missing, Unit.SHARE, LINK) is None


def test_threat_worsening():
    worse = change((7, 10), (30, 30))
    finding = threat_worsening(Subject.ANSWER_RATE, worse, Unit.SHARE, LINK)
    assert finding.quadrant is Quadrant.THREAT and finding.rule is Rule.THREAT_WORSENING
    assert finding.params["difference"] == pytest.approx(-0.3)
    assert opportunity_improving(Subject.ANSWER_RATE, worse, Unit.SHARE, LINK) is None
    assert threat_worsening(Subject.ANSWER_RATE, change((6, 10), (7, 10)), Unit.SHARE, LINK) is None
    assert threat_worsening(Subject.ANSWER_RATE, change((2, 4), (4, 4)), Unit.SHARE, LINK) is None


# --- channel risks --------------------------------------------------------------------------------


def group(key, *, sent, answered, not_contactable=0, label="Kanal") -> GroupFigures:
    return GroupFigures(
        key=key,
        label=label,
        sent=sent,
        not_contactable=not_contactable,
        answered=answered,
        answer_rate=share(answered, sent, 0.8) if sent else None,
        frt_median=None,
        total_score=None,
    )


FACEBOOK = ChannelFacts(5, "Facebook-Seite", ChannelType.FACEBOOK, {"mon": ["00:00-24:00"]})
EMAIL = ChannelFacts(6, "Service mail", ChannelType.EMAIL, {"mon": ["08:00-18:00"]})


def test_threat_unanswered_public_social():
    # 10 of 40 unanswered: 25 %, Wilson [0.1419, 0.4019], against the ceiling 1 − 0.8 = 0.2
    finding = threat_unanswered_public_social(group(5, sent=40, answered=30), FACEBOOK, 0.8, LINK)
    assert finding.quadrant is Quadrant.THREAT
    assert finding.rule is Rule.THREAT_UNANSWERED_PUBLIC_SOCIAL
    assert (finding.figure, finding.n, finding.target) == (0.25, 40, pytest.approx(0.2))
    assert finding.interval == pytest.approx((0.1419, 0.4019), abs=5e-5)
    assert finding.params == {"channel": "Facebook-Seite", "count": 10}
    assert finding.link == {**LINK, "channel_id": 5, "outcome": "unanswered"}
    # a small sample is still a risk: one unanswered public post of 3
    small = threat_unanswered_public_social(group(5, sent=3, answered=2), FACEBOOK, 0.8, LINK)
    assert (small.params["count"], small.n) == (1, 3)
    # every inquiry answered, a private channel, or nothing sent → nothing
    assert (
        threat_unanswered_public_social(group(5, sent=40, answered=40), FACEBOOK, 0.8, LINK) is None
    )
    assert threat_unanswered_public_social(group(6, sent=40, answered=10), EMAIL, 0.8, LINK) is None
    assert (
        threat_unanswered_public_social(group(5, sent=0, answered=0), FACEBOOK, 0.8, LINK) is None
    )
    whatsapp = dataclasses.replace(FACEBOOK, type=ChannelType.WHATSAPP)
    assert (
        threat_unanswered_public_social(group(5, sent=4, answered=1), whatsapp, 0.8, LINK) is None
    )
    # without a target answer rate there is no ceiling
    assert (
        threat_unanswered_public_social(group(5, sent=40, answered=30), FACEBOOK, None, LINK).target
        is None
    )


def test_threat_not_contactable():
    # 2 not contactable of 2 + 38 = 40: 5 %
    finding = threat_not_contactable(group(6, sent=38, answered=30, not_contactable=2), EMAIL, LINK)
    assert finding.rule is Rule.THREAT_NOT_CONTACTABLE
    assert (finding.figure, finding.n, finding.target) == (0.05, 40, None)
    assert finding.link["outcome"] == "not_contactable" and finding.link["channel_id"] == 6
    # small: 1 of 1 is still a risk; none → nothing
    assert threat_not_contactable(group(6, sent=0, answered=0, not_contactable=1), EMAIL, LINK)
    assert threat_not_contactable(group(6, sent=40, answered=30), EMAIL, LINK) is None


# --- method disagreement --------------------------------------------------------------------------


def _cell(column, dimension, successes, n, target=None, source=CellSource.ITEMS):
    return Cell(column, dimension, source, share(successes, n, target), successes, (3,))


def test_threat_method_disagreement():
    first = _cell(Column.MYSTERY_OVERALL, None, 36, 40)
    second = _cell(Column.SURVEY, QualityDimension.SATISFACTION, 16, 40, 0.8, CellSource.CSAT)
    disagreement = Disagreement(None, first, second, newcombe_difference(36, 40, 16, 40))
    finding = threat_method_disagreement(disagreement, LINK)
    assert finding.quadrant is Quadrant.THREAT and finding.rule is Rule.THREAT_METHOD_DISAGREEMENT
    assert (finding.figure, finding.n, finding.target) == (0.9, 40, None)
    assert finding.params["second_figure"] == 0.4 and finding.params["second_n"] == 40
    assert finding.params["second_target"] == 0.8
    assert finding.params["difference_interval"] == pytest.approx([0.2981, 0.6493], abs=5e-5)
    assert finding.link["item_ids"] == [3]
    # the rule takes its disagreements from method_disagreements: equal methods give none, so
    # swot makes no finding (see test_swot_of_a_planted_disagreement)


# --- coverage -------------------------------------------------------------------------------------


def test_threat_coverage_gap():
    evening = group(HourBand.EVENING, sent=0, answered=0, label=None)
    late_email = dataclasses.replace(EMAIL, business_hours={"mon": ["08:00-20:00"]})
    finding = threat_coverage_gap(evening, [late_email], 40, LINK)
    assert finding.rule is Rule.THREAT_COVERAGE_GAP and finding.quadrant is Quadrant.THREAT
    assert (finding.figure, finding.n, finding.target) == (0.0, 40, None)
    assert finding.params == {"hour_band": "evening", "channels": ["Service mail"]}
    assert finding.link == {**LINK, "hour_band": "evening", "channel_ids": [6]}
    # tested at least once, no channel open then, or nothing counted at all → no gap
    once = group(HourBand.EVENING, sent=1, answered=0, label=None)
    assert threat_coverage_gap(once, [late_email], 40, LINK) is None
    assert threat_coverage_gap(evening, [], 40, LINK) is None
    assert threat_coverage_gap(evening, [late_email], 0, LINK) is None
    saturday = group(5, sent=0, answered=0, label=None)
    finding = threat_coverage_gap(saturday, [late_email], 40, LINK)
    assert finding.subject is Subject.WEEKDAY_COVERAGE and finding.link["weekday"] == 5


def test_swot_finds_coverage_gaps_from_business_hours(app, world):
    with app.app_context():
        ids = _build(world)
        mystery = mystery_figures(ReportScope(ids["client"], wave_ids=(ids["wave"],)))
        # the data set's channels: A open Mondays 08–18, C weekdays 08–16/17: nothing untested
        channels = channel_facts(mystery.scope)
        assert [c.id for c in channels] == [ids["c"], ids["a"]]  # by name
        gaps = [
            f
            for f in swot(mystery, channels=channels).threats
            if f.rule is Rule.THREAT_COVERAGE_GAP
        ]
        assert gaps == []
        # C open from 05:00 and on Saturdays as well: night and Saturday are untested (the
        # evening is not: nr 5 was sent on a Wednesday evening)
        wider = dataclasses.replace(
            channels[0], business_hours={"mon": ["05:00-22:00"], "sat": ["10:00-14:00"]}
        )
        gaps = [
            f
            for f in swot(mystery, channels=[wider, channels[1]]).threats
            if f.rule is Rule.THREAT_COVERAGE_GAP
        ]
        assert [(f.params.get("hour_band"), f.params.get("weekday")) for f in gaps] == [
            ("night", None),
            (None, 5),
        ]
        assert all(f.params["channels"] == ["Kontaktformular"] for f in gaps)
        assert all(f.n == 12 for f in gaps)  # 10 sent + 2 not contactable counted elsewhere


# --- the whole SWOT -------------------------------------------------------------------------------


def test_swot_of_the_fixed_data_set(app, world):
    with app.app_context():
        ids = _build(world)
        scope = ReportScope(ids["client"], wave_ids=(ids["wave"],))
        mystery = mystery_figures(scope)
        result = swot(mystery, channels=channel_facts(scope))
        # every figure rests on ≤ 10 cases: no strength, no weakness
        assert result.strengths == () and result.weaknesses == ()
        assert result.opportunities == ()
        # one not-contactable inquiry on each channel (nr 11 on C, nr 12 on A)
        assert [(f.rule, f.link["channel_id"], f.params["count"], f.n) for f in result.threats] == [
            (Rule.THREAT_NOT_CONTACTABLE, ids["c"], 1, 5),
            (Rule.THREAT_NOT_CONTACTABLE, ids["a"], 1, 7),
        ]


def test_swot_of_a_planted_disagreement(app, world):
    with app.app_context():
        scope = _plant(world, satisfied=16)
        mystery = mystery_figures(scope)
        survey = survey_figures(scope)
        matrix = method_matrix(mystery, survey)
        result = swot(
            mystery,
            matrix=matrix,
            disagreements=method_disagreements(matrix),
            channels=channel_facts(scope),
            survey=survey,
        )
        (disagreement,) = [f for f in result.threats if f.rule is Rule.THREAT_METHOD_DISAGREEMENT]
        assert (disagreement.figure, disagreement.params["second_figure"]) == (0.9, 0.4)
        # survey CSAT 16/40 = 0.4 against 0.8, n = 40: a significant weakness
        csat = [f for f in result.weaknesses if f.subject is Subject.CSAT]
        assert [(f.figure, f.n, f.target) for f in csat] == [(0.4, 40, 0.8)]
        assert csat[0].link["survey_ids"] == [world.survey_a.id]

        equal = _plant_equal(app, world)
        assert [f for f in equal.threats if f.rule is Rule.THREAT_METHOD_DISAGREEMENT] == []


def _plant_equal(app, world):
    """The SWOT of the planted scope with the survey's CSAT replaced by the mystery's own share
    (36/40 against 36/40): equal methods, so no disagreement and no such finding."""
    scope = ReportScope(world.client_a.id, wave_ids=(world.wave_a.id,))
    mystery = mystery_figures(scope)
    survey = survey_figures(scope)
    assert survey is not None
    same = dataclasses.replace(survey, csat=share(36, 40, 0.8), csat_counts={4: 36, 2: 4})
    matrix = method_matrix(mystery, same)
    assert method_disagreements(matrix) == []
    return swot(mystery, matrix=matrix, disagreements=method_disagreements(matrix), survey=same)


# --- sentences ------------------------------------------------------------------------------------


def _finding(rule: Rule, **extra) -> Finding:
    values = {
        "quadrant": Quadrant.WEAKNESS,
        "rule": rule,
        "subject": Subject.ANSWER_RATE,
        "figure": 0.725,
        "n": 1240,
        "target": 0.8,
        "unit": Unit.SHARE,
        "interval": (0.7, 0.75),
        "params": {},
        "link": LINK,
    }
    values.update(extra)
    return Finding(**values)


def test_format_value_in_both_languages(app):
    with app.app_context():
        expected = {
            "en": ["72.5%", "72.5", "5.43", "45 min", "3.0 h", "1,240", "–"],
            "de": ["72,5\xa0%", "72,5", "5,43", "45 min", "3,0 h", "1.240", "–"],
        }
        for language, values in expected.items():
            with force_locale(language):
                written = [
                    format_value(0.725, Unit.SHARE),
                    format_value(72.5, Unit.POINTS),
                    format_value(76 / 14, Unit.MEAN),
                    format_value(2700, Unit.SECONDS),
                    format_value(10800, Unit.SECONDS),
                    format_value(1240, Unit.COUNT),
                    format_value(None, Unit.SHARE),
                ]
            assert written == values, language


def test_sentences_carry_figure_n_and_target_in_both_languages(app):
    findings = [
        _finding(Rule.STRENGTH_ABOVE_TARGET, quadrant=Quadrant.STRENGTH, target=0.6),
        _finding(Rule.WEAKNESS_BELOW_TARGET, params={"significant": True}),
        _finding(Rule.WEAKNESS_BELOW_TARGET, params={"significant": False, "channel": "Chat"}),
        _finding(
            Rule.WEAKNESS_BELOW_TARGET,
            subject=Subject.ITEM_PASS_RATE,
            params={"item": "Persönliche Anrede", "significant": False},
        ),
        _finding(
            Rule.OPPORTUNITY_IMPROVING,
            params={
                "previous": 0.6,
                "previous_n": 800,
                "difference": 0.125,
                "difference_interval": [0.08, 0.17],
            },
        ),
        _finding(
            Rule.THREAT_WORSENING,
            params={
                "previous": 0.8,
                "previous_n": 800,
                "difference": -0.075,
                "difference_interval": [-0.11, -0.04],
            },
        ),
        _finding(
            Rule.THREAT_UNANSWERED_PUBLIC_SOCIAL,
            subject=Subject.UNANSWERED,
            params={"channel": "Facebook", "count": 341},
        ),
        _finding(
            Rule.THREAT_NOT_CONTACTABLE,
            subject=Subject.NOT_CONTACTABLE,
            params={"channel": "Hotline", "count": 341},
        ),
        _finding(
            Rule.THREAT_METHOD_DISAGREEMENT,
            subject=Subject.METHOD_CELL,
            params={
                "dimension": "reachability",
                "first_column": "mystery_transaction",
                "second_column": "survey",
                "second_figure": 0.4,
                "second_n": 50,
                "second_target": 0.8,
                "difference": 0.325,
                "difference_interval": [0.2, 0.45],
            },
        ),
    ]
    with app.app_context():
        for language, (figure, n, target, of, biases) in {
            "en": ("72.5%", "1,240", "80.0%", "of", ("self-selection", "recognised")),
            "de": ("72,5\xa0%", "1.240", "80,0\xa0%", "von", ("Selbstselektion", "erkannt")),
        }.items():
            with force_locale(language):
                for finding in findings:
                    text = sentence(finding)
                    expected_target = "60.0%" if finding.target == 0.6 else target
                    if language == "de" and finding.target == 0.6:
                        expected_target = "60,0\xa0%"
                    assert figure in text, (language, text)
                    assert f"n = {n}" in text or f"{of} {n}" in text, (language, text)
                    assert expected_target in text, (language, text)
                disagreement = sentence(findings[-1])
                assert ("40.0%" if language == "en" else "40,0\xa0%") in disagreement
                assert all(bias in disagreement for bias in biases), disagreement
                coverage = sentence(
                    Finding(
                        quadrant=Quadrant.THREAT,
                        rule=Rule.THREAT_COVERAGE_GAP,
                        subject=Subject.HOUR_BAND_COVERAGE,
                        figure=0.0,
                        n=1240,
                        target=None,
                        unit=Unit.COUNT,
                        params={"hour_band": "evening", "channels": ["Chat"]},
                    )
                )
                assert f"0 {of} {n}" in coverage and "Chat" in coverage, coverage
                assert ("Evening" if language == "en" else "Abend") in coverage


# --- works-council mode ---------------------------------------------------------------------------


def test_findings_name_no_tester_or_employee(app, world):
    with app.app_context():
        scope = _plant(world, satisfied=16)
        mystery = mystery_figures(scope)
        survey = survey_figures(scope)
        matrix = method_matrix(mystery, survey)
        result = swot(
            mystery,
            matrix=matrix,
            disagreements=method_disagreements(matrix),
            channels=channel_facts(scope),
            survey=survey,
        )
        assert result.findings
        texts = [repr(result)]
        for language in ("de", "en"):
            with force_locale(language):
                texts += [sentence(finding) for finding in result.findings]
        names = [
            world.tester.name,
            world.other_tester.name,
            world.manager.name,
            world.tester.email,
            world.persona.display_name,
            world.persona.email,
        ]
        for text in texts:
            for name in names:
                assert name not in text
        # and no link points at a person
        for finding in result.findings:
            assert not {"tester_id", "persona_id", "evaluator_id", "user_id"} & set(finding.link)
