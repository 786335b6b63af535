"""German and English: the user's preference, then the session's choice, then the browser's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_login import current_user

from qcrm.extensions import babel
from qcrm.verdicts import verdict_label


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # the command line speaks English like its own output; mails use force_locale
        return "en"
    user = g.get("api_user") if request.path.startswith("/api/") else current_user
    if user and user.is_authenticated and user.language in languages:
        return user.language
    if session.get("language") in languages:
        return session["language"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["verdict_label"] = verdict_label
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["date_short"] = lambda value: (
        format_date(value, "medium") if value else ""
    )
    app.jinja_env.filters["datetime_in"] = datetime_in
    app.jinja_env.filters["decimal"] = lambda value, digits=1: (
        "–" if value is None else format_decimal(value, format="0." + "0" * digits)
    )
    app.jinja_env.filters["percent"] = lambda share: "–" if share is None else format_percent(share)


def datetime_in(value: dt.datetime | None, time_zone: str, fmt: str = "EEE d.M. HH:mm") -> str:
    """A moment shown in another time zone (a channel's), in the user's language."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(time_zone)), fmt, rebase=False)
