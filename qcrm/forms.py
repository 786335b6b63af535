"""Forms of the application core; they check the shape of input, services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice, enum_coerce
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from qcrm.clients import CHANNEL_TYPE_LABELS, CLIENT_KIND_LABELS, WEEKDAY_LABELS, WEEKDAYS
from qcrm.errors import ServiceError
from qcrm.models import ChannelType, ClientKind, Role
from qcrm.validation import text_error

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Quality manager"),
    Role.TESTER: _l("Tester"),
    Role.EXECUTIVE: _l("Executive"),
}
LANGUAGE_LABELS = {"de": "Deutsch", "en": "English"}


def label_choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(getattr(key, "value", key), label) for key, label in labels.items()]


def expected_version(value: str | None) -> int | None:
    """The version a form was filled in against (its hidden ``version`` field), for the
    optimistic lock; None when the form carries none."""
    return int(value) if value and value.isdigit() else None


def put_errors_on_form(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's field errors on the matching form fields (or on the form as a whole)."""
    aliases = getattr(form, "error_field_aliases", {})
    for name, messages in error.errors.items():
        field = form._fields.get(aliases.get(name, name))
        if field is not None and field.type not in ("HiddenField", "CSRFTokenField"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def single_line(form: FlaskForm, field: Field) -> None:
    """Form validator: the field holds no control characters (qcrm.validation's rule)."""
    message = text_error(field.data)
    if message is not None:
        raise ValidationError(message)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), single_line])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])
    remember = BooleanField(_l("Stay logged in on this device"))


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), single_line])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
    )


class LanguagePreferenceForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Use the browser’s language")),
            *label_choices(LANGUAGE_LABELS),
        ],
        validators=[Optional()],
    )


class LanguageSwitchForm(FlaskForm):
    """The switcher in the page header."""

    language = SelectField(choices=label_choices(LANGUAGE_LABELS), validators=[InputRequired()])


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
    #: The service checks the range (today to two years ahead).
    expires_on = DateField(
        _l("Valid through (optional)"),
        validators=[Optional()],
        description=_l("Leave empty for a token that is valid until you revoke it."),
    )


class ConfirmForm(FlaskForm):
    """An empty form: buttons that change something still carry a CSRF token."""


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=label_choices(ROLE_LABELS), coerce=enum_coerce(Role))
    all_clients = BooleanField(_l("Sees all clients (manager of the auditing agency)"))
    client_ids = SelectMultipleField(_l("Clients this user may see"), coerce=int)
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Use the browser’s language")),
            *label_choices(LANGUAGE_LABELS),
        ],
        validators=[Optional()],
    )
    active = BooleanField(_l("Active"), default=True)


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(
        _l("Kind"), choices=label_choices(CLIENT_KIND_LABELS), coerce=enum_coerce(ClientKind)
    )
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])


class ChannelForm(FlaskForm):
    type = SelectField(
        _l("Type"), choices=label_choices(CHANNEL_TYPE_LABELS), coerce=enum_coerce(ChannelType)
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    address = StringField(
        _l("Address, number or handle"), validators=[DataRequired(), Length(max=300)]
    )
    time_zone = StringField(
        _l("Time zone"), default="Europe/Berlin", validators=[DataRequired(), Length(max=64)]
    )
    active = BooleanField(_l("Active"), default=True)
    hours_mon = StringField(WEEKDAY_LABELS["mon"], validators=[Length(max=100)])
    hours_tue = StringField(WEEKDAY_LABELS["tue"], validators=[Length(max=100)])
    hours_wed = StringField(WEEKDAY_LABELS["wed"], validators=[Length(max=100)])
    hours_thu = StringField(WEEKDAY_LABELS["thu"], validators=[Length(max=100)])
    hours_fri = StringField(WEEKDAY_LABELS["fri"], validators=[Length(max=100)])
    hours_sat = StringField(WEEKDAY_LABELS["sat"], validators=[Length(max=100)])
    hours_sun = StringField(WEEKDAY_LABELS["sun"], validators=[Length(max=100)])

    error_field_aliases = {f"business_hours.{day}": f"hours_{day}" for day in WEEKDAYS}

    def hour_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def business_hours(self) -> dict[str, str]:
        return {day: self[f"hours_{day}"].data or "" for day in WEEKDAYS}
