"""API resources for personas: the same services and roles as the pages.

A persona's response carries ``warnings``: details that could reveal the audit. They do not
stop the change, as on the pages.
"""

from __future__ import annotations

import dataclasses

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from audits.mystery import personas as service
from audits.mystery.models import Persona
from qcrm.api.base import EDITORS, ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import Id, MultiLineText
from qcrm.extensions import csrf, db
from qcrm.permissions import allow

blp = ApiBlueprint("api_personas", __name__, url_prefix="/api/v1/personas", description="Personas")
csrf.exempt(blp)


class PersonaSchema(Schema):
    id = fields.Integer(dump_only=True)
    display_name = fields.String(
        required=True, validate=validate.Length(min=1, max=service.NAME_MAX)
    )
    email = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=service.EMAIL_MAX)
    )
    phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=service.PHONE_MAX)
    )
    social_handles = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(service.SOCIAL_PLATFORMS))),
        values=fields.String(validate=validate.Length(max=service.HANDLE_MAX)),
        load_default=dict,
        metadata={"example": {"x": "@jana_b", "instagram": "jana.berger"}},
    )
    notes = MultiLineText(load_default="", validate=validate.Length(max=service.NOTES_MAX))
    tester_ids = fields.List(
        Id(),
        load_default=list,
        metadata={"description": "testers who may use the persona; empty: every tester"},
    )
    warnings = fields.List(
        fields.String(),
        dump_only=True,
        metadata={"description": "details that could reveal the audit to the audited company"},
    )
    archived = fields.Boolean(attribute="is_archived", dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    def get_attribute(self, obj, attr, default):
        if isinstance(obj, Persona) and attr == "tester_ids":
            return [tester.id for tester in obj.testers]
        if isinstance(obj, Persona) and attr == "warnings":
            return service.persona_warnings(service.persona_data(obj))
        return super().get_attribute(obj, attr, default)


class PersonaQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "search in name, e-mail and phone"},
    )
    tester_id = Id(load_default=None, metadata={"description": "only personas this tester may use"})


def _data(values: dict) -> service.PersonaData:
    return service.PersonaData(**{**values, "tester_ids": tuple(values["tester_ids"])})


@blp.route("")
class PersonasResource(MethodView):
    @allow(*EDITORS)
    @blp.arguments(PersonaQuerySchema, location="query")
    @blp.response(200, PersonaSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """List the personas (paginated; see the X-Pagination header)."""
        query = service.persona_list(
            include_archived=args["archived"], search=args["q"], tester_id=args["tester_id"]
        )
        return paginate(query, pagination_parameters)

    @allow(*EDITORS)
    @blp.arguments(PersonaSchema)
    @blp.response(201, PersonaSchema)
    def post(self, data):
        """Create a persona; ``warnings`` name details that could reveal the audit."""
        return service.create_persona(_data(data))


@blp.route("/<int:persona_id>")
class PersonaResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, PersonaSchema)
    def get(self, persona_id: int):
        """One persona."""
        return db.get_or_404(Persona, persona_id)

    @allow(*EDITORS)
    @blp.arguments(PersonaSchema(partial=True))
    @blp.response(200, PersonaSchema)
    def patch(self, data, persona_id: int):
        """Change some fields of a persona."""
        persona = db.get_or_404(Persona, persona_id)
        merged = {**dataclasses.asdict(service.persona_data(persona)), **data}
        return service.update_persona(persona, _data(merged))


@blp.route("/<int:persona_id>/archive")
class PersonaArchiveResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, PersonaSchema)
    def post(self, persona_id: int):
        """Archive a persona (no longer planned; past inquiries keep it)."""
        persona = db.get_or_404(Persona, persona_id)
        service.archive_persona(persona)
        return persona


@blp.route("/<int:persona_id>/restore")
class PersonaRestoreResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, PersonaSchema)
    def post(self, persona_id: int):
        """Bring an archived persona back."""
        persona = db.get_or_404(Persona, persona_id)
        service.restore_persona(persona)
        return persona
