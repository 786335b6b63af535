"""Hostile input refused or cleaned before it reaches the database or a spreadsheet.

PostgreSQL refuses a NUL character in text and an integer beyond its column's range; both used
to end in a server error. So every request with a NUL anywhere in its path, query, form, file
names or JSON body is answered 400 here, ids in URLs are bounded by the int converter, and
helpers bound ids and page numbers taken from query strings and forms. Characters that XML 1.0
forbids would make an XLSX unreadable: ``xml_safe`` removes them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter
from wtforms import Field, Form
from wtforms.validators import ValidationError

from qcrm.api.problems import problem_response
from qcrm.permissions import is_api_request
from qcrm.validation import MAX_ID, MAX_PAGE

logger = logging.getLogger(__name__)

NUL = "\x00"
#: What XML 1.0 forbids: control characters other than tab, newline and carriage return,
#: U+FFFE, U+FFFF and (lone) surrogates.
XML_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A surrogate on its own (JSON's \\ud800 escape): no UTF-8 encoding, so no database takes it.
LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: Endpoints that clean lone surrogates themselves: a respondent's answers are kept, cleaned.
CLEANS_SURROGATES = frozenset({"api_public_surveys.PublicResponsesResource"})


def xml_safe(text: str) -> str:
    """``text`` without the characters XML forbids (they carry no meaning in user text)."""
    return XML_FORBIDDEN_RE.sub("", text)


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to the id range: a larger number is a 404, not an
    overflow in the database."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int = MAX_ID):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


def bounded_id(value: object) -> int | None:
    """An id from user input, or None when it is not a whole number in the id range."""
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 1 <= number <= MAX_ID else None


def query_id(name: str) -> int | None:
    """The id in the query parameter ``name``; None when absent, malformed or out of range."""
    return bounded_id(request.args.get(name))


def query_page(name: str = "page") -> int:
    """The page number in the query parameter ``name``, clamped to 1 … MAX_PAGE."""
    page = request.args.get(name, 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def ids_in_range(form: Form, field: Field) -> None:
    """Form validator: the chosen id (or ids) lie in the id range."""
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(v, int) and not 1 <= v <= MAX_ID for v in values):
        raise ValidationError(_("Choose one of the entries shown."))


def _nul_fields() -> Iterator[str]:
    """The names of the request's parts that hold a NUL character."""
    if NUL in request.path:
        yield "path"
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            yield key.replace(NUL, "")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if NUL in key or NUL in value:
                    yield key.replace(NUL, "")
            for key, upload in request.files.items(multi=True):
                if NUL in key or NUL in (upload.filename or ""):
                    yield key.replace(NUL, "")
        elif request.is_json:
            yield from _json_fields(request.get_json(silent=True), "", lambda text: NUL in text)


def _surrogate_fields() -> Iterator[str]:
    """The names of the JSON body's fields that hold a lone surrogate (only JSON escapes can
    carry one: URL and form decoding replace invalid UTF-8)."""
    if request.is_json and request.endpoint not in CLEANS_SURROGATES:
        found = LONE_SURROGATE_RE.search
        yield from _json_fields(request.get_json(silent=True), "", lambda text: bool(found(text)))


def _json_fields(value: object, name: str, bad: Callable[[str], bool]) -> Iterator[str]:
    if isinstance(value, str):
        if bad(value):
            yield name
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{name}.{key}" if name else str(key)
            if bad(str(key)):
                yield XML_FORBIDDEN_RE.sub("", child)
            else:
                yield from _json_fields(item, child, bad)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_fields(item, f"{name}.{index}" if name else str(index), bad)


def refuse_hostile_characters() -> Response | None:
    """Before every request: a NUL character anywhere, or a lone surrogate in a JSON body, is a
    400 naming the field."""
    fields = list(dict.fromkeys(_nul_fields()))
    if fields:
        message = _("The input contains a NUL character (U+0000), which is not allowed.")
    else:
        fields = list(dict.fromkeys(_surrogate_fields()))
        if not fields:
            return None
        message = _(
            "The input contains a lone surrogate (U+D800 to U+DFFF), which is not valid Unicode."
        )
    logger.info("Refused a request with hostile characters in %r", fields)
    if is_api_request():
        errors = [{"field": field, "message": message} for field in fields]
        return problem_response(400, message, errors)
    return Response(
        render_template("errors/error.html", code=400, message=message),
        status=400,
        mimetype="text/html",
    )


def init_app(app: Flask) -> None:
    """Bound the ``int`` converter (before any route is added); refuse hostile characters
    before any other hook (rate limits, CSRF, token look-up) runs."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_hostile_characters)
