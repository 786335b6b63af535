"""Forms for personas and tester exclusions; audits.personas checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from audits.mystery.forms.scenarios import CheckboxesField
from audits.mystery.personas import (
    EMAIL_MAX,
    HANDLE_MAX,
    NAME_MAX,
    NOTES_MAX,
    PHONE_MAX,
    SOCIAL_PLATFORMS,
)


class PersonaForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=EMAIL_MAX)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=PHONE_MAX)])
    social_x = StringField(SOCIAL_PLATFORMS["x"], validators=[Length(max=HANDLE_MAX)])
    social_facebook = StringField(SOCIAL_PLATFORMS["facebook"], validators=[Length(max=HANDLE_MAX)])
    social_instagram = StringField(
        SOCIAL_PLATFORMS["instagram"], validators=[Length(max=HANDLE_MAX)]
    )
    social_linkedin = StringField(SOCIAL_PLATFORMS["linkedin"], validators=[Length(max=HANDLE_MAX)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=NOTES_MAX)])
    tester_ids = CheckboxesField(_l("Testers who may use this persona"), coerce=int)

    error_field_aliases = {f"social_handles.{p}": f"social_{p}" for p in SOCIAL_PLATFORMS}

    def handle_fields(self):
        return [self[f"social_{platform}"] for platform in SOCIAL_PLATFORMS]

    def social_handles(self) -> dict[str, str]:
        return {platform: self[f"social_{platform}"].data or "" for platform in SOCIAL_PLATFORMS}


class PersonaFilterForm(FlaskForm):
    """The filters above the list, read from the query string (no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search personas"), validators=[Optional(), Length(max=100)])
    archived = BooleanField(_l("Show archived"))


class ExcludedClientsForm(FlaskForm):
    client_ids = CheckboxesField(_l("Clients this tester must not audit"), coerce=int)
