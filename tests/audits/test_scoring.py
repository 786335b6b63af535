"""Scores of an evaluation (DOMAIN.md): hand-computed examples, properties and validation.

Pure: no app, no database.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audits.scorecards import scoring
from audits.scorecards.models import (
    Comparison,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    ScorecardItem,
)
from audits.scorecards.scoring import Answer, ItemRule, Scores, compute_scores, validate_answers

T, C, H = MethodDimension.TRANSACTION, MethodDimension.COMMUNICATION, MethodDimension.HANDLING
YES_NO, SCALE, NUMBER, DURATION = (
    ItemType.YES_NO,
    ItemType.SCALE,
    ItemType.NUMBER,
    ItemType.DURATION,
)
AT_MOST, AT_LEAST = Comparison.AT_MOST, Comparison.AT_LEAST
DIMENSION, CONTACT = KnockoutScope.DIMENSION, KnockoutScope.CONTACT


def rule(item_id: int, dimension: MethodDimension, item_type: ItemType, weight: float, **kw):
    return ItemRule(
        id=item_id, method_dimension=dimension, item_type=item_type, weight=weight, **kw
    )


def mixed_rules() -> list[ItemRule]:
    """Weights 1, 2, 3 in each of the three method dimensions."""
    return [
        rule(1, T, YES_NO, 1),
        rule(2, T, DURATION, 2, threshold=3600, comparison=AT_MOST),
        rule(3, T, DURATION, 3, threshold=3600, comparison=AT_MOST),
        rule(4, C, SCALE, 1),
        rule(5, C, YES_NO, 2),
        rule(6, C, SCALE, 3),
        rule(7, H, YES_NO, 1, allows_not_applicable=True),
        rule(8, H, NUMBER, 2, threshold=2, comparison=AT_LEAST, allows_not_applicable=True),
        rule(9, H, SCALE, 3, allows_not_applicable=True),
    ]


def mixed_answers() -> list[Answer]:
    return [
        Answer(1, True),  # yes → 1
        Answer(2, 1800.0),  # 30 min ≤ 60 min → 1
        Answer(3, 7200.0),  # 2 h > 60 min → 0
        Answer(4, 3),  # (3 − 1) / 4 = 0.5
        Answer(5, False),  # no → 0
        Answer(6, 5),  # (5 − 1) / 4 = 1
        Answer(7, True),  # yes → 1
        Answer(8, 1.0),  # 1 < 2 (at least) → 0
        Answer(9, 2),  # (2 − 1) / 4 = 0.25
    ]


def result(scores: Scores, item_id: int) -> scoring.ItemResult:
    return next(item for item in scores.items if item.item_id == item_id)


def with_knockout(rules: list[ItemRule], item_id: int, scope: KnockoutScope) -> list[ItemRule]:
    return [dataclasses.replace(r, knockout=scope) if r.id == item_id else r for r in rules]


# Hand-computed examples -----------------------------------------------------------------------


def test_mixed_scorecard() -> None:
    scores = compute_scores(mixed_rules(), mixed_answers())
    # T: 100 × (1×1 + 2×1 + 3×0) / (1 + 2 + 3) = 100 × 3 / 6 = 50
    assert scores.dimensions[T] == pytest.approx(50.0)
    # C: 100 × (1×0.5 + 2×0 + 3×1) / 6 = 100 × 3.5 / 6 = 58.33…
    assert scores.dimensions[C] == pytest.approx(350 / 6)
    # H: 100 × (1×1 + 2×0 + 3×0.25) / 6 = 100 × 1.75 / 6 = 29.166…
    assert scores.dimensions[H] == pytest.approx(175 / 6)
    # Total: 100 × (3 + 3.5 + 1.75) / 18 = 100 × 8.25 / 18 = 45.833…
    assert scores.total == pytest.approx(825 / 18)
    assert scores.knockouts_triggered == []
    assert [item.item_id for item in scores.items] == list(range(1, 10))

    assert result(scores, 4).earned == 0.5 and not result(scores, 4).failed
    assert result(scores, 2).earned == 1.0 and not result(scores, 2).failed
    assert result(scores, 3).earned == 0.0 and result(scores, 3).failed  # over the threshold
    assert result(scores, 5).failed and result(scores, 8).failed
    assert result(scores, 9).earned == 0.25 and not result(scores, 9).failed
    assert all(item.final == item.earned and not item.knocked_out for item in scores.items)
    assert all(item.applicable and item.scored for item in scores.items)


def test_scores_are_not_rounded() -> None:
    scores = compute_scores(mixed_rules(), mixed_answers())
    # 100 × (3.5 / 6) has no short decimal form; the caller rounds for display.
    assert scores.dimensions[C] == 100.0 * (3.5 / 6)
    assert scores.dimensions[C] != round(scores.dimensions[C], 2)


@pytest.mark.parametrize(
    ("comparison", "value", "earned"),
    [
        (AT_MOST, 60.0, 1.0),  # 60 ≤ 60: the threshold itself meets "at most"
        (AT_MOST, 60.5, 0.0),
        (AT_LEAST, 60.0, 1.0),  # 60 ≥ 60: the threshold itself meets "at least"
        (AT_LEAST, 59.5, 0.0),
    ],
)
def test_threshold_is_inclusive(comparison: Comparison, value: float, earned: float) -> None:
    rules = [rule(1, T, DURATION, 1, threshold=60, comparison=comparison)]
    scores = compute_scores(rules, [Answer(1, value)])
    assert result(scores, 1).earned == earned
    assert scores.total == 100 * earned


def test_scale_fractions() -> None:
    rules = [rule(1, C, SCALE, 1)]
    earned = [result(compute_scores(rules, [Answer(1, v)]), 1).earned for v in range(1, 6)]
    # (v − 1) / 4 for v = 1…5
    assert earned == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_not_applicable_leaves_numerator_and_denominator() -> None:
    rules = [rule(1, T, YES_NO, 1), rule(2, T, YES_NO, 3, allows_not_applicable=True)]
    answered = compute_scores(rules, [Answer(1, True), Answer(2, False)])
    # Answered "no": 100 × (1×1 + 3×0) / (1 + 3) = 25
    assert answered.dimensions[T] == pytest.approx(25.0)
    not_applicable = compute_scores(rules, [Answer(1, True), Answer(2, None, not_applicable=True)])
    # Not applicable: 100 × (1×1) / 1 = 100 (its weight 3 leaves the denominator too)
    assert not_applicable.dimensions[T] == pytest.approx(100.0)
    assert not_applicable.total == pytest.approx(100.0)
    item = result(not_applicable, 2)
    assert not item.applicable and item.earned is None and item.final is None and not item.failed


def test_number_without_threshold_is_recorded_but_not_scored() -> None:
    rules = [rule(1, T, YES_NO, 1), rule(2, T, YES_NO, 1), rule(3, T, NUMBER, 5)]
    scores = compute_scores(rules, [Answer(1, True), Answer(2, False), Answer(3, 42.0)])
    # 100 × (1×1 + 1×0) / (1 + 1) = 50; the number item's weight 5 counts nowhere
    # (it would give 100 × 1 / 7 = 14.3 in the denominator, or more in the numerator).
    assert scores.dimensions[T] == pytest.approx(50.0)
    assert scores.total == pytest.approx(50.0)
    item = result(scores, 3)
    assert item.applicable and not item.scored
    assert item.earned is None and item.final is None and not item.failed


def test_only_unscored_items_give_no_score() -> None:
    scores = compute_scores([rule(1, H, NUMBER, 1)], [Answer(1, 3.0)])
    assert scores.dimensions == {T: None, C: None, H: None}
    assert scores.total is None


def test_dimension_knockout_zeroes_only_its_dimension() -> None:
    before = compute_scores(mixed_rules(), mixed_answers())
    # Item 5 (communication, "no") knocks out its dimension.
    scores = compute_scores(with_knockout(mixed_rules(), 5, DIMENSION), mixed_answers())
    assert scores.knockouts_triggered == [5]
    # C: 100 × (1×0 + 2×0 + 3×0) / 6 = 0
    assert scores.dimensions[C] == 0.0
    # T and H unchanged: 50 and 29.166…
    assert scores.dimensions[T] == before.dimensions[T]
    assert scores.dimensions[H] == before.dimensions[H]
    # Total: 100 × (3 + 0 + 1.75) / 18 = 26.388…, i.e. 45.833… − 100 × 3.5 / 18 (the earned
    # weight the communication dimension lost), with the denominator unchanged.
    assert scores.total == pytest.approx(475 / 18)
    assert scores.total == pytest.approx(before.total - 100 * 3.5 / 18)
    knocked = {item.item_id for item in scores.items if item.knocked_out}
    assert knocked == {4, 5, 6}
    assert result(scores, 6).earned == 1.0 and result(scores, 6).final == 0.0


def test_contact_knockout_zeroes_everything() -> None:
    # Item 8 (handling, number 1 below its "at least 2") knocks out the whole contact.
    scores = compute_scores(with_knockout(mixed_rules(), 8, CONTACT), mixed_answers())
    assert scores.knockouts_triggered == [8]
    # Every item earns 0: 100 × 0 / 6 = 0 per dimension, 100 × 0 / 18 = 0 in total.
    assert scores.dimensions == {T: 0.0, C: 0.0, H: 0.0}
    assert scores.total == 0.0
    assert all(item.knocked_out and item.final == 0.0 for item in scores.items)


def test_scale_one_triggers_a_knockout() -> None:
    rules = [rule(1, C, SCALE, 1, knockout=DIMENSION), rule(2, C, YES_NO, 1)]
    assert compute_scores(rules, [Answer(1, 2), Answer(2, True)]).knockouts_triggered == []
    scores = compute_scores(rules, [Answer(1, 1), Answer(2, True)])
    # Without the knock-out: 100 × (0 + 1) / 2 = 50; with it: 0.
    assert scores.knockouts_triggered == [1]
    assert scores.dimensions[C] == 0.0


def test_not_applicable_knockout_never_triggers() -> None:
    rules = mixed_rules()
    rules[6] = dataclasses.replace(rules[6], knockout=CONTACT)  # item 7, allows N/A
    answers = mixed_answers()
    answers[6] = Answer(7, None, not_applicable=True)
    scores = compute_scores(rules, answers)
    assert scores.knockouts_triggered == []
    # H without item 7: 100 × (2×0 + 3×0.25) / (2 + 3) = 15
    assert scores.dimensions[H] == pytest.approx(15.0)
    # Total: 100 × (3 + 3.5 + 0.75) / (18 − 1) = 100 × 7.25 / 17 = 42.647…
    assert scores.total == pytest.approx(725 / 17)


def test_all_not_applicable_dimension_gives_none() -> None:
    answers = mixed_answers()[:6] + [Answer(i, None, not_applicable=True) for i in (7, 8, 9)]
    scores = compute_scores(mixed_rules(), answers)
    assert scores.dimensions[H] is None
    assert scores.dimensions[T] == pytest.approx(50.0)
    assert scores.dimensions[C] == pytest.approx(350 / 6)
    # Total over T and C only: 100 × (3 + 3.5) / 12 = 54.166…
    assert scores.total == pytest.approx(650 / 12)


def test_contact_knockout_leaves_an_unmeasured_dimension_none() -> None:
    answers = mixed_answers()[:6] + [Answer(i, None, not_applicable=True) for i in (7, 8, 9)]
    scores = compute_scores(with_knockout(mixed_rules(), 5, CONTACT), answers)
    # Nothing was measured in handling, so there is no 0 to report there either.
    assert scores.dimensions == {T: 0.0, C: 0.0, H: None}
    assert scores.total == 0.0


def test_compute_scores_refuses_invalid_answers() -> None:
    with pytest.raises(ValueError, match="item_2"):
        compute_scores(mixed_rules()[:2], [Answer(1, True)])


def test_rule_from_item() -> None:
    item = ScorecardItem(
        id=17,
        position=1,
        method_dimension=T,
        quality_dimension=QualityDimension.RESPONSIVENESS,
        text="First answer within an hour",
        item_type=DURATION,
        allows_not_applicable=True,
        weight=2,
        knockout=DIMENSION,
        threshold=3600,
        comparison=AT_MOST,
    )
    assert ItemRule.from_item(item) == ItemRule(
        id=17,
        method_dimension=T,
        item_type=DURATION,
        weight=2.0,
        knockout=DIMENSION,
        threshold=3600.0,
        comparison=AT_MOST,
        allows_not_applicable=True,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"item_type": YES_NO, "weight": 0},
        {"item_type": YES_NO, "weight": -1},
        {"item_type": YES_NO, "weight": math.nan},
        {"item_type": YES_NO, "weight": 1, "threshold": 3, "comparison": AT_MOST},
        {"item_type": NUMBER, "weight": 1, "threshold": 3},
        {"item_type": NUMBER, "weight": 1, "comparison": AT_LEAST},
        {"item_type": DURATION, "weight": 1, "knockout": CONTACT},
    ],
)
def test_inconsistent_rules_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="item 1"):
        ItemRule(id=1, method_dimension=T, **kwargs)


# Validation -----------------------------------------------------------------------------------

VALIDATION_RULES = [
    rule(1, T, YES_NO, 1),
    rule(2, C, SCALE, 1),
    rule(3, H, NUMBER, 1, threshold=2, comparison=AT_LEAST),
    rule(4, T, DURATION, 1),
    rule(5, H, YES_NO, 1, allows_not_applicable=True),
]
VALID_ANSWERS = {1: Answer(1, True), 2: Answer(2, 4), 3: Answer(3, 2.5), 4: Answer(4, 90)}
VALID_ANSWERS[5] = Answer(5, None, not_applicable=True)


def answers_with(*replacements: Answer, without: int | None = None) -> list[Answer]:
    answers = dict(VALID_ANSWERS)
    answers.update({answer.item_id: answer for answer in replacements})
    answers.pop(without, None)
    return list(answers.values())


def test_valid_answers_have_no_errors() -> None:
    assert validate_answers(VALIDATION_RULES, answers_with()) == {}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        (answers_with(without=3), {"item_3": scoring.MISSING}),
        (answers_with(Answer(1, None)), {"item_1": scoring.MISSING}),
        (
            answers_with(Answer(2, None, not_applicable=True)),
            {"item_2": scoring.NOT_APPLICABLE_NOT_ALLOWED},
        ),
        (
            answers_with(Answer(5, True, not_applicable=True)),
            {"item_5": scoring.VALUE_AND_NOT_APPLICABLE},
        ),
        (answers_with(Answer(1, 1)), {"item_1": scoring.NOT_YES_NO}),
        (answers_with(Answer(1, "yes")), {"item_1": scoring.NOT_YES_NO}),
        (answers_with(Answer(2, 0)), {"item_2": scoring.NOT_SCALE}),
        (answers_with(Answer(2, 6)), {"item_2": scoring.NOT_SCALE}),
        (answers_with(Answer(2, 2.5)), {"item_2": scoring.NOT_SCALE}),
        (answers_with(Answer(2, 3.0)), {"item_2": scoring.NOT_SCALE}),
        (answers_with(Answer(2, True)), {"item_2": scoring.NOT_SCALE}),
        (answers_with(Answer(3, -0.5)), {"item_3": scoring.NOT_NUMBER}),
        (answers_with(Answer(3, math.nan)), {"item_3": scoring.NOT_NUMBER}),
        (answers_with(Answer(3, math.inf)), {"item_3": scoring.NOT_NUMBER}),
        (answers_with(Answer(3, 10**400)), {"item_3": scoring.NOT_NUMBER}),
        (answers_with(Answer(3, False)), {"item_3": scoring.NOT_NUMBER}),
        (answers_with(Answer(4, -1)), {"item_4": scoring.NOT_DURATION}),
        (answers_with(Answer(4, -math.inf)), {"item_4": scoring.NOT_DURATION}),
        (answers_with(Answer(4, "90")), {"item_4": scoring.NOT_DURATION}),
        ([*answers_with(), Answer(99, True)], {"item_99": scoring.UNKNOWN_ITEM}),
        ([*answers_with(), Answer(1, False)], {"item_1": scoring.DUPLICATE_ANSWER}),
        (
            answers_with(Answer(1, None), Answer(2, 7), without=4),
            {"item_1": scoring.MISSING, "item_2": scoring.NOT_SCALE, "item_4": scoring.MISSING},
        ),
    ],
)
def test_validation_errors_name_the_item(answers: list[Answer], errors: dict[str, str]) -> None:
    assert validate_answers(VALIDATION_RULES, answers) == errors


def test_no_answers_at_all() -> None:
    assert validate_answers(VALIDATION_RULES, []) == {
        f"item_{i}": scoring.MISSING for i in range(1, 6)
    }


def test_zero_is_a_valid_number_and_duration() -> None:
    answers = answers_with(Answer(3, 0), Answer(4, 0.0))
    assert validate_answers(VALIDATION_RULES, answers) == {}


# Properties -----------------------------------------------------------------------------------

weights = st.floats(min_value=0.01, max_value=100, allow_nan=False, allow_infinity=False)
measures = st.floats(min_value=0, max_value=10_000, allow_nan=False, allow_infinity=False)


@st.composite
def item_rules(draw: st.DrawFn, item_id: int) -> ItemRule:
    item_type = draw(st.sampled_from(ItemType))
    threshold = comparison = None
    if item_type in scoring.THRESHOLD_TYPES and draw(st.integers(0, 3)) > 0:
        threshold = draw(measures)
        comparison = draw(st.sampled_from(Comparison))
    knockout = None
    if item_type not in scoring.THRESHOLD_TYPES or threshold is not None:
        knockout = draw(st.sampled_from([None, None, None, None, DIMENSION, CONTACT]))
    return ItemRule(
        id=item_id,
        method_dimension=draw(st.sampled_from(MethodDimension)),
        item_type=item_type,
        weight=draw(weights),
        knockout=knockout,
        threshold=threshold,
        comparison=comparison,
        allows_not_applicable=draw(st.booleans()),
    )


@st.composite
def answers_for(draw: st.DrawFn, item: ItemRule) -> Answer:
    if item.allows_not_applicable and draw(st.integers(0, 3)) == 0:
        return Answer(item.id, None, not_applicable=True)
    if item.item_type is YES_NO:
        return Answer(item.id, draw(st.booleans()))
    if item.item_type is SCALE:
        return Answer(item.id, draw(st.integers(1, 5)))
    if item.threshold is not None:  # the threshold itself, to hit the boundary often
        return Answer(item.id, draw(st.one_of(measures, st.just(item.threshold))))
    return Answer(item.id, draw(measures))


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[list[ItemRule], list[Answer]]:
    count = draw(st.integers(1, 10))
    rules = [draw(item_rules(item_id)) for item_id in range(1, count + 1)]
    answers = [draw(answers_for(item)) for item in rules]
    return rules, answers


def all_scores(scores: Scores) -> list[float | None]:
    return [*scores.dimensions.values(), scores.total]


@settings(deadline=None, max_examples=200)
@given(evaluations())
def test_every_score_lies_within_0_and_100(evaluation) -> None:
    scores = compute_scores(*evaluation)
    assert set(scores.dimensions) == set(MethodDimension)
    assert all(score is None or 0 <= score <= 100 for score in all_scores(scores))
    for item in scores.items:
        assert item.final is None or 0 <= item.final <= (item.earned or 0) <= 1
        assert item.earned is not None or not item.knocked_out


@settings(deadline=None, max_examples=200)
@given(evaluations(), st.floats(min_value=0.001, max_value=1000))
def test_scaling_every_weight_changes_no_score(evaluation, factor: float) -> None:
    rules, answers = evaluation
    scaled = [dataclasses.replace(item, weight=item.weight * factor) for item in rules]
    before, after = compute_scores(rules, answers), compute_scores(scaled, answers)
    assert after.knockouts_triggered == before.knockouts_triggered
    assert after.items == before.items
    for old, new in zip(all_scores(before), all_scores(after), strict=True):
        assert (old is None) == (new is None)
        if old is not None:
            assert new == pytest.approx(old)


@settings(deadline=None, max_examples=200)
@given(evaluations(), st.data())
def test_an_item_that_earned_nothing_never_lowers_a_score_when_not_applicable(
    evaluation, data: st.DataObject
) -> None:
    rules, answers = evaluation
    before = compute_scores(rules, answers)
    nothing = [index for index, item in enumerate(before.items) if item.final == 0.0]
    assume(nothing)
    index = data.draw(st.sampled_from(nothing))
    rules = list(rules)
    rules[index] = dataclasses.replace(rules[index], allows_not_applicable=True)
    answers = list(answers)
    answers[index] = Answer(rules[index].id, None, not_applicable=True)
    after = compute_scores(rules, answers)
    for old, new in zip(all_scores(before), all_scores(after), strict=True):
        # None only when the item was the last one counted: no score is not a lower score.
        assert new is None or (old is not None and new >= old)


@settings(deadline=None, max_examples=200)
@given(evaluations(), st.data())
def test_a_triggered_knockout_zeroes_its_scope(evaluation, data: st.DataObject) -> None:
    rules, answers = evaluation
    # Add a knock-out item answered with its failing answer, anywhere in the scorecard.
    item_type = data.draw(st.sampled_from(ItemType))
    threshold = comparison = None
    failing: bool | int | float = False
    if item_type is SCALE:
        failing = 1
    elif item_type in scoring.THRESHOLD_TYPES:
        threshold, comparison = data.draw(measures), data.draw(st.sampled_from(Comparison))
        missed = 1.0 + data.draw(measures)
        failing = threshold + missed if comparison is AT_MOST else max(threshold - missed, 0.0)
        assume(not (comparison is AT_LEAST and threshold == 0))  # nothing misses "at least 0"
    knockout = ItemRule(
        id=len(rules) + 1,
        method_dimension=data.draw(st.sampled_from(MethodDimension)),
        item_type=item_type,
        weight=data.draw(weights),
        knockout=data.draw(st.sampled_from(KnockoutScope)),
        threshold=threshold,
        comparison=comparison,
    )
    position = data.draw(st.integers(0, len(rules)))
    rules = [*rules[:position], knockout, *rules[position:]]
    answers = [*answers[:position], Answer(knockout.id, failing), *answers[position:]]

    scores = compute_scores(rules, answers)
    assert knockout.id in scores.knockouts_triggered
    by_id = {item.id: item for item in rules}
    for item_id in scores.knockouts_triggered:
        trigger = by_id[item_id]
        if trigger.knockout is CONTACT:
            assert scores.total == 0.0
            assert all(score in (0.0, None) for score in scores.dimensions.values())
        else:
            assert scores.dimensions[trigger.method_dimension] == 0.0
        in_scope = [
            result
            for result, item in zip(scores.items, rules, strict=True)
            if trigger.knockout is CONTACT or item.method_dimension is trigger.method_dimension
        ]
        assert all(result.final in (0.0, None) for result in in_scope)
