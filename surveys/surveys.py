"""Surveys and their questions: build, publish, close, copy, archive.

The comparability lock: once a survey has a response, its questions cannot change at all —
not added, deleted, moved, and not reworded either, because even a changed wording changes what
the later respondents answered, and the results put all responses of a question together. To ask
differently, copy the survey (the copy starts as a draft without responses). For the same reason
the survey's language is fixed once it has responses, and a published survey keeps its client.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select, update
from werkzeug.routing import BuildError

from qcrm.accounts import external_url
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import Channel, Client, User
from qcrm.permissions import visible_clients
from qcrm.validation import check_text, number_error
from surveys.models import (
    CHOICE_KINDS,
    FIXED_SCALES,
    Question,
    QuestionKind,
    Response,
    Survey,
)
from surveys.tokens import new_public_token

SURVEY_LANGUAGES = ("de", "en")
TITLE_MAX = 200
TEXT_MAX = 5_000
QUESTION_TEXT_MAX = 1_000
LABEL_MAX = 120
OPTION_MAX = 200
OPTIONS_MIN, OPTIONS_MAX = 2, 20
RATING_MAX_RANGE = (2, 10)
QUESTIONS_MAX = 100
MIN_RESPONSES_MAX = 10_000
REMINDER_DAYS_MAX = 60
#: Targets as DOMAIN.md defines the figures: CSAT a share, NPS −100…100, CES a mean on 1–7.
TARGET_RANGES = {"target_csat": (0.0, 1.0), "target_nps": (-100.0, 100.0), "target_ces": (1.0, 7.0)}
#: The standard CES statement, used when the manager leaves a CES question's text empty.
CES_DEFAULT_TEXT = {
    "de": "Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen.",
    "en": "The company made it easy for me to handle my request.",
}
#: Kinds a survey asks at most once: each is one figure of the survey (its CSAT, NPS, CES).
SINGLE_KINDS = frozenset(FIXED_SCALES)


class SurveyStatus(enum.Enum):
    """Where a survey stands at a moment; derived from its dates, never stored."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published, opens later
    OPEN = "open"
    CLOSED = "closed"


def survey_status(survey: Survey, now: dt.datetime) -> SurveyStatus:
    if survey.published_at is None:
        return SurveyStatus.DRAFT
    if survey.closed_at is not None or (survey.closes_at is not None and survey.closes_at <= now):
        return SurveyStatus.CLOSED
    if survey.opens_at is not None and now < survey.opens_at:
        return SurveyStatus.SCHEDULED
    return SurveyStatus.OPEN


@dataclass(frozen=True)
class SurveyData:
    """What a manager enters for a survey."""

    title: str
    client_id: int
    introduction: str = ""
    thank_you_text: str = ""
    language: str = "de"
    channel_ids: tuple[int, ...] = ()
    target_csat: float | None = None
    target_nps: float | None = None
    target_ces: float | None = None
    min_responses: int = 10
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    reminder_after_days: int | None = None
    delete_addresses_on_close: bool = True
    #: Whether the survey has an anonymous public link (besides personal invitations).
    public_link: bool = True


def survey_data(survey: Survey) -> SurveyData:
    """The current settings of a survey, e.g. to merge a partial change into."""
    return SurveyData(
        title=survey.title,
        client_id=survey.client_id,
        introduction=survey.introduction,
        thank_you_text=survey.thank_you_text,
        language=survey.language,
        channel_ids=tuple(channel.id for channel in survey.channels),
        target_csat=survey.target_csat,
        target_nps=survey.target_nps,
        target_ces=survey.target_ces,
        min_responses=survey.min_responses,
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
        reminder_after_days=survey.reminder_after_days,
        delete_addresses_on_close=survey.delete_addresses_on_close,
        public_link=survey.public_token is not None,
    )


def has_responses(survey: Survey) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.survey_id == survey.id))))


def _check_settings(survey: Survey, data: SurveyData, now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = _("Please enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("At most %(n)d characters.", n=TITLE_MAX)
    for name in ("introduction", "thank_you_text"):
        if len(getattr(data, name).strip()) > TEXT_MAX:
            errors[name] = _("At most %(n)d characters.", n=TEXT_MAX)
    # the title ends up in the invitation's subject: CR/LF there makes the mail unbuildable
    check_text(errors, "title", title)
    for name in ("introduction", "thank_you_text"):
        check_text(errors, name, getattr(data, name), multi_line=True)
    if data.language not in SURVEY_LANGUAGES:
        errors["language"] = _("Choose German or English.")
    elif survey.id is not None and data.language != survey.language and has_responses(survey):
        errors["language"] = _(
            "The survey has responses: its language cannot change. Copy the survey instead."
        )
    messages = {
        "target_csat": _("The CSAT target is a share between 0 and 100 %."),
        "target_nps": _("The NPS target lies between −100 and 100."),
        "target_ces": _("The CES target lies between 1 and 7."),
    }
    for name, (low, high) in TARGET_RANGES.items():
        value = getattr(data, name)
        if value is not None and not low <= value <= high:
            errors[name] = messages[name]
    if not 1 <= data.min_responses <= MIN_RESPONSES_MAX:
        errors["min_responses"] = _(
            "Show results from at least 1 and at most %(n)d responses on.", n=MIN_RESPONSES_MAX
        )
    if data.reminder_after_days is not None and not (
        1 <= data.reminder_after_days <= REMINDER_DAYS_MAX
    ):
        errors["reminder_after_days"] = _(
            "Send the reminder after 1 to %(n)d days.", n=REMINDER_DAYS_MAX
        )
    for name in ("opens_at", "closes_at"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            errors[name] = _("The time needs a time zone.")
    if errors.keys() & {"opens_at", "closes_at"}:
        return errors
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        errors["closes_at"] = _("The survey must close after it opens.")
    elif (
        data.closes_at is not None
        and data.closes_at != survey.closes_at
        and survey.closed_at is None
        and data.closes_at <= now
    ):
        errors["closes_at"] = _("The closing time must lie in the future.")
    return errors


def _load_client_and_channels(
    survey: Survey, data: SurveyData, user: User | None, errors: dict[str, str]
) -> tuple[Client | None, list[Channel]]:
    """The chosen client (one the user sees, not archived) and its chosen channels."""
    client = db.session.get(Client, data.client_id)
    changes_client = survey.client_id is not None and data.client_id != survey.client_id
    if changes_client and survey.published_at is not None:
        errors["client_id"] = _("A published survey keeps its client. Copy the survey instead.")
        return None, []
    visible = client is not None and (
        user is None
        or db.session.scalar(
            visible_clients(user).with_only_columns(Client.id).where(Client.id == client.id)
        )
        is not None
    )
    if not visible or (client.archived_at is not None and (changes_client or survey.id is None)):
        errors["client_id"] = _("Choose a client.")
        return None, []
    wanted = set(data.channel_ids)
    channels = list(
        db.session.scalars(select(Channel).where(Channel.id.in_(wanted)).order_by(Channel.id))
    )
    if len(channels) != len(wanted) or any(c.client_id != client.id for c in channels):
        errors["channel_ids"] = _("Choose only channels of the survey's client.")
    elif any(c.archived_at is not None and c not in survey.channels for c in channels):
        errors["channel_ids"] = _("An archived channel cannot be added.")
    return client, channels


def _apply_settings(survey: Survey, data: SurveyData, user: User | None, now: dt.datetime) -> None:
    """Check everything first, naming every wrong field; change the survey only if all is well."""
    errors = _check_settings(survey, data, now)
    client, channels = _load_client_and_channels(survey, data, user, errors)
    if errors:
        raise ServiceError(errors)
    survey.title = data.title.strip()
    survey.client = client
    survey.introduction = data.introduction.strip()
    survey.thank_you_text = data.thank_you_text.strip()
    survey.language = data.language
    survey.channels = channels
    survey.target_csat = data.target_csat
    survey.target_nps = data.target_nps
    survey.target_ces = data.target_ces
    survey.min_responses = data.min_responses
    survey.opens_at = data.opens_at
    survey.closes_at = data.closes_at
    survey.reminder_after_days = data.reminder_after_days
    survey.delete_addresses_on_close = data.delete_addresses_on_close
    # The token exists as soon as a public link is wanted, so the link can be shown (and
    # printed) before the survey opens; respondents' pages answer only while it is open.
    if data.public_link and survey.public_token is None:
        survey.public_token = new_public_token()
    elif not data.public_link:
        survey.public_token = None


def create_survey(data: SurveyData, user: User, now: dt.datetime | None = None) -> Survey:
    """Create a draft survey; questions are added next."""
    now = now or utcnow()
    survey = Survey(created_at=now, created_by_id=user.id)
    with db.session.no_autoflush:
        _apply_settings(survey, data, user, now)
    db.session.add(survey)
    db.session.commit()
    return survey


def update_survey(
    survey: Survey, data: SurveyData, user: User | None = None, now: dt.datetime | None = None
) -> Survey:
    """Change a survey's settings; ``user`` (when given) must see the chosen client.

    Texts, targets, dates and channels may change at any time; a survey with responses keeps
    its language, a published one its client. Switching the public link off makes the old link
    stop working; switching it on again makes a new one.
    """
    with db.session.no_autoflush:
        _apply_settings(survey, data, user, now or utcnow())
    db.session.commit()
    return survey


def publish_survey(survey: Survey, now: dt.datetime | None = None) -> Survey:
    """Publish a draft: it opens at ``opens_at`` (or now) for the public link and invitations."""
    now = now or utcnow()
    if survey.archived_at is not None:
        raise ServiceError.on("status", _("An archived survey cannot be published."))
    if survey.published_at is not None:
        raise ServiceError.on("status", _("The survey is published already."))
    errors = {}
    if not survey.questions:
        errors["questions"] = _("Add at least one question before publishing.")
    if survey.closes_at is not None and survey.closes_at <= now:
        errors["closes_at"] = _("The closing time has passed: set a later one.")
    if errors:
        raise ServiceError(errors)
    survey.published_at = now
    db.session.commit()
    return survey


def close_survey(survey: Survey, now: dt.datetime | None = None) -> Survey:
    """Stop taking responses now; the invitation addresses are deleted if the survey says so."""
    now = now or utcnow()
    if survey.published_at is None:
        raise ServiceError.on("status", _("A draft survey is not closed: archive it instead."))
    if survey.closed_at is not None:
        raise ServiceError.on("status", _("The survey is closed already."))
    _close(survey, now)
    db.session.commit()
    return survey


def _close(survey: Survey, now: dt.datetime) -> bool:
    """Mark the survey closed unless another process did; only the winner deletes addresses."""
    closed_at = min(now, survey.closes_at) if survey.closes_at is not None else now
    won = db.session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.closed_at.is_(None))
        .values(closed_at=closed_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(survey, ["closed_at"])
    if won and survey.delete_addresses_on_close:
        from surveys.invitations import delete_addresses

        delete_addresses(survey, now)
    return bool(won)


def close_due_surveys(now: dt.datetime) -> int:
    """Scheduler job: close the published surveys whose closing time has passed."""
    due = db.session.scalars(
        select(Survey)
        .where(
            Survey.published_at.is_not(None),
            Survey.closed_at.is_(None),
            Survey.closes_at.is_not(None),
            Survey.closes_at <= now,
        )
        .order_by(Survey.closes_at, Survey.id)
    ).all()
    closed = 0
    for survey in due:
        closed += _close(survey, now)
        db.session.commit()
    return closed


def archive_survey(survey: Survey, now: dt.datetime | None = None) -> None:
    """Take a draft or closed survey out of the lists; its responses stay."""
    now = now or utcnow()
    if survey.archived_at is not None:
        return
    if survey_status(survey, now) in (SurveyStatus.OPEN, SurveyStatus.SCHEDULED):
        raise ServiceError.on("status", _("Close the survey before archiving it."))
    survey.archived_at = now
    db.session.commit()


def restore_survey(survey: Survey) -> None:
    if survey.archived_at is not None:
        survey.archived_at = None
        db.session.commit()


def copy_survey(survey: Survey, user: User, now: dt.datetime | None = None) -> Survey:
    """A new draft with the same settings and questions, without responses or invitations.

    The dates are left empty: they belong to the run of the original.
    """
    now = now or utcnow()
    suffix = _(" (copy)")
    data = dataclasses.replace(
        survey_data(survey),
        title=survey.title[: TITLE_MAX - len(suffix)] + suffix,
        channel_ids=tuple(c.id for c in survey.channels if c.archived_at is None),
        opens_at=None,
        closes_at=None,
    )
    copy = Survey(created_at=now, created_by_id=user.id, copied_from_id=survey.id)
    with db.session.no_autoflush:
        _apply_settings(copy, data, user, now)
    copy.questions = [
        Question(
            position=position,
            kind=question.kind,
            text=question.text,
            help_text=question.help_text,
            required=question.required,
            scale_max=question.scale_max,
            low_label=question.low_label,
            high_label=question.high_label,
            options=list(question.options or ()),
        )
        for position, question in enumerate(survey.questions, start=1)
    ]
    db.session.add(copy)
    db.session.commit()
    return copy


def visible_surveys(user: User, *, include_archived: bool = False) -> Select[tuple[Survey]]:
    """Surveys of the clients the user sees, newest first."""
    query = (
        select(Survey)
        .where(Survey.client_id.in_(visible_clients(user).with_only_columns(Client.id)))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
    )
    if not include_archived:
        query = query.where(Survey.archived_at.is_(None))
    return query


def response_counts(survey_ids: Iterable[int]) -> dict[int, int]:
    """Responses per survey, in one query."""
    ids = list(survey_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Response.survey_id, func.count(Response.id))
        .where(Response.survey_id.in_(ids))
        .group_by(Response.survey_id)
    )
    return dict(rows.all())


def public_url(survey: Survey) -> str | None:
    """The absolute public link of the survey (built from PUBLIC_BASE_URL), if it has one."""
    if survey.public_token is None:
        return None
    try:
        return external_url("respond.public", public_token=survey.public_token)
    except BuildError:  # the respondents' pages are not installed
        return None


# Questions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionData:
    """What a manager enters for a question."""

    kind: QuestionKind | str
    text: str = ""
    help_text: str = ""
    required: bool = True
    #: Highest value of a rating scale (2–10); other kinds ignore it.
    scale_max: int | None = None
    low_label: str = ""
    high_label: str = ""
    #: The options of a choice question, in order.
    options: Sequence[str] = ()


def question_data(question: Question) -> QuestionData:
    return QuestionData(
        kind=question.kind,
        text=question.text,
        help_text=question.help_text,
        required=question.required,
        scale_max=question.scale_max,
        low_label=question.low_label,
        high_label=question.high_label,
        options=tuple(question.options or ()),
    )


def _ensure_questions_changeable(survey: Survey) -> None:
    if has_responses(survey):
        raise ServiceError.on(
            "questions",
            _(
                "The survey has responses: its questions cannot change, or the answers would "
                "no longer be comparable. Copy the survey to ask differently."
            ),
        )


def _kind(value: QuestionKind | str) -> QuestionKind | None:
    if isinstance(value, QuestionKind):
        return value
    try:
        return QuestionKind(value)
    except ValueError:
        return None


def _apply_question(survey: Survey, question: Question, data: QuestionData) -> None:
    errors: dict[str, str] = {}
    kind = _kind(data.kind)
    text = data.text.strip()
    if kind is None:
        errors["kind"] = _("Choose a question type.")
    elif kind in SINGLE_KINDS and any(
        q.kind is kind and q is not question for q in survey.questions
    ):
        errors["kind"] = _(
            "The survey asks this standard question already; it is one figure of the survey."
        )
    if not text and kind is QuestionKind.CES:
        text = CES_DEFAULT_TEXT.get(survey.language, CES_DEFAULT_TEXT["en"])
    if not text:
        errors["text"] = _("Please enter the question.")
    elif len(text) > QUESTION_TEXT_MAX:
        errors["text"] = _("At most %(n)d characters.", n=QUESTION_TEXT_MAX)
    if len(data.help_text.strip()) > QUESTION_TEXT_MAX:
        errors["help_text"] = _("At most %(n)d characters.", n=QUESTION_TEXT_MAX)
    for name in ("low_label", "high_label"):
        if len(getattr(data, name).strip()) > LABEL_MAX:
            errors[name] = _("At most %(n)d characters.", n=LABEL_MAX)
    check_text(errors, "text", text, multi_line=True)
    check_text(errors, "help_text", data.help_text, multi_line=True)
    for name in ("low_label", "high_label"):
        check_text(errors, name, getattr(data, name))
    for option in data.options:
        check_text(errors, "options", option)
    low, high = RATING_MAX_RANGE
    scale_max = data.scale_max
    # a value out of range is refused whatever the kind (another kind ignores a valid one)
    missing = scale_max is None and kind is QuestionKind.RATING
    if missing or (scale_max is not None and number_error(scale_max, low, high)):
        errors["scale_max"] = _("The highest value of a rating scale lies between 2 and 10.")
    options = [option.strip() for option in data.options]
    if kind in CHOICE_KINDS:
        if any(not option for option in options):
            errors["options"] = _("An option must not be empty.")
        elif not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
            errors["options"] = _(
                "A choice question has %(low)d to %(high)d options.",
                low=OPTIONS_MIN,
                high=OPTIONS_MAX,
            )
        elif len({option.casefold() for option in options}) != len(options):
            errors["options"] = _("Each option may appear only once.")
        elif any(len(option) > OPTION_MAX for option in options):
            errors["options"] = _("An option has at most %(n)d characters.", n=OPTION_MAX)
    elif len(options) > OPTIONS_MAX or any(len(option) > OPTION_MAX for option in options):
        # ignored by this kind, but no bigger than a choice question's
        errors["options"] = _("An option has at most %(n)d characters.", n=OPTION_MAX)
    if errors:
        raise ServiceError(errors)
    question.kind = kind
    question.text = text
    question.help_text = data.help_text.strip()
    question.required = data.required
    question.scale_max = data.scale_max if kind is QuestionKind.RATING else None
    scale = kind in FIXED_SCALES or kind is QuestionKind.RATING
    question.low_label = data.low_label.strip() if scale else ""
    question.high_label = data.high_label.strip() if scale else ""
    question.options = options if kind in CHOICE_KINDS else []


def add_question(survey: Survey, data: QuestionData) -> Question:
    """Add a question at the end of the survey."""
    _ensure_questions_changeable(survey)
    if len(survey.questions) >= QUESTIONS_MAX:
        raise ServiceError.on(
            "questions", _("A survey has at most %(n)d questions.", n=QUESTIONS_MAX)
        )
    question = Question(position=len(survey.questions) + 1)
    with db.session.no_autoflush:
        _apply_question(survey, question, data)
    survey.questions.append(question)
    db.session.commit()
    return question


def update_question(question: Question, data: QuestionData) -> Question:
    """Change a question; refused once the survey has responses (see the module docstring)."""
    survey = question.survey
    _ensure_questions_changeable(survey)
    with db.session.no_autoflush:
        _apply_question(survey, question, data)
    db.session.commit()
    return question


def delete_question(question: Question) -> None:
    """Delete a question; the ones after it move up."""
    survey = question.survey
    _ensure_questions_changeable(survey)
    survey.questions.remove(question)
    for position, remaining in enumerate(survey.questions, start=1):
        remaining.position = position
    db.session.commit()


def move_question(question: Question, direction: str) -> None:
    """Swap a question with its neighbour ``"up"`` or ``"down"``; positions stay 1…n."""
    if direction not in ("up", "down"):
        raise ServiceError.on("direction", _("Move a question up or down."))
    survey = question.survey
    _ensure_questions_changeable(survey)
    ordered = sorted(survey.questions, key=lambda q: q.position)
    index = ordered.index(question)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, each in enumerate(ordered, start=1):
        each.position = position
    db.session.commit()
