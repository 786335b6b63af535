"""Mystery contacts: scenarios, personas, waves and their inquiries, attempts, replies, the
calendar feed, the tester's contact log, evidence and the audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audits.scorecards.models import ScorecardVersion
from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import Channel, Client, User

# Scenarios -----------------------------------------------------------------------------------


class ScenarioCategory(enum.Enum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    ORDER = "order"
    INFORMATION_REQUEST = "information_request"
    CANCELLATION = "cancellation"
    TECHNICAL_PROBLEM = "technical_problem"
    OTHER = "other"


class Difficulty(enum.Enum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class Scenario(db.Model):
    """A test story: what the tester asks, the correct answer, and what counts as solved."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[ScenarioCategory]
    #: The inquiry text or call script the tester uses.
    script: Mapped[str] = mapped_column(Text)
    expected_answer: Mapped[str] = mapped_column(Text, default="")
    #: What an answer must contain for the scenario to count as solved.
    solved_criteria: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[Difficulty] = mapped_column(default=Difficulty.MEDIUM)
    #: ChannelType values the scenario suits; empty means every type.
    channel_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: "de" or "en": the language of the script.
    language: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[dt.datetime | None]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


# Personas ------------------------------------------------------------------------------------

persona_testers = Table(
    "persona_testers",
    db.metadata,
    Column("persona_id", ForeignKey("personas.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Persona(db.Model):
    """An anonymous identity a tester uses, so the audited company cannot recognise the audit."""

    __tablename__ = "personas"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: Platform ("x", "facebook", "instagram", "linkedin", …) → handle.
    social_handles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[dt.datetime | None]

    #: Testers who may use this persona; none means every tester may.
    testers: Mapped[list[User]] = relationship(secondary=persona_testers, lazy="selectin")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


#: Clients a tester must never audit (they are known there, or work there).
tester_excluded_clients = Table(
    "tester_excluded_clients",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
)


# Waves and inquiries -------------------------------------------------------------------------


class WaveStatus(enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    CLOSED = "closed"


class HourBand(enum.Enum):
    """When an inquiry is sent, as DOMAIN.md bands the day (local time of the channel)."""

    NIGHT = "night"  # 0–6
    MORNING = "morning"  # 6–11
    NOON = "noon"  # 11–14
    AFTERNOON = "afternoon"  # 14–18
    EVENING = "evening"  # 18–24


HOUR_BAND_HOURS = {
    HourBand.NIGHT: (0, 6),
    HourBand.MORNING: (6, 11),
    HourBand.NOON: (11, 14),
    HourBand.AFTERNOON: (14, 18),
    HourBand.EVENING: (18, 24),
}


def hour_band_of(hour: int) -> HourBand:
    """The band a local hour (0–23) falls in."""
    return next(band for band, (start, end) in HOUR_BAND_HOURS.items() if start <= hour < end)


wave_channels = Table(
    "wave_channels",
    db.metadata,
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True),
    Column("channel_id", ForeignKey("channels.id"), primary_key=True),
)
wave_scenarios = Table(
    "wave_scenarios",
    db.metadata,
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True),
    Column("scenario_id", ForeignKey("scenarios.id"), primary_key=True),
)
wave_testers = Table(
    "wave_testers",
    db.metadata,
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Wave(db.Model):
    """An audit campaign: which channels get which scenarios, when, by whom, against which Soll."""

    __tablename__ = "waves"
    __table_args__ = (Index("ix_waves_client_status", "client_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The audited client; its users see the wave. Channels may also be competitors'.
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    scorecard_version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"))
    status: Mapped[WaveStatus] = mapped_column(default=WaveStatus.DRAFT)
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    #: Seed of the schedule draw: the same seed and settings give the same schedule.
    seed: Mapped[int]
    contacts_per_cell: Mapped[int]
    #: Weekday codes ("mon" … "sun") and HourBand values inquiries may be planned in.
    weekdays: Mapped[list[str]] = mapped_column(JSON)
    hour_bands: Mapped[list[str]] = mapped_column(JSON)
    #: Plan only inside each channel's business hours (off for clients claiming 24/7 service).
    within_business_hours: Mapped[bool] = mapped_column(default=True)
    #: ChannelType value → hours until an unanswered inquiry counts as unanswered.
    answer_timeouts: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    #: Hours after the first attempt when a second attempt is sent (None: no second attempt).
    second_attempt_after_hours: Mapped[float | None] = mapped_column(Float)
    #: Send e-mail inquiries automatically from the persona's address.
    auto_send_email: Mapped[bool] = mapped_column(default=False)

    target_answer_rate: Mapped[float | None] = mapped_column(Float)
    target_frt_median_minutes: Mapped[float | None] = mapped_column(Float)
    target_frt_within_hours: Mapped[float | None] = mapped_column(Float)
    target_frt_within_share: Mapped[float | None] = mapped_column(Float)
    #: MethodDimension value → target score 0–100.
    target_dimension_scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    target_total_score: Mapped[float | None] = mapped_column(Float)

    lockout_days: Mapped[int] = mapped_column(default=7)
    persona_reuse_days: Mapped[int] = mapped_column(default=14)
    daily_cap_per_tester: Mapped[int] = mapped_column(default=4)

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    client: Mapped[Client] = relationship()
    scorecard_version: Mapped[ScorecardVersion] = relationship()
    channels: Mapped[list[Channel]] = relationship(secondary=wave_channels, order_by="Channel.id")
    scenarios: Mapped[list[Scenario]] = relationship(
        secondary=wave_scenarios, order_by="Scenario.id"
    )
    testers: Mapped[list[User]] = relationship(secondary=wave_testers, order_by="User.id")


class InquiryStatus(enum.Enum):
    """The dispatch state of an inquiry (the review state of its contact log is separate)."""

    PLANNED = "planned"
    DUE = "due"
    SENT = "sent"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    NOT_CONTACTABLE = "not_contactable"
    CANCELLED = "cancelled"


class Inquiry(db.Model):
    """One planned test contact: channel × scenario × tester × persona × time."""

    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_wave_status", "wave_id", "status"),
        Index("ix_inquiries_tester_planned", "tester_id", "planned_at"),
        Index("ix_inquiries_channel_planned", "channel_id", "planned_at"),
        Index("ix_inquiries_status_planned", "status", "planned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    #: None only while the schedule breaks a rule (the wave cannot be confirmed then).
    tester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    persona_id: Mapped[int | None] = mapped_column(ForeignKey("personas.id"))
    planned_at: Mapped[dt.datetime]
    #: When the inquiry is planned in the channel's own time zone: for the plan grids.
    planned_local_date: Mapped[dt.date]
    planned_weekday: Mapped[int]  # 0 = Monday
    planned_hour_band: Mapped[HourBand]
    status: Mapped[InquiryStatus] = mapped_column(default=InquiryStatus.PLANNED)
    #: The planning rule this inquiry could not meet (no tester or persona was free), if any.
    plan_problem: Mapped[str | None] = mapped_column(String(40))
    #: When the tester was told the inquiry is due.
    notified_at: Mapped[dt.datetime | None]
    #: Set when the tester had not logged the sending within the grace period.
    overdue_at: Mapped[dt.datetime | None]
    #: Time of the first answer (not an automatic acknowledgement) within the timeout.
    first_answer_at: Mapped[dt.datetime | None]
    #: The attempt the first answer replied to (2: answered only at the second attempt).
    answered_attempt: Mapped[int | None]
    #: When the first attempt actually went out, in the channel's time zone: the reports'
    #: breakdowns by weekday and hour band use these, never the planned slot (DOMAIN.md).
    sent_weekday: Mapped[int | None]  # 0 = Monday
    sent_hour_band: Mapped[HourBand | None]
    #: The last error a scheduler job hit on this inquiry ("Type: message"), the job, and when.
    #: The job skips the inquiry and goes on with the others; the wave page lists the problem
    #: until the same job gets through the inquiry.
    dispatch_problem: Mapped[str | None] = mapped_column(Text)
    dispatch_problem_job: Mapped[str | None] = mapped_column(String(40))
    dispatch_problem_at: Mapped[dt.datetime | None]

    wave: Mapped[Wave] = relationship()
    channel: Mapped[Channel] = relationship()
    scenario: Mapped[Scenario] = relationship()
    tester: Mapped[User | None] = relationship()
    persona: Mapped[Persona | None] = relationship()
    attempts: Mapped[list[InquiryAttempt]] = relationship(
        back_populates="inquiry", order_by="InquiryAttempt.number", cascade="all, delete-orphan"
    )

    def note_first_sending(self, sent_at: dt.datetime | None) -> None:
        """Keep the weekday and hour band in which the first attempt went out (channel time)."""
        if sent_at is None:
            self.sent_weekday, self.sent_hour_band = None, None
            return
        local = sent_at.astimezone(ZoneInfo(self.channel.time_zone))
        self.sent_weekday, self.sent_hour_band = local.weekday(), hour_band_of(local.hour)


class AttemptState(enum.Enum):
    """Dispatch of one attempt: pending → sending (claimed under a lease) → sent, or failed."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class InquiryAttempt(db.Model):
    """The first or second sending of an inquiry (a second attempt is a row, not an inquiry)."""

    __tablename__ = "inquiry_attempts"
    __table_args__ = (
        UniqueConstraint("inquiry_id", "number"),
        Index("ix_inquiry_attempts_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    number: Mapped[int]
    due_at: Mapped[dt.datetime]
    state: Mapped[AttemptState] = mapped_column(default=AttemptState.PENDING)
    #: Sent by the scheduler itself (e-mail channels of waves that say so), else by the tester.
    automatic: Mapped[bool] = mapped_column(default=False)
    #: Who holds the claim, and until when; an expired lease may be taken over.
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[dt.datetime | None]
    #: Fixed when first claimed, so a re-send after a crash carries the same Message-ID.
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    sent_at: Mapped[dt.datetime | None]
    send_count: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    inquiry: Mapped[Inquiry] = relationship(back_populates="attempts")


class InquiryReply(db.Model):
    """A message received for an inquiry: an automatic acknowledgement or an answer."""

    __tablename__ = "inquiry_replies"
    __table_args__ = (Index("ix_inquiry_replies_inquiry_received", "inquiry_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    received_at: Mapped[dt.datetime]
    sender: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    #: "we have received your message": recorded, but not an answer.
    is_auto_acknowledgement: Mapped[bool] = mapped_column(default=False)
    #: Received after the inquiry's answer timeout: kept and shown as late, never counted.
    is_late: Mapped[bool] = mapped_column(default=False)
    #: The Message-ID of a mail read from the mailbox (unique: a mail is stored once).
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: "mailbox" (read by the scheduler) or "tester" (logged by hand).
    source: Mapped[str] = mapped_column(String(16), default="mailbox")


class CalendarFeed(db.Model):
    """A tester's secret calendar URL; only the token's hash is kept, revoking replaces it."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# Contact logs, evaluations and their review ---------------------------------------------------


class ContactabilityFailure(enum.Enum):
    """Why an inquiry could not be placed at all: a result of its own, never a missing value."""

    NO_CONTACT_FORM = "no_contact_form"
    PRIVATE_MESSAGES_DISABLED = "private_messages_disabled"
    PERSONAL_DATA_DEMANDED = "personal_data_demanded"
    HOTLINE_NOT_REACHABLE = "hotline_not_reachable"
    OTHER = "other"


class ReviewStatus(enum.Enum):
    """The review state of a contact log (separate from the inquiry's dispatch state)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class ContactLog(db.Model):
    """The tester's record of one inquiry: result, transcript, solved, and its review."""

    __tablename__ = "contact_logs"
    __table_args__ = (Index("ix_contact_logs_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(
        ForeignKey("inquiries.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[ReviewStatus] = mapped_column(default=ReviewStatus.DRAFT)
    #: Set when the inquiry could not be placed at all.
    not_contactable: Mapped[ContactabilityFailure | None]
    #: Phone: seconds waited in total, and how many tries were made.
    wait_seconds: Mapped[int | None]
    tries: Mapped[int | None]
    #: The tester's explicit "no answer" (the same outcome as the timeout).
    no_answer: Mapped[bool] = mapped_column(default=False)
    #: Whether the first answer solved the scenario (None: not answered).
    solved: Mapped[bool | None]
    transcript: Mapped[str] = mapped_column(Text, default="")
    #: First response time on the calendar and within the channel's business hours.
    first_response_seconds: Mapped[float | None] = mapped_column(Float)
    first_response_business_seconds: Mapped[float | None] = mapped_column(Float)
    submitted_at: Mapped[dt.datetime | None]
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    #: Raised on every save: a save based on an older version is refused (optimistic locking).
    version: Mapped[int] = mapped_column(default=1)

    inquiry: Mapped[Inquiry] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Evidence(db.Model):
    """A file attached to a contact log; stored outside the web root under a random name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(
        ForeignKey("inquiries.id", ondelete="CASCADE"), index=True
    )
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditTrailEntry(db.Model):
    """Who changed what on an inquiry's log, evaluation or review, from what to what."""

    __tablename__ = "audit_trail"
    __table_args__ = (Index("ix_audit_trail_inquiry_at", "inquiry_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: e.g. "contact_log", "reply", "attempt", "evaluation", "review"
    subject: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(80), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
