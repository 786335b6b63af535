"""Forms of the survey builder; they check the shape of the input, surveys.surveys the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import enum_coerce
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from qcrm.forms import label_choices
from surveys.labels import QUESTION_KIND_LABELS, SURVEY_LANGUAGE_LABELS
from surveys.models import QuestionKind
from surveys.surveys import (
    LABEL_MAX,
    MIN_RESPONSES_MAX,
    QUESTION_TEXT_MAX,
    REMINDER_DAYS_MAX,
    TEXT_MAX,
    TITLE_MAX,
)

#: Dates are entered in the local time of the installation (BABEL_DEFAULT_TIMEZONE).
LOCAL_TIME = "%Y-%m-%dT%H:%M"


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    client_id = SelectField(_l("Client"), coerce=int)
    channel_ids = SelectMultipleField(_l("Channels the survey is about"), coerce=int)
    language = SelectField(
        _l("Language of the survey"), choices=label_choices(SURVEY_LANGUAGE_LABELS), default="de"
    )
    introduction = TextAreaField(_l("Introduction"), validators=[Length(max=TEXT_MAX)])
    thank_you_text = TextAreaField(_l("Thank-you text"), validators=[Length(max=TEXT_MAX)])
    target_csat = DecimalField(
        _l("CSAT target: share of 4 and 5 at least (%)"),
        places=1,
        validators=[Optional(), NumberRange(0, 100)],
    )
    target_nps = DecimalField(
        _l("NPS target at least (−100 to 100)"),
        places=0,
        validators=[Optional(), NumberRange(-100, 100)],
    )
    target_ces = DecimalField(
        _l("CES target: mean at least (1 to 7)"),
        places=1,
        validators=[Optional(), NumberRange(1, 7)],
    )
    min_responses = IntegerField(
        _l("Show results from this many responses on"),
        default=10,
        validators=[InputRequired(), NumberRange(1, MIN_RESPONSES_MAX)],
    )
    opens_at = DateTimeLocalField(_l("Opens at"), format=LOCAL_TIME, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes at"), format=LOCAL_TIME, validators=[Optional()])
    reminder_after_days = IntegerField(
        _l("Remind those who have not answered after (days)"),
        validators=[Optional(), NumberRange(1, REMINDER_DAYS_MAX)],
    )
    public_link = BooleanField(_l("Anonymous public link"), default=True)
    delete_addresses_on_close = BooleanField(
        _l("Delete the invitation addresses when the survey closes"), default=True
    )


class QuestionForm(FlaskForm):
    kind = SelectField(
        _l("Type"),
        choices=label_choices(QUESTION_KIND_LABELS),
        coerce=enum_coerce(QuestionKind),
        default=QuestionKind.CSAT,
    )
    text = TextAreaField(_l("Question"), validators=[Length(max=QUESTION_TEXT_MAX)])
    help_text = StringField(
        _l("Hint below the question"), validators=[Length(max=QUESTION_TEXT_MAX)]
    )
    required = BooleanField(_l("An answer is required"), default=True)
    scale_max = IntegerField(
        _l("Highest value of the rating scale"),
        default=5,
        validators=[Optional(), NumberRange(2, 10)],
    )
    low_label = StringField(_l("Label of the lowest value"), validators=[Length(max=LABEL_MAX)])
    high_label = StringField(_l("Label of the highest value"), validators=[Length(max=LABEL_MAX)])
    options = TextAreaField(_l("Options, one per line"), validators=[Length(max=5000)])

    def option_lines(self) -> tuple[str, ...]:
        """The options as entered, blank lines left out."""
        return tuple(
            line.strip() for line in (self.options.data or "").splitlines() if line.strip()
        )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])
