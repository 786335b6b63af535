"""Pages for personas and for the clients each tester must not audit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from wtforms.fields import SelectChoice

from audits import bp
from audits.mystery import personas as service
from audits.mystery.forms.personas import ExcludedClientsForm, PersonaFilterForm, PersonaForm
from audits.mystery.models import Persona
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, put_errors_on_form
from qcrm.models import Client, Role, User
from qcrm.permissions import allow, visible_clients

EDITORS = (Role.ADMIN, Role.MANAGER)


@bp.route("/personas")
@allow(*EDITORS)
def personas():
    """List the personas with their contact details and who may use them."""
    filters = PersonaFilterForm(formdata=request.args)
    rows = db.session.scalars(
        service.persona_list(
            include_archived=bool(filters.archived.data), search=(filters.q.data or "")[:100]
        )
    ).all()
    warnings = {
        persona.id: service.persona_warnings(service.persona_data(persona)) for persona in rows
    }
    return render_template(
        "audits/personas.html",
        personas=rows,
        warnings=warnings,
        filters=filters,
        confirm_form=ConfirmForm(),
        platform_labels=service.SOCIAL_PLATFORMS,
    )


def _persona_form(persona: Persona | None = None) -> PersonaForm:
    form = PersonaForm(obj=persona) if request.method == "GET" and persona else PersonaForm()
    kept = [tester for tester in persona.testers if not tester.active] if persona else []
    testers = [*db.session.scalars(service.active_testers()), *kept]
    form.tester_ids.choices = [SelectChoice(tester.id, tester.name) for tester in testers]
    if request.method == "GET" and persona is not None:
        form.tester_ids.data = [tester.id for tester in persona.testers]
        for platform, field in zip(service.SOCIAL_PLATFORMS, form.handle_fields(), strict=True):
            field.data = (persona.social_handles or {}).get(platform, "")
    return form


def _persona_data(form: PersonaForm) -> service.PersonaData:
    return service.PersonaData(
        display_name=form.display_name.data or "",
        email=form.email.data or None,
        phone=form.phone.data or None,
        social_handles=form.social_handles(),
        notes=form.notes.data or "",
        tester_ids=tuple(form.tester_ids.data or ()),
    )


def _flash_warnings(data: service.PersonaData) -> None:
    for warning in service.persona_warnings(data):
        flash(warning, "warning")


def _render_form(form: PersonaForm, persona: Persona | None = None):
    warnings = []
    if persona is not None and request.method == "GET":
        warnings = service.persona_warnings(service.persona_data(persona))
    return render_template(
        "audits/persona_form.html", form=form, persona=persona, warnings=warnings
    ), (400 if form.errors else 200)


@bp.route("/personas/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new_persona():
    form = _persona_form()
    if form.validate_on_submit():
        data = _persona_data(form)
        try:
            persona = service.create_persona(data)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("Persona %(name)s is created.", name=persona.display_name), "success")
            _flash_warnings(data)
            return redirect(url_for("audits.personas"))
    return _render_form(form)


@bp.route("/personas/<int:persona_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_persona(persona_id: int):
    persona = db.get_or_404(Persona, persona_id)
    form = _persona_form(persona)
    if form.validate_on_submit():
        data = _persona_data(form)
        try:
            service.update_persona(persona, data)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The persona is saved."), "success")
            _flash_warnings(data)
            return redirect(url_for("audits.personas"))
    return _render_form(form, persona)


@bp.route("/personas/<int:persona_id>/archive", methods=["POST"])
@allow(*EDITORS)
def archive_persona(persona_id: int):
    persona = db.get_or_404(Persona, persona_id)
    if ConfirmForm().validate_on_submit():
        service.archive_persona(persona)
        flash(_("The persona is archived; it is no longer planned."), "success")
    return redirect(url_for("audits.personas"))


@bp.route("/personas/<int:persona_id>/restore", methods=["POST"])
@allow(*EDITORS)
def restore_persona(persona_id: int):
    persona = db.get_or_404(Persona, persona_id)
    if ConfirmForm().validate_on_submit():
        service.restore_persona(persona)
        flash(_("The persona is active again."), "success")
    return redirect(url_for("audits.personas", archived="y"))


# Clients a tester must not audit -----------------------------------------------------------


@bp.route("/tester-exclusions")
@allow(*EDITORS)
def tester_exclusions():
    """List the testers with the clients they must not audit."""
    return render_template(
        "audits/tester_exclusions.html",
        rows=service.tester_exclusions(current_user),
        tester=None,
        form=None,
    )


def _get_tester_or_404(user_id: int) -> User:
    tester = db.session.get(User, user_id)
    if tester is None or tester.role is not Role.TESTER:
        abort(404)
    return tester


@bp.route("/tester-exclusions/<int:user_id>", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_tester_exclusions(user_id: int):
    """Choose the clients a tester must not audit, among those the manager sees."""
    tester = _get_tester_or_404(user_id)
    excluded = service.excluded_client_ids(tester)
    form = ExcludedClientsForm()
    clients = db.session.scalars(
        visible_clients(current_user)
        .where(or_(Client.archived_at.is_(None), Client.id.in_(excluded)))
        .order_by(func.lower(Client.name))
    )
    form.client_ids.choices = [SelectChoice(client.id, client.name) for client in clients]
    if request.method == "GET":
        form.client_ids.data = [c.value for c in form.client_ids.choices if c.value in excluded]
    if form.validate_on_submit():
        try:
            service.set_excluded_clients(tester, form.client_ids.data or (), acting=current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The excluded clients of %(name)s are saved.", name=tester.name), "success")
            return redirect(url_for("audits.tester_exclusions"))
    return render_template(
        "audits/tester_exclusions.html",
        rows=service.tester_exclusions(current_user),
        tester=tester,
        form=form,
    ), (400 if form.errors else 200)
