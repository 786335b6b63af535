"""RFC 9457 problem documents: how every API error answers, and their schema."""

from __future__ import annotations

from flask import Response, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from qcrm.errors import ServiceError

PROBLEM_TYPE = "application/problem+json"


def problem_response(
    status: int, detail: str | None = None, errors: list[dict[str, str]] | None = None
) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="qcrm"'
    return response


def _flatten(messages: object, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested messages into a flat list of {field, message}."""
    if isinstance(messages, dict):
        result = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            result.extend(_flatten(value, name))
        return result
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "message": message} for message in messages]
    if isinstance(messages, list | tuple):
        return [item for m in messages for item in _flatten(m, prefix)]
    return [{"field": prefix, "message": str(messages)}]


class ProblemErrorSchema(Schema):
    field = fields.String(
        metadata={
            "description": "the field, dotted when nested or in a list (“3.email”); "
            "“_schema” for the body as a whole"
        }
    )
    message = fields.String()


class ProblemSchema(Schema):
    """An RFC 9457 problem document, as ``problem_response`` builds it."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(
        fields.Nested(ProblemErrorSchema), metadata={"description": "one entry per field message"}
    )


def http_error_problem(error: HTTPException) -> Response:
    response = _http_error_body(error)
    # the error's own headers: Allow on 405, Retry-After on 429
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _http_error_body(error: HTTPException) -> Response:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs nests messages by location ("json", "query"); the field name is what matters
        errors = [
            error
            for location, located in messages.items()
            for error in (
                _flatten(located) if isinstance(located, dict) else _flatten(located, location)
            )
        ]
        return problem_response(code, "The input is not valid.", errors)
    return problem_response(code, error.description)


def service_error_problem(error: ServiceError) -> Response:
    errors = [
        {"field": field, "message": message}
        for field, messages in error.errors.items()
        for message in messages
    ]
    return problem_response(422, "The input is not valid.", errors)
