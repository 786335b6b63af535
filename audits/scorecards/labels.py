"""Translated names of the scorecard enums, shared by the scorecard, wave and report pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
)

METHOD_DIMENSION_LABELS = {
    MethodDimension.TRANSACTION: _l("Transaction"),
    MethodDimension.COMMUNICATION: _l("Communication"),
    MethodDimension.HANDLING: _l("Handling"),
}
QUALITY_DIMENSION_LABELS = {
    QualityDimension.REACHABILITY: _l("Reachability"),
    QualityDimension.RESPONSIVENESS: _l("Responsiveness"),
    QualityDimension.INDIVIDUALITY: _l("Individuality"),
    QualityDimension.COMPETENCE: _l("Competence"),
    QualityDimension.PROCESS: _l("Process / handling"),
    QualityDimension.SATISFACTION: _l("Satisfaction"),
}
ITEM_TYPE_LABELS = {
    ItemType.YES_NO: _l("Yes / no"),
    ItemType.SCALE: _l("Scale 1–5"),
    ItemType.NUMBER: _l("Number"),
    ItemType.DURATION: _l("Duration"),
}
KNOCKOUT_SCOPE_LABELS = {
    KnockoutScope.DIMENSION: _l("Knock-out: sets its method dimension to 0"),
    KnockoutScope.CONTACT: _l("Knock-out: sets the whole contact to 0"),
}
#: Short forms for badges and table cells.
KNOCKOUT_SCOPE_SHORT_LABELS = {
    KnockoutScope.DIMENSION: _l("Knock-out: dimension"),
    KnockoutScope.CONTACT: _l("Knock-out: contact"),
}
COMPARISON_LABELS = {
    Comparison.AT_MOST: _l("at most"),
    Comparison.AT_LEAST: _l("at least"),
}
COMPARISON_SYMBOLS = {Comparison.AT_MOST: "≤", Comparison.AT_LEAST: "≥"}
DERIVED_MEASURE_LABELS = {
    DerivedMeasure.ANSWERED: _l("Answered within the answer timeout"),
    DerivedMeasure.FIRST_RESPONSE_WITHIN_TARGET: _l("First response within the target time"),
    DerivedMeasure.SOLVED_AT_FIRST_ANSWER: _l("Solved by the first answer"),
}
METHOD_DIMENSION_DESCRIPTIONS = {
    MethodDimension.TRANSACTION: _l("Counts and clocks: reached, answered, how fast."),
    MethodDimension.COMMUNICATION: _l("What the answer says and how it says it."),
    MethodDimension.HANDLING: _l("Whether the case was processed as the process says."),
}
