"""API resources for logging a contact, answering its scorecard, evidence, review and the trail.

The resources call the same services as the contact page and declare the same roles: testers
log their own inquiries, managers and admins review them. Times are ISO 8601 with an offset
(answers come back in UTC); durations are in seconds. Saves carry the ``version`` they started
from; a save based on an older version is refused with a 422 problem naming ``version``.
"""

from __future__ import annotations

import datetime as dt

from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from audits.evaluations.models import Evaluation, EvaluationKind
from audits.mystery import contact_logs, evidence
from audits.mystery.access import REVIEWERS, get_evidence_or_404, get_inquiry_or_404
from audits.mystery.models import (
    AttemptState,
    ContactabilityFailure,
    ContactLog,
    Evidence,
    Inquiry,
    InquiryReply,
    InquiryStatus,
    ReviewStatus,
)
from audits.scorecards.models import ItemType
from audits.scorecards.scoring import DUPLICATE_ANSWER, UNKNOWN_ITEM, Answer, field_name
from qcrm.api.base import ApiBlueprint
from qcrm.api.schemas import VERSION_RANGE, Id, MultiLineText
from qcrm.errors import ServiceError
from qcrm.extensions import csrf, db
from qcrm.models import Role
from qcrm.permissions import acting_user, allow

VIEWERS = (Role.ADMIN, Role.MANAGER, Role.TESTER)
LOGGERS = (Role.TESTER,)

blp = ApiBlueprint(
    "api_contacts",
    __name__,
    url_prefix="/api/v1/inquiries",
    description="Contact logs: logging, scorecard answers, evidence, review and audit trail",
)
csrf.exempt(blp)

_VALUE_DOC = {
    "oneOf": [{"type": "boolean"}, {"type": "number"}],
    "nullable": True,
    "description": "yes/no: true or false; scale: a whole number 1–5; number: ≥ 0; duration: "
    "seconds ≥ 0; null together with not_applicable",
}


# Schemas ------------------------------------------------------------------------------------


class AttemptSchema(Schema):
    number = fields.Integer()
    due_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    state = fields.Enum(AttemptState, by_value=True)
    automatic = fields.Boolean(metadata={"description": "sent by the scheduler itself"})


class SentSchema(Schema):
    sent_at = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with an offset, e.g. …T10:30+01:00"}
    )
    reason = MultiLineText(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "required when an already recorded time is changed"},
    )


class ReplySchema(Schema):
    id = fields.Integer(dump_only=True)
    received_at = fields.AwareDateTime(
        required=True, metadata={"description": "ISO 8601 with an offset"}
    )
    sender = fields.String(load_default="", validate=validate.Length(max=300))
    text = MultiLineText(required=True, validate=validate.Length(min=1, max=20000))
    is_auto_acknowledgement = fields.Boolean(
        load_default=False, metadata={"description": "“we have received your message”"}
    )
    is_late = fields.Boolean(dump_only=True)
    source = fields.String(dump_only=True, metadata={"description": "mailbox or tester"})


class AnswerSchema(Schema):
    item_id = Id(required=True)
    value = fields.Raw(allow_none=True, load_default=None, metadata=_VALUE_DOC)
    not_applicable = fields.Boolean(load_default=False)
    derived = fields.Boolean(dump_only=True, metadata={"description": "computed, not typed"})
    earned = fields.Float(dump_only=True, allow_none=True)
    final = fields.Float(dump_only=True, allow_none=True, metadata={"description": "after K.O."})


class EvaluationSchema(Schema):
    id = fields.Integer(dump_only=True)
    evaluator_id = fields.Integer(dump_only=True)
    scorecard_version_id = fields.Integer(dump_only=True)
    transaction_score = fields.Float(dump_only=True, allow_none=True)
    communication_score = fields.Float(dump_only=True, allow_none=True)
    handling_score = fields.Float(dump_only=True, allow_none=True)
    total_score = fields.Float(dump_only=True, allow_none=True)
    knocked_out = fields.Boolean(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(
        required=True,
        allow_none=True,
        validate=VERSION_RANGE,
        metadata={"description": "the version the answers are based on; null for the first save"},
    )
    answers = fields.List(
        fields.Nested(AnswerSchema),
        required=True,
        metadata={
            "description": "every item not derived from the contact's times; answers to derived "
            "items are ignored (they are computed)"
        },
    )


class EvidenceSchema(Schema):
    id = fields.Integer()
    inquiry_id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "bytes"})
    sha256 = fields.String()
    uploaded_at = fields.DateTime()


class EvidenceUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={
            "description": "an image (PNG, JPEG, GIF, WebP), a PDF or audio (MP3, WAV, M4A, "
            "Ogg); the type is read from the content, and the name's extension must fit it"
        },
    )


class ContactLogSchema(Schema):
    inquiry_id = fields.Integer(dump_only=True)
    inquiry_status = fields.Enum(InquiryStatus, by_value=True, dump_only=True)
    status = fields.Enum(ReviewStatus, by_value=True, dump_only=True)
    not_contactable = fields.Enum(
        ContactabilityFailure,
        by_value=True,
        allow_none=True,
        load_default=None,
        metadata={"description": "why the inquiry could not be placed at all"},
    )
    wait_seconds = fields.Integer(allow_none=True, load_default=None)
    tries = fields.Integer(allow_none=True, load_default=None)
    no_answer = fields.Boolean(load_default=False)
    solved = fields.Boolean(
        allow_none=True, load_default=None, metadata={"description": "by the first answer"}
    )
    transcript = MultiLineText(load_default="", validate=validate.Length(max=50000))
    version = fields.Integer(
        required=True,
        validate=VERSION_RANGE,
        metadata={"description": "the version the change is based on"},
    )
    first_answer_at = fields.DateTime(dump_only=True, allow_none=True)
    answered_attempt = fields.Integer(dump_only=True, allow_none=True)
    first_response_seconds = fields.Float(
        dump_only=True,
        allow_none=True,
        metadata={"description": "calendar seconds; computed when the scorecard is saved"},
    )
    first_response_business_seconds = fields.Float(dump_only=True, allow_none=True)
    submitted_at = fields.DateTime(dump_only=True, allow_none=True)
    reviewed_at = fields.DateTime(dump_only=True, allow_none=True)
    reviewed_by_id = fields.Integer(dump_only=True, allow_none=True)
    review_comment = fields.String(dump_only=True)
    attempts = fields.List(fields.Nested(AttemptSchema), dump_only=True)
    replies = fields.List(fields.Nested(ReplySchema), dump_only=True)
    evaluation = fields.Nested(EvaluationSchema, dump_only=True, allow_none=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), dump_only=True)


class ReviewSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["approve", "return", "reopen"]),
        metadata={"description": "approve or return a submitted contact; reopen an approved one"},
    )
    comment = MultiLineText(
        load_default="",
        validate=validate.Length(max=5000),
        metadata={"description": "required to return or reopen"},
    )


class AuditTrailEntrySchema(Schema):
    at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    subject = fields.String()
    field = fields.String()
    old_value = fields.String(allow_none=True)
    new_value = fields.String(allow_none=True)
    reason = fields.String()


# Output -------------------------------------------------------------------------------------


def _primary_evaluation(inquiry: Inquiry) -> Evaluation | None:
    return db.session.scalar(
        select(Evaluation).where(
            Evaluation.inquiry_id == inquiry.id, Evaluation.kind == EvaluationKind.PRIMARY
        )
    )


def _answer_value(item_type: ItemType | None, value: float | None) -> bool | int | float | None:
    """The stored value as the API takes it: yes/no as a bool, a scale step as an int."""
    if value is None:
        return None
    if item_type is ItemType.YES_NO:
        return bool(value)
    if item_type is ItemType.SCALE:
        return int(value)
    return value


def _evaluation_out(inquiry: Inquiry, evaluation: Evaluation | None) -> dict | None:
    if evaluation is None:
        return None
    types = {item.id: item.item_type for item in inquiry.wave.scorecard_version.items}
    data = {name: getattr(evaluation, name) for name in EvaluationSchema().dump_fields}
    data["answers"] = [
        {
            "item_id": answer.item_id,
            "value": _answer_value(types.get(answer.item_id), answer.value),
            "not_applicable": answer.not_applicable,
            "derived": answer.derived,
            "earned": answer.earned,
            "final": answer.final,
        }
        for answer in evaluation.answers
    ]
    return data


def _log_out(inquiry: Inquiry) -> dict:
    """The contact log with its attempts, replies, primary evaluation and evidence.

    Reading never creates the log: before the first save it is an empty draft of version 1.
    """
    log = db.session.scalar(select(ContactLog).where(ContactLog.inquiry_id == inquiry.id))
    if log is None:
        log = ContactLog(
            inquiry_id=inquiry.id,
            status=ReviewStatus.DRAFT,
            no_answer=False,
            transcript="",
            review_comment="",
            version=1,
        )
    data = {
        name: getattr(log, name)
        for name in ContactLogSchema().dump_fields
        if hasattr(ContactLog, name)
    }
    data["inquiry_status"] = inquiry.status
    data["first_answer_at"] = inquiry.first_answer_at
    data["answered_attempt"] = inquiry.answered_attempt
    data["attempts"] = list(inquiry.attempts)
    data["replies"] = [
        _reply_out(reply)
        for reply in db.session.scalars(
            select(InquiryReply)
            .where(InquiryReply.inquiry_id == inquiry.id)
            .order_by(InquiryReply.received_at, InquiryReply.id)
        )
    ]
    data["evaluation"] = _evaluation_out(inquiry, _primary_evaluation(inquiry))
    data["evidence"] = db.session.scalars(
        select(Evidence).where(Evidence.inquiry_id == inquiry.id).order_by(Evidence.id)
    ).all()
    return data


def _reply_out(reply: InquiryReply) -> dict:
    data = {name: getattr(reply, name) for name in ReplySchema().dump_fields if name != "text"}
    data["text"] = reply.body_text
    return data


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


# Input --------------------------------------------------------------------------------------


def _answers(inquiry: Inquiry, given: list[dict]) -> dict[int, Answer]:
    """The answers by item; unknown and repeated items are refused on their item."""
    items = {item.id: item for item in inquiry.wave.scorecard_version.items}
    answers: dict[int, Answer] = {}
    errors: dict[str, str] = {}
    for entry in given:
        item_id = entry["item_id"]
        item = items.get(item_id)
        if item is None:
            errors[field_name(item_id)] = str(contact_logs.SCORING_MESSAGES[UNKNOWN_ITEM])
        elif item_id in answers:
            errors[field_name(item_id)] = str(contact_logs.SCORING_MESSAGES[DUPLICATE_ANSWER])
        elif item.derived is None:
            answers[item_id] = Answer(item_id, entry["value"], entry["not_applicable"])
    if errors:
        raise ServiceError(errors)
    return answers


# Resources ----------------------------------------------------------------------------------


@blp.route("/<int:inquiry_id>/contact-log")
class ContactLogResource(MethodView):
    @allow(*VIEWERS)
    @blp.response(200, ContactLogSchema)
    def get(self, inquiry_id: int):
        """The contact log with attempts, replies, the scorecard's answers and the evidence."""
        return _log_out(get_inquiry_or_404(acting_user(), inquiry_id))

    @allow(*LOGGERS)
    @blp.arguments(ContactLogSchema)
    @blp.response(200, ContactLogSchema)
    def put(self, data, inquiry_id: int):
        """Record the outcome and transcript (all fields; missing ones take their defaults).

        A ``version`` older than the stored one is refused (422, field ``version``): reload
        the log and apply the change again.
        """
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        version = data.pop("version")
        contact_logs.save_contact_log(
            inquiry, acting_user(), contact_logs.ContactLogData(**data), version
        )
        return _log_out(inquiry)


@blp.route("/<int:inquiry_id>/attempts/<int:number>/sent")
class AttemptSentResource(MethodView):
    @allow(*LOGGERS)
    @blp.arguments(SentSchema)
    @blp.response(200, AttemptSchema)
    def post(self, data, inquiry_id: int, number: int):
        """Record when attempt ``number`` went out; changing a recorded time needs a reason."""
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        return contact_logs.record_sent(
            inquiry, acting_user(), number, _utc(data["sent_at"]), data["reason"]
        )


@blp.route("/<int:inquiry_id>/replies")
class RepliesResource(MethodView):
    @allow(*LOGGERS)
    @blp.arguments(ReplySchema)
    @blp.response(201, ReplySchema)
    def post(self, data, inquiry_id: int):
        """Log a reply the tester received (a call's answer, a chat message, a post)."""
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        reply = contact_logs.add_reply(
            inquiry,
            acting_user(),
            received_at=_utc(data["received_at"]),
            sender=data["sender"],
            text=data["text"],
            is_auto_acknowledgement=data["is_auto_acknowledgement"],
        )
        return _reply_out(reply)


@blp.route("/<int:inquiry_id>/evaluation")
class EvaluationResource(MethodView):
    @allow(*LOGGERS)
    @blp.arguments(EvaluationSchema)
    @blp.response(200, EvaluationSchema)
    def put(self, data, inquiry_id: int):
        """Answer the scorecard; the scores are computed on the server.

        Errors name the item (``item_<id>``). ``version`` may be null only for the first
        save; a stale or missing version is refused (422, field ``version``).
        """
        user = acting_user()
        inquiry = get_inquiry_or_404(user, inquiry_id)
        answers = _answers(inquiry, data["answers"])
        version = data["version"]
        if version is None:
            existing = db.session.scalar(
                select(Evaluation.id).where(
                    Evaluation.inquiry_id == inquiry.id,
                    Evaluation.evaluator_id == user.id,
                    Evaluation.kind == EvaluationKind.PRIMARY,
                )
            )
            if existing is not None:
                version = 0  # versions start at 1: the service refuses it as stale
        evaluation = contact_logs.save_evaluation(inquiry, user, answers, version)
        return _evaluation_out(inquiry, evaluation)


@blp.route("/<int:inquiry_id>/submit")
class SubmitResource(MethodView):
    @allow(*LOGGERS)
    @blp.response(200, ContactLogSchema)
    def post(self, inquiry_id: int):
        """Hand the contact log and its scorecard to review."""
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        contact_logs.submit(inquiry, acting_user())
        return _log_out(inquiry)


@blp.route("/<int:inquiry_id>/review")
class ReviewResource(MethodView):
    @allow(*REVIEWERS)
    @blp.arguments(ReviewSchema)
    @blp.response(200, ContactLogSchema)
    def post(self, data, inquiry_id: int):
        """Approve or return a submitted contact (a return needs a comment), or reopen one."""
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        action = {
            "approve": contact_logs.approve,
            "return": contact_logs.return_for_correction,
            "reopen": contact_logs.reopen,
        }[data["decision"]]
        action(inquiry, acting_user(), data["comment"])
        return _log_out(inquiry)


@blp.route("/<int:inquiry_id>/audit-trail")
class AuditTrailResource(MethodView):
    @allow(*REVIEWERS)
    @blp.response(200, AuditTrailEntrySchema(many=True))
    def get(self, inquiry_id: int):
        """Every change to the log, the scorecard and the review: who, when, from what to what."""
        return contact_logs.audit_trail(get_inquiry_or_404(acting_user(), inquiry_id))


@blp.route("/<int:inquiry_id>/evidence")
class EvidenceUploadResource(MethodView):
    @allow(*LOGGERS)
    @blp.arguments(EvidenceUploadSchema, location="files")
    @blp.response(201, EvidenceSchema)
    def post(self, files, inquiry_id: int):
        """Attach a file (multipart/form-data, part ``file``) while the log is editable."""
        inquiry = get_inquiry_or_404(acting_user(), inquiry_id)
        return evidence.save_evidence(inquiry, acting_user(), files["file"])


@blp.route("/evidence/<int:evidence_id>")
class EvidenceResource(MethodView):
    @allow(*VIEWERS)
    @blp.doc(
        responses={
            "200": {
                "description": "The file as an attachment, with its detected content type.",
                "content": {
                    content_type: {"schema": {"type": "string", "format": "binary"}}
                    for content_type in evidence.ALLOWED_TYPES
                },
            }
        }
    )
    def get(self, evidence_id: int):
        """Download an evidence file."""
        return evidence.send_evidence(get_evidence_or_404(acting_user(), evidence_id))

    @allow(*LOGGERS)
    @blp.response(204)
    def delete(self, evidence_id: int):
        """Remove an evidence file while the log is editable; the trail keeps its name."""
        item = get_evidence_or_404(acting_user(), evidence_id)
        inquiry = db.session.get_one(Inquiry, item.inquiry_id)
        evidence.delete_evidence(inquiry, acting_user(), item)
