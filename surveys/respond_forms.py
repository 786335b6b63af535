"""Forms of the respondents' pages: only the CSRF token and the public form's one-time key.

The answers themselves are read per question (``q<id>``) and checked by surveys.responses, so the
same rules apply to the pages and to the public API.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class RespondForm(FlaskForm):
    """The invitation form: a CSRF token, and the answers beside it."""


class PublicRespondForm(RespondForm):
    """The public form also carries a one-time key, so that the same form counts only once."""

    key = HiddenField()
