"""Forms of the scorecard pages; they check the shape of input, the services check the rules."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice, enum_coerce
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from audits.scorecards.labels import (
    COMPARISON_LABELS,
    DERIVED_MEASURE_LABELS,
    ITEM_TYPE_LABELS,
    KNOCKOUT_SCOPE_LABELS,
    METHOD_DIMENSION_LABELS,
    QUALITY_DIMENSION_LABELS,
)
from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
)
from audits.scorecards.versions import (
    DESCRIPTION_LENGTH,
    HELP_TEXT_LENGTH,
    NAME_LENGTH,
    TEXT_LENGTH,
)
from qcrm.forms import label_choices


def optional_enum_coerce(enum_cls: type[enum.Enum]):
    """Like ``enum_coerce``, with the empty choice meaning None."""
    coerce = enum_coerce(enum_cls)

    def optional(value: object) -> enum.Enum | None:
        return None if value in (None, "") else coerce(value)

    return optional


def optional_choices(empty_label, labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", empty_label), *label_choices(labels)]


class DecimalFloatField(FloatField):
    """A float that also accepts a decimal comma, as German users type it."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(",", ".")]
        super().process_formdata(valuelist)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:.4f}".rstrip("0").rstrip(".")


class ScorecardForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_LENGTH)])
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_LENGTH)])


class ScorecardItemForm(FlaskForm):
    """A criterion; the duration threshold is entered in minutes, the target in per cent."""

    text = StringField(_l("Criterion"), validators=[DataRequired(), Length(max=TEXT_LENGTH)])
    help_text = TextAreaField(_l("Help for the tester"), validators=[Length(max=HELP_TEXT_LENGTH)])
    method_dimension = SelectField(
        _l("Method dimension"),
        choices=label_choices(METHOD_DIMENSION_LABELS),
        coerce=enum_coerce(MethodDimension),
    )
    quality_dimension = SelectField(
        _l("Quality dimension"),
        choices=label_choices(QUALITY_DIMENSION_LABELS),
        coerce=enum_coerce(QualityDimension),
    )
    item_type = SelectField(
        _l("Answer type"), choices=label_choices(ITEM_TYPE_LABELS), coerce=enum_coerce(ItemType)
    )
    allows_not_applicable = BooleanField(_l("“Not applicable” may be answered"))
    weight = DecimalFloatField(
        _l("Weight"), default=1.0, validators=[InputRequired()], render_kw={"inputmode": "decimal"}
    )
    knockout = SelectField(
        _l("Knock-out"),
        choices=optional_choices(_l("No knock-out"), KNOCKOUT_SCOPE_LABELS),
        coerce=optional_enum_coerce(KnockoutScope),
    )
    threshold = DecimalFloatField(
        _l("Threshold"), validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    comparison = SelectField(
        _l("Answers pass when they are"),
        choices=optional_choices(_l("No threshold"), COMPARISON_LABELS),
        coerce=optional_enum_coerce(Comparison),
    )
    target_pass_rate = DecimalFloatField(
        _l("Target: contacts that pass (%)"),
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
    )
    derived = SelectField(
        _l("Computed from the contact log"),
        choices=optional_choices(_l("No: the tester answers it"), DERIVED_MEASURE_LABELS),
        coerce=optional_enum_coerce(DerivedMeasure),
    )
