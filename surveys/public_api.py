"""The narrow public API of a survey: anyone with the public link may submit one response.

No bearer token and no session: the public token in the URL is the only credential. The answer
says nothing about the stored response (no id, no time), the client address is only counted by
the rate limiter, and the same service as the respondents' page checks every answer.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from qcrm.api import ApiBlueprint, Id, problem_response
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import csrf
from qcrm.permissions import public
from surveys import responses
from surveys.models import Survey
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
        load_default=None,
        validate=validate.Regexp(responses.PUBLIC_KEY_PATTERN),
        metadata={
            "description": "A random one-time key (16–128 characters A–Z a–z 0–9 _ -) chosen by "
            "the sender: sending the same key twice stores the response once (409 the second "
            "time), so a retry after a network error cannot count twice"
        },
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
    @blp.alt_response(422, description="Answers missing or wrong, each named by its field.")
    @blp.alt_response(429, description="Too many submissions from this address.")
    def post(self, data, public_token: str):
        """Submit one anonymous response through the survey's public link."""
        survey = responses.survey_by_public_token(public_token)
        if survey is None:
            return problem_response(404, "No survey has this link.")
        raw = _raw_answers(survey, data["answers"])
        thank_you_text = survey.thank_you_text  # read now: the commit expires the survey
        try:
            responses.submit_response(
                survey,
                raw,
                now=utcnow(),
                public_key=data["key"],
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
