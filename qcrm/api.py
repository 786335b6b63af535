"""The JSON API under /api/v1: bearer tokens, RFC 9457 problem documents, an OpenAPI document.

Resources call the same service functions as the pages and declare their roles the same way.
"""

from __future__ import annotations

import http

import marshmallow
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, jsonify
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Api, Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from qcrm import clients as service
from qcrm.errors import ServiceError
from qcrm.extensions import csrf, db
from qcrm.models import ChannelType, Client, ClientKind, Role
from qcrm.permissions import (
    ALL_ROLES,
    PUBLIC,
    acting_user,
    allow,
    declare_endpoint,
    get_channel_or_404,
    get_client_or_404,
)
from qcrm.validation import MAX_ID, MAX_PAGE, text_pattern
from qcrm.visibility import RoleAwareSchema, visible_to

EDITORS = (Role.ADMIN, Role.MANAGER)
READERS = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE)
PAGE_SIZE = 25
PROBLEM_TYPE = "application/problem+json"
MAX_PAGE_SIZE = 200


class Id(fields.Integer):
    """An object's id in a body or query: 1 … 2**31 - 1, what PostgreSQL's INTEGER holds, so
    a larger number is a field error instead of an overflow in the database."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


#: A version counter sent back for optimistic locking: bounded like an id.
VERSION_RANGE = validate.Range(min=0, max=MAX_ID)


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


def schema_name(schema: type[Schema] | Schema) -> str:
    """OpenAPI component names: ClientSchema → Client; a partial ClientSchema → ClientPatch."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


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


#: The X-Pagination header as it is sent: a JSON object in a string.
PAGINATION_HEADER = {
    "description": "Pagination metadata, a JSON object: "
    '{"total": 37, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, '
    '"next_page": 2} (previous_page and next_page only where there is one)',
    "schema": {"type": "string"},
}


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


class MultiLineText(fields.String):
    """A text field that may hold line breaks and tabs (its service checks it with
    ``multi_line``); every other input string is single-line."""


def _text_pattern(converter, field, ret, **kwargs) -> dict:
    """Declare on every input string the control characters its service refuses (the pattern
    comes from the same rule, ``qcrm.validation.text_pattern``). Choices carry their ``enum``,
    a field with a pattern of its own keeps it; output-only fields get no pattern."""
    if not isinstance(field, fields.String) or field.dump_only or "enum" in ret or "pattern" in ret:
        return {}
    is_input = (
        field.required
        or field.load_default is not marshmallow.missing
        or any(isinstance(v, validate.Length) for v in field.validators)
    )
    if not is_input:
        return {}
    return {"pattern": text_pattern(multi_line=isinstance(field, MultiLineText))}


class ApiMarshmallowPlugin(MarshmallowPlugin):
    """Documents a change's body (a partial schema) as needing at least one field, and the
    control characters each input string refuses."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.converter.add_attribute_function(_text_pattern)

    def schema_helper(self, name, _, schema=None, **kwargs):
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        if json_schema is not None and getattr(schema, "partial", False):
            json_schema["minProperties"] = 1
        return json_schema


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


# Schemas ----------------------------------------------------------------------------------


class ClientSchema(RoleAwareSchema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=160))
    kind = fields.Enum(ClientKind, by_value=True, load_default=ClientKind.OWN)
    notes = MultiLineText(
        load_default="",
        validate=validate.Length(max=5000),
        metadata=visible_to("client.notes", "internal remarks"),
    )
    archived = fields.Boolean(attribute="is_archived", dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ClientQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})
    q = fields.String(load_default="", validate=validate.Length(max=100))


class ChannelSchema(Schema):
    id = fields.Integer(dump_only=True)
    client_id = fields.Integer(dump_only=True)
    type = fields.Enum(ChannelType, by_value=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=160))
    address = fields.String(required=True, validate=validate.Length(min=1, max=300))
    business_hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(service.WEEKDAYS)),
        values=fields.List(fields.String(validate=validate.Length(max=11))),
        load_default=dict,
        metadata={"example": {"mon": ["08:00-12:00", "13:00-17:00"], "sat": ["09:00-13:00"]}},
    )
    time_zone = fields.String(load_default="Europe/Berlin", validate=validate.Length(max=64))
    active = fields.Boolean(load_default=True)
    archived = fields.Boolean(attribute="is_archived", dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ChannelQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    language = fields.String(allow_none=True)
    sees_all_clients = fields.Boolean()
    client_ids = fields.Method("_client_ids")

    def _client_ids(self, user) -> list[int]:
        return [client.id for client in user.clients]


# Resources ----------------------------------------------------------------------------------

me_blp = ApiBlueprint("api_me", __name__, url_prefix="/api/v1/me", description="The calling user")
clients_blp = ApiBlueprint(
    "api_clients", __name__, url_prefix="/api/v1/clients", description="Audited clients"
)
channels_blp = ApiBlueprint(
    "api_channels", __name__, url_prefix="/api/v1/channels", description="Channels of clients"
)


@me_blp.route("")
class MeResource(MethodView):
    @allow(*ALL_ROLES)
    @me_blp.response(200, MeSchema)
    def get(self):
        """The user the token belongs to."""
        return acting_user()


def _paginate(query, pagination_parameters):
    if pagination_parameters.page > MAX_PAGE:
        # far beyond any list: empty, and no offset the database's integers cannot hold
        counted = db.paginate(query, page=1, per_page=1, error_out=False, count=True)
        pagination_parameters.item_count = counted.total or 0
        return []
    page = db.paginate(
        query,
        page=pagination_parameters.page,
        per_page=pagination_parameters.page_size,
        error_out=False,
        count=True,
    )
    pagination_parameters.item_count = page.total or 0
    return page.items


@clients_blp.route("")
class ClientsResource(MethodView):
    @allow(*READERS)
    @clients_blp.arguments(ClientQuerySchema, location="query")
    @clients_blp.response(200, ClientSchema(many=True))
    @clients_blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """List the clients the caller may see (paginated; see the X-Pagination header)."""
        query = service.client_list(
            acting_user(), include_archived=args["archived"], search=args["q"]
        ).with_only_columns(Client)
        return _paginate(query, pagination_parameters)

    @allow(*EDITORS)
    @clients_blp.arguments(ClientSchema)
    @clients_blp.response(201, ClientSchema)
    def post(self, data):
        """Create a client."""
        return service.create_client(service.ClientData(**data), acting=acting_user())


@clients_blp.route("/<int:client_id>")
class ClientResource(MethodView):
    @allow(*READERS)
    @clients_blp.response(200, ClientSchema)
    def get(self, client_id: int):
        """One client."""
        return get_client_or_404(acting_user(), client_id)

    @allow(*EDITORS)
    @clients_blp.arguments(ClientSchema(partial=True))
    @clients_blp.response(200, ClientSchema)
    def patch(self, data, client_id: int):
        """Change some fields of a client."""
        client = get_client_or_404(acting_user(), client_id)
        merged = {"name": client.name, "kind": client.kind, "notes": client.notes, **data}
        return service.update_client(client, service.ClientData(**merged))


@clients_blp.route("/<int:client_id>/archive")
class ClientArchiveResource(MethodView):
    @allow(*EDITORS)
    @clients_blp.response(200, ClientSchema)
    def post(self, client_id: int):
        """Archive a client (its data stays; it leaves the lists)."""
        client = get_client_or_404(acting_user(), client_id)
        service.archive_client(client)
        return client


@clients_blp.route("/<int:client_id>/restore")
class ClientRestoreResource(MethodView):
    @allow(*EDITORS)
    @clients_blp.response(200, ClientSchema)
    def post(self, client_id: int):
        """Bring an archived client back."""
        client = get_client_or_404(acting_user(), client_id)
        service.restore_client(client)
        return client


@clients_blp.route("/<int:client_id>/channels")
class ClientChannelsResource(MethodView):
    @allow(*READERS)
    @clients_blp.arguments(ChannelQuerySchema, location="query")
    @clients_blp.response(200, ChannelSchema(many=True))
    @clients_blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters, client_id: int):
        """The channels of a client (paginated)."""
        client = get_client_or_404(acting_user(), client_id)
        query = service.channels_of(client, include_archived=args["archived"])
        return _paginate(query, pagination_parameters)

    @allow(*EDITORS)
    @clients_blp.arguments(ChannelSchema)
    @clients_blp.response(201, ChannelSchema)
    def post(self, data, client_id: int):
        """Add a channel to a client."""
        client = get_client_or_404(acting_user(), client_id)
        return service.create_channel(client, service.ChannelData(**data))


@channels_blp.route("/<int:channel_id>")
class ChannelResource(MethodView):
    @allow(*READERS)
    @channels_blp.response(200, ChannelSchema)
    def get(self, channel_id: int):
        """One channel."""
        return get_channel_or_404(acting_user(), channel_id)

    @allow(*EDITORS)
    @channels_blp.arguments(ChannelSchema(partial=True))
    @channels_blp.response(200, ChannelSchema)
    def patch(self, data, channel_id: int):
        """Change some fields of a channel."""
        channel = get_channel_or_404(acting_user(), channel_id)
        merged = {
            "type": channel.type,
            "name": channel.name,
            "address": channel.address,
            "business_hours": channel.business_hours,
            "time_zone": channel.time_zone,
            "active": channel.active,
            **data,
        }
        return service.update_channel(channel, service.ChannelData(**merged))


@channels_blp.route("/<int:channel_id>/archive")
class ChannelArchiveResource(MethodView):
    @allow(*EDITORS)
    @channels_blp.response(200, ChannelSchema)
    def post(self, channel_id: int):
        """Archive a channel."""
        channel = get_channel_or_404(acting_user(), channel_id)
        service.archive_channel(channel)
        return channel


@channels_blp.route("/<int:channel_id>/restore")
class ChannelRestoreResource(MethodView):
    @allow(*EDITORS)
    @channels_blp.response(200, ChannelSchema)
    def post(self, channel_id: int):
        """Bring an archived channel back."""
        channel = get_channel_or_404(acting_user(), channel_id)
        service.restore_channel(channel)
        return channel


API_BLUEPRINTS = (me_blp, clients_blp, channels_blp)
for _blueprint in API_BLUEPRINTS:
    # The API authenticates with bearer tokens only, never cookies: no CSRF token needed.
    csrf.exempt(_blueprint)


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {
                "description": "Create a personal token on your profile page and send it as "
                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem documents."
            },
        },
    )
    api = QcrmApi(
        app,
        spec_kwargs={"marshmallow_plugin": ApiMarshmallowPlugin(schema_name_resolver=schema_name)},
    )
    for blp in API_BLUEPRINTS:
        api.register_blueprint(blp)
    declare_endpoint("api-docs.openapi_json", PUBLIC)

    app.extensions["qcrm_api"] = api
