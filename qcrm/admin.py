"""User administration: admins create users, set roles and client access, deactivate."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields import SelectChoice

from qcrm import accounts
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, UserForm, put_errors_on_form
from qcrm.mail import MailReport
from qcrm.models import Client, MailStatus, Role, User
from qcrm.permissions import allow

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user) if request.method == "GET" and user else UserForm()
    form.client_ids.choices = [
        SelectChoice(client.id, client.name)
        for client in db.session.scalars(
            select(Client).where(Client.archived_at.is_(None)).order_by(func.lower(Client.name))
        )
    ]
    if request.method == "GET" and user is not None:
        form.client_ids.data = [client.id for client in user.clients]
        form.language.data = user.language or ""
    return form


def _user_data(form: UserForm) -> accounts.UserData:
    return accounts.UserData(
        email=form.email.data,
        name=form.name.data,
        role=form.role.data,
        active=form.active.data,
        all_clients=form.all_clients.data,
        language=form.language.data or None,
        client_ids=tuple(form.client_ids.data or ()),
    )


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    """List all users with their role, status and clients."""
    rows = db.session.scalars(select(User).order_by(User.active.desc(), func.lower(User.name)))
    return render_template("admin/users.html", users=rows.all())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    """Create a user; they receive an invitation to set their own password."""
    form = _user_form()
    if form.validate_on_submit():
        try:
            user, report = accounts.create_user(_user_data(form))
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            if report is not None:
                _flash_invitation(user, report)
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), (
        400 if form.errors else 200
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            accounts.update_user(user, _user_data(form), acting=current_user)
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            flash(_("The user is saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        invite_form=ConfirmForm(),
        login_history=accounts.login_history(user),
    ), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@allow(Role.ADMIN)
def resend_invitation(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        _flash_invitation(user, accounts.invite_again(user))
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _flash_invitation(user: User, report: MailReport) -> None:
    """Say what became of the invitation mail: "e-mailed" only once a mail server took it."""
    if report.status is MailStatus.SENT:
        flash(_("An invitation has been e-mailed to %(name)s.", name=user.name), "success")
    elif report.status is MailStatus.BOUNCED:
        flash(
            _(
                "The mail server refused the address of %(name)s (%(error)s); the invitation "
                "did not reach them. Check the address.",
                name=user.name,
                error=report.error,
            ),
            "danger",
        )
    elif report.status is MailStatus.FAILED:
        message = (
            _(
                "The invitation to %(name)s could not be sent yet (%(error)s); it is retried "
                "automatically.",
                name=user.name,
                error=report.error,
            )
            if report.retrying
            else _(
                "The invitation to %(name)s could not be sent (%(error)s).",
                name=user.name,
                error=report.error,
            )
        )
        flash(message, "warning")
    else:
        flash(_("The invitation to %(name)s is queued and will be sent shortly.", name=user.name))
