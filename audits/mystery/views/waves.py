"""Pages for waves: plan, draw and review the schedule, confirm, close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields import SelectChoice

from audits import bp
from audits.mystery import progress as progress_service
from audits.mystery import waves as service
from audits.mystery.access import get_wave_or_404
from audits.mystery.forms.waves import HOUR_BAND_LABELS, TIMEOUT_GROUPS, GenerateForm, WaveForm
from audits.mystery.labels import (
    DISPATCH_JOB_LABELS,
    INQUIRY_STATUS_LABELS,
    PLAN_PROBLEM_LABELS,
    WAVE_STATUS_LABELS,
)
from audits.mystery.models import (
    HourBand,
    Inquiry,
    Scenario,
    Wave,
    WaveStatus,
)
from audits.mystery.schedule import WEEKDAY_CODES
from audits.scorecards.versions import usable_versions
from qcrm import scheduler
from qcrm.clients import CHANNEL_TYPE_LABELS, WEEKDAY_SHORT_LABELS
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, put_errors_on_form
from qcrm.input_guard import query_page
from qcrm.models import Client, Role, User
from qcrm.permissions import allow, visible_clients

PLANNERS = (Role.ADMIN, Role.MANAGER)
INQUIRIES_PER_PAGE = 50


def _fill_choices(form: WaveForm) -> None:
    clients = db.session.scalars(
        visible_clients(current_user)
        .where(Client.archived_at.is_(None))
        .order_by(func.lower(Client.name))
    ).all()
    form.client_id.choices = [SelectChoice(c.id, c.name) for c in clients]
    form.channel_ids.choices = [
        SelectChoice(ch.id, f"{ch.name} ({CHANNEL_TYPE_LABELS[ch.type]})", optgroup=c.name)
        for c in clients
        for ch in c.channels
        if ch.archived_at is None
    ]
    form.scorecard_version_id.choices = [
        SelectChoice(v.id, _("%(name)s, version %(n)d", name=v.scorecard.name, n=v.number))
        for v in db.session.scalars(usable_versions())
    ]
    form.scenario_ids.choices = [
        SelectChoice(s.id, f"{s.title} ({s.language})")
        for s in db.session.scalars(
            select(Scenario).where(Scenario.archived_at.is_(None)).order_by(Scenario.title)
        )
    ]
    form.tester_ids.choices = [
        SelectChoice(u.id, u.name)
        for u in db.session.scalars(
            select(User).where(User.role == Role.TESTER, User.active.is_(True)).order_by(User.name)
        )
    ]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _share(value: Decimal | None) -> float | None:
    return None if value is None else float(value) / 100


def _wave_data(form: WaveForm) -> service.WaveData:
    timeouts = {
        channel_type.value: float(form[name].data)
        for name, (_label, types) in TIMEOUT_GROUPS.items()
        for channel_type in types
    }
    return service.WaveData(
        name=form.name.data or "",
        client_id=form.client_id.data,
        scorecard_version_id=form.scorecard_version_id.data,
        period_start=form.period_start.data,
        period_end=form.period_end.data,
        channel_ids=tuple(form.channel_ids.data or ()),
        scenario_ids=tuple(form.scenario_ids.data or ()),
        tester_ids=tuple(form.tester_ids.data or ()),
        contacts_per_cell=form.contacts_per_cell.data,
        weekdays=tuple(form.weekdays.data or ()),
        hour_bands=tuple(form.hour_bands.data or ()),
        within_business_hours=form.within_business_hours.data,
        answer_timeouts=timeouts,
        second_attempt_after_hours=_number(form.second_attempt_after_hours.data),
        auto_send_email=form.auto_send_email.data,
        target_answer_rate=_share(form.target_answer_rate.data),
        target_frt_median_minutes=_number(form.target_frt_median_minutes.data),
        target_frt_within_hours=_number(form.target_frt_within_hours.data),
        target_frt_within_share=_share(form.target_frt_within_share.data),
        target_dimension_scores={
            name: _number(form[f"target_{name}_score"].data)
            for name in ("transaction", "communication", "handling")
        },
        target_total_score=_number(form.target_total_score.data),
        lockout_days=form.lockout_days.data,
        persona_reuse_days=form.persona_reuse_days.data,
        daily_cap_per_tester=form.daily_cap_per_tester.data,
    )


def _form_for(wave) -> WaveForm:
    """The form, filled from the wave on GET."""
    if request.method != "GET" or wave is None:
        form = WaveForm()
        if request.method == "GET":
            today = utcnow().date()
            form.period_start.data = today + dt.timedelta(days=7)
            form.period_end.data = today + dt.timedelta(days=20)
        return form
    form = WaveForm(obj=wave)
    form.channel_ids.data = [c.id for c in wave.channels]
    form.scenario_ids.data = [s.id for s in wave.scenarios]
    form.tester_ids.data = [t.id for t in wave.testers]
    for name, (_label, types) in TIMEOUT_GROUPS.items():
        form[name].data = Decimal(str(wave.answer_timeouts.get(types[0].value, 72)))
    for name in ("target_answer_rate", "target_frt_within_share"):
        value = getattr(wave, name)
        form[name].data = None if value is None else Decimal(str(round(value * 100, 1)))
    for name in ("transaction", "communication", "handling"):
        value = wave.target_dimension_scores.get(name)
        form[f"target_{name}_score"].data = None if value is None else Decimal(str(value))
    return form


@bp.route("/waves")
@allow(*PLANNERS)
def waves():
    """List the waves of the clients the user sees, newest period first."""
    counts = (
        select(Inquiry.wave_id, func.count(Inquiry.id).label("inquiries"))
        .group_by(Inquiry.wave_id)
        .subquery()
    )
    rows = db.session.execute(
        service.visible_waves(current_user)
        .add_columns(func.coalesce(counts.c.inquiries, 0))
        .outerjoin(counts, counts.c.wave_id == Wave.id)
    ).all()
    return render_template("audits/waves.html", rows=rows, status_labels=WAVE_STATUS_LABELS)


@bp.route("/waves/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new_wave():
    form = _form_for(None)
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            wave = service.create_wave(_wave_data(form), acting=current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The wave is saved as a draft. Now draw its schedule."), "success")
            return redirect(url_for("audits.wave", wave_id=wave.id))
    return _render_form(form, None)


@bp.route("/waves/<int:wave_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
def edit_wave(wave_id: int):
    wave = get_wave_or_404(current_user, wave_id)
    form = _form_for(wave)
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            service.update_wave(wave, _wave_data(form), acting=current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The wave is saved; draw its schedule again."), "success")
            return redirect(url_for("audits.wave", wave_id=wave.id))
    return _render_form(form, wave)


def _render_form(form: WaveForm, wave):
    return render_template(
        "audits/wave_form.html", form=form, wave=wave, timeout_groups=TIMEOUT_GROUPS
    ), (400 if form.errors or form.form_errors else 200)


@bp.route("/waves/<int:wave_id>")
@allow(*PLANNERS)
def wave(wave_id: int):
    """The wave with its drawn schedule as grids, the rules it could not meet, and inquiries."""
    wave = get_wave_or_404(current_user, wave_id)
    grids = service.plan_grids(wave)
    days = []
    day = wave.period_start
    while day <= wave.period_end:
        days.append(day)
        day += dt.timedelta(days=1)
    page = db.paginate(
        select(Inquiry).where(Inquiry.wave_id == wave.id).order_by(Inquiry.planned_at, Inquiry.id),
        page=query_page(),
        per_page=INQUIRIES_PER_PAGE,
        error_out=False,
    )
    service.preload_inquiry_details(page.items)
    testers = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_([k for k in grids.by_tester if k]))
        )
    }
    return render_template(
        "audits/wave.html",
        wave=wave,
        grids=grids,
        days=days,
        bands=[HourBand(b) for b in wave.hour_bands],
        band_labels=HOUR_BAND_LABELS,
        weekday_short=[WEEKDAY_SHORT_LABELS[code] for code in WEEKDAY_CODES],
        testers=testers,
        page=page,
        confirm_form=ConfirmForm(),
        generate_form=GenerateForm(),
        previous=service.previous_comparable_wave(wave),
        dispatch=service.dispatch_summary(wave) if wave.status is not WaveStatus.DRAFT else None,
        progress=(
            progress_service.wave_progress(wave) if wave.status is not WaveStatus.DRAFT else None
        ),
        scheduler_state=scheduler.status(current_app),
        status_labels=WAVE_STATUS_LABELS,
        inquiry_status_labels=INQUIRY_STATUS_LABELS,
        problem_labels=PLAN_PROBLEM_LABELS,
        job_labels=DISPATCH_JOB_LABELS,
    )


def _action(wave_id: int, action, success: str):
    wave = get_wave_or_404(current_user, wave_id)
    if ConfirmForm().validate_on_submit():
        try:
            action(wave)
        except ServiceError as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(message, "danger")
        else:
            flash(success, "success")
    return redirect(url_for("audits.wave", wave_id=wave_id))


@bp.route("/waves/<int:wave_id>/schedule", methods=["POST"])
@allow(*PLANNERS)
def generate_schedule(wave_id: int):
    wave = get_wave_or_404(current_user, wave_id)
    form = GenerateForm()
    if form.validate_on_submit():
        try:
            plan = service.generate_schedule(wave, new_seed=form.new_seed.data)
        except ServiceError as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(message, "danger")
        else:
            unplanned = sum(plan.problems.values())
            if unplanned:
                flash(
                    ngettext(
                        "%(num)d inquiry is drawn; %(bad)d of them break a rule (see below).",
                        "%(num)d inquiries are drawn; %(bad)d of them break a rule (see below).",
                        len(plan.inquiries),
                        bad=unplanned,
                    ),
                    "warning",
                )
            else:
                flash(
                    ngettext(
                        "%(num)d inquiry is drawn.",
                        "%(num)d inquiries are drawn.",
                        len(plan.inquiries),
                    ),
                    "success",
                )
    return redirect(url_for("audits.wave", wave_id=wave_id))


@bp.route("/waves/<int:wave_id>/confirm", methods=["POST"])
@allow(*PLANNERS)
def confirm_wave(wave_id: int):
    return _action(
        wave_id,
        service.confirm_schedule,
        _("The schedule is confirmed; the scorecard version is frozen."),
    )


@bp.route("/waves/<int:wave_id>/close", methods=["POST"])
@allow(*PLANNERS)
def close_wave(wave_id: int):
    return _action(
        wave_id, service.close_wave, _("The wave is closed; open inquiries are cancelled.")
    )


@bp.route("/waves/<int:wave_id>/delete", methods=["POST"])
@allow(*PLANNERS)
def delete_wave(wave_id: int):
    wave = get_wave_or_404(current_user, wave_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.delete_draft(wave)
        except ServiceError as error:
            db.session.rollback()
            flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")
            return redirect(url_for("audits.wave", wave_id=wave_id))
        flash(_("The draft wave is deleted."), "success")
    return redirect(url_for("audits.waves"))
