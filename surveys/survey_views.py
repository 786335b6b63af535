"""Pages of the survey builder: managers build and run surveys, executives read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms.fields import SelectChoice

from qcrm.clients import CHANNEL_TYPE_LABELS
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.forms import ConfirmForm, put_errors_on_form
from qcrm.models import Client
from qcrm.permissions import allow, visible_clients
from surveys import bp
from surveys import surveys as service
from surveys.access import SURVEY_EDITORS, SURVEY_READERS, get_survey_or_404
from surveys.labels import (
    QUESTION_KIND_LABELS,
    SURVEY_LANGUAGE_LABELS,
    SURVEY_STATUS_BADGES,
    SURVEY_STATUS_LABELS,
)
from surveys.models import Question, Response, Survey
from surveys.survey_forms import MoveForm, QuestionForm, SurveyForm


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _to_utc(local: dt.datetime | None) -> dt.datetime | None:
    return None if local is None else local.replace(tzinfo=_zone()).astimezone(dt.UTC)


def _to_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(_zone()).replace(tzinfo=None)


def _labels() -> dict[str, object]:
    return {
        "status_labels": SURVEY_STATUS_LABELS,
        "status_badges": SURVEY_STATUS_BADGES,
        "kind_labels": QUESTION_KIND_LABELS,
        "language_labels": SURVEY_LANGUAGE_LABELS,
        "channel_type_labels": CHANNEL_TYPE_LABELS,
    }


@bp.route("/")
@allow(*SURVEY_READERS)
def index():
    """The surveys of the clients the user sees, with status and responses so far."""
    include_archived = request.args.get("archived") == "1"
    counts = (
        select(Response.survey_id, func.count(Response.id).label("responses"))
        .group_by(Response.survey_id)
        .subquery()
    )
    rows = db.session.execute(
        service.visible_surveys(current_user, include_archived=include_archived)
        .add_columns(func.coalesce(counts.c.responses, 0))
        .outerjoin(counts, counts.c.survey_id == Survey.id)
        .options(joinedload(Survey.client))
    ).all()
    now = utcnow()
    return render_template(
        "surveys/surveys.html",
        rows=[(survey, service.survey_status(survey, now), n) for survey, n in rows],
        include_archived=include_archived,
        can_edit=current_user.role in SURVEY_EDITORS,
        **_labels(),
    )


def _fill_choices(form: SurveyForm, survey: Survey | None) -> None:
    clients = db.session.scalars(
        visible_clients(current_user)
        .where(Client.archived_at.is_(None) | (Client.id == (survey.client_id if survey else -1)))
        .order_by(func.lower(Client.name))
        .options(joinedload(Client.channels))
    ).unique()
    if survey is not None and survey.published_at is not None:
        clients = [c for c in clients if c.id == survey.client_id]
    clients = list(clients)
    form.client_id.choices = [SelectChoice(c.id, c.name) for c in clients]
    chosen = {c.id for c in survey.channels} if survey else set()
    form.channel_ids.choices = [
        SelectChoice(ch.id, f"{ch.name} ({CHANNEL_TYPE_LABELS[ch.type]})", optgroup=c.name)
        for c in clients
        for ch in c.channels
        if ch.archived_at is None or ch.id in chosen
    ]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _survey_data(form: SurveyForm) -> service.SurveyData:
    csat = form.target_csat.data
    return service.SurveyData(
        title=form.title.data or "",
        client_id=form.client_id.data,
        introduction=form.introduction.data or "",
        thank_you_text=form.thank_you_text.data or "",
        language=form.language.data,
        channel_ids=tuple(form.channel_ids.data or ()),
        target_csat=None if csat is None else float(csat) / 100,
        target_nps=_number(form.target_nps.data),
        target_ces=_number(form.target_ces.data),
        min_responses=form.min_responses.data,
        opens_at=_to_utc(form.opens_at.data),
        closes_at=_to_utc(form.closes_at.data),
        reminder_after_days=form.reminder_after_days.data,
        delete_addresses_on_close=form.delete_addresses_on_close.data,
        public_link=form.public_link.data,
    )


def _form_for(survey: Survey | None) -> SurveyForm:
    """The form, filled from the survey on GET."""
    if request.method != "GET" or survey is None:
        return SurveyForm()
    form = SurveyForm(obj=survey)
    form.channel_ids.data = [c.id for c in survey.channels]
    form.opens_at.data = _to_local(survey.opens_at)
    form.closes_at.data = _to_local(survey.closes_at)
    form.public_link.data = survey.public_token is not None
    for name in ("target_nps", "target_ces"):
        value = getattr(survey, name)
        form[name].data = None if value is None else Decimal(str(value))
    if survey.target_csat is not None:
        form.target_csat.data = Decimal(str(round(survey.target_csat * 100, 1)))
    return form


def _render_form(form: SurveyForm, survey: Survey | None):
    return render_template("surveys/survey_form.html", form=form, survey=survey), (
        400 if form.errors or form.form_errors else 200
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*SURVEY_EDITORS)
def new():
    form = _form_for(None)
    _fill_choices(form, None)
    if form.validate_on_submit():
        try:
            survey = service.create_survey(_survey_data(form), current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The survey is saved as a draft. Now add its questions."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
    return _render_form(form, None)


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@allow(*SURVEY_EDITORS)
def edit(survey_id: int):
    survey = get_survey_or_404(current_user, survey_id)
    form = _form_for(survey)
    _fill_choices(form, survey)
    if form.validate_on_submit():
        try:
            service.update_survey(survey, _survey_data(form), current_user)
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The survey is saved."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id))
    return _render_form(form, survey)


@bp.route("/<int:survey_id>")
@allow(*SURVEY_READERS)
def detail(survey_id: int):
    """The survey's settings, its questions in order, its public link and what can be done."""
    survey = get_survey_or_404(current_user, survey_id)
    responses = service.response_counts([survey.id]).get(survey.id, 0)
    return render_template(
        "surveys/survey.html",
        survey=survey,
        status=service.survey_status(survey, utcnow()),
        responses=responses,
        questions_locked=responses > 0,
        public_url=service.public_url(survey),
        can_edit=current_user.role in SURVEY_EDITORS,
        confirm_form=ConfirmForm(),
        move_form=MoveForm(),
        **_labels(),
    )


def _action(survey_id: int, action, success: str, goto: str | None = None):
    """Run a state change behind a confirm button; messages of a refusal are flashed."""
    survey = get_survey_or_404(current_user, survey_id)
    if ConfirmForm().validate_on_submit():
        try:
            result = action(survey)
        except ServiceError as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(message, "danger")
        else:
            flash(success, "success")
            if isinstance(result, Survey) and result.id != survey_id:
                return redirect(url_for("surveys.detail", survey_id=result.id))
    return redirect(goto or url_for("surveys.detail", survey_id=survey_id))


@bp.route("/<int:survey_id>/publish", methods=["POST"])
@allow(*SURVEY_EDITORS)
def publish(survey_id: int):
    return _action(
        survey_id,
        service.publish_survey,
        _("The survey is published; it takes responses from its opening time on."),
    )


@bp.route("/<int:survey_id>/close", methods=["POST"])
@allow(*SURVEY_EDITORS)
def close(survey_id: int):
    return _action(survey_id, service.close_survey, _("The survey is closed."))


@bp.route("/<int:survey_id>/copy", methods=["POST"])
@allow(*SURVEY_EDITORS)
def copy(survey_id: int):
    return _action(
        survey_id,
        lambda survey: service.copy_survey(survey, current_user),
        _("This is the copy, a draft: set its dates and publish it."),
    )


@bp.route("/<int:survey_id>/archive", methods=["POST"])
@allow(*SURVEY_EDITORS)
def archive(survey_id: int):
    return _action(survey_id, service.archive_survey, _("The survey is archived."))


@bp.route("/<int:survey_id>/restore", methods=["POST"])
@allow(*SURVEY_EDITORS)
def restore(survey_id: int):
    return _action(survey_id, service.restore_survey, _("The survey is back in the list."))


# Questions ----------------------------------------------------------------------------------


def _question_or_404(survey: Survey, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    return question


def _question_data(form: QuestionForm) -> service.QuestionData:
    return service.QuestionData(
        kind=form.kind.data,
        text=form.text.data or "",
        help_text=form.help_text.data or "",
        required=form.required.data,
        scale_max=form.scale_max.data,
        low_label=form.low_label.data or "",
        high_label=form.high_label.data or "",
        options=form.option_lines(),
    )


def _render_question_form(form: QuestionForm, survey: Survey, question: Question | None):
    return render_template(
        "surveys/question_form.html",
        form=form,
        survey=survey,
        question=question,
        ces_default=service.CES_DEFAULT_TEXT.get(survey.language),
    ), (400 if form.errors or form.form_errors else 200)


def _refuse_if_locked(survey: Survey):
    if service.has_responses(survey):
        flash(
            _("The survey has responses: its questions cannot change. Copy the survey instead."),
            "danger",
        )
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    return None


@bp.route("/<int:survey_id>/questions/new", methods=["GET", "POST"])
@allow(*SURVEY_EDITORS)
def new_question(survey_id: int):
    survey = get_survey_or_404(current_user, survey_id)
    if (refused := _refuse_if_locked(survey)) is not None:
        return refused
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            service.add_question(survey, _question_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The question is added."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id) + "#questions")
    return _render_question_form(form, survey, None)


@bp.route("/<int:survey_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allow(*SURVEY_EDITORS)
def edit_question(survey_id: int, question_id: int):
    survey = get_survey_or_404(current_user, survey_id)
    question = _question_or_404(survey, question_id)
    if (refused := _refuse_if_locked(survey)) is not None:
        return refused
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.options.data = "\n".join(question.options or ())
    if form.validate_on_submit():
        try:
            service.update_question(question, _question_data(form))
        except ServiceError as error:
            db.session.rollback()
            put_errors_on_form(form, error)
        else:
            flash(_("The question is saved."), "success")
            return redirect(url_for("surveys.detail", survey_id=survey.id) + "#questions")
    return _render_question_form(form, survey, question)


def _question_action(survey_id: int, question_id: int, form, action, success: str):
    survey = get_survey_or_404(current_user, survey_id)
    question = _question_or_404(survey, question_id)
    if form.validate_on_submit():
        try:
            action(question)
        except ServiceError as error:
            db.session.rollback()
            flash(" ".join(m for ms in error.errors.values() for m in ms), "danger")
        else:
            if success:
                flash(success, "success")
    return redirect(url_for("surveys.detail", survey_id=survey_id) + "#questions")


@bp.route("/<int:survey_id>/questions/<int:question_id>/delete", methods=["POST"])
@allow(*SURVEY_EDITORS)
def delete_question(survey_id: int, question_id: int):
    return _question_action(
        survey_id,
        question_id,
        ConfirmForm(),
        service.delete_question,
        _("The question is deleted."),
    )


@bp.route("/<int:survey_id>/questions/<int:question_id>/move", methods=["POST"])
@allow(*SURVEY_EDITORS)
def move_question(survey_id: int, question_id: int):
    form = MoveForm()
    return _question_action(
        survey_id,
        question_id,
        form,
        lambda question: service.move_question(question, form.direction.data),
        "",
    )
