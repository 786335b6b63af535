"""The wave form: what a manager plans, checked for shape; the rules live in audits.waves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from audits.mystery.models import HourBand
from audits.mystery.schedule import WEEKDAY_CODES
from qcrm.clients import WEEKDAY_LABELS
from qcrm.forms import label_choices
from qcrm.models import ChannelType
from qcrm.validation import HOURS_PER_YEAR, MINUTES_PER_YEAR

HOUR_BAND_LABELS = {
    HourBand.NIGHT: _l("Night (0–6 h)"),
    HourBand.MORNING: _l("Morning (6–11 h)"),
    HourBand.NOON: _l("Noon (11–14 h)"),
    HourBand.AFTERNOON: _l("Afternoon (14–18 h)"),
    HourBand.EVENING: _l("Evening (18–24 h)"),
}

#: The answer timeout is entered per group of channel types that customers expect alike.
TIMEOUT_GROUPS = {
    "timeout_written": (
        _l("E-mail and web form"),
        (ChannelType.EMAIL, ChannelType.WEB_FORM, ChannelType.OTHER),
    ),
    "timeout_social": (
        _l("Social media, messengers and SMS"),
        (
            ChannelType.FACEBOOK,
            ChannelType.X,
            ChannelType.INSTAGRAM,
            ChannelType.LINKEDIN,
            ChannelType.WHATSAPP,
            ChannelType.SMS,
        ),
    ),
    "timeout_live": (
        _l("Phone, live chat and in person"),
        (ChannelType.PHONE, ChannelType.LIVE_CHAT, ChannelType.IN_PERSON),
    ),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _percent(label):
    return DecimalField(label, places=1, validators=[Optional(), NumberRange(0, 100)])


def _score(label):
    return DecimalField(label, places=1, validators=[Optional(), NumberRange(0, 100)])


def _hours(label, default):
    return DecimalField(
        label,
        places=1,
        default=default,
        validators=[InputRequired(), NumberRange(0.1, HOURS_PER_YEAR)],
    )


class WaveForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client_id = SelectField(_l("Audited client"), coerce=int)
    scorecard_version_id = SelectField(_l("Scorecard version"), coerce=int)
    period_start = DateField(_l("First day"), validators=[InputRequired()])
    period_end = DateField(_l("Last day"), validators=[InputRequired()])
    channel_ids = SelectMultipleField(_l("Channels"), coerce=int)
    scenario_ids = SelectMultipleField(_l("Scenarios"), coerce=int)
    tester_ids = SelectMultipleField(_l("Tester pool"), coerce=int)
    contacts_per_cell = IntegerField(
        _l("Contacts per channel and scenario"),
        default=3,
        validators=[InputRequired(), NumberRange(1, 1000)],
    )
    weekdays = MultiCheckboxField(
        _l("Weekdays"),
        choices=label_choices(WEEKDAY_LABELS),
        default=list(WEEKDAY_CODES[:5]),
    )
    hour_bands = MultiCheckboxField(
        _l("Times of day"),
        choices=label_choices(HOUR_BAND_LABELS),
        default=[HourBand.MORNING.value, HourBand.NOON.value, HourBand.AFTERNOON.value],
    )
    within_business_hours = BooleanField(
        _l("Only within each channel's business hours"), default=True
    )
    timeout_written = _hours(_l("E-mail and web form"), 72)
    timeout_social = _hours(_l("Social media, messengers and SMS"), 24)
    timeout_live = _hours(_l("Phone, live chat and in person"), 1)
    second_attempt_after_hours = DecimalField(
        _l("Second attempt after (hours without an answer)"),
        places=1,
        validators=[Optional(), NumberRange(0.1, HOURS_PER_YEAR)],
    )
    auto_send_email = BooleanField(_l("Send e-mail inquiries automatically from the persona"))

    target_answer_rate = _percent(_l("Answer rate at least (%)"))
    target_frt_median_minutes = DecimalField(
        _l("Median first response at most (minutes)"),
        places=0,
        validators=[Optional(), NumberRange(1, MINUTES_PER_YEAR)],
    )
    target_frt_within_hours = DecimalField(
        _l("Answered within (hours)"),
        places=1,
        validators=[Optional(), NumberRange(0.1, HOURS_PER_YEAR)],
    )
    target_frt_within_share = _percent(_l("… for at least (percent of sent inquiries)"))
    target_transaction_score = _score(_l("Transaction score at least"))
    target_communication_score = _score(_l("Communication score at least"))
    target_handling_score = _score(_l("Handling score at least"))
    target_total_score = _score(_l("Total score at least"))

    lockout_days = IntegerField(
        _l("A tester contacts a channel at most once within (days)"),
        default=7,
        validators=[InputRequired(), NumberRange(0, 365)],
    )
    persona_reuse_days = IntegerField(
        _l("A persona is reused on a channel after (days)"),
        default=14,
        validators=[InputRequired(), NumberRange(0, 365)],
    )
    daily_cap_per_tester = IntegerField(
        _l("Contacts per tester and day at most"),
        default=4,
        validators=[InputRequired(), NumberRange(1, 100)],
    )

    error_field_aliases = {
        **{
            f"answer_timeouts.{t.value}": name
            for name, (_, types) in TIMEOUT_GROUPS.items()
            for t in types
        },
    }


class GenerateForm(FlaskForm):
    new_seed = BooleanField(_l("Draw with a new random seed"))
