"""Forms of the report pages; they check the shape of the input, reports.services the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from qcrm.input_guard import ids_in_range
from reports.dashboard import QUADRANT_LABELS
from reports.services import FINDING_TEXT_MAX, TITLE_MAX
from reports.swot import Quadrant


class ReportForm(FlaskForm):
    """A new report: a client, some of its waves and/or a period, optionally some channels."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    # unknown ids are the service's business: it says whose they must be
    client_id = SelectField(
        _l("Client"),
        coerce=int,
        validators=[InputRequired(), ids_in_range],
        validate_choice=False,
    )
    wave_ids = SelectMultipleField(
        _l("Waves"), coerce=int, validators=[Optional(), ids_in_range], validate_choice=False
    )
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    channel_ids = SelectMultipleField(
        _l("Channels"), coerce=int, validators=[Optional(), ids_in_range], validate_choice=False
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        start, end = self.period_start, self.period_end
        if not start.errors and not end.errors and (start.data is None) != (end.data is None):
            missing = end if end.data is None else start
            missing.errors = [
                *missing.errors,
                _l("Give both the start and the end of the period, or neither."),
            ]
            return False
        return valid


class FindingForm(FlaskForm):
    """A manager's wording of a finding."""

    text = TextAreaField(_l("Finding"), validators=[DataRequired(), Length(max=FINDING_TEXT_MAX)])


class NewFindingForm(FlaskForm):
    """A finding a manager adds to one quadrant."""

    quadrant = SelectField(
        _l("Quadrant"),
        choices=[SelectChoice(q.value, label) for q, label in QUADRANT_LABELS.items()],
        validators=[InputRequired()],
    )
    text = TextAreaField(
        _l("New finding"), validators=[DataRequired(), Length(max=FINDING_TEXT_MAX)]
    )

    def quadrant_value(self) -> Quadrant:
        return Quadrant(self.quadrant.data)


class PublishForm(FlaskForm):
    """Publishing freezes the figures: the manager confirms it with a tick."""

    confirm = BooleanField(
        _l("I have checked the report. Publish it: its figures are then frozen for good."),
        validators=[DataRequired()],
    )


class ComparisonForm(FlaskForm):
    """Which wave a draft's changes are measured against: the rule's, another one, or none."""

    #: "" = the previous comparable wave, "none", or a wave id; the service checks the wave.
    compare_with = SelectField(_l("Compare with"), validators=[Optional()], validate_choice=False)

    AUTOMATIC = ""
    NONE = "none"
    #: the service names the stored column
    error_field_aliases = {"comparison_wave_id": "compare_with"}

    def choice(self) -> tuple[int | None, bool]:
        """(wave id or None, no comparison) — None if the value is not one of the three."""
        value = (self.compare_with.data or "").strip()
        if value == self.AUTOMATIC:
            return None, False
        if value == self.NONE:
            return None, True
        return (int(value), False) if value.isdigit() else (-1, False)
