"""Scores of an evaluation, exactly as DOMAIN.md ("Scores of an evaluation") defines them.

Pure functions on plain values: no database, no request, no translation. Views and reports
turn scorecard items into `ItemRule`s and a tester's input into `Answer`s, check them with
`validate_answers` and score them with `compute_scores`. Scores are exact floats; rounding
is the display's business, so that sums and means over many contacts stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from audits.scorecards.models import (
    Comparison,
    ItemType,
    KnockoutScope,
    MethodDimension,
    ScorecardItem,
)
from qcrm.validation import SECONDS_PER_YEAR

#: Item types compared against a threshold; without one they are recorded but not scored.
THRESHOLD_TYPES = (ItemType.NUMBER, ItemType.DURATION)
SCALE_MIN = 1
SCALE_MAX = 5
#: The largest answer of a number item (durations: a year in seconds), as for thresholds.
MAX_NUMBER_ANSWER = 1_000_000_000

# Field errors of `validate_answers`. English source strings on purpose: this module stays
# free of Flask, and the caller translates them (gettext) before showing them.
MISSING = "Please answer this item."
NOT_APPLICABLE_NOT_ALLOWED = "This item cannot be answered with “not applicable”."
VALUE_AND_NOT_APPLICABLE = "Give either an answer or “not applicable”, not both."
NOT_YES_NO = "Please answer yes or no."
NOT_SCALE = "Please choose a whole number from 1 to 5."
NOT_NUMBER = "Please enter a number of at least 0."
NOT_DURATION = "Please enter a duration in seconds of at least 0."
UNKNOWN_ITEM = "This item is not part of the scorecard."
DUPLICATE_ANSWER = "This item is answered more than once."


def field_name(item_id: int) -> str:
    """The form field of an item, so errors land next to the right criterion."""
    return f"item_{item_id}"


@dataclass(frozen=True)
class ItemRule:
    """What scoring needs of a scorecard item, detached from the database session."""

    id: int
    method_dimension: MethodDimension
    item_type: ItemType
    weight: float
    knockout: KnockoutScope | None = None
    threshold: float | None = None
    comparison: Comparison | None = None
    allows_not_applicable: bool = False

    def __post_init__(self) -> None:
        # The scorecard editor already enforces these; checking again here means a broken rule
        # fails loudly instead of producing a plausible but wrong score.
        if not math.isfinite(self.weight) or self.weight <= 0:
            raise ValueError(f"item {self.id}: the weight must be a finite number > 0")
        if self.item_type in THRESHOLD_TYPES:
            if (self.threshold is None) != (self.comparison is None):
                raise ValueError(f"item {self.id}: a threshold needs a comparison and vice versa")
            if self.threshold is not None and not math.isfinite(self.threshold):
                raise ValueError(f"item {self.id}: the threshold must be finite")
            if self.threshold is None and self.knockout is not None:
                raise ValueError(f"item {self.id}: an item that is not scored cannot knock out")
        elif self.threshold is not None or self.comparison is not None:
            raise ValueError(f"item {self.id}: only number and duration items have a threshold")

    @classmethod
    def from_item(cls, item: ScorecardItem) -> ItemRule:
        """Copy the scoring rule of a stored item, so scoring never touches the session."""
        return cls(
            id=item.id,
            method_dimension=item.method_dimension,
            item_type=item.item_type,
            weight=float(item.weight),
            knockout=item.knockout,
            threshold=None if item.threshold is None else float(item.threshold),
            comparison=item.comparison,
            allows_not_applicable=bool(item.allows_not_applicable),
        )

    @property
    def scored(self) -> bool:
        """False for number/duration items without a threshold: recorded, never scored."""
        return self.item_type not in THRESHOLD_TYPES or self.threshold is not None


@dataclass(frozen=True)
class Answer:
    """A tester's answer to one item.

    `value` is a bool for yes/no, an int 1–5 for a scale, a float for a number and a float
    number of seconds for a duration; None together with `not_applicable`.
    """

    item_id: int
    value: bool | int | float | None
    not_applicable: bool = False


@dataclass(frozen=True)
class ItemResult:
    """How one item contributed, so reports can show why a score is what it is."""

    item_id: int
    #: False when answered "not applicable": the item leaves numerator and denominator.
    applicable: bool
    #: False for number/duration items without a threshold (recorded but not scored).
    scored: bool
    #: The fraction earned by the answer alone (0–1); None when not applicable or not scored.
    earned: float | None
    #: The fraction that counts, after knock-outs (0–1); None when not applicable or not scored.
    final: float | None
    #: The answer is the item's failing one: yes/no "no", scale 1, or the threshold missed.
    failed: bool
    #: The item lies in the scope of a triggered knock-out, so its final fraction is 0
    #: (true of the triggering item as well).
    knocked_out: bool


@dataclass(frozen=True)
class Scores:
    """The scores of one evaluation, 0–100, unrounded."""

    #: Every method dimension; None when it has no applicable scored item.
    dimensions: dict[MethodDimension, float | None]
    #: Over all applicable scored items; None when there is none.
    total: float | None
    #: Ids of the knock-out items whose failing answer was given, in scorecard order.
    knockouts_triggered: list[int]
    #: One result per rule, in the order of the rules.
    items: list[ItemResult]


def _is_real(value: object) -> bool:
    """An int or float that is not a bool (bool is a subclass of int in Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _value_error(rule: ItemRule, value: object) -> str | None:
    """The error of a given (not None) value for its item, or None when it is valid."""
    if rule.item_type is ItemType.YES_NO:
        return None if isinstance(value, bool) else NOT_YES_NO
    if rule.item_type is ItemType.SCALE:
        valid = isinstance(value, int) and not isinstance(value, bool)
        return None if valid and SCALE_MIN <= value <= SCALE_MAX else NOT_SCALE
    top = SECONDS_PER_YEAR if rule.item_type is ItemType.DURATION else MAX_NUMBER_ANSWER
    valid = _is_real(value) and _is_finite(value) and 0 <= value <= top
    if valid:
        return None
    return NOT_DURATION if rule.item_type is ItemType.DURATION else NOT_NUMBER


def validate_answers(rules: Sequence[ItemRule], answers: Iterable[Answer]) -> dict[str, str]:
    """Field errors keyed "item_<id>"; empty when the answers can be scored.

    Every item needs a value or "not applicable", so that a forgotten answer is never
    silently scored as a fail or left out of the score.
    """
    by_id = {rule.id: rule for rule in rules}
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for answer in answers:
        key = field_name(answer.item_id)
        rule = by_id.get(answer.item_id)
        if rule is None:
            errors[key] = UNKNOWN_ITEM
            continue
        if answer.item_id in seen:
            errors[key] = DUPLICATE_ANSWER
            continue
        seen.add(answer.item_id)
        if answer.not_applicable:
            if not rule.allows_not_applicable:
                errors[key] = NOT_APPLICABLE_NOT_ALLOWED
            elif answer.value is not None:
                errors[key] = VALUE_AND_NOT_APPLICABLE
        elif answer.value is None:
            errors[key] = MISSING
        elif (error := _value_error(rule, answer.value)) is not None:
            errors[key] = error
    for rule in rules:
        if rule.id not in seen:
            errors.setdefault(field_name(rule.id), MISSING)
    return errors


def _earned(rule: ItemRule, answer: Answer) -> float | None:
    """The fraction of its weight an item earns (DOMAIN.md); None when it does not count."""
    value = answer.value
    if answer.not_applicable or value is None:
        return None
    if rule.item_type is ItemType.YES_NO:
        return 1.0 if value else 0.0
    if rule.item_type is ItemType.SCALE:
        return (value - SCALE_MIN) / (SCALE_MAX - SCALE_MIN)
    if rule.threshold is None:  # recorded but not scored
        return None
    if rule.comparison is Comparison.AT_MOST:
        return 1.0 if value <= rule.threshold else 0.0
    return 1.0 if value >= rule.threshold else 0.0


def _score(weighted: list[tuple[float, float]]) -> float | None:
    """100 × Σ(weight × fraction) / Σ(weight); None without any item to score."""
    if not weighted:
        return None
    numerator = math.fsum(weight * fraction for weight, fraction in weighted)
    denominator = math.fsum(weight for weight, _ in weighted)
    # Divide first: numerator ≤ denominator, so the quotient is ≤ 1 and the score ≤ 100 exactly.
    return 100.0 * (numerator / denominator)


def compute_scores(rules: Sequence[ItemRule], answers: Iterable[Answer]) -> Scores:
    """Score one evaluation per DOMAIN.md; raises ValueError on answers that do not validate.

    Knock-outs act on what the items earn, never on the denominator: a triggered dimension
    knock-out makes every applicable scored item of its dimension earn 0, so the dimension is 0
    and the total loses exactly that dimension's earned weight; a contact knock-out does this
    for every item. A dimension without applicable scored items stays None even then, because
    nothing was measured there.
    """
    answers = list(answers)
    if len({rule.id for rule in rules}) != len(rules):
        raise ValueError("the rules contain an item id twice")
    errors = validate_answers(rules, answers)
    if errors:
        raise ValueError(f"the answers cannot be scored: {errors}")
    by_id = {answer.item_id: answer for answer in answers}

    # First pass: what each answer earns on its own, and which knock-outs it triggers.
    earned: dict[int, float | None] = {}
    failed: dict[int, bool] = {}
    triggered: list[int] = []
    knocked_dimensions: set[MethodDimension] = set()
    knocked_contact = False
    for rule in rules:
        earned[rule.id] = fraction = _earned(rule, by_id[rule.id])
        # The failing answer is the one that earns nothing: "no", scale 1, threshold missed.
        failed[rule.id] = fraction == 0.0
        if rule.knockout is not None and failed[rule.id]:
            triggered.append(rule.id)
            if rule.knockout is KnockoutScope.CONTACT:
                knocked_contact = True
            else:
                knocked_dimensions.add(rule.method_dimension)

    # Second pass: apply the knock-outs and collect the weighted fractions.
    items: list[ItemResult] = []
    per_dimension: dict[MethodDimension, list[tuple[float, float]]] = {
        dimension: [] for dimension in MethodDimension
    }
    for rule in rules:
        fraction = earned[rule.id]
        counts = fraction is not None
        knocked_out = counts and (knocked_contact or rule.method_dimension in knocked_dimensions)
        final = 0.0 if knocked_out else fraction
        if final is not None:
            per_dimension[rule.method_dimension].append((rule.weight, final))
        items.append(
            ItemResult(
                item_id=rule.id,
                applicable=not by_id[rule.id].not_applicable,
                scored=rule.scored,
                earned=fraction,
                final=final,
                failed=failed[rule.id],
                knocked_out=knocked_out,
            )
        )

    return Scores(
        dimensions={dimension: _score(pairs) for dimension, pairs in per_dimension.items()},
        total=_score([pair for pairs in per_dimension.values() for pair in pairs]),
        knockouts_triggered=triggered,
        items=items,
    )
