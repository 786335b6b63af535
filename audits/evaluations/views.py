"""The calibration pages: a reviewer scores a contact independently, and the agreement of all
independent scorings of a wave, per item."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import bp
from audits.evaluations.calibration import ALPHA_ACCEPTABLE, calibration_report
from audits.evaluations.forms import EvaluationForm, answers_from_request
from audits.evaluations.models import Evaluation, EvaluationKind
from audits.mystery import contact_logs
from audits.mystery.access import (
    REVIEWERS,
    get_inquiry_or_404,
    get_wave_or_404,
)
from audits.mystery.models import (
    ContactLog,
    Inquiry,
    InquiryReply,
    ReviewStatus,
)
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import expected_version
from qcrm.permissions import allow


@bp.route("/inquiries/<int:inquiry_id>/calibrate", methods=["GET", "POST"])
@allow(*REVIEWERS)
def calibrate(inquiry_id: int):
    """Score a contact independently (the tester's answers stay hidden) to check agreement."""
    inquiry = get_inquiry_or_404(current_user, inquiry_id)
    form = EvaluationForm(prefix="calibration")
    errors: dict[str, list[str]] = {}
    own = db.session.scalar(
        select(Evaluation).where(
            Evaluation.inquiry_id == inquiry.id,
            Evaluation.evaluator_id == current_user.id,
            Evaluation.kind == EvaluationKind.CALIBRATION,
        )
    )
    if form.validate_on_submit():
        try:
            contact_logs.save_evaluation(
                inquiry,
                current_user,
                answers_from_request(inquiry.wave.scorecard_version),
                expected_version(form.version.data),
                kind=EvaluationKind.CALIBRATION,
            )
        except ServiceError as error:
            db.session.rollback()
            errors = error.errors
        else:
            flash(_("Your calibration scoring is saved."), "success")
            return redirect(url_for("audits.calibration", wave_id=inquiry.wave_id))
    if request.method == "GET":
        form.version.data = own.version if own else ""
    replies = db.session.scalars(
        select(InquiryReply)
        .where(InquiryReply.inquiry_id == inquiry.id)
        .order_by(InquiryReply.received_at)
    ).all()
    return render_template(
        "audits/calibrate.html",
        inquiry=inquiry,
        log=contact_logs.contact_log(inquiry),
        replies=replies,
        form=form,
        given={a.item_id: a for a in own.answers} if own else {},
        evaluation_errors=errors,
        item_errors=any(key.startswith("item_") for key in errors),
        editable=True,
    ), (400 if errors else 200)


@bp.route("/waves/<int:wave_id>/calibration")
@allow(*REVIEWERS)
def calibration(wave_id: int):
    """Agreement between the tester's and the reviewers' independent scorings, per item."""
    wave = get_wave_or_404(current_user, wave_id)
    return render_template(
        "audits/calibration.html",
        wave=wave,
        report=calibration_report(wave),
        acceptable=ALPHA_ACCEPTABLE,
        contacts=db.session.scalars(
            select(Inquiry)
            .join(ContactLog, ContactLog.inquiry_id == Inquiry.id)
            .where(Inquiry.wave_id == wave.id, ContactLog.status != ReviewStatus.DRAFT)
            .order_by(Inquiry.planned_at)
            .limit(100)
        ).all(),
    )
