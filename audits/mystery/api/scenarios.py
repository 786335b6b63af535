"""API resources for scenarios: the same services and roles as the pages."""

from __future__ import annotations

import dataclasses

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from audits.mystery import scenarios as service
from audits.mystery.models import Difficulty, Scenario, ScenarioCategory
from qcrm.api.base import EDITORS, ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import MultiLineText
from qcrm.extensions import csrf, db
from qcrm.models import ChannelType
from qcrm.permissions import allow

blp = ApiBlueprint(
    "api_scenarios", __name__, url_prefix="/api/v1/scenarios", description="Scenarios"
)
csrf.exempt(blp)


class ScenarioSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=service.TITLE_MAX))
    category = fields.Enum(ScenarioCategory, by_value=True, required=True)
    script = MultiLineText(
        required=True,
        validate=validate.Length(min=1, max=service.TEXT_MAX),
        metadata={"description": "the inquiry text or call script the tester uses"},
    )
    expected_answer = MultiLineText(load_default="", validate=validate.Length(max=service.TEXT_MAX))
    solved_criteria = MultiLineText(
        load_default="",
        validate=validate.Length(max=service.TEXT_MAX),
        metadata={"description": "what an answer must contain to count as solved"},
    )
    difficulty = fields.Enum(Difficulty, by_value=True, load_default=Difficulty.MEDIUM)
    channel_types = fields.List(
        fields.String(validate=validate.OneOf([member.value for member in ChannelType])),
        load_default=list,
        metadata={"description": "channel types the scenario suits; empty: every type"},
    )
    language = fields.String(
        load_default="de",
        validate=validate.OneOf(service.SCENARIO_LANGUAGES),
        metadata={"description": "language of the script"},
    )
    archived = fields.Boolean(attribute="is_archived", dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ScenarioQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "search in title and script"},
    )
    category = fields.Enum(ScenarioCategory, by_value=True, load_default=None)
    language = fields.String(load_default=None, validate=validate.OneOf(service.SCENARIO_LANGUAGES))
    difficulty = fields.Enum(Difficulty, by_value=True, load_default=None)


def _data(values: dict) -> service.ScenarioData:
    return service.ScenarioData(**{**values, "channel_types": tuple(values["channel_types"])})


@blp.route("")
class ScenariosResource(MethodView):
    @allow(*EDITORS)
    @blp.arguments(ScenarioQuerySchema, location="query")
    @blp.response(200, ScenarioSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """List the scenarios (paginated; see the X-Pagination header)."""
        query = service.scenario_list(
            include_archived=args["archived"],
            search=args["q"],
            category=args["category"],
            language=args["language"],
            difficulty=args["difficulty"],
        )
        return paginate(query, pagination_parameters)

    @allow(*EDITORS)
    @blp.arguments(ScenarioSchema)
    @blp.response(201, ScenarioSchema)
    def post(self, data):
        """Create a scenario."""
        return service.create_scenario(_data(data))


@blp.route("/<int:scenario_id>")
class ScenarioResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScenarioSchema)
    def get(self, scenario_id: int):
        """One scenario with its script, expected answer and solved criteria."""
        return db.get_or_404(Scenario, scenario_id)

    @allow(*EDITORS)
    @blp.arguments(ScenarioSchema(partial=True))
    @blp.response(200, ScenarioSchema)
    def patch(self, data, scenario_id: int):
        """Change some fields of a scenario."""
        scenario = db.get_or_404(Scenario, scenario_id)
        merged = {**dataclasses.asdict(service.scenario_data(scenario)), **data}
        return service.update_scenario(scenario, _data(merged))


@blp.route("/<int:scenario_id>/archive")
class ScenarioArchiveResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScenarioSchema)
    def post(self, scenario_id: int):
        """Archive a scenario (waves that use it keep it; it is no longer planned)."""
        scenario = db.get_or_404(Scenario, scenario_id)
        service.archive_scenario(scenario)
        return scenario


@blp.route("/<int:scenario_id>/restore")
class ScenarioRestoreResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScenarioSchema)
    def post(self, scenario_id: int):
        """Bring an archived scenario back."""
        scenario = db.get_or_404(Scenario, scenario_id)
        service.restore_scenario(scenario)
        return scenario
