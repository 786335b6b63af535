"""Logging a mystery contact, answering its scorecard, and the review of both.

Every change is written to the audit trail in the same transaction as the change itself.
Saves carry the version the user started from; a save based on an older version is refused
(optimistic locking), so two people editing one contact never overwrite each other silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from audits.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind
from audits.mystery import replies
from audits.mystery.models import (
    AttemptState,
    AuditTrailEntry,
    ContactabilityFailure,
    ContactLog,
    Inquiry,
    InquiryAttempt,
    InquiryReply,
    InquiryStatus,
    ReviewStatus,
)
from audits.scorecards import scoring
from audits.scorecards.models import DerivedMeasure, ItemType, MethodDimension, ScorecardItem
from qcrm.business_time import business_seconds
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from qcrm.validation import check_number, check_text, refuse_control_characters

#: Upper bounds of a phone contact's figures, as the form has them.
MAX_WAIT_SECONDS = 10_000 * 60
MAX_TRIES = 1000
EDITABLE_BY_TESTER = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)

#: The scoring module speaks plain English; these are its messages for the user's language.
SCORING_MESSAGES = {
    scoring.MISSING: _l("Please answer this item."),
    scoring.NOT_APPLICABLE_NOT_ALLOWED: _l("This item cannot be answered with “not applicable”."),
    scoring.VALUE_AND_NOT_APPLICABLE: _l("Give either an answer or “not applicable”, not both."),
    scoring.NOT_YES_NO: _l("Please answer yes or no."),
    scoring.NOT_SCALE: _l("Please choose a whole number from 1 to 5."),
    scoring.NOT_NUMBER: _l("Please enter a number of at least 0."),
    scoring.NOT_DURATION: _l("Please enter a duration in seconds of at least 0."),
    scoring.UNKNOWN_ITEM: _l("This item is not part of the scorecard."),
    scoring.DUPLICATE_ANSWER: _l("This item is answered more than once."),
}


def _trail(
    inquiry: Inquiry,
    user: User | None,
    subject: str,
    field: str = "",
    old: object = None,
    new: object = None,
    reason: str = "",
) -> None:
    db.session.add(
        AuditTrailEntry(
            inquiry_id=inquiry.id,
            user_id=user.id if user else None,
            subject=subject,
            field=field,
            old_value=None if old is None else str(getattr(old, "value", old)),
            new_value=None if new is None else str(getattr(new, "value", new)),
            reason=reason,
        )
    )


def contact_log(inquiry: Inquiry) -> ContactLog:
    """The inquiry's contact log, created empty on first use."""
    log = db.session.scalar(select(ContactLog).where(ContactLog.inquiry_id == inquiry.id))
    if log is None:
        log = ContactLog(inquiry_id=inquiry.id, inquiry=inquiry)
        db.session.add(log)
        db.session.flush()
    return log


def _check_version(record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise ServiceError.on(
            "version",
            _(
                "Someone else saved this contact in the meantime. Reload the page to see their "
                "changes, then make yours again."
            ),
        )


def _check_editable(log: ContactLog) -> None:
    if log.status not in EDITABLE_BY_TESTER:
        raise ServiceError.on(
            "status", _("The contact log is submitted or approved and cannot be changed now.")
        )


@dataclass(frozen=True)
class ContactLogData:
    """What a tester records about the contact itself."""

    not_contactable: ContactabilityFailure | None = None
    wait_seconds: int | None = None
    tries: int | None = None
    no_answer: bool = False
    solved: bool | None = None
    transcript: str = ""


def save_contact_log(
    inquiry: Inquiry, user: User, data: ContactLogData, expected_version: int | None
) -> ContactLog:
    log = contact_log(inquiry)
    _check_version(log, expected_version)
    _check_editable(log)
    errors = {}
    if data.not_contactable and data.no_answer:
        errors["no_answer"] = _("A contact that could not be placed has no answer to wait for.")
    for name in ("wait_seconds", "tries"):
        value = getattr(data, name)
        if value is not None and value < 0:
            errors[name] = _("This must not be negative.")
    # the form's bounds (10,000 minutes, 1,000 tries); larger ones overflow the columns
    check_number(errors, "wait_seconds", data.wait_seconds, 0, MAX_WAIT_SECONDS)
    check_number(errors, "tries", data.tries, 0, MAX_TRIES)
    check_text(errors, "transcript", data.transcript, multi_line=True)
    if data.solved and (data.no_answer or data.not_contactable):
        errors["solved"] = _("Only an answer can solve the scenario.")
    if errors:
        raise ServiceError(errors)
    for field in fields(ContactLogData):
        old, new = getattr(log, field.name), getattr(data, field.name)
        if old != new:
            _trail(inquiry, user, "contact_log", field.name, old, new)
            setattr(log, field.name, new)
    if data.not_contactable and inquiry.status in (InquiryStatus.PLANNED, InquiryStatus.DUE):
        _trail(inquiry, user, "inquiry", "status", inquiry.status, InquiryStatus.NOT_CONTACTABLE)
        inquiry.status = InquiryStatus.NOT_CONTACTABLE
    _commit()
    return log


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ServiceError.on(
            "version", _("Someone else saved this contact in the meantime. Reload the page.")
        ) from None


def record_sent(
    inquiry: Inquiry, user: User, number: int, sent_at: dt.datetime, reason: str = ""
) -> InquiryAttempt:
    """The tester says when an attempt went out; changing a recorded time needs a reason."""
    _check_editable(contact_log(inquiry))
    attempt = next((a for a in inquiry.attempts if a.number == number), None)
    if attempt is None:
        raise ServiceError.on("attempt", _("This attempt is not due yet."))
    if sent_at > utcnow() + dt.timedelta(minutes=5):
        raise ServiceError.on("sent_at", _("The time lies in the future."))
    if attempt.sent_at is not None and attempt.sent_at != sent_at and not reason.strip():
        raise ServiceError.on("reason", _("Say why the recorded time is changed."))
    refuse_control_characters({"reason": reason}, multi_line=("reason",))
    changed = attempt.sent_at is not None and attempt.sent_at != sent_at
    _trail(inquiry, user, "attempt", f"attempt_{number}.sent_at", attempt.sent_at, sent_at, reason)
    attempt.sent_at, attempt.state = sent_at, AttemptState.SENT
    if number == 1:
        inquiry.note_first_sending(sent_at)
    if inquiry.status is InquiryStatus.DUE:
        inquiry.status = InquiryStatus.SENT
    if changed:
        status = inquiry.status
        replies.recount_answers(db.session, inquiry)
        if inquiry.status is not status:
            _trail(inquiry, user, "inquiry", "status", status, inquiry.status, reason)
    _commit()
    return attempt


def add_reply(
    inquiry: Inquiry,
    user: User,
    *,
    received_at: dt.datetime,
    sender: str,
    text: str,
    is_auto_acknowledgement: bool,
) -> InquiryReply:
    """A reply the tester saw (a phone call's answer, a chat message, a post)."""
    _check_editable(contact_log(inquiry))
    refuse_control_characters({"sender": sender, "text": text}, multi_line=("text",))
    sent = [a.sent_at for a in inquiry.attempts if a.sent_at is not None]
    if not sent:
        raise ServiceError.on("received_at", _("Record first when the inquiry was sent."))
    if received_at < min(sent):
        raise ServiceError.on(
            "received_at", _("The reply cannot have come before the inquiry was sent.")
        )
    timing = replies.reply_timing(inquiry, received_at)
    late = timing.late and not is_auto_acknowledgement
    reply = InquiryReply(
        inquiry_id=inquiry.id,
        received_at=received_at,
        sender=sender.strip()[:300],
        body_text=text,
        is_auto_acknowledgement=is_auto_acknowledgement,
        is_late=late,
        source="tester",
    )
    db.session.add(reply)
    _trail(inquiry, user, "reply", "received_at", None, received_at.isoformat())
    if late:
        _trail(inquiry, user, "reply", "late", None, True)
    elif not is_auto_acknowledgement:
        status = inquiry.status
        counted = replies.count_answer(db.session, inquiry, received_at, timing.attempt_number)
        if counted and status is not InquiryStatus.ANSWERED:
            _trail(inquiry, user, "inquiry", "status", status, InquiryStatus.ANSWERED)
    _commit()
    return reply


def _derived_answer(item: ScorecardItem, inquiry: Inquiry, log: ContactLog) -> scoring.Answer:
    """Transaction items that follow from the timestamps are computed, never typed."""
    answered = inquiry.first_answer_at is not None
    if item.derived is DerivedMeasure.ANSWERED:
        return scoring.Answer(item.id, answered)
    if item.derived is DerivedMeasure.SOLVED_AT_FIRST_ANSWER:
        return scoring.Answer(item.id, bool(answered and log.solved))
    hours = inquiry.wave.target_frt_within_hours
    if hours is None:  # the wave sets no response-time target: nothing to hold the item against
        return scoring.Answer(item.id, None, not_applicable=True)
    seconds = log.first_response_seconds
    return scoring.Answer(item.id, seconds is not None and seconds <= hours * 3600)


def first_response_times(inquiry: Inquiry) -> tuple[float | None, float | None]:
    """Seconds from the first sending to the first answer, on the calendar and in business time."""
    sent = [a.sent_at for a in inquiry.attempts if a.sent_at is not None]
    if not sent or inquiry.first_answer_at is None:
        return None, None
    start, end = min(sent), inquiry.first_answer_at
    channel = inquiry.channel
    return (
        (end - start).total_seconds(),
        business_seconds(start, end, channel.business_hours or {}, channel.time_zone),
    )


def save_evaluation(
    inquiry: Inquiry,
    user: User,
    answers: dict[int, scoring.Answer],
    expected_version: int | None,
    kind: EvaluationKind = EvaluationKind.PRIMARY,
) -> Evaluation:
    """Store the scorecard's answers and the scores computed from them."""
    log = contact_log(inquiry)
    if kind is EvaluationKind.PRIMARY:
        _check_editable(log)
    log.first_response_seconds, log.first_response_business_seconds = first_response_times(inquiry)
    items = inquiry.wave.scorecard_version.items
    typed = {i.id: answers.get(i.id) for i in items if i.derived is None}
    complete = [a for a in typed.values() if a is not None]
    complete += [_derived_answer(i, inquiry, log) for i in items if i.derived is not None]
    rules = [scoring.ItemRule.from_item(item) for item in items]
    errors = scoring.validate_answers(rules, complete)
    if errors:
        raise ServiceError(
            {name: str(SCORING_MESSAGES.get(message, message)) for name, message in errors.items()}
        )
    scores = scoring.compute_scores(rules, complete)
    evaluation = db.session.scalar(
        select(Evaluation).where(
            Evaluation.inquiry_id == inquiry.id,
            Evaluation.evaluator_id == user.id,
            Evaluation.kind == kind,
        )
    )
    if evaluation is None:
        evaluation = Evaluation(
            inquiry_id=inquiry.id,
            evaluator_id=user.id,
            kind=kind,
            scorecard_version_id=inquiry.wave.scorecard_version_id,
        )
        db.session.add(evaluation)
    else:
        _check_version(evaluation, expected_version)
    results = {r.item_id: r for r in scores.items}
    given = {a.item_id: a for a in complete}
    previous = {a.item_id: a for a in evaluation.answers}
    evaluation.answers = []
    db.session.flush()
    for item in items:
        answer, result = given[item.id], results[item.id]
        value = _stored_value(item, answer)
        old = previous.get(item.id)
        if old is None or (old.value, old.not_applicable) != (value, answer.not_applicable):
            _trail(
                inquiry,
                user,
                "evaluation",
                f"item_{item.id}",
                None if old is None else ("n/a" if old.not_applicable else old.value),
                "n/a" if answer.not_applicable else value,
            )
        evaluation.answers.append(
            EvaluationAnswer(
                item_id=item.id,
                value=value,
                not_applicable=answer.not_applicable,
                derived=item.derived is not None,
                earned=result.earned if result.applicable else None,
                final=result.final if result.applicable else None,
            )
        )
    for dimension in MethodDimension:
        name = f"{dimension.value}_score"
        new = scores.dimensions.get(dimension)
        if getattr(evaluation, name) != new:
            _trail(inquiry, user, "evaluation", name, getattr(evaluation, name), new)
            setattr(evaluation, name, new)
    if evaluation.total_score != scores.total:
        _trail(inquiry, user, "evaluation", "total_score", evaluation.total_score, scores.total)
    evaluation.total_score = scores.total
    evaluation.knocked_out = bool(scores.knockouts_triggered)
    _commit()
    return evaluation


def _stored_value(item: ScorecardItem, answer: scoring.Answer) -> float | None:
    if answer.not_applicable or answer.value is None:
        return None
    if item.item_type is ItemType.YES_NO:
        return 1.0 if answer.value else 0.0
    return float(answer.value)


def _outcome_known(inquiry: Inquiry, log: ContactLog) -> bool:
    return bool(
        log.not_contactable
        or log.no_answer
        or inquiry.first_answer_at is not None
        or inquiry.status is InquiryStatus.UNANSWERED
    )


def submit(inquiry: Inquiry, user: User) -> ContactLog:
    """Hand the log and its evaluation to review; a second submission is refused."""
    log = contact_log(inquiry)
    if not _outcome_known(inquiry, log):
        raise ServiceError.on(
            "outcome",
            _("Record the outcome first: an answer, “no answer”, or why contact was impossible."),
        )
    has_evaluation = db.session.scalar(
        select(Evaluation.id).where(
            Evaluation.inquiry_id == inquiry.id, Evaluation.kind == EvaluationKind.PRIMARY
        )
    )
    if not has_evaluation and not log.not_contactable:
        raise ServiceError.on("evaluation", _("Answer the scorecard first."))
    # replies may have been added after the scorecard was saved: store the final times
    log.first_response_seconds, log.first_response_business_seconds = first_response_times(inquiry)
    if log.no_answer and inquiry.status in (InquiryStatus.SENT, InquiryStatus.DUE):
        _trail(inquiry, user, "inquiry", "status", inquiry.status, InquiryStatus.UNANSWERED)
        inquiry.status = InquiryStatus.UNANSWERED
    won = db.session.execute(
        update(ContactLog)
        .where(ContactLog.id == log.id, ContactLog.status.in_(EDITABLE_BY_TESTER))
        .values(
            status=ReviewStatus.SUBMITTED, submitted_at=utcnow(), version=ContactLog.version + 1
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.session.rollback()
        raise ServiceError.on("status", _("The contact is submitted already."))
    _trail(inquiry, user, "review", "status", log.status, ReviewStatus.SUBMITTED)
    db.session.commit()
    db.session.refresh(log)
    return log


def _review(
    inquiry: Inquiry,
    user: User,
    allowed: tuple[ReviewStatus, ...],
    new: ReviewStatus,
    comment: str,
    required_comment: bool,
) -> ContactLog:
    log = contact_log(inquiry)
    if log.status not in allowed:
        raise ServiceError.on("status", _("This step is not possible in the contact's state."))
    if required_comment and not comment.strip():
        raise ServiceError.on("comment", _("Please say why."))
    refuse_control_characters({"comment": comment}, multi_line=("comment",))
    _trail(inquiry, user, "review", "status", log.status, new, comment.strip())
    log.status = new
    log.reviewed_at, log.reviewed_by_id = utcnow(), user.id
    log.review_comment = comment.strip()
    _commit()
    return log


def approve(inquiry: Inquiry, user: User, comment: str = "") -> ContactLog:
    return _review(inquiry, user, (ReviewStatus.SUBMITTED,), ReviewStatus.APPROVED, comment, False)


def return_for_correction(inquiry: Inquiry, user: User, comment: str) -> ContactLog:
    return _review(inquiry, user, (ReviewStatus.SUBMITTED,), ReviewStatus.RETURNED, comment, True)


def reopen(inquiry: Inquiry, user: User, reason: str) -> ContactLog:
    return _review(inquiry, user, (ReviewStatus.APPROVED,), ReviewStatus.RETURNED, reason, True)


def audit_trail(inquiry: Inquiry) -> list[AuditTrailEntry]:
    return list(
        db.session.scalars(
            select(AuditTrailEntry)
            .where(AuditTrailEntry.inquiry_id == inquiry.id)
            .order_by(AuditTrailEntry.at, AuditTrailEntry.id)
        )
    )
