"""API resources for scorecards: versioned criteria with weights, knock-outs and targets.

The resources call the same services as the pages. In the API, duration thresholds are in
seconds and target pass rates are shares between 0 and 1.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from audits.scorecards import versions as service
from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from qcrm.api.base import EDITORS, ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import MultiLineText
from qcrm.extensions import csrf, db
from qcrm.permissions import allow
from qcrm.validation import MAX_ID

blp = ApiBlueprint(
    "api_scorecards", __name__, url_prefix="/api/v1/scorecards", description="Scorecards"
)
csrf.exempt(blp)

#: The fields of an item that ``ItemData`` takes (a PATCH merges them with the stored ones).
ITEM_FIELDS = (
    "method_dimension",
    "quality_dimension",
    "text",
    "item_type",
    "help_text",
    "allows_not_applicable",
    "weight",
    "knockout",
    "threshold",
    "comparison",
    "target_pass_rate",
    "derived",
)


# Schemas ------------------------------------------------------------------------------------


class ScorecardItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    version_id = fields.Integer(dump_only=True)
    position = fields.Integer(
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={
            "description": "1 = first; items stay grouped by method dimension. "
            "Optional: new items go to the end of their method dimension."
        },
    )
    method_dimension = fields.Enum(MethodDimension, by_value=True, required=True)
    quality_dimension = fields.Enum(QualityDimension, by_value=True, required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=service.TEXT_LENGTH))
    help_text = MultiLineText(
        load_default="", validate=validate.Length(max=service.HELP_TEXT_LENGTH)
    )
    item_type = fields.Enum(ItemType, by_value=True, required=True)
    allows_not_applicable = fields.Boolean(load_default=False)
    weight = fields.Float(load_default=1.0, metadata={"description": "greater than 0"})
    knockout = fields.Enum(KnockoutScope, by_value=True, allow_none=True, load_default=None)
    threshold = fields.Float(
        allow_none=True,
        load_default=None,
        metadata={"description": "number and duration items only; durations in seconds"},
    )
    comparison = fields.Enum(Comparison, by_value=True, allow_none=True, load_default=None)
    target_pass_rate = fields.Float(
        allow_none=True,
        load_default=None,
        metadata={"description": "the target (Soll): share of contacts that should pass, 0–1"},
    )
    derived = fields.Enum(
        DerivedMeasure,
        by_value=True,
        allow_none=True,
        load_default=None,
        metadata={"description": "transaction yes/no items computed from the contact log"},
    )


class ScorecardMethodSummarySchema(Schema):
    method_dimension = fields.Enum(MethodDimension, by_value=True)
    item_count = fields.Integer()
    total_weight = fields.Float()
    weight_share = fields.Float()
    knockout_count = fields.Integer()


class ScorecardSummarySchema(Schema):
    methods = fields.List(fields.Nested(ScorecardMethodSummarySchema))
    quality_counts = fields.Function(
        lambda summary: {d.value: n for d, n in summary.quality_counts.items()},
        metadata={"type": "object", "additionalProperties": {"type": "integer"}},
    )
    item_count = fields.Integer()
    total_weight = fields.Float()
    knockout_count = fields.Integer()
    derived_count = fields.Integer()


class ScorecardVersionBriefSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    frozen = fields.Boolean(attribute="is_frozen")
    frozen_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ScorecardVersionSchema(ScorecardVersionBriefSchema):
    scorecard_id = fields.Integer()
    items = fields.List(fields.Nested(ScorecardItemSchema))
    summary = fields.Nested(ScorecardSummarySchema)

    def get_attribute(self, obj, attr, default):
        if attr == "summary":
            return service.scorecard_summary(obj)
        return super().get_attribute(obj, attr, default)


class ScorecardSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=service.NAME_LENGTH))
    description = MultiLineText(
        load_default="", validate=validate.Length(max=service.DESCRIPTION_LENGTH)
    )
    archived = fields.Boolean(attribute="is_archived", dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    versions = fields.List(fields.Nested(ScorecardVersionBriefSchema), dump_only=True)


class ScorecardQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})
    q = fields.String(load_default="", validate=validate.Length(max=100))


# Resources ----------------------------------------------------------------------------------


@blp.route("")
class ScorecardsResource(MethodView):
    @allow(*EDITORS)
    @blp.arguments(ScorecardQuerySchema, location="query")
    @blp.response(200, ScorecardSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """List the scorecards with their versions (paginated; see the X-Pagination header)."""
        query = service.scorecard_list(
            include_archived=args["archived"], search=args["q"]
        ).with_only_columns(Scorecard)
        return paginate(query, pagination_parameters)

    @allow(*EDITORS)
    @blp.arguments(ScorecardSchema)
    @blp.response(201, ScorecardSchema)
    def post(self, data):
        """Create a scorecard with an empty draft version 1."""
        return service.create_scorecard(service.ScorecardData(**data))


@blp.route("/<int:scorecard_id>")
class ScorecardResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScorecardSchema)
    def get(self, scorecard_id: int):
        """One scorecard with its versions."""
        return db.get_or_404(Scorecard, scorecard_id)

    @allow(*EDITORS)
    @blp.arguments(ScorecardSchema(partial=True))
    @blp.response(200, ScorecardSchema)
    def patch(self, data, scorecard_id: int):
        """Change the name or description of a scorecard."""
        scorecard = db.get_or_404(Scorecard, scorecard_id)
        merged = {"name": scorecard.name, "description": scorecard.description, **data}
        return service.update_scorecard(scorecard, service.ScorecardData(**merged))


@blp.route("/<int:scorecard_id>/archive")
class ScorecardArchiveResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScorecardSchema)
    def post(self, scorecard_id: int):
        """Archive a scorecard (waves that use it keep it; it leaves the lists)."""
        scorecard = db.get_or_404(Scorecard, scorecard_id)
        service.archive_scorecard(scorecard)
        return scorecard


@blp.route("/<int:scorecard_id>/restore")
class ScorecardRestoreResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScorecardSchema)
    def post(self, scorecard_id: int):
        """Bring an archived scorecard back."""
        scorecard = db.get_or_404(Scorecard, scorecard_id)
        service.restore_scorecard(scorecard)
        return scorecard


@blp.route("/<int:scorecard_id>/versions")
class ScorecardVersionsResource(MethodView):
    @allow(*EDITORS)
    @blp.response(201, ScorecardVersionSchema)
    @blp.alt_response(
        200,
        schema=ScorecardVersionSchema,
        description="The latest version is still a draft: it is returned unchanged.",
        success=True,
    )
    def post(self, scorecard_id: int):
        """Start a new draft version, a copy of the latest (frozen) one."""
        scorecard = db.get_or_404(Scorecard, scorecard_id)
        previous = service.latest_version(scorecard)
        version = service.new_version(scorecard)
        return version, (200 if version.id == previous.id else 201)


@blp.route("/versions/<int:version_id>")
class ScorecardVersionResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScorecardVersionSchema)
    def get(self, version_id: int):
        """One version with its items in order and its summary."""
        return db.get_or_404(ScorecardVersion, version_id)


@blp.route("/versions/<int:version_id>/items")
class ScorecardVersionItemsResource(MethodView):
    @allow(*EDITORS)
    @blp.arguments(ScorecardItemSchema)
    @blp.response(201, ScorecardItemSchema)
    def post(self, data, version_id: int):
        """Add an item to a draft version (a frozen version answers 422)."""
        version = db.get_or_404(ScorecardVersion, version_id)
        position = data.pop("position", None)
        return service.add_item(version, service.ItemData(**data), position=position)


@blp.route("/items/<int:item_id>")
class ScorecardItemResource(MethodView):
    @allow(*EDITORS)
    @blp.response(200, ScorecardItemSchema)
    def get(self, item_id: int):
        """One item."""
        return db.get_or_404(ScorecardItem, item_id)

    @allow(*EDITORS)
    @blp.arguments(ScorecardItemSchema(partial=True))
    @blp.response(200, ScorecardItemSchema)
    def patch(self, data, item_id: int):
        """Change some fields of an item of a draft version, or move it with ``position``."""
        item = db.get_or_404(ScorecardItem, item_id)
        position = data.pop("position", None)
        merged = {name: getattr(item, name) for name in ITEM_FIELDS} | data
        return service.update_item(item, service.ItemData(**merged), position=position)

    @allow(*EDITORS)
    @blp.response(204)
    def delete(self, item_id: int):
        """Remove an item from a draft version; the items after it move up."""
        service.remove_item(db.get_or_404(ScorecardItem, item_id))
