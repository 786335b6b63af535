"""Translated names of the survey objects' kinds and states, shared by pages, mails and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveys.models import Delivery, InvitationState, QuestionKind, ResponseSource
from surveys.surveys import SurveyStatus

QUESTION_KIND_LABELS = {
    QuestionKind.CSAT: _l("CSAT (satisfaction, 1–5)"),
    QuestionKind.NPS: _l("NPS (recommendation, 0–10)"),
    QuestionKind.CES: _l("CES (effort, 1–7 agreement)"),
    QuestionKind.RATING: _l("Rating scale"),
    QuestionKind.SINGLE_CHOICE: _l("Single choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionKind.FREE_TEXT: _l("Free text"),
}
INVITATION_STATE_LABELS = {
    InvitationState.PENDING: _l("pending"),
    InvitationState.INVITED: _l("invited"),
    InvitationState.REMINDED: _l("reminded"),
    InvitationState.ANSWERED: _l("answered"),
    InvitationState.OPTED_OUT: _l("opted out"),
    InvitationState.BOUNCED: _l("bounced"),
}
#: How an invitation's mails fared (see ``Delivery``).
DELIVERY_LABELS = {
    Delivery.QUEUED: _l("queued"),
    Delivery.FAILED: _l("failed"),
    Delivery.DELIVERED: _l("delivered"),
    Delivery.BOUNCED: _l("bounced"),
}
RESPONSE_SOURCE_LABELS = {
    ResponseSource.PUBLIC_LINK: _l("public link"),
    ResponseSource.INVITATION: _l("invitation"),
}
SURVEY_STATUS_LABELS = {
    SurveyStatus.DRAFT: _l("Draft"),
    SurveyStatus.SCHEDULED: _l("Scheduled"),
    SurveyStatus.OPEN: _l("Open"),
    SurveyStatus.CLOSED: _l("Closed"),
}
#: Bootstrap badge colours of the statuses.
SURVEY_STATUS_BADGES = {
    SurveyStatus.DRAFT: "secondary",
    SurveyStatus.SCHEDULED: "info",
    SurveyStatus.OPEN: "success",
    SurveyStatus.CLOSED: "dark",
}
#: The languages a survey can speak to its respondents, named in the user's language.
SURVEY_LANGUAGE_LABELS = {"de": _l("German"), "en": _l("English")}
