"""Forms of the contact page: the shape of the input; rules live in audits.contact_logs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from audits.mystery.models import ContactabilityFailure
from qcrm.models import ChannelType

CONTACTABILITY_LABELS = {
    ContactabilityFailure.NO_CONTACT_FORM: _l("No contact form or address"),
    ContactabilityFailure.PRIVATE_MESSAGES_DISABLED: _l("Private messages disabled"),
    ContactabilityFailure.PERSONAL_DATA_DEMANDED: _l("Personal data demanded before a question"),
    ContactabilityFailure.HOTLINE_NOT_REACHABLE: _l("Hotline not reachable"),
    ContactabilityFailure.OTHER: _l("Other reason"),
}
LOCAL_TIME = "%Y-%m-%dT%H:%M"
#: Channels where a tester waits in a queue and tries again: only there the contact log asks
#: for the minutes waited and the number of tries.
WAITING_CHANNEL_TYPES = frozenset({ChannelType.PHONE, ChannelType.LIVE_CHAT, ChannelType.IN_PERSON})


class SentForm(FlaskForm):
    attempt = HiddenField(validators=[InputRequired()])
    sent_at = DateTimeLocalField(
        _l("Sent at (local time of the channel)"), format=LOCAL_TIME, validators=[InputRequired()]
    )
    reason = StringField(_l("Reason for changing a recorded time"), validators=[Length(max=500)])


class ReplyForm(FlaskForm):
    received_at = DateTimeLocalField(
        _l("Received at (local time of the channel)"),
        format=LOCAL_TIME,
        validators=[InputRequired()],
    )
    sender = StringField(_l("From (person, account or number)"), validators=[Length(max=300)])
    text = TextAreaField(_l("Text of the reply"), validators=[DataRequired(), Length(max=20000)])
    is_auto_acknowledgement = BooleanField(
        _l("Only an automatic acknowledgement (“we have received your message”)")
    )


class ContactLogForm(FlaskForm):
    version = HiddenField()
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("open", _l("Still waiting, or answered (see replies)")),
            SelectChoice("no_answer", _l("No answer")),
            SelectChoice("not_contactable", _l("Contact was not possible")),
        ],
    )
    not_contactable = SelectField(
        _l("Why contact was not possible"),
        choices=[
            SelectChoice("", "–"),
            *(SelectChoice(k.value, v) for k, v in CONTACTABILITY_LABELS.items()),
        ],
        validators=[Optional()],
    )
    wait_minutes = IntegerField(
        _l("Phone: minutes waited in total"), validators=[Optional(), NumberRange(0, 10000)]
    )
    tries = IntegerField(
        _l("Phone: number of tries"), validators=[Optional(), NumberRange(0, 1000)]
    )
    solved = SelectField(
        _l("Did the first answer solve the scenario?"),
        choices=[
            SelectChoice("", "–"),
            SelectChoice("yes", _l("Yes")),
            SelectChoice("no", _l("No")),
        ],
        validators=[Optional()],
    )
    transcript = TextAreaField(_l("Transcript and notes"), validators=[Length(max=50000)])


def contact_log_form(channel_type: ChannelType, **data: object) -> ContactLogForm:
    """The contact log form of a channel: without waiting time and tries where the page does
    not show them, so a value sent for them is neither checked nor stored."""
    form = ContactLogForm(**data)
    if channel_type not in WAITING_CHANNEL_TYPES:
        del form.wait_minutes
        del form.tries
    return form


class EvidenceForm(FlaskForm):
    file = FileField(
        _l("Screenshot, image, PDF or recording"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


class ReviewForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve")),
            SelectChoice("return", _l("Return for correction")),
            SelectChoice("reopen", _l("Reopen (approved contacts)")),
        ],
    )
    comment = TextAreaField(_l("Comment for the tester"), validators=[Length(max=5000)])
