"""The narrow public API of a survey: anyone with the public link may read its form and submit
one response per copy of it.

No bearer token and no session: the public token in the URL is the only credential. Reading the
form issues a signed one-time key, as the respondents' page does; a response is taken only with a
key this server issued for this survey, and a key counts once, so a retry cannot count twice and
a made-up key counts not at all. The answer says nothing about the stored response (no id, no
time), the client address is only counted by the rate limiter, and the same service as the
respondents' page checks every answer.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from qcrm.api.base import ApiBlueprint
from qcrm.api.problems import problem_response
from qcrm.api.schemas import Id
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import csrf
from qcrm.permissions import public
from surveys import responses, tokens
from surveys.models import QuestionKind, Survey
from surveys.respond_views import submit_rate_limit

blp = ApiBlueprint(
    "api_public_surveys",
    __name__,
    url_prefix="/api/v1/public/surveys",
    description="Anonymous submission of one survey response through the survey's public link "
    "(no token needed)",
)
csrf.exempt(blp)

_ANSWER_DOC = {
    "oneOf": [
        {"type": "integer"},
        {"type": "array", "items": {"type": "integer"}},
        {"type": "string"},
    ],
    "description": "CSAT 1–5, NPS 0–10, CES 1–7, rating 1…scale_max: the value; single choice: "
    "the option's index (from 0); multiple choice: a list of indexes; free text: a string of at "
    "most 2,000 characters",
}


_KEY_DOC = (
    "The signed one-time key from reading the survey (GET): sending the same key twice stores "
    "the response once (409 the second time); a key this server did not issue for this survey "
    "is refused (422)"
)


class PublicQuestionSchema(Schema):
    id = fields.Integer()
    kind = fields.Enum(QuestionKind, by_value=True)
    text = fields.String()
    help_text = fields.String()
    required = fields.Boolean()
    scale = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "[lowest, highest] of a scale question, null for others"},
    )
    low_label = fields.String()
    high_label = fields.String()
    options = fields.List(
        fields.String(), metadata={"description": "a choice question's options, by index from 0"}
    )


class PublicFormSchema(Schema):
    title = fields.String()
    introduction = fields.String()
    language = fields.String(metadata={"description": "de or en"})
    questions = fields.List(fields.Nested(PublicQuestionSchema))
    key = fields.String(metadata={"description": _KEY_DOC})


class PublicResponseSchema(Schema):
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True, metadata=_ANSWER_DOC),
        required=True,
        metadata={
            "description": "Answers by question id; optional questions may be left out",
            "example": {"11": 5, "12": 9, "13": 6, "15": 1, "16": [0, 2], "17": "Schnell!"},
        },
    )
    key = fields.String(
        required=True,
        validate=validate.Regexp(tokens.PUBLIC_FORM_KEY_PATTERN),
        metadata={"description": _KEY_DOC},
    )
    channel_id = Id(
        load_default=None,
        metadata={
            "description": "The channel the respondent used; ignored unless the survey names it"
        },
    )


class ReceivedSchema(Schema):
    status = fields.String(metadata={"example": "received"})
    thank_you_text = fields.String()


def _raw_answers(survey: Survey, answers: dict) -> dict[str, list[str]]:
    """Turn JSON answers into the form-style values the service checks.

    Raises ServiceError naming ``answers.<id>`` for unknown questions and values of the wrong type.
    """
    questions = {str(question.id): question for question in survey.questions}
    errors: dict[str, str] = {}
    raw: dict[str, list[str]] = {}
    for question_id, value in answers.items():
        if question_id not in questions:
            errors[f"answers.{question_id}"] = _("The survey has no such question.")
            continue
        values = value if isinstance(value, list) else [value]
        if any(
            isinstance(item, bool) or not isinstance(item, int | str)
            for item in values
            if item is not None
        ):
            errors[f"answers.{question_id}"] = _(
                "Expected a whole number, a list of them, or a text."
            )
            continue
        raw[responses.field_name(questions[question_id])] = [
            str(item) for item in values if item is not None
        ]
    if errors:
        raise ServiceError(errors)
    return raw


def _api_field(survey: Survey, error: ServiceError) -> ServiceError:
    """Name question fields as the API sends them: ``answers.<question id>``."""
    names = {
        responses.field_name(question): f"answers.{question.id}" for question in survey.questions
    }
    return ServiceError(
        {names.get(field, field): messages for field, messages in error.errors.items()}
    )


def _open_survey(public_token: str) -> Survey | tuple:
    """The survey behind a public link, or the problem response saying why there is none."""
    survey = responses.survey_by_public_token(public_token)
    reason = None if survey is None else responses.closed_reason(survey, utcnow())
    if survey is None or reason is responses.ClosedReason.NOT_PUBLISHED:
        return problem_response(404, "No survey has this link.")
    if reason is not None:
        return problem_response(410, responses.SurveyNotOpen(reason).errors["survey"][0])
    return survey


@blp.route("/<public_token>")
class PublicFormResource(MethodView):
    @public
    @blp.doc(security=[])
    @blp.response(200, PublicFormSchema)
    @blp.alt_response(404, description="No survey has this public link (or it is a draft).")
    @blp.alt_response(410, description="The survey is closed, or not open yet.")
    def get(self, public_token: str):
        """Read an open survey's questions, with a signed one-time key for one response."""
        survey = _open_survey(public_token)
        if not isinstance(survey, Survey):
            return survey
        return {
            "title": survey.title,
            "introduction": survey.introduction,
            "language": survey.language,
            "questions": list(survey.questions),
            "key": tokens.public_form_key(survey.id),
        }


@blp.route("/<public_token>/responses")
class PublicResponsesResource(MethodView):
    @public
    @submit_rate_limit
    @blp.doc(security=[])
    @blp.arguments(PublicResponseSchema)
    @blp.response(201, ReceivedSchema)
    @blp.alt_response(404, description="No survey has this public link (or it is a draft).")
    @blp.alt_response(409, description="A response with this key was already received.")
    @blp.alt_response(410, description="The survey is closed, or not open yet.")
    @blp.alt_response(
        422, description="Key missing or not issued here, answers missing or wrong: each named."
    )
    @blp.alt_response(429, description="Too many submissions from this address.")
    def post(self, data, public_token: str):
        """Submit one anonymous response through the survey's public link."""
        survey = _open_survey(public_token)
        if not isinstance(survey, Survey):
            return survey
        nonce = tokens.public_form_nonce(data["key"], survey.id)
        if nonce is None:
            raise ServiceError.on(
                "key", _("This key was not issued for this survey: read the survey for a new one.")
            )
        raw = _raw_answers(survey, data["answers"])
        thank_you_text = survey.thank_you_text  # read now: the commit expires the survey
        try:
            responses.submit_response(
                survey,
                raw,
                now=utcnow(),
                public_key=nonce,
                channel_id=data["channel_id"],
            )
        except responses.SurveyNotOpen as error:
            if error.reason is responses.ClosedReason.NOT_PUBLISHED:
                return problem_response(404, "No survey has this link.")
            return problem_response(410, error.errors["survey"][0])
        except responses.SubmissionRefused:
            return problem_response(409, "A response with this key was already received.")
        except ServiceError as error:
            raise _api_field(survey, error) from None
        return {"status": "received", "thank_you_text": thank_you_text}
