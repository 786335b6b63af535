"""API resources for a survey's results (the numbers of the results page) and its responses.

Results are for every survey reader; the raw responses only for editors, as with the exports.
Both keep back everything below the survey's minimum number of responses.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qcrm.api.base import ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.problems import problem_response
from qcrm.api.schemas import Id
from qcrm.extensions import csrf
from qcrm.permissions import acting_user, allow
from qcrm.statistics import Figure
from qcrm.validation import MAX_PAGE
from surveys.access import SURVEY_EDITORS, SURVEY_READERS, get_survey_or_404
from surveys.anonymity import DateGrain, Disclosure, disclosure_of
from surveys.invitation_api import DeliveryFailureSchema
from surveys.models import QuestionKind, Response, ResponseSource
from surveys.results import (
    VERBATIMS_PER_PAGE,
    Grain,
    Group,
    Headline,
    Period,
    SurveyResults,
    response_count,
    survey_results,
)

blp = ApiBlueprint(
    "api_survey_results",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Results and responses of surveys",
)
csrf.exempt(blp)


_GRAIN_NOTE = {
    "description": "how finely responses' dates are told: the finest of day, week, month at "
    "which every (date, source, channel) cell holds at least min_responses; null: not at all"
}


class ResultFigureSchema(Schema):
    value = fields.Float(
        metadata={
            "description": "shares 0–1 (CSAT, response rate), NPS −100…100, means on their scale"
        }
    )
    n = fields.Integer()
    interval_low = fields.Float(allow_none=True, metadata={"description": "95 % interval"})
    interval_high = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    meets = fields.Boolean(allow_none=True, metadata={"description": "the value meets the target"})
    verdict = fields.String(
        metadata={
            "description": "against the target: no_target, significantly_better, meets, "
            "misses (not significantly), significantly_worse"
        }
    )
    small_sample = fields.Boolean(metadata={"description": "fewer than 30 cases: not ranked"})


class ResultNpsSplitSchema(Schema):
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    promoter_share = fields.Float()
    passive_share = fields.Float()
    detractor_share = fields.Float()


class ResultHeadlineSchema(Schema):
    csat = fields.Nested(
        ResultFigureSchema, allow_none=True, metadata={"description": "share of 4–5"}
    )
    csat_mean = fields.Nested(ResultFigureSchema, allow_none=True)
    nps = fields.Nested(ResultFigureSchema, allow_none=True)
    nps_split = fields.Nested(ResultNpsSplitSchema, allow_none=True)
    ces = fields.Nested(
        ResultFigureSchema, allow_none=True, metadata={"description": "mean on 1–7"}
    )


class ResultInvitationsSchema(Schema):
    invited = fields.Integer(metadata={"description": "a mail queued at least once"})
    queued = fields.Integer(metadata={"description": "the mail is not tried yet"})
    failed = fields.Integer(metadata={"description": "no mail server accepted the mail yet"})
    bounced = fields.Integer(metadata={"description": "the address was refused"})
    delivered = fields.Integer(metadata={"description": "accepted by the mail server"})
    responded = fields.Integer(metadata={"description": "responses through an invitation"})
    response_rate = fields.Nested(
        ResultFigureSchema,
        allow_none=True,
        metadata={"description": "responded / delivered; null while nothing is delivered"},
    )
    failures = fields.List(fields.Nested(DeliveryFailureSchema))


class ResultBarSchema(Schema):
    value = fields.Integer(metadata={"description": "scale value or option index"})
    label = fields.String()
    count = fields.Integer()
    share = fields.Float(metadata={"description": "count / respondents of the question"})


class ResultQuestionSchema(Schema):
    question_id = fields.Integer()
    position = fields.Integer()
    kind = fields.Enum(QuestionKind, by_value=True)
    text = fields.String()
    n = fields.Integer(metadata={"description": "respondents who answered"})
    score = fields.Nested(ResultFigureSchema, allow_none=True)
    mean = fields.Nested(ResultFigureSchema, allow_none=True)
    nps_split = fields.Nested(ResultNpsSplitSchema, allow_none=True)
    distribution = fields.List(fields.Nested(ResultBarSchema))


class ResultGroupSchema(Schema):
    channel_id = fields.Integer(allow_none=True)
    label = fields.String()
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    n = fields.Integer()
    suppressed = fields.Boolean(metadata={"description": "figures withheld (too few responses)"})
    other = fields.Boolean(
        metadata={
            "description": "by channel: the channels too small to be told apart, together "
            "(channel_id is then null)"
        }
    )
    headline = fields.Nested(ResultHeadlineSchema, allow_none=True)


class ResultVerbatimSchema(Schema):
    question_id = fields.Integer()
    text = fields.String()
    dated = fields.Date(
        allow_none=True,
        metadata={
            "description": "first day of the response's day, week or month (see date_grain); "
            "null where too few responses share a date to tell it"
        },
    )


class ResultVerbatimsSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ResultVerbatimSchema))


class SurveyResultsSchema(Schema):
    survey_id = fields.Integer()
    channel_id = fields.Integer(allow_none=True)
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    grain = fields.Enum(Grain, by_value=True)
    min_responses = fields.Integer()
    total_responses = fields.Integer()
    enough = fields.Boolean(
        metadata={"description": "false: fewer responses than min_responses, nothing but counts"}
    )
    invitations = fields.Nested(ResultInvitationsSchema, allow_none=True)
    headline = fields.Nested(ResultHeadlineSchema, allow_none=True)
    questions = fields.List(fields.Nested(ResultQuestionSchema))
    by_channel = fields.List(fields.Nested(ResultGroupSchema))
    over_time = fields.List(fields.Nested(ResultGroupSchema))
    verbatims = fields.Nested(ResultVerbatimsSchema, allow_none=True)
    date_grain = fields.Enum(DateGrain, by_value=True, allow_none=True, metadata=_GRAIN_NOTE)


class SurveyResultsQuerySchema(Schema):
    channel_id = Id(metadata={"description": "only responses of this channel"})
    start = fields.Date(metadata={"description": "first day (with end: no invitation figures)"})
    end = fields.Date(metadata={"description": "last day"})
    grain = fields.Enum(Grain, by_value=True, load_default=Grain.MONTH)
    verbatim_page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    verbatims_per_page = fields.Integer(
        load_default=VERBATIMS_PER_PAGE, validate=validate.Range(min=1, max=200)
    )

    @validates_schema
    def _period_complete(self, data: dict, **kwargs) -> None:
        if ("start" in data) != ("end" in data):
            raise ValidationError("Give both start and end, or neither.", "end")


def _figure(figure: Figure | None) -> dict | None:
    if figure is None:
        return None
    return {
        "value": figure.value,
        "n": figure.n,
        "interval_low": figure.interval.low if figure.interval else None,
        "interval_high": figure.interval.high if figure.interval else None,
        "target": figure.target,
        "meets": figure.meets_target,
        "verdict": figure.verdict.value,
        "small_sample": figure.small_sample,
    }


def _split(split) -> dict | None:
    if split is None:
        return None
    return {
        "promoters": split.promoters,
        "passives": split.passives,
        "detractors": split.detractors,
        "promoter_share": split.promoter_share,
        "passive_share": split.passive_share,
        "detractor_share": split.detractor_share,
    }


def _headline(headline: Headline | None) -> dict | None:
    if headline is None:
        return None
    return {
        "csat": _figure(headline.csat),
        "csat_mean": _figure(headline.csat_mean),
        "nps": _figure(headline.nps),
        "nps_split": _split(headline.nps_split),
        "ces": _figure(headline.ces),
    }


def _group(group: Group) -> dict:
    return {
        "channel_id": group.channel_id,
        "label": group.label,
        "start": group.start,
        "end": group.end,
        "n": group.n,
        "suppressed": group.suppressed,
        "other": group.other,
        "headline": _headline(group.headline),
    }


def results_out(results: SurveyResults) -> dict:
    """The results as SurveyResultsSchema describes them."""
    invitations = results.invitations
    verbatims = results.verbatims
    return {
        "survey_id": results.survey_id,
        "channel_id": results.channel_id,
        "start": results.period.start if results.period else None,
        "end": results.period.end if results.period else None,
        "grain": results.grain,
        "min_responses": results.min_responses,
        "total_responses": results.total_responses,
        "enough": results.enough,
        "invitations": None
        if invitations is None
        else {
            "invited": invitations.invited,
            "queued": invitations.queued,
            "failed": invitations.failed,
            "bounced": invitations.bounced,
            "delivered": invitations.delivered,
            "responded": invitations.responded,
            "response_rate": _figure(invitations.response_rate),
            "failures": list(invitations.failures),
        },
        "headline": _headline(results.headline),
        "questions": [
            {
                "question_id": q.question_id,
                "position": q.position,
                "kind": q.kind,
                "text": q.text,
                "n": q.n,
                "score": _figure(q.score),
                "mean": _figure(q.mean),
                "nps_split": _split(q.nps_split),
                "distribution": [vars(bar) for bar in q.bars],
            }
            for q in results.questions
        ],
        "by_channel": [_group(g) for g in results.by_channel],
        "over_time": [_group(g) for g in results.over_time],
        "verbatims": None
        if verbatims is None
        else {
            "total": verbatims.total,
            "page": verbatims.page,
            "per_page": verbatims.per_page,
            "items": [vars(v) for v in verbatims.items],
        },
        "date_grain": results.date_grain,
    }


@blp.route("/<int:survey_id>/results")
class SurveyResultsResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.arguments(SurveyResultsQuerySchema, location="query")
    @blp.response(200, SurveyResultsSchema)
    def get(self, args, survey_id: int):
        """The results: the same figures as the results page, each with n, 95 % interval,
        target and whether it meets it. Below the survey's minimum number of responses only
        the counts (``enough`` is false)."""
        survey = get_survey_or_404(acting_user(), survey_id)
        period = Period(args["start"], args["end"]) if "start" in args else None
        return results_out(
            survey_results(
                survey,
                channel_id=args.get("channel_id"),
                period=period,
                grain=args["grain"],
                verbatim_page=args["verbatim_page"],
                verbatims_per_page=args["verbatims_per_page"],
            )
        )


class ResponseAnswerSchema(Schema):
    question_id = fields.Integer()
    number = fields.Integer(
        allow_none=True, metadata={"description": "scale value or option index"}
    )
    text = fields.String(allow_none=True, metadata={"description": "free-text answer"})


class SurveyResponseSchema(Schema):
    key = fields.String(
        metadata={"description": "opaque and random: tells nothing of the order of arrival"}
    )
    channel_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null also where too few responses share the channel"},
    )
    source = fields.Enum(
        ResponseSource,
        by_value=True,
        allow_none=True,
        metadata={"description": "null where too few responses share the source"},
    )
    dated = fields.Date(
        allow_none=True,
        metadata={
            "description": "first day of the response's day, week or month (see date_grain); "
            "null where too few responses share a date to tell it"
        },
    )
    date_grain = fields.Enum(DateGrain, by_value=True, allow_none=True, metadata=_GRAIN_NOTE)
    answers = fields.List(
        fields.Nested(ResponseAnswerSchema),
        metadata={"description": "a multiple-choice question has one answer per chosen option"},
    )


@blp.route("/<int:survey_id>/responses")
class SurveyResponsesResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.response(200, SurveyResponseSchema(many=True))
    @blp.alt_response(409, description="fewer responses than the survey's minimum")
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters, survey_id: int):
        """The responses with their answers, in the order of their random keys (paginated),
        with source, channel and date only as far as enough responses share them. Refused with
        409 while the survey has fewer responses than its minimum."""
        survey = get_survey_or_404(acting_user(), survey_id)
        total, enough = response_count(survey)
        if not enough:
            pagination_parameters.item_count = 0
            return problem_response(
                409,
                _(
                    "Not enough responses yet (%(n)d of %(min)d).",
                    n=total,
                    min=survey.min_responses,
                ),
            )
        query = (
            select(Response)
            .where(Response.survey_id == survey.id)
            .options(selectinload(Response.answers))
            .order_by(Response.key)
        )
        disclosure = disclosure_of(survey)
        return [
            _response_out(response, disclosure)
            for response in paginate(query, pagination_parameters)
        ]


def _response_out(response: Response, disclosure: Disclosure) -> dict:
    source, channel_id = disclosure.cell(response.source, response.channel_id)
    return {
        "key": response.key,
        "channel_id": channel_id,
        "source": source,
        "dated": disclosure.date(response.submitted_on),
        "date_grain": disclosure.grain,
        "answers": response.answers,
    }
