"""Entities every feature shares: users and roles, API tokens, clients, channels, the outbox."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, Index, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qcrm.db import utcnow
from qcrm.extensions import db


class Role(enum.Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    TESTER = "tester"
    EXECUTIVE = "executive"


user_clients = Table(
    "user_clients",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; unique.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: argon2 hash; None until the invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role]
    active: Mapped[bool] = mapped_column(default=True)
    #: Managers of the auditing agency see every client; others only ``clients``.
    all_clients: Mapped[bool] = mapped_column(default=False)
    #: "de", "en" or None for the browser's choice.
    language: Mapped[str | None] = mapped_column(String(8))
    #: Raised on a password change or deactivation: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    clients: Mapped[list[Client]] = relationship(
        secondary=user_clients, order_by="Client.name", lazy="selectin"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )

    #: The secret of the login session this object was loaded for or logged in with (never
    #: stored: the database keeps only its hash, in ``UserSession``).
    session_secret = None  # str once set; not a column (an annotation would map it)
    #: Set when a login session loads the user: their role requires two-factor login now and
    #: they have not set it up (not a column).
    two_factor_enrolment_needed = False

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    def get_id(self) -> str:
        """What the session (and the "stay logged in" cookie) carries: the session version, so
        that raising it ends every session, and the session's secret, so that logging out
        ends this one."""
        return f"{self.id}:{self.session_version}:{self.session_secret or ''}"

    @property
    def sees_all_clients(self) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.MANAGER and self.all_clients)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """A personal bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the token, shown so that a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    #: None: valid until revoked.
    expires_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="api_tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def valid_through(self) -> dt.datetime | None:
        """The token's last valid moment (its day is the one the user chose)."""
        return self.expires_at - dt.timedelta(microseconds=1) if self.expires_at else None


class UserSession(db.Model):
    """One logged-in browser. Its cookie carries a secret whose hash is stored here, so that
    logging out ends exactly this session, and a copy of the cookie is worthless afterwards."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Updated at most once a minute; the inactivity timeout counts from here.
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginResult(enum.Enum):
    SUCCESS = "success"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a result, not a secret)
    THROTTLED = "throttled"
    #: The account is deactivated (or has no password yet).
    INACTIVE = "inactive"
    #: The password was right; the login waits for the second factor (SUCCESS follows it).
    PASSWORD_OK = "password_ok"  # noqa: S105 (a result, not a secret)
    #: A wrong code (TOTP or recovery code) at the second login step.
    WRONG_SECOND_FACTOR = "wrong_second_factor"


class LoginAttempt(db.Model):
    """A login attempt on an existing account (attempts on unknown addresses are not kept)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_time", "user_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: The client address (IPv4 or IPv6) as the app sees it behind its trusted proxies.
    address: Mapped[str] = mapped_column(String(45))
    result: Mapped[LoginResult]


class ClientKind(enum.Enum):
    OWN = "own"
    BRANCH = "branch"
    COMPETITOR = "competitor"


class Client(db.Model):
    """An audited company: the customer's own company, one of its branches, or a competitor."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    kind: Mapped[ClientKind] = mapped_column(default=ClientKind.OWN)
    #: Free notes for the quality managers (never shown to testers).
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Clients are archived, never deleted: audits and reports keep referring to them.
    archived_at: Mapped[dt.datetime | None]

    channels: Mapped[list[Channel]] = relationship(back_populates="client", order_by="Channel.name")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ChannelType(enum.Enum):
    PHONE = "phone"
    EMAIL = "email"
    WEB_FORM = "web_form"
    LIVE_CHAT = "live_chat"
    FACEBOOK = "facebook"
    X = "x"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    IN_PERSON = "in_person"
    OTHER = "other"


class Channel(db.Model):
    """One contact point of a client: its type, address or handle, and business hours."""

    __tablename__ = "channels"
    __table_args__ = (Index("ix_channels_client_archived", "client_id", "archived_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    type: Mapped[ChannelType]
    name: Mapped[str] = mapped_column(String(160))
    #: Phone number, e-mail address, URL or social handle.
    address: Mapped[str] = mapped_column(String(300))
    #: Weekday ("mon" … "sun") → list of "HH:MM-HH:MM" intervals; a missing day is closed.
    business_hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[dt.datetime | None]

    client: Mapped[Client] = relationship(back_populates="channels")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class MailStatus(enum.Enum):
    """Where an outbox mail stands; only SENT means a mail server accepted it."""

    QUEUED = "queued"
    SENDING = "sending"
    #: Accepted by the SMTP server.
    SENT = "sent"
    #: Not accepted (no server, no connection, a temporary refusal): retried with back-off.
    FAILED = "failed"
    #: The server refused the recipient for good (a 5xx reply to RCPT TO): never retried.
    BOUNCED = "bounced"


class OutboxMail(db.Model):
    """Every mail the product sends, written in the transaction causing it, sent after commit."""

    __tablename__ = "outbox_mails"
    __table_args__ = (Index("ix_outbox_mails_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: Extra headers such as List-Unsubscribe.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: One attached file (e.g. a report's PDF), kept until the mail is sent.
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    #: What the mail is for (e.g. "survey_invitation"): the handler registered for it hears how
    #: sending went (see ``qcrm.mail.register_outcome_handler``).
    purpose: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[MailStatus] = mapped_column(default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]


class SchedulerHeartbeat(db.Model):
    """The scheduler process writes its heartbeat here; /readyz reports its age."""

    __tablename__ = "scheduler_heartbeats"

    #: One row per scheduler process ("host:pid").
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    beat_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime]
    #: The last job failure of this process ("job: error"), shown to admins and managers.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]
