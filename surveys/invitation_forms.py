"""Forms of the invitations page: the recipients upload, taking a preview, deleting addresses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired

from qcrm.forms import label_choices
from surveys.recipients_csv import ENCODING_LABELS


class UploadForm(FlaskForm):
    file = FileField(
        _l("Recipients (CSV file)"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    encoding = SelectField(_l("Encoding"), choices=label_choices(ENCODING_LABELS), default="auto")


class TakeForm(FlaskForm):
    """Carries the checked rows of a preview, signed, to the "take" button."""

    rows = HiddenField(validators=[DataRequired()])


class DeleteAddressesForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, delete every address of this survey (the responses stay)"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
