"""API resources of the core: the calling user, clients and their channels."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from qcrm import clients as service
from qcrm.api.base import EDITORS, READERS, ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import MultiLineText
from qcrm.extensions import csrf
from qcrm.models import ChannelType, Client, ClientKind, Role
from qcrm.permissions import (
    ALL_ROLES,
    acting_user,
    allow,
    get_channel_or_404,
    get_client_or_404,
)
from qcrm.visibility import RoleAwareSchema, visible_to


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
        return paginate(query, pagination_parameters)

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
        return paginate(query, pagination_parameters)

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
