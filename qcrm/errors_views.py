"""Error pages for the browser; the API answers the same errors as problem documents."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from qcrm import accounts
from qcrm.errors import ServiceError
from qcrm.permissions import is_api_request

PAGES = {400, 403, 404, 405, 413, 429, 500}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if is_api_request():
            from qcrm.api.problems import http_error_problem

            return http_error_problem(error)
        code = error.code or 500
        if code not in PAGES:
            return error
        message = None
        if code == 429 and request.endpoint == "auth.login":
            breached = getattr(error, "limit", None)  # Flask-Limiter's RateLimitExceeded
            wait = accounts.login_throttle_wait(getattr(breached, "limit", None))
            message = _(
                "Too many failed logins for this account or from this address. Please wait "
                "%(wait)s, or reset your password.",
                wait=format_timedelta(wait, threshold=1),
            )
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        """API resources let ServiceError through; pages must catch it and show it on the form."""
        if is_api_request():
            from qcrm.api.problems import service_error_problem

            return service_error_problem(error)
        raise error
