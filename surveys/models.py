"""Satisfaction surveys: the survey and its questions, invitations, and anonymous responses.

Anonymity is built into the tables: a response has no foreign key to an invitation, an
invitation keeps only a hash of its token and whether it was answered, and both sides store
the day of an answer, never its second, so the two cannot be matched up by time.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import Channel, Client, OutboxMail, User

survey_channels = Table(
    "survey_channels",
    db.metadata,
    Column("survey_id", ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True),
)


class Survey(db.Model):
    """A customer satisfaction survey of one client, optionally about some of its channels.

    A survey is a draft until published; it accepts responses from ``opens_at`` until
    ``closes_at`` (or until closed by hand). Once it has responses its questions are frozen.
    """

    __tablename__ = "surveys"
    __table_args__ = (Index("ix_surveys_client", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    thank_you_text: Mapped[str] = mapped_column(Text, default="")
    #: "de" or "en": the language the respondent's page speaks.
    language: Mapped[str] = mapped_column(String(8), default="de")

    #: Targets (Soll): CSAT as a share 0–1, NPS −100…100, CES mean 1–7.
    target_csat: Mapped[float | None] = mapped_column(Float)
    target_nps: Mapped[float | None] = mapped_column(Float)
    target_ces: Mapped[float | None] = mapped_column(Float)
    #: Results are shown only from this many responses on (no respondent can be singled out).
    min_responses: Mapped[int] = mapped_column(default=10)

    #: Token of the anonymous public link (None: no public link).
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    opens_at: Mapped[dt.datetime | None]
    closes_at: Mapped[dt.datetime | None]
    #: Days after the invitation when one reminder goes to those who have not answered.
    reminder_after_days: Mapped[int | None]
    #: Delete the invitation addresses when the survey closes (responses stay).
    delete_addresses_on_close: Mapped[bool] = mapped_column(default=True)

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    addresses_deleted_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("surveys.id", ondelete="SET NULL")
    )

    client: Mapped[Client] = relationship()
    created_by: Mapped[User | None] = relationship()
    channels: Mapped[list[Channel]] = relationship(secondary=survey_channels, order_by="Channel.id")
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey",
        order_by="Question.position",
        cascade="all, delete-orphan",
    )

    def is_open(self, now: dt.datetime) -> bool:
        """Whether the survey takes responses at ``now``."""
        return (
            self.published_at is not None
            and self.closed_at is None
            and self.archived_at is None
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )


class QuestionKind(enum.Enum):
    """The question types; CSAT, NPS and CES have fixed scales as DOMAIN.md defines them."""

    CSAT = "csat"  # 1–5
    NPS = "nps"  # 0–10
    CES = "ces"  # 1–7 agreement
    RATING = "rating"  # 1…scale_max
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    FREE_TEXT = "free_text"


#: The fixed scales (lowest, highest) of the standard question kinds.
FIXED_SCALES: dict[QuestionKind, tuple[int, int]] = {
    QuestionKind.CSAT: (1, 5),
    QuestionKind.NPS: (0, 10),
    QuestionKind.CES: (1, 7),
}
SCALE_KINDS = frozenset({*FIXED_SCALES, QuestionKind.RATING})
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})


class Question(db.Model):
    """One question of a survey."""

    __tablename__ = "survey_questions"
    __table_args__ = (Index("ix_survey_questions_survey_position", "survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[QuestionKind]
    text: Mapped[str] = mapped_column(Text)
    #: An optional hint shown under the question.
    help_text: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=True)
    #: Highest value of a RATING scale (its lowest is 1); ignored for other kinds.
    scale_max: Mapped[int | None]
    #: Labels of the scale's two ends ("very dissatisfied", "very satisfied").
    low_label: Mapped[str] = mapped_column(String(120), default="")
    high_label: Mapped[str] = mapped_column(String(120), default="")
    #: The options of a choice question, in order; answers store the option's index.
    options: Mapped[list[str]] = mapped_column(JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    @property
    def scale(self) -> tuple[int, int] | None:
        """(lowest, highest) value of a scale question, None for other kinds."""
        if self.kind in FIXED_SCALES:
            return FIXED_SCALES[self.kind]
        if self.kind is QuestionKind.RATING:
            return (1, self.scale_max or 5)
        return None


class InvitationState(enum.Enum):
    """Where an invitation stands: pending → invited → reminded → answered / opted out."""

    PENDING = "pending"  # imported, not mailed yet
    INVITED = "invited"
    REMINDED = "reminded"
    ANSWERED = "answered"
    OPTED_OUT = "opted_out"
    BOUNCED = "bounced"


class Delivery(enum.Enum):
    """How an invitation's mails fared, as the outbox reports it. Only DELIVERED invitations
    are the response rate's denominator (DOMAIN.md)."""

    #: Waiting in the outbox to be sent.
    QUEUED = "queued"
    #: Not accepted by a mail server yet (none set, no connection, a temporary refusal); the
    #: outbox retries it with back-off. The reason is its last mail's ``last_error``.
    FAILED = "failed"
    #: A mail server accepted the invitation (or a reminder). It stays so: a later reminder's
    #: failure or bounce does not undo it.
    DELIVERED = "delivered"
    #: The recipient's server refused the address for good.
    BOUNCED = "bounced"


class Invitation(db.Model):
    """A personal invitation: one address, one token (stored only as a hash), one response."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("survey_id", "email_hash"),
        Index("ix_survey_invitations_survey_state", "survey_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    #: The address; set to None when addresses are deleted (the hash keeps duplicates out).
    email: Mapped[str | None] = mapped_column(String(254))
    #: SHA-256 of the normalised address: finds duplicates and suppressions without the address.
    email_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the token; the token itself is derived from the secret key and ``token_salt``.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(64))
    #: The channel the recipient used (from the upload), so responses can be broken down by it.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    state: Mapped[InvitationState] = mapped_column(default=InvitationState.PENDING)
    #: None until its first mail is queued; then kept up to date by the outbox.
    delivery: Mapped[Delivery | None]
    send_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    invited_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    #: Only the day, so that an invitation cannot be matched to a response by time.
    answered_on: Mapped[dt.date | None]
    #: The last mail queued for this invitation (the invitation, or later the reminder).
    last_mail_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_mails.id", ondelete="SET NULL")
    )

    survey: Mapped[Survey] = relationship()
    channel: Mapped[Channel | None] = relationship()
    last_mail: Mapped[OutboxMail | None] = relationship()


class InvitationEvent(db.Model):
    """The auditable history of an invitation's state; answers are recorded by day only."""

    __tablename__ = "survey_invitation_events"
    __table_args__ = (Index("ix_survey_invitation_events_invitation", "invitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("survey_invitations.id", ondelete="CASCADE")
    )
    state: Mapped[InvitationState]
    occurred_on: Mapped[dt.date]
    #: e.g. the SMTP error of a bounce.
    detail: Mapped[str] = mapped_column(Text, default="")


class Suppression(db.Model):
    """An address that opted out of a client's surveys: later surveys of the client skip it."""

    __tablename__ = "survey_suppressions"
    __table_args__ = (UniqueConstraint("client_id", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    email_hash: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[dt.date]


class ResponseSource(enum.Enum):
    PUBLIC_LINK = "public_link"
    INVITATION = "invitation"


def new_response_key() -> str:
    """The opaque public id of a response: random, so it tells nothing of arrival order."""
    return secrets.token_hex(16)


class Response(db.Model):
    """One respondent's answers. Deliberately without a link to an invitation.

    ``id`` is internal: it grows in arrival order, so it never leaves the application; pages,
    exports and the API know a response by its random ``key`` (see ``surveys.anonymity``).
    """

    __tablename__ = "survey_responses"
    #: Covers the results' counts per day, channel and source (no table reads).
    __table_args__ = (
        Index(
            "ix_survey_responses_survey_day", "survey_id", "submitted_on", "channel_id", "source"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_response_key)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    source: Mapped[ResponseSource]
    #: Only the day (see the module docstring).
    submitted_on: Mapped[dt.date]

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):
    """One answer to one question; a multiple-choice question has one row per chosen option."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        # Both cover the results' GROUP BY queries (counts per value, respondents of a
        # multiple-choice question, the join from responses), so no table rows are read.
        Index("ix_survey_answers_question_number", "question_id", "number", "response_id"),
        Index("ix_survey_answers_response", "response_id", "question_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"))
    #: The scale value of a scale question, or the option index of a choice question.
    number: Mapped[int | None]
    #: The text of a free-text answer.
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class PublicSubmission(db.Model):
    """One-time keys of the public form: a repeated submit of the same form page is refused.

    Holds no link to the response and only the day, so it reveals nothing about who answered.
    """

    __tablename__ = "survey_public_submissions"
    __table_args__ = (UniqueConstraint("survey_id", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64))
    submitted_on: Mapped[dt.date]
