"""The API's blueprints and its flask-smorest Api: arguments parsing, documented errors, roles
that read and write."""

from __future__ import annotations

import http

from flask_babel import gettext as _
from flask_smorest import Api, Blueprint
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from qcrm.api.pagination import PAGINATION_HEADER
from qcrm.api.problems import PROBLEM_TYPE, ProblemSchema
from qcrm.models import Role

EDITORS = (Role.ADMIN, Role.MANAGER)


READERS = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE)


class ApiArgumentsParser(FlaskParser):
    """webargs' parser, refusing a change (a partial schema) that names no field at all."""

    def pre_load(self, location_data, *, schema, req, location):
        if location == "json" and schema.partial and not location_data:
            raise ValidationError({"_schema": [_("Send at least one field to change.")]})
        return super().pre_load(location_data, schema=schema, req=req, location=location)


class ApiBlueprint(Blueprint):
    """The Blueprint of every API resource module: its arguments parser refuses empty changes,
    and a documented error answer is a problem document."""

    ARGUMENTS_PARSER = ApiArgumentsParser()

    def alt_response(self, status_code, response=None, **kwargs):
        if response is None and kwargs.get("schema") is None and int(status_code) >= 400:
            kwargs.update(schema=ProblemSchema, content_type=PROBLEM_TYPE)
        return super().alt_response(status_code, response, **kwargs)


class QcrmApi(Api):
    """flask-smorest's Api, leaving error handling to the app (problem documents for /api) and
    documenting errors as the problem documents they are."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_TYPE: {"schema": ProblemSchema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "An RFC 9457 problem document",
                "content": {PROBLEM_TYPE: {"schema": ProblemSchema}},
            },
            lazy=True,
        )

    def _register_pagination_header(self) -> None:
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)
