"""Pages for invitations: the list with its figures, the CSV upload with its preview, taking
the valid rows, deleting addresses; and the respondents' opt-out page."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import csrf, db
from qcrm.forms import put_errors_on_form
from qcrm.input_guard import query_page
from qcrm.permissions import allow, public
from surveys import bp, respond_bp
from surveys import invitations as service
from surveys.access import SURVEY_EDITORS, get_survey_or_404
from surveys.anonymity import SHOWN_STATES, shown_state, states_shown_as
from surveys.invitation_forms import DeleteAddressesForm, TakeForm, UploadForm
from surveys.labels import DELIVERY_LABELS, INVITATION_STATE_LABELS
from surveys.models import Invitation, InvitationState, Survey
from surveys.recipients_csv import MAX_BYTES, parse_recipients

PER_PAGE = 50
EVENT_DETAIL_LABELS = {
    service.DETAIL_CSV: _l("from a CSV upload"),
    service.DETAIL_API: _l("through the API"),
    service.DETAIL_SUPPRESSED: _l("opted out of another survey of this client earlier"),
    service.DETAIL_OTHER_SURVEY: _l("opted out from another survey of this client"),
}


def _render_page(survey: Survey, upload_form: UploadForm, status: int = 200):
    state = request.args.get("state", "")
    query = select(Invitation).where(Invitation.survey_id == survey.id)
    if state in {s.value for s in SHOWN_STATES}:
        query = query.where(Invitation.state.in_(states_shown_as(InvitationState(state))))
    else:
        state = ""
    page = db.paginate(
        query.order_by(Invitation.id),
        page=query_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "surveys/invitations.html",
        survey=survey,
        counts=service.invitation_counts(survey),
        failures=service.delivery_failures(survey),
        mail_problems=service.mail_problems(page.items),
        is_open=survey.is_open(utcnow()),
        page=page,
        state=state,
        events=service.events_of([invitation.id for invitation in page.items]),
        channels={c.id: c for c in survey.client.channels},
        upload_form=upload_form,
        delete_form=DeleteAddressesForm(),
        state_labels=INVITATION_STATE_LABELS,
        shown_states=SHOWN_STATES,
        shown_state=shown_state,
        delivery_labels=DELIVERY_LABELS,
        detail_labels=EVENT_DETAIL_LABELS,
    ), status


def _render_preview(survey: Survey, check: service.RecipientCheck, changed: bool = False):
    take_form = TakeForm(rows=service.sign_recipients(survey, check.valid))
    return render_template(
        "surveys/invitation_preview.html",
        survey=survey,
        check=check,
        take_form=take_form,
        changed=changed,
        channels={c.id: c for c in survey.client.channels},
    )


@bp.route("/<int:survey_id>/invitations")
@allow(*SURVEY_EDITORS)
def invitations(survey_id: int):
    """Invitations of a survey with their figures and history, and the recipients upload."""
    return _render_page(get_survey_or_404(current_user, survey_id), UploadForm())


@bp.route("/<int:survey_id>/invitations/upload", methods=["POST"])
@allow(*SURVEY_EDITORS)
def upload_invitations(survey_id: int):
    """Check an uploaded recipients file and show the preview; nothing is stored yet."""
    survey = get_survey_or_404(current_user, survey_id)
    form = UploadForm()
    if form.validate_on_submit():
        try:
            service.check_can_invite(survey)
            rows = parse_recipients(form.file.data.read(MAX_BYTES + 1), form.encoding.data)
            check = service.check_recipients(survey, rows)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            db.session.rollback()
            return _render_preview(survey, check)
    return _render_page(survey, form, 400)


@bp.route("/<int:survey_id>/invitations/take", methods=["POST"])
@allow(*SURVEY_EDITORS)
def take_invitations(survey_id: int):
    """Store the valid rows of a preview as invitations, all or none."""
    survey = get_survey_or_404(current_user, survey_id)
    form = TakeForm()
    if not form.validate_on_submit():
        flash(_("The preview could not be read. Please upload the file again."), "danger")
        return redirect(url_for("surveys.invitations", survey_id=survey_id))
    try:
        rows = service.unsign_recipients(survey, form.rows.data)
        added = service.add_invitations(survey, rows, utcnow(), detail=service.DETAIL_CSV)
    except service.RecipientsRejected as rejected:
        db.session.rollback()
        flash(
            _("Since the preview some rows can no longer be invited; nothing is stored yet."),
            "warning",
        )
        return _render_preview(survey, rejected.check, changed=True)
    except ServiceError as error:
        db.session.rollback()
        for messages in error.errors.values():
            for message in messages:
                flash(message, "danger")
        return redirect(url_for("surveys.invitations", survey_id=survey_id))
    flash(
        ngettext(
            "%(num)d invitation is added; the scheduler mails it while the survey is open.",
            "%(num)d invitations are added; the scheduler mails them while the survey is open.",
            added,
        ),
        "success",
    )
    return redirect(url_for("surveys.invitations", survey_id=survey_id))


@bp.route("/<int:survey_id>/invitations/delete-addresses", methods=["POST"])
@allow(*SURVEY_EDITORS)
def delete_addresses(survey_id: int):
    """Delete the survey's addresses after a ticked confirmation; responses stay."""
    survey = get_survey_or_404(current_user, survey_id)
    form = DeleteAddressesForm()
    if form.validate_on_submit():
        deleted = service.delete_addresses(survey, utcnow())
        flash(
            ngettext("%(num)d address is deleted.", "%(num)d addresses are deleted.", deleted),
            "success",
        )
    else:
        flash(_("Tick the box to confirm that all addresses are to be deleted."), "warning")
    return redirect(url_for("surveys.invitations", survey_id=survey_id))


@respond_bp.route("/i/<token>/opt-out", methods=["GET", "POST"])
@public
@csrf.exempt  # RFC 8058: mail programs post the one-click opt-out without any token of ours
def opt_out(token: str):
    """Ask (GET) and opt out (POST) of this client's surveys; posting only ever opts out."""
    invitation = service.invitation_for_token(token)
    if invitation is None:
        return render_template("surveys/opt_out.html", survey=None), 404
    survey = invitation.survey
    if request.method == "POST":
        service.opt_out(invitation, utcnow())
    with force_locale(survey.language):
        page = render_template(
            "surveys/opted_out.html" if request.method == "POST" else "surveys/opt_out.html",
            survey=survey,
        )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
