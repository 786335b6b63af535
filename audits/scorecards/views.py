"""Pages for scorecards: quality managers keep versioned lists of criteria."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from audits import bp
from audits.scorecards import versions as service
from audits.scorecards.forms import ScorecardForm, ScorecardItemForm
from audits.scorecards.labels import (
    COMPARISON_SYMBOLS,
    DERIVED_MEASURE_LABELS,
    ITEM_TYPE_LABELS,
    KNOCKOUT_SCOPE_LABELS,
    KNOCKOUT_SCOPE_SHORT_LABELS,
    METHOD_DIMENSION_DESCRIPTIONS,
    METHOD_DIMENSION_LABELS,
    QUALITY_DIMENSION_LABELS,
)
from audits.scorecards.models import (
    ItemType,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, put_errors_on_form
from qcrm.models import Role
from qcrm.permissions import allow

EDITORS = (Role.ADMIN, Role.MANAGER)
SECONDS_PER_MINUTE = 60
#: The quality dimension a new item of a method dimension most likely measures.
DEFAULT_QUALITY = {
    MethodDimension.TRANSACTION: QualityDimension.REACHABILITY,
    MethodDimension.COMMUNICATION: QualityDimension.COMPETENCE,
    MethodDimension.HANDLING: QualityDimension.PROCESS,
}


def threshold_text(item: ScorecardItem) -> str:
    """ "≤ 2 min" or "≤ 1": the item's threshold as the pages show it (durations in minutes)."""
    if item.threshold is None or item.comparison is None:
        return ""
    if item.item_type is ItemType.DURATION:
        minutes = format_decimal(item.threshold / SECONDS_PER_MINUTE, format="#,##0.##")
        value = _("%(minutes)s min", minutes=minutes)
    else:
        value = format_decimal(item.threshold, format="#,##0.##")
    return f"{COMPARISON_SYMBOLS[item.comparison]} {value}"


def _render(template: str, **context: object) -> str:
    return render_template(
        template,
        method_labels=METHOD_DIMENSION_LABELS,
        method_descriptions=METHOD_DIMENSION_DESCRIPTIONS,
        quality_labels=QUALITY_DIMENSION_LABELS,
        item_type_labels=ITEM_TYPE_LABELS,
        knockout_labels=KNOCKOUT_SCOPE_LABELS,
        knockout_short_labels=KNOCKOUT_SCOPE_SHORT_LABELS,
        derived_labels=DERIVED_MEASURE_LABELS,
        threshold_text=threshold_text,
        **context,
    )


def _flash_errors(error: ServiceError) -> None:
    flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")


def _confirmed() -> bool:
    """Check a button's CSRF token; say so when it has expired."""
    if ConfirmForm().validate_on_submit():
        return True
    flash(_("The form has expired. Please send it again."), "warning")
    return False


def _version_url(version: ScorecardVersion) -> str:
    return url_for("audits.scorecard_version", version_id=version.id)


# Scorecards -----------------------------------------------------------------------------------


@bp.route("/scorecards/")
@allow(*EDITORS)
def scorecards():
    """List the scorecards with their latest version."""
    include_archived = request.args.get("archived") == "1"
    search = request.args.get("q", "")[:100]
    rows = db.session.execute(
        service.scorecard_list(include_archived=include_archived, search=search)
    ).all()
    return _render(
        "audits/scorecards.html", rows=rows, include_archived=include_archived, search=search
    )


@bp.route("/scorecards/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new_scorecard():
    form = ScorecardForm()
    if form.validate_on_submit():
        try:
            scorecard = service.create_scorecard(
                service.ScorecardData(form.name.data, form.description.data or "")
            )
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("Scorecard %(name)s is created.", name=scorecard.name), "success")
            return redirect(_version_url(service.latest_version(scorecard)))
    return _render("audits/scorecard_form.html", form=form, scorecard=None), (
        400 if form.errors else 200
    )


@bp.route("/scorecards/<int:scorecard_id>")
@allow(*EDITORS)
def scorecard(scorecard_id: int):
    """Show a scorecard's latest version."""
    scorecard = db.get_or_404(Scorecard, scorecard_id)
    return redirect(_version_url(service.latest_version(scorecard)))


@bp.route("/scorecards/<int:scorecard_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_scorecard(scorecard_id: int):
    scorecard = db.get_or_404(Scorecard, scorecard_id)
    form = ScorecardForm(obj=scorecard)
    if form.validate_on_submit():
        try:
            service.update_scorecard(
                scorecard, service.ScorecardData(form.name.data, form.description.data or "")
            )
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The scorecard is saved."), "success")
            return redirect(_version_url(service.latest_version(scorecard)))
    return _render("audits/scorecard_form.html", form=form, scorecard=scorecard), (
        400 if form.errors else 200
    )


@bp.route("/scorecards/<int:scorecard_id>/archive", methods=["POST"])
@allow(*EDITORS)
def archive_scorecard(scorecard_id: int):
    scorecard = db.get_or_404(Scorecard, scorecard_id)
    if _confirmed():
        service.archive_scorecard(scorecard)
        flash(_("The scorecard is archived; waves that use it keep it."), "success")
    return redirect(_version_url(service.latest_version(scorecard)))


@bp.route("/scorecards/<int:scorecard_id>/restore", methods=["POST"])
@allow(*EDITORS)
def restore_scorecard(scorecard_id: int):
    scorecard = db.get_or_404(Scorecard, scorecard_id)
    if _confirmed():
        try:
            service.restore_scorecard(scorecard)
        except ServiceError as error:
            db.session.rollback()
            _flash_errors(error)
        else:
            flash(_("The scorecard is active again."), "success")
    return redirect(_version_url(service.latest_version(scorecard)))


@bp.route("/scorecards/<int:scorecard_id>/versions", methods=["POST"])
@allow(*EDITORS)
def new_scorecard_version(scorecard_id: int):
    """Start a new draft version (a copy of the latest), or go to the draft that exists."""
    scorecard = db.get_or_404(Scorecard, scorecard_id)
    if not _confirmed():
        return redirect(_version_url(service.latest_version(scorecard)))
    previous = service.latest_version(scorecard)
    try:
        version = service.new_version(scorecard)
    except ServiceError as error:
        db.session.rollback()
        _flash_errors(error)
        return redirect(_version_url(previous))
    if version.id != previous.id:
        flash(
            _(
                "Version %(number)d is created as a copy of version %(previous)d; you can "
                "change it until a wave using it is scheduled.",
                number=version.number,
                previous=previous.number,
            ),
            "success",
        )
    else:
        flash(_("Version %(number)d is still a draft: change it here.", number=version.number))
    return redirect(_version_url(version))


# Versions and items ---------------------------------------------------------------------------


@bp.route("/scorecards/versions/<int:version_id>")
@allow(*EDITORS)
def scorecard_version(version_id: int):
    """Show a version's criteria grouped by method dimension, with its summary."""
    version = db.get_or_404(ScorecardVersion, version_id)
    scorecard = version.scorecard
    latest = service.latest_version(scorecard)
    return _render(
        "audits/scorecard_version.html",
        scorecard=scorecard,
        version=version,
        latest=latest,
        groups=service.items_by_method(version),
        summary=service.scorecard_summary(version),
        can_edit=not version.is_frozen and not scorecard.is_archived,
        confirm_form=ConfirmForm(),
    )


def _item_data(form: ScorecardItemForm) -> service.ItemData:
    """The form's input as the service takes it: seconds instead of minutes, shares not %."""
    threshold = form.threshold.data
    if threshold is not None and form.item_type.data is ItemType.DURATION:
        threshold = threshold * SECONDS_PER_MINUTE
    target = form.target_pass_rate.data
    return service.ItemData(
        method_dimension=form.method_dimension.data,
        quality_dimension=form.quality_dimension.data,
        text=form.text.data or "",
        item_type=form.item_type.data,
        help_text=form.help_text.data or "",
        allows_not_applicable=form.allows_not_applicable.data,
        weight=form.weight.data,
        knockout=form.knockout.data,
        threshold=threshold,
        comparison=form.comparison.data,
        target_pass_rate=None if target is None else target / 100,
        derived=form.derived.data,
    )


def _fill_item_form(form: ScorecardItemForm, item: ScorecardItem) -> None:
    """Show a stored item in the form's units (minutes, per cent)."""
    if item.threshold is not None and item.item_type is ItemType.DURATION:
        form.threshold.data = round(item.threshold / SECONDS_PER_MINUTE, 4)
    if item.target_pass_rate is not None:
        form.target_pass_rate.data = round(item.target_pass_rate * 100, 4)


def _refuse_frozen(version: ScorecardVersion):
    """Send the user back to a version that cannot be changed, saying why."""
    if version.scorecard.is_archived:
        flash(_("The scorecard is archived; restore it first."), "warning")
    else:
        flash(
            _(
                "Version %(number)d is frozen because a scheduled wave uses it. Create a new "
                "version to change the criteria.",
                number=version.number,
            ),
            "warning",
        )
    return redirect(_version_url(version))


def _render_item_form(form: ScorecardItemForm, version: ScorecardVersion, item=None):
    if form.errors and not any(
        form[name].errors for name in ("method_dimension", "quality_dimension", "item_type")
    ):
        # Show the rule problems of the other fields too, not one round of errors at a time.
        problems = service.item_problems(version, _item_data(form), item)
        for name, message in problems.items():
            if name in form and not form[name].errors:
                form[name].errors = [message]
    return _render(
        "audits/scorecard_item_form.html",
        form=form,
        version=version,
        scorecard=version.scorecard,
        item=item,
    ), (400 if form.errors else 200)


@bp.route("/scorecards/versions/<int:version_id>/items/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new_scorecard_item(version_id: int):
    version = db.get_or_404(ScorecardVersion, version_id)
    if version.is_frozen or version.scorecard.is_archived:
        return _refuse_frozen(version)
    form = ScorecardItemForm()
    if request.method == "GET":
        method = next(
            (d for d in MethodDimension if d.value == request.args.get("method")),
            MethodDimension.COMMUNICATION,
        )
        form.method_dimension.data = method
        form.quality_dimension.data = DEFAULT_QUALITY[method]
    if form.validate_on_submit():
        try:
            item = service.add_item(version, _item_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The criterion “%(text)s” is added.", text=item.text), "success")
            return redirect(_version_url(version) + f"#item-{item.id}")
    return _render_item_form(form, version)


@bp.route("/scorecards/items/<int:item_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_scorecard_item(item_id: int):
    item = db.get_or_404(ScorecardItem, item_id)
    version = item.version
    if version.is_frozen or version.scorecard.is_archived:
        return _refuse_frozen(version)
    form = ScorecardItemForm(obj=item)
    if request.method == "GET":
        _fill_item_form(form, item)
    if form.validate_on_submit():
        try:
            service.update_item(item, _item_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The criterion is saved."), "success")
            return redirect(_version_url(version) + f"#item-{item.id}")
    return _render_item_form(form, version, item)


def _change_item(item_id: int, change, message: str | None):
    """Run a POSTed change on an item and go back to its version page."""
    item = db.get_or_404(ScorecardItem, item_id)
    version = item.version
    anchor = f"#item-{item.id}"
    if not _confirmed():
        return redirect(_version_url(version) + anchor)
    try:
        change(item)
    except ServiceError as error:
        db.session.rollback()
        _flash_errors(error)
    else:
        if message:
            flash(message, "success")
            anchor = ""
    return redirect(_version_url(version) + anchor)


@bp.route("/scorecards/items/<int:item_id>/remove", methods=["POST"])
@allow(*EDITORS)
def remove_scorecard_item(item_id: int):
    return _change_item(item_id, service.remove_item, _("The criterion is removed."))


@bp.route("/scorecards/items/<int:item_id>/up", methods=["POST"])
@allow(*EDITORS)
def move_scorecard_item_up(item_id: int):
    return _change_item(item_id, lambda item: service.move_item(item, -1), None)


@bp.route("/scorecards/items/<int:item_id>/down", methods=["POST"])
@allow(*EDITORS)
def move_scorecard_item_down(item_id: int):
    return _change_item(item_id, lambda item: service.move_item(item, 1), None)
