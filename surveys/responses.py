"""Taking in survey responses: checking the answers, one response per invitation, no repeats.

One response per invitation is decided by the database, not by a read-then-write check: the
transaction that stores the response first marks the invitation answered with a conditional
UPDATE, and only one of two simultaneous submissions can change the row from an open state.
A public form carries a one-time key whose hash is stored under a unique constraint in the same
transaction, so the same form sent twice (double click, back button, replay) stores one response.

Anonymity: the response row gets no link to the invitation or the key, and all three record only
the day. Nothing about the respondent's connection (address, browser) is stored.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.input_guard import xml_safe
from surveys.models import (
    CHOICE_KINDS,
    SCALE_KINDS,
    Answer,
    Invitation,
    InvitationState,
    PublicSubmission,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
    survey_channels,
)
from surveys.tokens import token_hash

#: Longest free-text answer, in characters (line breaks count as one).
FREE_TEXT_MAX = 2000
#: States from which an invitation may still be answered.
ANSWERABLE_STATES = (InvitationState.PENDING, InvitationState.INVITED, InvitationState.REMINDED)
#: What a one-time key of the public form looks like (``new_public_key`` makes 32 characters).
PUBLIC_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
#: Control characters other than tab and line feed (PostgreSQL refuses NUL in text outright).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ClosedReason(enum.Enum):
    """Why a survey takes no responses."""

    NOT_PUBLISHED = "not_published"  # a draft
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"  # closed by hand or by date, or archived


class RefusalReason(enum.Enum):
    """Why a submission that may be perfectly valid is not stored."""

    UNKNOWN = "unknown"  # no such invitation (forged or mistyped token)
    ANSWERED = "answered"  # the invitation already has its response
    OPTED_OUT = "opted_out"
    UNAVAILABLE = "unavailable"  # e.g. the invitation bounced
    REPEATED = "repeated"  # this public form was sent before


class SurveyNotOpen(ServiceError):
    """The survey takes no responses now; ``reason`` says why, for a polite page."""

    def __init__(self, reason: ClosedReason) -> None:
        self.reason = reason
        messages = {
            ClosedReason.NOT_PUBLISHED: _("This survey is not open."),
            ClosedReason.NOT_YET_OPEN: _("This survey is not open yet."),
            ClosedReason.CLOSED: _("This survey is closed."),
        }
        super().__init__({"survey": messages[reason]})


class SubmissionRefused(ServiceError):
    """The invitation or the public form cannot take (another) response; nothing was stored."""

    def __init__(self, reason: RefusalReason) -> None:
        self.reason = reason
        field = "key" if reason is RefusalReason.REPEATED else "token"
        messages = {
            RefusalReason.UNKNOWN: _("This invitation link is not valid."),
            RefusalReason.ANSWERED: _("This invitation has already been answered."),
            RefusalReason.OPTED_OUT: _("This invitation was declined."),
            RefusalReason.UNAVAILABLE: _("This invitation can no longer be answered."),
            RefusalReason.REPEATED: _("These answers have already been received."),
        }
        super().__init__({field: messages[reason]})


def field_name(question: Question) -> str:
    """The form field (and error key) of a question's answer."""
    return f"q{question.id}"


def new_public_key() -> str:
    """A one-time key for one copy of the public form."""
    return secrets.token_urlsafe(24)


def submission_day(now: dt.datetime) -> dt.date:
    """The day of a submission, in the app's time zone; no finer time is ever stored."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    return now.astimezone(zone).date()


def survey_by_public_token(public_token: str) -> Survey | None:
    if not public_token or len(public_token) > 64:
        return None
    return db.session.scalar(select(Survey).where(Survey.public_token == public_token))


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation of a token (looked up by the token's hash; the token is never stored)."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def closed_reason(survey: Survey, now: dt.datetime) -> ClosedReason | None:
    """Why the survey takes no responses at ``now``, or None when it is open."""
    if survey.is_open(now):
        return None
    if survey.archived_at is not None:
        return ClosedReason.CLOSED
    if survey.published_at is None:
        return ClosedReason.NOT_PUBLISHED
    if survey.opens_at is not None and now < survey.opens_at and survey.closed_at is None:
        return ClosedReason.NOT_YET_OPEN
    return ClosedReason.CLOSED


def refusal_for_invitation(invitation: Invitation | None) -> RefusalReason | None:
    """Why an invitation cannot be answered (any more), or None when it can."""
    if invitation is None:
        return RefusalReason.UNKNOWN
    if invitation.state in ANSWERABLE_STATES:
        return None
    if invitation.state is InvitationState.ANSWERED:
        return RefusalReason.ANSWERED
    if invitation.state is InvitationState.OPTED_OUT:
        return RefusalReason.OPTED_OUT
    return RefusalReason.UNAVAILABLE


def channel_of_survey(survey: Survey, channel_id: int | None) -> int | None:
    """``channel_id`` if it is one of the survey's channels, else None (a wrong one is ignored)."""
    if channel_id is None:
        return None
    linked = db.session.scalar(
        select(
            exists().where(
                survey_channels.c.survey_id == survey.id,
                survey_channels.c.channel_id == channel_id,
            )
        )
    )
    return channel_id if linked else None


def _values(raw: Mapping[str, Sequence[str]], name: str) -> list[str]:
    getlist = getattr(raw, "getlist", None)
    values = getlist(name) if getlist is not None else raw.get(name, [])
    if isinstance(values, str):
        values = [values]
    return [value for value in values if isinstance(value, str)]


def _integer(value: str) -> int | None:
    return int(value) if _INTEGER.fullmatch(value) else None


def answer_rows(survey: Survey, raw_answers: Mapping[str, Sequence[str]]) -> list[dict]:
    """Check the answers and turn them into Answer rows (without ``response_id``).

    Raises ServiceError naming the field of every question whose answer is missing or wrong.
    """
    errors: dict[str, str] = {}
    rows: list[dict] = []
    for question in survey.questions:
        name = field_name(question)
        given = _values(raw_answers, name)
        if question.kind is QuestionKind.FREE_TEXT:
            text = "\n".join(given).replace("\r\n", "\n").replace("\r", "\n")
            # what XML forbids would make every XLSX export of the survey unreadable
            text = xml_safe(_CONTROL.sub("", text))
            text = text.strip()
            if not text:
                if question.required:
                    errors[name] = _("Please answer this question.")
            elif len(text) > FREE_TEXT_MAX:
                errors[name] = _(
                    "Please shorten your answer to at most %(limit)s characters "
                    "(it has %(count)s).",
                    limit=format_number(FREE_TEXT_MAX),
                    count=format_number(len(text)),
                )
            else:
                rows.append({"question_id": question.id, "number": None, "text": text})
            continue
        values = [value.strip() for value in given if value.strip()]
        if not values:
            if question.required:
                errors[name] = _("Please answer this question.")
            continue
        if question.kind in SCALE_KINDS:
            low, high = question.scale or (1, 5)
            number = _integer(values[0]) if len(values) == 1 else None
            if len(values) > 1:
                errors[name] = _("Please choose only one value.")
            elif number is None or not low <= number <= high:
                errors[name] = _(
                    "Please choose a whole number from %(low)s to %(high)s.", low=low, high=high
                )
            else:
                rows.append({"question_id": question.id, "number": number, "text": None})
        elif question.kind in CHOICE_KINDS:
            indexes = [_integer(value) for value in values]
            options = len(question.options or [])
            if question.kind is QuestionKind.SINGLE_CHOICE and len(values) > 1:
                errors[name] = _("Please choose only one option.")
            elif any(index is None or not 0 <= index < options for index in indexes):
                errors[name] = _("Please choose from the options shown.")
            else:
                rows.extend(
                    {"question_id": question.id, "number": index, "text": None}
                    for index in sorted(set(indexes))  # type: ignore[type-var]
                )
    if errors:
        raise ServiceError(errors)
    if not rows:
        raise ServiceError.on("answers", _("Please answer at least one question."))
    return rows


def submit_response(
    survey: Survey,
    raw_answers: Mapping[str, Sequence[str]],
    *,
    now: dt.datetime,
    invitation_token: str | None = None,
    public_key: str | None = None,
    channel_id: int | None = None,
) -> Response:
    """Store one response to ``survey`` in one transaction, or nothing at all.

    ``raw_answers`` maps each question's field (``q<id>``) to the values sent, as a form does.
    With ``invitation_token`` the invitation is claimed (and must be answerable); otherwise the
    response comes through the public link, guarded by the form's one-time ``public_key`` when
    one is given, and ``channel_id`` counts only if it is one of the survey's channels.
    Raises SurveyNotOpen, SubmissionRefused, or ServiceError naming the wrong answers.
    """
    reason = closed_reason(survey, now)
    if reason is not None:
        raise SurveyNotOpen(reason)
    if public_key is not None and not PUBLIC_KEY_PATTERN.fullmatch(public_key):
        raise ServiceError.on("key", _("The form is not valid. Please open the survey again."))
    rows = answer_rows(survey, raw_answers)
    day = submission_day(now)
    try:
        if invitation_token is not None:
            source = ResponseSource.INVITATION
            channel_id = _claim_invitation(survey, invitation_token, day)
        else:
            source = ResponseSource.PUBLIC_LINK
            channel_id = channel_of_survey(survey, channel_id)
            if public_key is not None:
                _use_public_key(survey, public_key, day)
        response = Response(
            survey_id=survey.id, channel_id=channel_id, source=source, submitted_on=day
        )
        db.session.add(response)
        db.session.flush()
        db.session.execute(insert(Answer), [{**row, "response_id": response.id} for row in rows])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return response


def _claim_invitation(survey: Survey, token: str, day: dt.date) -> int | None:
    """Mark the invitation answered if it still may be: only one submission can win this.

    Returns the invitation's channel; raises SubmissionRefused (the caller rolls back). The
    answer is recorded only in the invitation's state and day, never as a row of its history:
    history rows are numbered in the order they are written, as responses are, so a numbered
    "answered" row per invitation would let the two orders be laid side by side.
    """
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.token_hash == token_hash(token),
            Invitation.survey_id == survey.id,
            Invitation.state.in_(ANSWERABLE_STATES),
        )
        .values(state=InvitationState.ANSWERED, answered_on=day)
        .returning(Invitation.id, Invitation.channel_id)
        .execution_options(synchronize_session=False)
    ).all()
    if len(claimed) != 1:
        db.session.rollback()
        invitation = db.session.scalar(
            select(Invitation).where(
                Invitation.token_hash == token_hash(token), Invitation.survey_id == survey.id
            )
        )
        raise SubmissionRefused(refusal_for_invitation(invitation) or RefusalReason.UNAVAILABLE)
    return claimed[0].channel_id


def _use_public_key(survey: Survey, key: str, day: dt.date) -> None:
    """Record the form's one-time key; the unique constraint refuses a second use.

    Inserted before the response, so that on PostgreSQL a simultaneous second use waits for the
    first transaction and then fails, instead of both storing answers first.
    """
    digest = token_hash(key)
    try:
        db.session.execute(
            insert(PublicSubmission).values(survey_id=survey.id, key_hash=digest, submitted_on=day)
        )
    except IntegrityError:
        raise SubmissionRefused(RefusalReason.REPEATED) from None
