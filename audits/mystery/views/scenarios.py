"""Pages for scenarios: quality managers write the test stories testers follow."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from audits import bp
from audits.mystery import scenarios as service
from audits.mystery.forms.scenarios import ScenarioFilterForm, ScenarioForm
from audits.mystery.models import Difficulty, Scenario, ScenarioCategory
from qcrm.clients import CHANNEL_TYPE_LABELS
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import LANGUAGE_LABELS, ConfirmForm, put_errors_on_form
from qcrm.models import Role
from qcrm.permissions import allow

EDITORS = (Role.ADMIN, Role.MANAGER)


def _labels() -> dict[str, object]:
    return {
        "category_labels": service.SCENARIO_CATEGORY_LABELS,
        "difficulty_labels": service.DIFFICULTY_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "channel_type_names": {
            member.value: label for member, label in CHANNEL_TYPE_LABELS.items()
        },
    }


def _enum_or_none(enum_cls, value):
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


@bp.route("/scenarios")
@allow(*EDITORS)
def scenarios():
    """List the scenarios, searchable and filtered by category, language and difficulty."""
    filters = ScenarioFilterForm(formdata=request.args)
    language = filters.language.data
    rows = db.session.scalars(
        service.scenario_list(
            include_archived=bool(filters.archived.data),
            search=(filters.q.data or "")[:100],
            category=_enum_or_none(ScenarioCategory, filters.category.data),
            language=language if language in service.SCENARIO_LANGUAGES else None,
            difficulty=_enum_or_none(Difficulty, filters.difficulty.data),
        )
    ).all()
    return render_template(
        "audits/scenarios.html",
        scenarios=rows,
        filters=filters,
        confirm_form=ConfirmForm(),
        **_labels(),
    )


def _scenario_data(form: ScenarioForm) -> service.ScenarioData:
    return service.ScenarioData(
        title=form.title.data or "",
        category=form.category.data,
        script=form.script.data or "",
        expected_answer=form.expected_answer.data or "",
        solved_criteria=form.solved_criteria.data or "",
        difficulty=form.difficulty.data,
        channel_types=tuple(form.channel_types.data or ()),
        language=form.language.data,
    )


def _render_form(form: ScenarioForm, scenario: Scenario | None = None):
    return render_template("audits/scenario_form.html", form=form, scenario=scenario), (
        400 if form.errors else 200
    )


@bp.route("/scenarios/new", methods=["GET", "POST"])
@allow(*EDITORS)
def new_scenario():
    form = ScenarioForm()
    if form.validate_on_submit():
        try:
            scenario = service.create_scenario(_scenario_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("Scenario %(title)s is created.", title=scenario.title), "success")
            return redirect(url_for("audits.scenario", scenario_id=scenario.id))
    return _render_form(form)


@bp.route("/scenarios/<int:scenario_id>")
@allow(*EDITORS)
def scenario(scenario_id: int):
    """Show a scenario with its script, expected answer and what counts as solved."""
    return render_template(
        "audits/scenario.html",
        scenario=db.get_or_404(Scenario, scenario_id),
        confirm_form=ConfirmForm(),
        **_labels(),
    )


@bp.route("/scenarios/<int:scenario_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    form = ScenarioForm(obj=scenario)
    if form.validate_on_submit():
        try:
            service.update_scenario(scenario, _scenario_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The scenario is saved."), "success")
            return redirect(url_for("audits.scenario", scenario_id=scenario.id))
    return _render_form(form, scenario)


@bp.route("/scenarios/<int:scenario_id>/archive", methods=["POST"])
@allow(*EDITORS)
def archive_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    if ConfirmForm().validate_on_submit():
        service.archive_scenario(scenario)
        flash(_("The scenario is archived; waves that use it keep it."), "success")
    return redirect(url_for("audits.scenario", scenario_id=scenario.id))


@bp.route("/scenarios/<int:scenario_id>/restore", methods=["POST"])
@allow(*EDITORS)
def restore_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    if ConfirmForm().validate_on_submit():
        try:
            service.restore_scenario(scenario)
        except ServiceError as error:
            db.session.rollback()
            flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")
        else:
            flash(_("The scenario is active again."), "success")
    return redirect(url_for("audits.scenario", scenario_id=scenario.id))
