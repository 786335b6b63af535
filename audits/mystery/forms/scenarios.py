"""Forms for scenarios; they check the shape of the input, audits.scenarios checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import SelectChoice, enum_coerce
from wtforms.validators import DataRequired, Length, Optional

from audits.mystery.models import Difficulty, ScenarioCategory
from audits.mystery.scenarios import (
    DIFFICULTY_LABELS,
    SCENARIO_CATEGORY_LABELS,
    SCENARIO_LANGUAGES,
    TEXT_MAX,
    TITLE_MAX,
)
from qcrm.clients import CHANNEL_TYPE_LABELS
from qcrm.forms import LANGUAGE_LABELS, label_choices


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a group of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_LABELS[code]) for code in SCENARIO_LANGUAGES]


class ScenarioForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    category = SelectField(
        _l("Category"),
        choices=label_choices(SCENARIO_CATEGORY_LABELS),
        coerce=enum_coerce(ScenarioCategory),
    )
    language = SelectField(_l("Language of the script"), choices=LANGUAGE_CHOICES)
    difficulty = SelectField(
        _l("Difficulty"),
        choices=label_choices(DIFFICULTY_LABELS),
        coerce=enum_coerce(Difficulty),
        default=Difficulty.MEDIUM,
    )
    channel_types = CheckboxesField(
        _l("Suitable channel types"), choices=label_choices(CHANNEL_TYPE_LABELS)
    )
    script = TextAreaField(_l("Script"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    expected_answer = TextAreaField(
        _l("Expected answer"), validators=[Optional(), Length(max=TEXT_MAX)]
    )
    solved_criteria = TextAreaField(
        _l("What counts as solved"), validators=[Optional(), Length(max=TEXT_MAX)]
    )


class ScenarioFilterForm(FlaskForm):
    """The filters above the list, read from the query string (no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search scenarios"), validators=[Optional(), Length(max=100)])
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("All categories")), *label_choices(SCENARIO_CATEGORY_LABELS)],
        validators=[Optional()],
    )
    language = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("All languages")), *LANGUAGE_CHOICES],
        validators=[Optional()],
    )
    difficulty = SelectField(
        _l("Difficulty"),
        choices=[SelectChoice("", _l("All difficulties")), *label_choices(DIFFICULTY_LABELS)],
        validators=[Optional()],
    )
    archived = BooleanField(_l("Show archived"))
