"""The results page of a survey and its exports (CSV, XLSX)."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional

from qcrm.errors import ServiceError
from qcrm.forms import put_errors_on_form
from qcrm.input_guard import query_page
from qcrm.permissions import allow
from surveys import bp
from surveys import exports as export_service
from surveys.access import SURVEY_EDITORS, SURVEY_READERS, get_survey_or_404
from surveys.labels import QUESTION_KIND_LABELS
from surveys.models import QuestionKind, Survey
from surveys.results import Grain, SurveyResults, response_count, survey_results

GRAIN_LABELS = {Grain.MONTH: _l("Monthly"), Grain.WEEK: _l("Weekly")}


class ResultsFilterForm(FlaskForm):
    """The filters above the results, read from the query string (no CSRF token)."""

    class Meta:
        csrf = False

    channel = SelectField(_l("Channel"), validators=[Optional()])
    grain = SelectField(
        _l("Over time"),
        choices=[SelectChoice(grain.value, label) for grain, label in GRAIN_LABELS.items()],
        default=Grain.MONTH.value,
        validators=[Optional()],
    )


def _filters(survey: Survey) -> tuple[ResultsFilterForm, int | None, Grain]:
    """The filter form with the client's channels, and the channel and grain it selects (bad
    values are reported on the form and ignored)."""
    form = ResultsFilterForm(formdata=request.args)
    form.channel.choices = [
        SelectChoice("", _("All channels")),
        *[SelectChoice(str(c.id), c.name) for c in survey.client.channels],
    ]
    form.validate()
    channel = form.channel.data if not form.channel.errors else ""
    grain = form.grain.data if not form.grain.errors and form.grain.data else Grain.MONTH.value
    return form, int(channel) if channel else None, Grain(grain)


@bp.get("/<int:survey_id>/results")
@allow(*SURVEY_READERS)
def results(survey_id: int):
    survey = get_survey_or_404(current_user, survey_id)
    form, channel_id, grain = _filters(survey)
    page = query_page()
    try:
        data = survey_results(survey, channel_id=channel_id, grain=grain, verbatim_page=page)
    except ServiceError as error:
        put_errors_on_form(form, error)
        channel_id = None
        data = survey_results(survey, grain=grain, verbatim_page=page)
    return render_template(
        "surveys/results.html",
        survey=survey,
        results=data,
        filters=form,
        channel_id=channel_id,
        grain=grain,
        kind_labels=QUESTION_KIND_LABELS,
        question_texts={q.id: f"{q.position}. {q.text}" for q in survey.questions},
        free_text_questions=sum(q.kind is QuestionKind.FREE_TEXT for q in survey.questions),
        may_export_answers=current_user.role in SURVEY_EDITORS,
    )


@bp.get("/<int:survey_id>/export/<any(answers, results):what>.<any(csv, xlsx):fmt>")
@allow(*SURVEY_READERS)
def export(survey_id: int, what: str, fmt: str):
    """Results for every reader; raw answers only for editors. Both only from the survey's
    minimum number of responses on."""
    survey = get_survey_or_404(current_user, survey_id)
    if what == "answers" and current_user.role not in SURVEY_EDITORS:
        abort(403)
    _form, channel_id, grain = _filters(survey)  # the channel is one of the client's
    if what == "results":
        try:
            data: SurveyResults | None = survey_results(survey, channel_id=channel_id, grain=grain)
        except ServiceError as error:
            flash(" ".join(error.errors.values()), "warning")
            return redirect(url_for("surveys.results", survey_id=survey.id))
        enough = data.enough
    else:
        data = None
        enough = response_count(survey)[1]
    if not enough:
        flash(_("There are not enough responses yet to export anything."), "warning")
        return redirect(url_for("surveys.results", survey_id=survey.id))
    rows = export_service.result_rows(data) if data else export_service.answer_rows(survey)
    filename = f"survey-{survey.id}-{what}.{fmt}"
    if fmt == "csv":
        response = Response(
            stream_with_context(export_service.to_csv(rows)),
            # the charset is in the constant: ``mimetype=`` would add a second one
            content_type=export_service.CSV_MIMETYPE,
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    title = _("Results") if what == "results" else _("Answers")
    return send_file(
        io.BytesIO(export_service.to_xlsx(title, rows)),
        mimetype=export_service.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=filename,
    )
