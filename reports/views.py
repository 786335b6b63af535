"""Report pages: the list, a new report, the dashboard of a report or a wave, SWOT editing,
publishing. Managers (REPORT_EDITORS) draft, edit and publish; executives read published reports;
testers never see a report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms.fields import SelectChoice

from audits.mystery.access import get_wave_or_404
from audits.mystery.models import Wave
from qcrm.clients import CHANNEL_TYPE_LABELS
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, put_errors_on_form
from qcrm.input_guard import query_id
from qcrm.models import Channel, Client
from qcrm.permissions import allow, can_see_client, visible_clients
from reports import bp, dashboard, services
from reports.access import REPORT_EDITORS, REPORT_READERS, get_finding_or_404, get_report_or_404
from reports.analysis import ReportScope
from reports.dashboard import QUADRANT_HINTS, QUADRANT_LABELS, FindingView
from reports.forms import ComparisonForm, FindingForm, NewFindingForm, PublishForm, ReportForm
from reports.models import Report, ReportFinding, ReportStatus
from reports.snapshot import build_snapshot
from reports.swot import Quadrant
from surveys.access import SURVEY_READERS


def _status_labels() -> dict[ReportStatus, str]:
    return {ReportStatus.DRAFT: _("Draft"), ReportStatus.PUBLISHED: _("Published")}


def _names(model, ids: Iterable[int]) -> dict[int, str]:
    """Names of waves or channels by id, in one query (none without ids)."""
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _may_edit() -> bool:
    return current_user.role in REPORT_EDITORS


def _downloads() -> dict[str, bool]:
    """The PDF and XLSX downloads are linked once their endpoints exist."""
    views = current_app.view_functions
    return {"pdf": "reports.pdf" in views, "xlsx": "reports.xlsx" in views}


# --- list -----------------------------------------------------------------------------------------


@bp.get("/")
@allow(*REPORT_READERS)
def index():
    """The reports of the clients the user sees (executives: the published ones)."""
    reports = (
        db.session.scalars(
            services.visible_reports(current_user).options(joinedload(Report.client))
        )
        .unique()
        .all()
    )
    wave_names = _names(Wave, (i for r in reports for i in r.wave_ids or ()))
    channel_names = _names(Channel, (i for r in reports for i in r.channel_ids or ()))
    return render_template(
        "reports/index.html",
        reports=reports,
        wave_names=wave_names,
        channel_names=channel_names,
        status_labels=_status_labels(),
        may_edit=_may_edit(),
        has_subscriptions="reports.subscriptions" in current_app.view_functions,
    )


# --- new report -----------------------------------------------------------------------------------


def _fill_choices(form: ReportForm) -> None:
    """The user's clients, their waves and channels (waves and channels grouped by client)."""
    clients = (
        db.session.scalars(
            visible_clients(current_user)
            .where(Client.archived_at.is_(None))
            .order_by(func.lower(Client.name))
            .options(joinedload(Client.channels))
        )
        .unique()
        .all()
    )
    names = {c.id: c.name for c in clients}
    waves = db.session.scalars(
        select(Wave)
        .where(Wave.client_id.in_(list(names)))
        .order_by(Wave.period_start.desc(), Wave.id.desc())
    ).all()
    form.client_id.choices = [SelectChoice(c.id, c.name) for c in clients]
    form.wave_ids.choices = [
        SelectChoice(
            w.id,
            f"{w.name} ({format_date(w.period_start, 'short')}–"
            f"{format_date(w.period_end, 'short')})",
            optgroup=names[w.client_id],
        )
        for client in clients
        for w in waves
        if w.client_id == client.id
    ]
    form.channel_ids.choices = [
        SelectChoice(ch.id, f"{ch.name} ({CHANNEL_TYPE_LABELS[ch.type]})", optgroup=c.name)
        for c in clients
        for ch in c.channels
        if ch.archived_at is None
    ]


def _preselect(form: ReportForm) -> None:
    """``?wave_id=`` chooses that wave and its client and suggests a title."""
    wave_id = query_id("wave_id")
    wave = db.session.get(Wave, wave_id) if wave_id else None
    if wave is None or not can_see_client(current_user, wave.client_id):
        return
    form.client_id.data = wave.client_id
    form.wave_ids.data = [wave.id]
    form.title.data = _("Quality report: %(wave)s", wave=wave.name)


def _report_data(form: ReportForm) -> services.ReportData:
    start, end = form.period_start.data, form.period_end.data
    return services.ReportData(
        title=form.title.data or "",
        client_id=form.client_id.data,
        wave_ids=tuple(form.wave_ids.data or ()),
        period=(start, end) if start and end else None,
        channel_ids=tuple(form.channel_ids.data or ()),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*REPORT_EDITORS)
def new():
    form = ReportForm()
    _fill_choices(form)
    if request.method == "GET":
        _preselect(form)
    if form.validate_on_submit():
        try:
            report = services.create_report(_report_data(form), current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(
                _("The report is drafted. Check its figures and its SWOT, then publish it."),
                "success",
            )
            return redirect(url_for("reports.detail", report_id=report.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("reports/new.html", form=form), status


# --- dashboards -----------------------------------------------------------------------------------


def _link_rights() -> dict[str, bool]:
    return {
        "may_open_waves": current_user.role in REPORT_EDITORS,
        "may_open_surveys": current_user.role in SURVEY_READERS,
    }


def _generated_at(snapshot: Mapping[str, Any] | None) -> dt.datetime | None:
    value = (snapshot or {}).get("generated_at")
    return dt.datetime.fromisoformat(value) if value else None


@bp.get("/waves/<int:wave_id>")
@allow(*REPORT_READERS)
def wave_dashboard(wave_id: int):
    """The live figures of one wave (not stored): what a report of it would show now."""
    wave = get_wave_or_404(current_user, wave_id)
    snapshot = build_snapshot(ReportScope(wave.client_id, (wave.id,)), utcnow())
    swot = (snapshot.get("swot") or {}).values()
    names = _names(Wave, dashboard.link_wave_ids(snapshot, [d for items in swot for d in items]))
    return render_template(
        "reports/report.html",
        report=None,
        wave=wave,
        client=wave.client,
        board=dashboard.build(snapshot, names),
        findings=dashboard.snapshot_findings(snapshot, names, **_link_rights()),
        removed=[],
        scope_waves=[wave.name],
        scope_channels=[],
        generated_at=_generated_at(snapshot),
        may_edit=_may_edit(),
        editable=False,
        downloads={},
        **_labels(),
    )


def _labels() -> dict[str, Any]:
    return {
        "quadrants": list(Quadrant),
        "quadrant_labels": QUADRANT_LABELS,
        "quadrant_hints": QUADRANT_HINTS,
        "status_labels": _status_labels(),
    }


def _finding_views(
    findings: list[ReportFinding], names: Mapping[int, str]
) -> tuple[dict[Quadrant, list[FindingView]], list[FindingView]]:
    rights = _link_rights()
    quadrants: dict[Quadrant, list[FindingView]] = {q: [] for q in Quadrant}
    removed = []
    for finding in findings:
        view = FindingView(
            quadrant=finding.quadrant,
            text=dashboard.finding_text(finding.data, finding.text),
            edited=finding.edited,
            removed=finding.removed,
            generated=finding.rule is not None,
            id=finding.id,
            links=dashboard.finding_links((finding.data or {}).get("link"), names, **rights),
        )
        (removed if finding.removed else quadrants[finding.quadrant]).append(view)
    return quadrants, removed


def _comparison_form(report: Report) -> ComparisonForm:
    form = ComparisonForm()
    form.compare_with.choices = [
        (ComparisonForm.AUTOMATIC, _("The previous comparable wave (the rule)")),
        (ComparisonForm.NONE, _("No comparison")),
        *((str(w.id), w.name) for w in services.comparable_waves(report)),
    ]
    if report.no_comparison:
        form.compare_with.data = ComparisonForm.NONE
    elif report.comparison_wave_id is not None:
        form.compare_with.data = str(report.comparison_wave_id)
    else:
        form.compare_with.data = ComparisonForm.AUTOMATIC
    return form


def _render_report(
    report: Report,
    new_finding_form: NewFindingForm | None = None,
    comparison_form: ComparisonForm | None = None,
):
    snapshot = services.current_snapshot(report)
    findings = list(report.findings)
    names = _names(Wave, dashboard.link_wave_ids(snapshot or {}, [f.data for f in findings]))
    names.update(_names(Wave, set(report.wave_ids or ()) - set(names)))
    quadrants, removed = _finding_views(findings, names)
    editable = _may_edit() and report.status is ReportStatus.DRAFT
    return render_template(
        "reports/report.html",
        report=report,
        wave=None,
        client=report.client,
        board=dashboard.build(snapshot, names),
        findings=quadrants,
        removed=removed,
        scope_waves=[names.get(i, f"#{i}") for i in report.wave_ids or ()],
        scope_channels=list(_names(Channel, report.channel_ids or ()).values()),
        generated_at=_generated_at(snapshot),
        may_edit=_may_edit(),
        editable=editable,
        confirm_form=ConfirmForm(),
        publish_form=PublishForm(),
        new_finding_form=new_finding_form or NewFindingForm(),
        comparison_form=(comparison_form or _comparison_form(report)) if editable else None,
        downloads=_downloads(),
        **_labels(),
    )


@bp.get("/<int:report_id>")
@allow(*REPORT_READERS)
def detail(report_id: int):
    """A report's dashboard: its figures (stored when published, live for a draft) and SWOT."""
    return _render_report(get_report_or_404(current_user, report_id))


# --- SWOT editing and publishing (drafts only) ----------------------------------------------------


def _refused(report_id: int, error: ServiceError, anchor: str = "swot"):
    """A change the service refuses (e.g. the report was published meanwhile): said politely."""
    db.session.rollback()
    flash(" ".join(m for messages in error.errors.values() for m in messages), "warning")
    return redirect(url_for("reports.detail", report_id=report_id, _anchor=anchor))


def _read_only(report: Report):
    flash(_("The report is published and can no longer be changed."), "warning")
    return redirect(url_for("reports.detail", report_id=report.id))


@bp.route("/findings/<int:finding_id>/edit", methods=["GET", "POST"])
@allow(*REPORT_EDITORS)
def edit_finding(finding_id: int):
    """Reword a finding; the new wording is kept with the report and marked as edited."""
    finding = get_finding_or_404(current_user, finding_id)
    report = finding.report
    if report.status is not ReportStatus.DRAFT:
        return _read_only(report)
    generated = dashboard.finding_text(finding.data, None) if finding.rule else None
    form = FindingForm()
    if request.method == "GET":
        form.text.data = dashboard.finding_text(finding.data, finding.text)
    if form.validate_on_submit():
        try:
            services.edit_finding(finding, form.text.data or "")
        except ServiceError as error:
            if "report" in error.errors:
                return _refused(report.id, error)
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The finding is saved and marked as edited."), "success")
            return redirect(url_for("reports.detail", report_id=report.id, _anchor="swot"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "reports/edit_finding.html",
        form=form,
        finding=finding,
        report=report,
        generated=generated,
        quadrant_labels=QUADRANT_LABELS,
    ), status


@bp.post("/<int:report_id>/findings")
@allow(*REPORT_EDITORS)
def add_finding(report_id: int):
    report = get_report_or_404(current_user, report_id)
    if report.status is not ReportStatus.DRAFT:
        return _read_only(report)
    form = NewFindingForm()
    if not form.validate_on_submit():
        return _render_report(report, form), 400
    try:
        services.add_finding(report, form.quadrant_value(), form.text.data or "")
    except ServiceError as error:
        if "report" in error.errors:
            return _refused(report.id, error)
        db.session.rollback()
        put_errors_on_form(form, error)
        return _render_report(report, form), 400
    flash(_("The finding is added."), "success")
    return redirect(url_for("reports.detail", report_id=report.id, _anchor="swot"))


def _finding_action(finding_id: int, action, message: str):
    finding = get_finding_or_404(current_user, finding_id)
    report_id = finding.report_id
    if ConfirmForm().validate_on_submit():
        try:
            action(finding)
        except ServiceError as error:
            return _refused(report_id, error)
        flash(message, "success")
    return redirect(url_for("reports.detail", report_id=report_id, _anchor="swot"))


@bp.post("/findings/<int:finding_id>/remove")
@allow(*REPORT_EDITORS)
def remove_finding(finding_id: int):
    """A generated finding is kept as removed (it can be restored); an added one is deleted."""
    return _finding_action(finding_id, services.remove_finding, _("The finding is removed."))


@bp.post("/findings/<int:finding_id>/restore")
@allow(*REPORT_EDITORS)
def restore_finding(finding_id: int):
    return _finding_action(finding_id, services.restore_finding, _("The finding is back."))


@bp.post("/<int:report_id>/regenerate")
@allow(*REPORT_EDITORS)
def regenerate(report_id: int):
    """Apply the SWOT rules again to the current figures; edits and removals stay."""
    report = get_report_or_404(current_user, report_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.regenerate_findings(report)
        except ServiceError as error:
            return _refused(report.id, error)
        flash(_("The SWOT rules are applied to the current figures again."), "success")
    return redirect(url_for("reports.detail", report_id=report.id, _anchor="swot"))


@bp.post("/<int:report_id>/comparison")
@allow(*REPORT_EDITORS)
def choose_comparison(report_id: int):
    """Measure a draft's changes against another closed wave of its client, or none."""
    report = get_report_or_404(current_user, report_id)
    if report.status is not ReportStatus.DRAFT:
        return _read_only(report)
    form = ComparisonForm()
    if form.validate_on_submit():
        wave_id, none = form.choice()
        try:
            services.choose_comparison(report, wave_id, none)
        except ServiceError as error:
            if "report" in error.errors:
                return _refused(report.id, error, "trend")
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The comparison is changed; the SWOT rules were applied again."), "success")
            return redirect(url_for("reports.detail", report_id=report.id, _anchor="trend"))
    return _render_report(report, comparison_form=form), 400


@bp.post("/<int:report_id>/publish")
@allow(*REPORT_EDITORS)
def publish(report_id: int):
    """Store every figure with the report; from then on nobody can change it."""
    report = get_report_or_404(current_user, report_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("Tick the confirmation to publish the report."), "warning")
        return redirect(url_for("reports.detail", report_id=report.id, _anchor="publish"))
    try:
        services.publish_report(report, current_user)
    except ServiceError as error:
        return _refused(report.id, error)
    flash(_("The report is published. Its figures are frozen."), "success")
    return redirect(url_for("reports.detail", report_id=report.id))
