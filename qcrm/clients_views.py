"""Pages for clients and their channels: managers edit, executives read."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qcrm import clients as service
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ChannelForm, ClientForm, ConfirmForm, put_errors_on_form
from qcrm.models import Role
from qcrm.permissions import allow, get_channel_or_404, get_client_or_404

bp = Blueprint("clients", __name__, url_prefix="/clients")

EDITORS = (Role.ADMIN, Role.MANAGER)
READERS = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE)


@bp.route("/")
@allow(*READERS)
def index():
    """List the clients the user may see, with their number of active channels."""
    include_archived = request.args.get("archived") == "1"
    search = request.args.get("q", "")[:100]
    rows = db.session.execute(
        service.client_list(current_user, include_archived=include_archived, search=search)
    ).all()
    return render_template(
        "clients/index.html", rows=rows, include_archived=include_archived, search=search
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new():
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client = service.create_client(
                service.ClientData(form.name.data, form.kind.data, form.notes.data or ""),
                acting=current_user,
            )
        except ServiceError as error:
            put_errors_on_form(form, error)
        else:
            flash(_("Client %(name)s is created.", name=client.name), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/client_form.html", form=form, client=None), (
        400 if form.errors else 200
    )


@bp.route("/<int:client_id>")
@allow(*READERS)
def show(client_id: int):
    client = get_client_or_404(current_user, client_id)
    include_archived = request.args.get("archived") == "1"
    channels = db.session.scalars(
        service.channels_of(client, include_archived=include_archived)
    ).all()
    return render_template(
        "clients/show.html",
        client=client,
        channels=channels,
        include_archived=include_archived,
        confirm_form=ConfirmForm(),
        can_edit=current_user.role in EDITORS,
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit(client_id: int):
    client = get_client_or_404(current_user, client_id)
    form = ClientForm(obj=client)
    if form.validate_on_submit():
        try:
            service.update_client(
                client, service.ClientData(form.name.data, form.kind.data, form.notes.data or "")
            )
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The client is saved."), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/client_form.html", form=form, client=client), (
        400 if form.errors else 200
    )


@bp.route("/<int:client_id>/archive", methods=["POST"])
@allow(*EDITORS)
def archive(client_id: int):
    client = get_client_or_404(current_user, client_id)
    if ConfirmForm().validate_on_submit():
        service.archive_client(client)
        flash(_("The client is archived; its data stays available."), "success")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.route("/<int:client_id>/restore", methods=["POST"])
@allow(*EDITORS)
def restore(client_id: int):
    client = get_client_or_404(current_user, client_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.restore_client(client)
        except ServiceError as error:
            db.session.rollback()
            flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")
        else:
            flash(_("The client is active again."), "success")
    return redirect(url_for("clients.show", client_id=client.id))


def _channel_data(form: ChannelForm) -> service.ChannelData:
    return service.ChannelData(
        type=form.type.data,
        name=form.name.data,
        address=form.address.data,
        business_hours=form.business_hours(),
        time_zone=(form.time_zone.data or "").strip(),
        active=form.active.data,
    )


def _render_channel_form(form: ChannelForm, client, channel=None):
    return render_template(
        "clients/channel_form.html",
        form=form,
        client=client,
        channel=channel,
        time_zones=sorted(service.time_zones()),
    ), (400 if form.errors else 200)


@bp.route("/<int:client_id>/channels/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new_channel(client_id: int):
    client = get_client_or_404(current_user, client_id)
    form = ChannelForm()
    if request.method == "GET":
        for day in service.WEEKDAYS[:5]:
            form[f"hours_{day}"].data = "08:00-18:00"
    if form.validate_on_submit():
        try:
            channel = service.create_channel(client, _channel_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("Channel %(name)s is created.", name=channel.name), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return _render_channel_form(form, client)


@bp.route("/channels/<int:channel_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_channel(channel_id: int):
    channel = get_channel_or_404(current_user, channel_id)
    form = ChannelForm(obj=channel)
    if request.method == "GET":
        for day, text in service.format_business_hours(channel.business_hours).items():
            form[f"hours_{day}"].data = text
    if form.validate_on_submit():
        try:
            service.update_channel(channel, _channel_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The channel is saved."), "success")
            return redirect(url_for("clients.show", client_id=channel.client_id))
    return _render_channel_form(form, channel.client, channel)


@bp.route("/channels/<int:channel_id>/archive", methods=["POST"])
@allow(*EDITORS)
def archive_channel(channel_id: int):
    channel = get_channel_or_404(current_user, channel_id)
    if ConfirmForm().validate_on_submit():
        service.archive_channel(channel)
        flash(_("The channel is archived."), "success")
    return redirect(url_for("clients.show", client_id=channel.client_id))


@bp.route("/channels/<int:channel_id>/restore", methods=["POST"])
@allow(*EDITORS)
def restore_channel(channel_id: int):
    channel = get_channel_or_404(current_user, channel_id)
    if ConfirmForm().validate_on_submit():
        service.restore_channel(channel)
        flash(_("The channel is active again."), "success")
    return redirect(url_for("clients.show", client_id=channel.client_id))
