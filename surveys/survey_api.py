"""API resources for surveys and their questions: the same services and roles as the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from qcrm.api.base import ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import Id, MultiLineText
from qcrm.db import utcnow
from qcrm.extensions import csrf, db
from qcrm.permissions import acting_user, allow
from surveys import surveys as service
from surveys.access import SURVEY_EDITORS, SURVEY_READERS, get_survey_or_404
from surveys.models import Question, QuestionKind, Survey

blp = ApiBlueprint(
    "api_surveys", __name__, url_prefix="/api/v1/surveys", description="Satisfaction surveys"
)
csrf.exempt(blp)


def _aware() -> fields.AwareDateTime:
    return fields.AwareDateTime(
        default_timezone=dt.UTC,
        allow_none=True,
        load_default=None,
        metadata={"description": "ISO 8601; without an offset the time is taken as UTC"},
    )


class QuestionSchema(Schema):
    id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)
    kind = fields.Enum(QuestionKind, by_value=True, required=True)
    text = MultiLineText(
        load_default="",
        metadata={"description": "may be empty for CES: the standard statement is used"},
    )
    help_text = MultiLineText(load_default="")
    required = fields.Boolean(load_default=True)
    scale_max = fields.Integer(
        allow_none=True,
        load_default=None,
        metadata={"description": "highest value of a rating scale (2–10); others ignore it"},
    )
    low_label = fields.String(load_default="")
    high_label = fields.String(load_default="")
    options = fields.List(
        fields.String(), load_default=list, metadata={"description": "2–20 options of a choice"}
    )
    scale = fields.List(
        fields.Integer(),
        dump_only=True,
        allow_none=True,
        metadata={"description": "[lowest, highest] of a scale question"},
    )


class SurveySchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True)
    client_id = Id(required=True)
    introduction = MultiLineText(load_default="")
    thank_you_text = MultiLineText(load_default="")
    language = fields.String(load_default="de", metadata={"description": "de or en"})
    channel_ids = fields.List(Id(), load_default=list)
    target_csat = fields.Float(
        allow_none=True, load_default=None, metadata={"description": "share of 4–5, 0–1"}
    )
    target_nps = fields.Float(
        allow_none=True, load_default=None, metadata={"description": "−100…100"}
    )
    target_ces = fields.Float(allow_none=True, load_default=None, metadata={"description": "1–7"})
    min_responses = fields.Integer(
        load_default=10, metadata={"description": "results are shown from this many on"}
    )
    opens_at = _aware()
    closes_at = _aware()
    reminder_after_days = fields.Integer(allow_none=True, load_default=None)
    delete_addresses_on_close = fields.Boolean(load_default=True)
    public_link = fields.Boolean(load_default=True)
    public_url = fields.String(dump_only=True, allow_none=True)
    status = fields.String(
        dump_only=True, metadata={"description": "draft, scheduled, open or closed"}
    )
    response_count = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    published_at = fields.DateTime(dump_only=True, allow_none=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    addresses_deleted_at = fields.DateTime(dump_only=True, allow_none=True)
    archived_at = fields.DateTime(dump_only=True, allow_none=True)
    copied_from_id = fields.Integer(dump_only=True, allow_none=True)


class SurveyDetailSchema(SurveySchema):
    questions = fields.List(fields.Nested(QuestionSchema), dump_only=True)


class SurveyQuerySchema(Schema):
    archived = fields.Boolean(load_default=False, metadata={"description": "include archived"})
    client_id = Id(load_default=None)


class MoveSchema(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(("up", "down")))


def _survey_out(survey: Survey, responses: int | None = None) -> dict:
    """The survey as SurveySchema describes it."""
    data = {name: getattr(survey, name) for name in SurveySchema().fields if hasattr(survey, name)}
    data["channel_ids"] = [channel.id for channel in survey.channels]
    data["public_link"] = survey.public_token is not None
    data["public_url"] = service.public_url(survey)
    data["status"] = service.survey_status(survey, utcnow()).value
    data["response_count"] = (
        responses
        if responses is not None
        else service.response_counts([survey.id]).get(survey.id, 0)
    )
    return data


def _detail_out(survey: Survey) -> dict:
    return {**_survey_out(survey), "questions": list(survey.questions)}


def _survey_data(values: dict) -> service.SurveyData:
    return service.SurveyData(**{**values, "channel_ids": tuple(values["channel_ids"])})


def _question_data(values: dict) -> service.QuestionData:
    return service.QuestionData(**{**values, "options": tuple(values["options"])})


def _question_or_404(survey: Survey, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    return question


@blp.route("")
class SurveysResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.arguments(SurveyQuerySchema, location="query")
    @blp.response(200, SurveySchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters):
        """The surveys of the clients the caller sees, newest first (paginated)."""
        query = service.visible_surveys(acting_user(), include_archived=args["archived"])
        if args["client_id"] is not None:
            query = query.where(Survey.client_id == args["client_id"])
        items = paginate(query, pagination_parameters)
        counts = service.response_counts(survey.id for survey in items)
        return [_survey_out(survey, counts.get(survey.id, 0)) for survey in items]

    @allow(*SURVEY_EDITORS)
    @blp.arguments(SurveySchema)
    @blp.response(201, SurveyDetailSchema)
    def post(self, data):
        """Create a draft survey; add questions with POST …/questions, then publish it."""
        return _detail_out(service.create_survey(_survey_data(data), acting_user()))


@blp.route("/<int:survey_id>")
class SurveyResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.response(200, SurveyDetailSchema)
    def get(self, survey_id: int):
        """One survey with its questions in order."""
        return _detail_out(get_survey_or_404(acting_user(), survey_id))

    @allow(*SURVEY_EDITORS)
    @blp.arguments(SurveySchema(partial=True))
    @blp.response(200, SurveyDetailSchema)
    def patch(self, data, survey_id: int):
        """Change some settings of a survey."""
        survey = get_survey_or_404(acting_user(), survey_id)
        merged = {**dataclasses.asdict(service.survey_data(survey)), **data}
        return _detail_out(service.update_survey(survey, _survey_data(merged), acting_user()))


@blp.route("/<int:survey_id>/publish")
class SurveyPublishResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(200, SurveyDetailSchema)
    def post(self, survey_id: int):
        """Publish a draft: it takes responses from its opening time on (needs a question)."""
        survey = get_survey_or_404(acting_user(), survey_id)
        return _detail_out(service.publish_survey(survey))


@blp.route("/<int:survey_id>/close")
class SurveyCloseResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(200, SurveyDetailSchema)
    def post(self, survey_id: int):
        """Close the survey now; invitation addresses are deleted if the survey says so."""
        survey = get_survey_or_404(acting_user(), survey_id)
        return _detail_out(service.close_survey(survey))


@blp.route("/<int:survey_id>/copy")
class SurveyCopyResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(201, SurveyDetailSchema)
    def post(self, survey_id: int):
        """Copy the survey into a new draft with the same settings and questions."""
        survey = get_survey_or_404(acting_user(), survey_id)
        return _detail_out(service.copy_survey(survey, acting_user()))


@blp.route("/<int:survey_id>/archive")
class SurveyArchiveResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(200, SurveyDetailSchema)
    def post(self, survey_id: int):
        """Archive a draft or closed survey (its responses stay)."""
        survey = get_survey_or_404(acting_user(), survey_id)
        service.archive_survey(survey)
        return _detail_out(survey)


@blp.route("/<int:survey_id>/restore")
class SurveyRestoreResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(200, SurveyDetailSchema)
    def post(self, survey_id: int):
        """Bring an archived survey back."""
        survey = get_survey_or_404(acting_user(), survey_id)
        service.restore_survey(survey)
        return _detail_out(survey)


@blp.route("/<int:survey_id>/questions")
class QuestionsResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.response(200, QuestionSchema(many=True))
    def get(self, survey_id: int):
        """The questions of a survey, in order."""
        return get_survey_or_404(acting_user(), survey_id).questions

    @allow(*SURVEY_EDITORS)
    @blp.arguments(QuestionSchema)
    @blp.response(201, QuestionSchema)
    def post(self, data, survey_id: int):
        """Add a question at the end (refused once the survey has responses)."""
        survey = get_survey_or_404(acting_user(), survey_id)
        return service.add_question(survey, _question_data(data))


@blp.route("/<int:survey_id>/questions/<int:question_id>")
class QuestionResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.response(200, QuestionSchema)
    def get(self, survey_id: int, question_id: int):
        """One question."""
        return _question_or_404(get_survey_or_404(acting_user(), survey_id), question_id)

    @allow(*SURVEY_EDITORS)
    @blp.arguments(QuestionSchema(partial=True))
    @blp.response(200, QuestionSchema)
    def patch(self, data, survey_id: int, question_id: int):
        """Change a question (refused once the survey has responses: copy the survey)."""
        question = _question_or_404(get_survey_or_404(acting_user(), survey_id), question_id)
        merged = {**dataclasses.asdict(service.question_data(question)), **data}
        return service.update_question(question, _question_data(merged))

    @allow(*SURVEY_EDITORS)
    @blp.response(204)
    def delete(self, survey_id: int, question_id: int):
        """Delete a question; the later ones move up (refused once there are responses)."""
        question = _question_or_404(get_survey_or_404(acting_user(), survey_id), question_id)
        service.delete_question(question)


@blp.route("/<int:survey_id>/questions/<int:question_id>/move")
class QuestionMoveResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.arguments(MoveSchema)
    @blp.response(200, QuestionSchema(many=True))
    def post(self, data, survey_id: int, question_id: int):
        """Move a question one place up or down; answers the questions in their new order."""
        survey = get_survey_or_404(acting_user(), survey_id)
        service.move_question(_question_or_404(survey, question_id), data["direction"])
        return survey.questions
