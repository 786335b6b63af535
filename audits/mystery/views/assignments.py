"""The tester's pages: my assignments (the inquiries to make, most urgent first) and the
personal calendar feed of them."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import bp
from audits.mystery import calendar
from audits.mystery import waves as service
from audits.mystery.models import (
    ContactLog,
    Inquiry,
    InquiryStatus,
    ReviewStatus,
    Wave,
    WaveStatus,
)
from qcrm.accounts import external_url
from qcrm.extensions import db
from qcrm.forms import ConfirmForm
from qcrm.models import Role
from qcrm.permissions import allow, public


@bp.route("/my-inquiries")
@allow(Role.TESTER)
def my_inquiries():
    """The tester's workspace: due now (overdue first), to log, returned, upcoming, done."""
    rows = db.session.execute(
        select(Inquiry, ContactLog.status)
        .join(Wave, Inquiry.wave_id == Wave.id)
        .outerjoin(ContactLog, ContactLog.inquiry_id == Inquiry.id)
        .where(
            Inquiry.tester_id == current_user.id,
            Wave.status.in_([WaveStatus.SCHEDULED, WaveStatus.RUNNING, WaveStatus.CLOSED]),
            Inquiry.status != InquiryStatus.CANCELLED,
        )
        .order_by(Inquiry.overdue_at.is_(None), Inquiry.planned_at)
        .limit(500)
    ).all()
    service.preload_inquiry_details([inquiry for inquiry, _status in rows])
    sections: dict[str, list[Inquiry]] = {
        "due": [],
        "to_log": [],
        "returned": [],
        "upcoming": [],
        "done": [],
    }
    for inquiry, review in rows:
        if review is ReviewStatus.RETURNED:
            sections["returned"].append(inquiry)
        elif review in (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED):
            sections["done"].append(inquiry)
        elif inquiry.status is InquiryStatus.DUE:
            sections["due"].append(inquiry)
        elif inquiry.status is InquiryStatus.PLANNED:
            sections["upcoming"].append(inquiry)
        else:
            sections["to_log"].append(inquiry)
    sections["done"] = sections["done"][-20:]
    return render_template(
        "audits/my_inquiries.html",
        sections=sections,
        has_calendar=calendar.has_feed(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """The tester's calendar feed; the unguessable token in the URL is the credential."""
    tester = calendar.tester_for_token(token)
    if tester is None:
        abort(404)
    response = make_response(calendar.feed_for(tester))
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/my-inquiries/calendar", methods=["POST"])
@allow(Role.TESTER)
def renew_calendar():
    """Create (or replace) the tester's calendar URL; the old one stops working."""
    if ConfirmForm().validate_on_submit():
        token = calendar.new_feed_token(current_user)
        flash(
            _(
                "Your calendar address (subscribe to it in your calendar app; it is shown "
                "only now): %(url)s",
                url=external_url("audits.calendar_feed", token=token),
            ),
            "success",
        )
    return redirect(url_for("audits.my_inquiries"))


@bp.route("/my-inquiries/calendar/revoke", methods=["POST"])
@allow(Role.TESTER)
def revoke_calendar():
    if ConfirmForm().validate_on_submit():
        calendar.revoke_feed(current_user)
        flash(_("Your calendar address no longer works."), "success")
    return redirect(url_for("audits.my_inquiries"))
