"""The contact page: the tester logs the contact and answers the scorecard; managers review."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import bp
from audits.evaluations.forms import EvaluationForm, answers_from_request
from audits.evaluations.models import Evaluation, EvaluationKind
from audits.mystery import contact_logs, evidence
from audits.mystery.access import (
    REVIEWERS,
    get_evidence_or_404,
    get_inquiry_or_404,
)
from audits.mystery.forms.contacts import (
    CONTACTABILITY_LABELS,
    ContactLogForm,
    EvidenceForm,
    ReplyForm,
    ReviewForm,
    SentForm,
    contact_log_form,
)
from audits.mystery.labels import REVIEW_STATUS_LABELS
from audits.mystery.models import (
    AuditTrailEntry,
    ContactabilityFailure,
    Evidence,
    Inquiry,
    InquiryReply,
)
from audits.scorecards.labels import METHOD_DIMENSION_LABELS
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, expected_version, put_errors_on_form
from qcrm.models import Role, User
from qcrm.permissions import allow

VIEWERS = (Role.ADMIN, Role.MANAGER, Role.TESTER)


def _to_utc(local: dt.datetime, inquiry: Inquiry) -> dt.datetime:
    return local.replace(tzinfo=ZoneInfo(inquiry.channel.time_zone)).astimezone(dt.UTC)


def _local(moment: dt.datetime | None, inquiry: Inquiry) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(inquiry.channel.time_zone)).replace(tzinfo=None)


def _primary_evaluation(inquiry: Inquiry) -> Evaluation | None:
    return db.session.scalar(
        select(Evaluation).where(
            Evaluation.inquiry_id == inquiry.id, Evaluation.kind == EvaluationKind.PRIMARY
        )
    )


def _log_form(inquiry: Inquiry, log) -> ContactLogForm:
    form = contact_log_form(
        inquiry.channel.type,
        version=log.version,
        outcome="not_contactable"
        if log.not_contactable
        else "no_answer"
        if log.no_answer
        else "open",
        not_contactable=log.not_contactable.value if log.not_contactable else "",
        wait_minutes=None if log.wait_seconds is None else log.wait_seconds // 60,
        tries=log.tries,
        solved="" if log.solved is None else ("yes" if log.solved else "no"),
        transcript=log.transcript,
    )
    return form


def _render(inquiry: Inquiry, status: int = 200, **forms):
    log = contact_logs.contact_log(inquiry)
    db.session.commit()
    evaluation = _primary_evaluation(inquiry)
    given = {a.item_id: a for a in evaluation.answers} if evaluation else {}
    replies = db.session.scalars(
        select(InquiryReply)
        .where(InquiryReply.inquiry_id == inquiry.id)
        .order_by(InquiryReply.received_at)
    ).all()
    editable = current_user.role is Role.TESTER and log.status in contact_logs.EDITABLE_BY_TESTER
    next_attempt = next((a for a in inquiry.attempts if a.sent_at is None), None)
    sent_form = forms.get("sent_form") or SentForm(
        attempt=str(next_attempt.number if next_attempt else 1),
        sent_at=_local(next_attempt.due_at if next_attempt else None, inquiry),
    )
    return render_template(
        "audits/contact.html",
        inquiry=inquiry,
        log=log,
        evaluation=evaluation,
        given=given,
        replies=replies,
        editable=editable,
        can_review=current_user.role in REVIEWERS,
        next_attempt=next_attempt,
        sent_form=sent_form,
        reply_form=forms.get("reply_form") or ReplyForm(),
        log_form=forms.get("log_form") or _log_form(inquiry, log),
        evaluation_form=forms.get("evaluation_form")
        or EvaluationForm(prefix="evaluation", version=evaluation.version if evaluation else ""),
        evaluation_errors=forms.get("evaluation_errors", {}),
        item_errors=any(k.startswith("item_") for k in forms.get("evaluation_errors", {})),
        review_form=forms.get("review_form") or ReviewForm(),
        confirm_form=ConfirmForm(),
        evidence_form=forms.get("evidence_form") or EvidenceForm(),
        evidence_files=db.session.scalars(
            select(Evidence).where(Evidence.inquiry_id == inquiry.id).order_by(Evidence.id)
        ).all(),
        trail=contact_logs.audit_trail(inquiry) if current_user.role in REVIEWERS else [],
        contactability_labels=CONTACTABILITY_LABELS,
        local=lambda moment: _local(moment, inquiry),
        review_labels=REVIEW_STATUS_LABELS,
        method_labels={d.value: label for d, label in METHOD_DIMENSION_LABELS.items()},
        trail_users=_trail_users(inquiry) if current_user.role in REVIEWERS else {},
    ), status


def _trail_users(inquiry: Inquiry) -> dict[int, str]:
    """Names of the people in the audit trail, in one query."""
    ids = select(AuditTrailEntry.user_id).where(AuditTrailEntry.inquiry_id == inquiry.id)
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _done(inquiry: Inquiry, message: str):
    flash(message, "success")
    return redirect(url_for("audits.contact", inquiry_id=inquiry.id))


@bp.route("/inquiries/<int:inquiry_id>")
@allow(*VIEWERS)
def contact(inquiry_id: int):
    """One inquiry with its contact log, replies, scorecard, evidence and review."""
    return _render(get_inquiry_or_404(current_user, inquiry_id))


@bp.route("/inquiries/<int:inquiry_id>/sent", methods=["POST"])
@allow(Role.TESTER)
def record_sent(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = SentForm()
    if form.validate_on_submit():
        try:
            contact_logs.record_sent(
                inquiry,
                current_user,
                int(form.attempt.data),
                _to_utc(form.sent_at.data, inquiry),
                form.reason.data or "",
            )
        except (ServiceError, ValueError) as error:
            db.session.rollback()
            if isinstance(error, ServiceError):
                put_errors_on_form(form, error)
            else:
                form.attempt.errors = [_("Unknown attempt.")]
        else:
            return _done(inquiry, _("The sending time is recorded."))
    return _render(inquiry, 400, sent_form=form)


@bp.route("/inquiries/<int:inquiry_id>/replies", methods=["POST"])
@allow(Role.TESTER)
def add_reply(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            contact_logs.add_reply(
                inquiry,
                current_user,
                received_at=_to_utc(form.received_at.data, inquiry),
                sender=form.sender.data or "",
                text=form.text.data,
                is_auto_acknowledgement=form.is_auto_acknowledgement.data,
            )
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            return _done(inquiry, _("The reply is recorded."))
    return _render(inquiry, 400, reply_form=form)


@bp.route("/inquiries/<int:inquiry_id>/log", methods=["POST"])
@allow(Role.TESTER)
def save_log(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = contact_log_form(inquiry.channel.type)
    if form.validate_on_submit():
        failure = form.not_contactable.data if form.outcome.data == "not_contactable" else ""
        if form.outcome.data == "not_contactable" and not failure:
            form.not_contactable.errors = [_("Say why contact was not possible.")]
            return _render(inquiry, 400, log_form=form)
        data = contact_logs.ContactLogData(
            not_contactable=ContactabilityFailure(failure) if failure else None,
            **_waiting(form, contact_logs.contact_log(inquiry)),
            no_answer=form.outcome.data == "no_answer",
            solved=None if not form.solved.data else form.solved.data == "yes",
            transcript=form.transcript.data or "",
        )
        try:
            contact_logs.save_contact_log(
                inquiry, current_user, data, expected_version(form.version.data)
            )
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            return _done(inquiry, _("The contact log is saved."))
    return _render(inquiry, 400, log_form=form)


def _waiting(form: ContactLogForm, log) -> dict[str, int | None]:
    """Waiting time and tries from the form, or as stored where the form has no such fields."""
    if form.wait_minutes is None:
        return {"wait_seconds": log.wait_seconds, "tries": log.tries}
    minutes = form.wait_minutes.data
    return {"wait_seconds": None if minutes is None else minutes * 60, "tries": form.tries.data}


@bp.route("/inquiries/<int:inquiry_id>/evaluation", methods=["POST"])
@allow(Role.TESTER)
def save_evaluation(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = EvaluationForm(prefix="evaluation")
    if form.validate_on_submit():
        try:
            contact_logs.save_evaluation(
                inquiry,
                current_user,
                answers_from_request(inquiry.wave.scorecard_version),
                expected_version(form.version.data),
            )
        except ServiceError as error:
            db.session.rollback()
            return _render(inquiry, 400, evaluation_form=form, evaluation_errors=error.errors)
        return _done(inquiry, _("The scorecard is saved and scored."))
    return _render(inquiry, 400, evaluation_form=form)


@bp.route("/inquiries/<int:inquiry_id>/submit", methods=["POST"])
@allow(Role.TESTER)
def submit(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    if ConfirmForm().validate_on_submit():
        try:
            contact_logs.submit(inquiry, current_user)
        except ServiceError as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(message, "danger")
            return redirect(url_for("audits.contact", inquiry_id=inquiry.id))
        return _done(inquiry, _("The contact is submitted for review."))
    return redirect(url_for("audits.contact", inquiry_id=inquiry.id))


@bp.route("/inquiries/<int:inquiry_id>/review", methods=["POST"])
@allow(*REVIEWERS)
def review(inquiry_id: int):
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = ReviewForm()
    if form.validate_on_submit():
        action = {
            "approve": contact_logs.approve,
            "return": contact_logs.return_for_correction,
            "reopen": contact_logs.reopen,
        }[form.decision.data]
        try:
            action(inquiry, current_user, form.comment.data or "")
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            return _done(inquiry, _("The review is recorded."))
    return _render(inquiry, 400, review_form=form)


@bp.route("/inquiries/<int:inquiry_id>/evidence", methods=["POST"])
@allow(Role.TESTER)
def upload_evidence(inquiry_id: int):
    """Attach a screenshot, image, PDF or recording to the contact log."""
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            saved = evidence.save_evidence(inquiry, current_user, form.file.data)
        except ServiceError as error:
            db.session.rollback()
            # every refusal concerns the file: its type, size or name
            form.file.errors = [m for messages in error.errors.values() for m in messages]
        else:
            return _done(inquiry, _("%(name)s is attached.", name=saved.original_name))
    return _render(inquiry, 400, evidence_form=form)


@bp.route("/evidence/<int:evidence_id>")
@allow(*VIEWERS)
def download_evidence(evidence_id: int):
    """Serve an evidence file as a download (never rendered inline)."""
    return evidence.send_evidence(get_evidence_or_404(current_user, evidence_id))


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@allow(Role.TESTER)
def delete_evidence(evidence_id: int):
    item = get_evidence_or_404(current_user, evidence_id)
    inquiry = db.session.get_one(Inquiry, item.inquiry_id)
    if ConfirmForm().validate_on_submit():
        try:
            evidence.delete_evidence(inquiry, current_user, item)
        except ServiceError as error:
            db.session.rollback()
            flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")
        else:
            return _done(inquiry, _("The file is removed."))
    return redirect(url_for("audits.contact", inquiry_id=inquiry.id))
