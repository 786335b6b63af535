"""API resources for a survey's invitations: list, add recipients (all or none), figures."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from qcrm.api.base import ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import Id
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import csrf
from qcrm.permissions import acting_user, allow
from surveys import invitations as service
from surveys.access import SURVEY_EDITORS, SURVEY_READERS, get_survey_or_404
from surveys.anonymity import SHOWN_STATES, shown_state, states_shown_as
from surveys.models import Delivery, Invitation, InvitationState, Survey
from surveys.recipients_csv import RecipientRow

blp = ApiBlueprint(
    "api_survey_invitations",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Personal invitations to surveys",
)
csrf.exempt(blp)


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String(
        allow_none=True,
        metadata={"description": "null once the addresses are deleted"},
    )
    channel_id = fields.Integer(allow_none=True)
    state = fields.Enum(
        InvitationState,
        by_value=True,
        metadata={
            "description": "answered and reminded invitations read as invited, so that no "
            "answer can be traced to an address; the counts tell how many answered"
        },
    )
    delivery = fields.Enum(
        Delivery,
        by_value=True,
        allow_none=True,
        metadata={"description": "how its mails fared; null until one is queued"},
    )
    created_at = fields.DateTime()
    invited_at = fields.DateTime(allow_none=True)


class InvitationQuerySchema(Schema):
    state = fields.Enum(
        InvitationState,
        by_value=True,
        validate=validate.OneOf(
            SHOWN_STATES,
            error="Choose one of: pending, invited, opted_out, "
            "bounced (who answered or was reminded is not told per address).",
        ),
        metadata={"description": "as shown: invited also finds answered and reminded ones"},
    )
    delivery = fields.Enum(Delivery, by_value=True)
    channel_id = Id()


class RecipientSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=320))
    channel_id = Id(allow_none=True, load_default=None)


class DeliveryFailureSchema(Schema):
    reason = fields.String(metadata={"description": "the mail server's answer, or why none"})
    count = fields.Integer(metadata={"description": "invitations failed for this reason"})
    retrying = fields.Boolean(metadata={"description": "false: given up after the last retry"})


class InvitationCountsSchema(Schema):
    total = fields.Integer()
    pending = fields.Integer(metadata={"description": "not mailed yet"})
    invited = fields.Integer(metadata={"description": "a mail queued at least once"})
    queued = fields.Integer(metadata={"description": "invited; the mail is not tried yet"})
    failed = fields.Integer(
        metadata={"description": "invited; no mail server accepted the mail yet (retried)"}
    )
    delivered = fields.Integer(
        metadata={"description": "accepted by the mail server: the response rate's base"}
    )
    bounced = fields.Integer(metadata={"description": "the address was refused"})
    reminded = fields.Integer(metadata={"description": "reminders queued"})
    waiting = fields.Integer(metadata={"description": "delivered; no answer or opt-out yet"})
    answered = fields.Integer()
    opted_out = fields.Integer()
    failures = fields.List(
        fields.Nested(DeliveryFailureSchema),
        metadata={"description": "the failed invitations by reason"},
    )


class InvitationsAddedSchema(Schema):
    added = fields.Integer()
    counts = fields.Nested(InvitationCountsSchema)


@blp.route("/<int:survey_id>/invitations")
class SurveyInvitationsResource(MethodView):
    @allow(*SURVEY_EDITORS)
    @blp.arguments(InvitationQuerySchema, location="query")
    @blp.response(200, InvitationSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, args, pagination_parameters, survey_id: int):
        """The invitations of a survey (paginated), for those who may see the invitations
        page: managers, admins and client managers. Others read the counts."""
        user = acting_user()
        survey = get_survey_or_404(user, survey_id)
        query = select(Invitation).where(Invitation.survey_id == survey.id)
        if "state" in args:
            query = query.where(Invitation.state.in_(states_shown_as(args["state"])))
        for name in ("delivery", "channel_id"):
            if name in args:
                query = query.where(getattr(Invitation, name) == args[name])
        items = paginate(query.order_by(Invitation.id), pagination_parameters)
        return [
            {
                **{name: getattr(invitation, name) for name in InvitationSchema().fields},
                "email": invitation.email,
                "state": shown_state(invitation),
            }
            for invitation in items
        ]

    @allow(*SURVEY_EDITORS)
    @blp.arguments(RecipientSchema(many=True))
    @blp.response(201, InvitationsAddedSchema)
    def post(self, recipients, survey_id: int):
        """Invite a list of recipients, all or none; the scheduler mails them while the survey
        is open. Each refused entry is named by its index ("3.email", "3.channel_id")."""
        survey = get_survey_or_404(acting_user(), survey_id)
        rows = [
            RecipientRow(
                position=index,
                email=recipient["email"].strip(),
                channel="" if recipient["channel_id"] is None else str(recipient["channel_id"]),
            )
            for index, recipient in enumerate(recipients)
        ]
        try:
            added = service.add_invitations(
                survey, rows, utcnow(), detail=service.DETAIL_API, indexed=True
            )
        except service.RecipientsRejected as rejected:
            raise ServiceError(
                {
                    f"{row.position}.{'channel_id' if row.field == 'channel' else 'email'}": (
                        row.reason
                    )
                    for row in rejected.check.bad
                }
            ) from rejected
        return {"added": added, "counts": _counts(survey)}


@blp.route("/<int:survey_id>/invitations/counts")
class SurveyInvitationCountsResource(MethodView):
    @allow(*SURVEY_READERS)
    @blp.response(200, InvitationCountsSchema)
    def get(self, survey_id: int):
        """The invitations of a survey in figures (delivered is the response rate's base),
        with the reasons of failed mails."""
        return _counts(get_survey_or_404(acting_user(), survey_id))


def _counts(survey: Survey) -> dict:
    return {
        **service.invitation_counts(survey),
        "failures": service.delivery_failures(survey),
    }
