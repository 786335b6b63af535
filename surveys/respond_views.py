"""The respondents' pages: no login, the survey's language, one fieldset per question.

The pages speak the survey's language whatever the browser asks for, load nothing from other
sites and need no JavaScript. A failed check shows every message at the top and beside its
question, with the answers given so far kept. Submitting is rate-limited per client address;
the address is only counted by the limiter, never stored with the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import csrf, limiter
from qcrm.input_guard import query_id
from qcrm.permissions import public
from surveys import respond_bp, responses, tokens
from surveys.models import InvitationState, QuestionKind, Survey
from surveys.respond_forms import PublicRespondForm, RespondForm

#: Labels of the scale ends when the question does not name its own.
DEFAULT_SCALE_LABELS = {
    QuestionKind.CSAT: (_l("Very dissatisfied"), _l("Very satisfied")),
    QuestionKind.NPS: (_l("Not at all likely"), _l("Extremely likely")),
    QuestionKind.CES: (_l("Strongly disagree"), _l("Strongly agree")),
}


def _submit_limit() -> str:
    return current_app.config["SURVEY_SUBMIT_RATE_LIMIT"]


#: One budget per client address for every submission, on the pages and through the API.
submit_rate_limit = limiter.shared_limit(_submit_limit, scope="survey-submit", methods=["POST"])


def _in_language(survey: Survey | None):
    """Speak the survey's language (the browser's when there is no survey)."""
    language = survey.language if survey is not None else None
    if language in current_app.config["LANGUAGES"]:
        return force_locale(language)
    return nullcontext()


def _page(survey: Survey | None, template: str, status: int = 200, **context):
    """Render a respondent's page in the survey's language; never cached on the way."""
    with _in_language(survey):
        body = render_template(template, survey=survey, **context)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _given(form: Mapping) -> dict[str, list[str]]:
    """The answers as sent, by question field, to check them and to show them again."""
    return {name: form.getlist(name) for name in form if name.startswith("q")}


def _form_page(
    survey: Survey,
    form: RespondForm,
    *,
    given: Mapping[str, list[str]] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    status: int = 200,
):
    errors = dict(errors or {})
    questions = list(survey.questions)
    fields = {responses.field_name(question) for question in questions}
    summary = [
        (responses.field_name(question), number, question.text, message)
        for number, question in enumerate(questions, 1)
        for message in errors.get(responses.field_name(question), [])
    ]
    general = [
        message for field, messages in errors.items() if field not in fields for message in messages
    ]
    return _page(
        survey,
        "surveys/respond.html",
        status,
        form=form,
        questions=questions,
        given=given or {},
        errors=errors,
        summary=summary,
        general_errors=general,
        scale_labels=DEFAULT_SCALE_LABELS,
        max_text=responses.FREE_TEXT_MAX,
        format_number=format_number,
    )


def _unknown():
    return _page(None, "surveys/respond_unknown.html", 404)


def _closed(survey: Survey, reason: responses.ClosedReason):
    status = {
        responses.ClosedReason.CLOSED: 410,
        responses.ClosedReason.NOT_PUBLISHED: 404,
        responses.ClosedReason.NOT_YET_OPEN: 200,
    }[reason]
    return _page(survey, "surveys/respond_closed.html", status, reason=reason.value)


def _refused(survey: Survey, reason: responses.RefusalReason, status: int):
    return _page(survey, "surveys/respond_closed.html", status, reason=reason.value)


def _expired_form_errors() -> dict[str, list[str]]:
    return {
        "csrf_token": [_("The form had expired. Your answers are kept: please send them again.")]
    }


def _submit(survey: Survey, form: RespondForm, thanks_url: str, **kwargs):
    """Check the CSRF token, store the response, and show the outcome (shared by both pages)."""
    given = _given(request.form)
    # the messages are made here, so they must be made in the survey's language too
    with _in_language(survey):
        if not form.validate():
            return _form_page(survey, form, given=given, errors=_expired_form_errors(), status=400)
        try:
            responses.submit_response(survey, given, now=utcnow(), **kwargs)
        except responses.SurveyNotOpen as error:
            return _closed(survey, error.reason)
        except responses.SubmissionRefused as error:
            return _refused(survey, error.reason, 409)
        except ServiceError as error:
            return _form_page(survey, form, given=given, errors=error.errors, status=400)
    return redirect(thanks_url, 303)


@respond_bp.route("/<public_token>", methods=["GET", "POST"], endpoint="public")
@public
@submit_rate_limit
def public_link(public_token: str):
    """Answer a survey through its public link (anonymous; one response per copy of the form,
    told by the signed one-time key the form was issued with)."""
    survey = responses.survey_by_public_token(public_token)
    if survey is None:
        return _unknown()
    reason = responses.closed_reason(survey, utcnow())
    if reason is not None:
        return _closed(survey, reason)
    form = PublicRespondForm()
    if request.method == "GET":
        form.key.data = tokens.public_form_key(survey.id)
        return _form_page(survey, form)
    nonce = tokens.public_form_nonce(form.key.data, survey.id)
    if nonce is None:
        return _unissued_key(survey, form)
    return _submit(
        survey,
        form,
        url_for(".public_thanks", public_token=public_token),
        public_key=nonce,
        channel_id=query_id("channel"),
    )


def _unissued_key(survey: Survey, form: PublicRespondForm):
    """A public form whose key is missing or was not issued here: nothing is stored, the
    answers come back with a key of this server's, to be sent once."""
    form.key.data = tokens.public_form_key(survey.id)
    with _in_language(survey):
        message = _(
            "This form was not issued by the survey, so the answers were not stored. Your "
            "answers are kept: please send them again."
        )
    return _form_page(
        survey, form, given=_given(request.form), errors={"key": [message]}, status=400
    )


@respond_bp.route("/<public_token>/thanks", endpoint="public_thanks")
@public
def public_thanks(public_token: str):
    """The survey's thank-you text after a response through the public link."""
    survey = responses.survey_by_public_token(public_token)
    if survey is None:
        return _unknown()
    return _page(survey, "surveys/respond_thanks.html")


@respond_bp.route("/i/<token>", methods=["GET", "POST"], endpoint="invitation")
@public
@submit_rate_limit
def invitation(token: str):
    """Answer a survey through a personal invitation (one response per invitation)."""
    found = responses.invitation_by_token(token)
    if found is None:
        return _unknown()
    survey = found.survey
    reason = responses.closed_reason(survey, utcnow())
    if reason is not None:
        return _closed(survey, reason)
    refusal = responses.refusal_for_invitation(found)
    if refusal is not None:
        return _refused(survey, refusal, 200 if request.method == "GET" else 409)
    form = RespondForm()
    if request.method == "GET":
        return _form_page(survey, form)
    return _submit(survey, form, url_for(".invitation_thanks", token=token), invitation_token=token)


@respond_bp.route("/i/<token>/thanks", endpoint="invitation_thanks")
@public
def invitation_thanks(token: str):
    """The survey's thank-you text after answering an invitation."""
    found = responses.invitation_by_token(token)
    if found is None:
        return _unknown()
    if found.state is not InvitationState.ANSWERED:
        return redirect(url_for(".invitation", token=token))
    return _page(found.survey, "surveys/respond_thanks.html")


# The forms check their CSRF token themselves, so that an expired token keeps the answers.
csrf.exempt(public_link)
csrf.exempt(invitation)


@respond_bp.errorhandler(429)
def too_many_submissions(error):
    """A polite answer in the survey's language when one address sends too much.

    The form comes back with the answers given, so that nothing is lost by waiting.
    """
    args = request.view_args or {}
    survey, form = None, None
    if "public_token" in args:
        survey = responses.survey_by_public_token(args["public_token"])
    elif "token" in args:
        found = responses.invitation_by_token(args["token"])
        if found is not None and responses.refusal_for_invitation(found) is None:
            survey = found.survey
    if request.endpoint == "respond.public":
        form = PublicRespondForm()
    elif request.endpoint == "respond.invitation":
        form = RespondForm()
    if survey is None or form is None or responses.closed_reason(survey, utcnow()) is not None:
        return _page(survey, "surveys/respond_closed.html", 429, reason="rate_limited")
    if (
        isinstance(form, PublicRespondForm)
        and tokens.public_form_nonce(form.key.data, survey.id) is None
    ):
        form.key.data = tokens.public_form_key(survey.id)
    with _in_language(survey):
        message = _(
            "Too many answers came from your network in a short time. Your answers are kept: "
            "please wait a few minutes and send them again."
        )
    return _form_page(
        survey, form, given=_given(request.form), errors={"rate": [message]}, status=429
    )
