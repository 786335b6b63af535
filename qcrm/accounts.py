"""Accounts: users, passwords, login sessions and history, invitations, password resets and
API tokens."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import gzip
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from sqlalchemy import delete, select

from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.mail import MailReport, mail_report, queue_mail
from qcrm.models import (
    ApiToken,
    Client,
    LoginAttempt,
    LoginResult,
    Role,
    User,
    UserSession,
)
from qcrm.validation import refuse_control_characters

log = logging.getLogger(__name__)
TOKEN_PREFIX = "qcrm_"  # noqa: S105 (a public marker, not a secret)
#: The shipped list of common and breached passwords (see qcrm/data/README.md).
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
#: A token's last use is written at most this often, to spare a write on every API request.
TOKEN_LAST_USED_PRECISION = dt.timedelta(minutes=1)
#: A session's last request is written at most this often (the inactivity timeout's precision).
SESSION_LAST_SEEN_PRECISION = dt.timedelta(minutes=1)
#: The latest expiry date a token may get, counted from today.
TOKEN_MAX_LIFETIME_DAYS = 2 * 365


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"], memory_cost=config["PASSWORD_HASH_MEMORY_COST"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """argon2 raises on a mismatch; this answers True or False."""
    try:
        return _hasher().verify(password_hash or "", password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, field_name: str = "email") -> str:
    """Return the normalized address, or raise a ServiceError naming the field."""
    try:
        return normalize_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ServiceError.on(field_name, _("This is not a valid e-mail address.")) from None


@functools.cache
def _common_passwords(path: str) -> frozenset[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common_password(password: str) -> bool:
    """On the shipped list of common and breached passwords (checked offline, lower case)."""
    path = current_app.config.get("COMMON_PASSWORDS_FILE") or COMMON_PASSWORDS_FILE
    return password.strip().lower() in _common_passwords(str(path))


def check_password_policy(password: str, user_email: str, field_name: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ServiceError.on(field_name, _("Use at least %(n)d characters.", n=minimum))
    if password.strip().lower() == user_email.lower():
        raise ServiceError.on(field_name, _("The password must not be your e-mail address."))
    if is_common_password(password):
        raise ServiceError.on(
            field_name,
            _(
                "This password is one of the most common ones and is tried first by attackers. "
                "Choose another."
            ),
        )


def authenticate(
    email: str,
    password: str,
    address: str,
    second_factor_pending: Callable[[User], bool] | None = None,
) -> User | None:
    """The active user with this e-mail and password, or None; upgrades outdated hashes.

    Every attempt on an existing account goes into its login history; attempts on unknown
    addresses leave no trace (they would be tied to no one, and may be someone's typo). A user
    for whom ``second_factor_pending`` is true is recorded as PASSWORD_OK only: the login
    succeeds (``record_login_success``) once the second factor is given.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active or not user.password_hash:
        hash_password(password)  # spend the same time as a real check: no account probing
        if user is not None:
            record_login_attempt(user, address, LoginResult.INACTIVE)
        else:
            log_refused_login(UNKNOWN_ACCOUNT, address, email=email)
        return None
    if not password_matches(user.password_hash, password):
        record_login_attempt(user, address, LoginResult.WRONG_PASSWORD)
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if second_factor_pending is not None and second_factor_pending(user):
        record_login_attempt(user, address, LoginResult.PASSWORD_OK)
    else:
        record_login_success(user, address)
    return user


def record_login_success(user: User, address: str) -> None:
    """The user proved who they are (password, and the second factor where it is on)."""
    user.last_login_at = utcnow()
    record_login_attempt(user, address, LoginResult.SUCCESS)


# Login history --------------------------------------------------------------------------------


def record_login_attempt(user: User, address: str, result: LoginResult) -> None:
    """Write one attempt to the user's history and drop every attempt older than the retention
    (pruned here, on write, by the index on the time: no job needed)."""
    now = utcnow()
    cutoff = now - dt.timedelta(days=current_app.config["LOGIN_HISTORY_DAYS"])
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    db.session.add(
        LoginAttempt(user_id=user.id, attempted_at=now, address=address[:45], result=result)
    )
    db.session.commit()
    if result in REFUSED_LOGINS:
        log_refused_login(result.value, address, user=user)


#: Login results that refuse the login (PASSWORD_OK waits for the second factor).
REFUSED_LOGINS = frozenset(
    {
        LoginResult.WRONG_PASSWORD,
        LoginResult.INACTIVE,
        LoginResult.THROTTLED,
        LoginResult.WRONG_SECOND_FACTOR,
    }
)
#: The reason logged for a login with an e-mail that belongs to no account.
UNKNOWN_ACCOUNT = "unknown_account"


def log_refused_login(
    reason: str, address: str, user: User | None = None, email: str | None = None
) -> None:
    """One log line per refused login, for spotting attacks in the logs. Never the password or
    code; an unknown account only as a keyed hash prefix of its e-mail (it may be a typo, or
    someone's password typed into the wrong field), enough to see the same one come back."""
    context: dict[str, object] = {"reason": reason, "address": address}
    if user is not None:
        context["user_id"] = user.id
        who = f"user {user.id}"
    else:
        context["email_hash"] = email_hash(email or "")
        who = f"unknown account {context['email_hash']}"
    level = logging.WARNING if reason == LoginResult.THROTTLED.value else logging.INFO
    log.log(level, "login refused (%s) for %s from %s", reason, who, address, extra=context)


def email_hash(email: str) -> str:
    """A short keyed hash of the normalized e-mail: the same address gives the same value in
    one installation, and the address cannot be looked up from it without the SECRET_KEY."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()
    return digest[:12]


#: The settings that throttle failed logins (per account and address, per account, per address).
LOGIN_THROTTLE_SETTINGS = (
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_ADDRESS",
)


def login_throttle_wait(breached: RateLimitItem | None = None) -> dt.timedelta:
    """How long a throttled login waits at most: the window of the limit it broke, or (not
    known which) the longest window of the login throttle settings."""
    if breached is not None:
        return dt.timedelta(seconds=breached.get_expiry())
    windows = [
        item.get_expiry()
        for setting in LOGIN_THROTTLE_SETTINGS
        for item in parse_many(current_app.config[setting])
    ]
    return dt.timedelta(seconds=max(windows))


def record_throttled_login(email: str, address: str) -> None:
    """A login refused by the throttle, before its password was looked at."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None:
        record_login_attempt(user, address, LoginResult.THROTTLED)
    else:
        log_refused_login(LoginResult.THROTTLED.value, address, email=email)


def login_history(user: User) -> list[LoginAttempt]:
    """The user's latest login attempts, newest first."""
    return list(
        db.session.scalars(
            select(LoginAttempt)
            .where(LoginAttempt.user_id == user.id)
            .order_by(LoginAttempt.attempted_at.desc(), LoginAttempt.id.desc())
            .limit(current_app.config["LOGIN_HISTORY_SHOWN"])
        )
    )


# Login sessions -------------------------------------------------------------------------------


class SessionState(enum.Enum):
    VALID = "valid"
    #: Logged out (here or everywhere), or never existed: the cookie is worthless.
    ENDED = "ended"
    #: Too long without a request, or older than the absolute lifetime.
    EXPIRED = "expired"


def _session_expired(row: UserSession, now: dt.datetime) -> bool:
    config = current_app.config
    return now - row.last_seen_at >= dt.timedelta(
        seconds=config["SESSION_IDLE_TIMEOUT"]
    ) or now - row.created_at >= dt.timedelta(seconds=config["SESSION_ABSOLUTE_LIFETIME"])


def start_session(user: User) -> str:
    """Open a login session for a user who just proved who they are; returns its secret, which
    only the session cookie carries (the database keeps its hash). Drops every expired session
    on the way, so that abandoned ones do not pile up."""
    now = utcnow()
    config = current_app.config
    idle_since = now - dt.timedelta(seconds=config["SESSION_IDLE_TIMEOUT"])
    born_before = now - dt.timedelta(seconds=config["SESSION_ABSOLUTE_LIFETIME"])
    db.session.execute(
        delete(UserSession).where(
            (UserSession.last_seen_at <= idle_since) | (UserSession.created_at <= born_before)
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id, secret_hash=_token_digest(secret), created_at=now, last_seen_at=now
        )
    )
    db.session.commit()
    return secret


def check_session(user: User, secret: str) -> SessionState:
    """Whether the session with this secret still runs; notes its activity (at most once a
    minute) and deletes it once expired."""
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.secret_hash == _token_digest(secret), UserSession.user_id == user.id
        )
    )
    if row is None:
        return SessionState.ENDED
    now = utcnow()
    if _session_expired(row, now):
        db.session.delete(row)
        db.session.commit()
        return SessionState.EXPIRED
    if now - row.last_seen_at >= SESSION_LAST_SEEN_PRECISION:
        row.last_seen_at = now
        db.session.commit()
    return SessionState.VALID


def end_session(secret: str | None) -> None:
    """Log out: the session's cookie, and every copy of it, stops working."""
    if secret:
        db.session.execute(
            delete(UserSession).where(UserSession.secret_hash == _token_digest(secret))
        )
        db.session.commit()


def end_all_sessions(user: User) -> None:
    """Log out everywhere: every browser the user is logged in with (API tokens stay)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.commit()


@dataclass(frozen=True)
class UserData:
    """What an admin enters for a user."""

    email: str
    name: str
    role: Role
    active: bool = True
    all_clients: bool = False
    language: str | None = None
    client_ids: tuple[int, ...] = field(default_factory=tuple)


def _apply_user_data(user: User, data: UserData) -> None:
    email = check_email(data.email)
    duplicate = db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if duplicate is not None:
        raise ServiceError.on("email", _("A user with this e-mail address already exists."))
    name = data.name.strip()
    if not name:
        raise ServiceError.on("name", _("Please enter a name."))
    refuse_control_characters({"name": name})  # the name is shown in mails and headers
    if data.language not in (None, *current_app.config["LANGUAGES"]):
        raise ServiceError.on("language", _("Unknown language."))
    clients = list(db.session.scalars(select(Client).where(Client.id.in_(data.client_ids))))
    if len(clients) != len(set(data.client_ids)):
        raise ServiceError.on("client_ids", _("Unknown client."))
    user.email = email
    user.name = name
    user.role = data.role
    user.all_clients = data.all_clients and data.role is Role.MANAGER
    user.language = data.language
    user.clients = clients
    if user.active and not data.active:
        user.session_version += 1
    user.active = data.active


def create_user(
    data: UserData, password: str | None = None, invite: bool = True
) -> tuple[User, MailReport | None]:
    """Create a user; without a password they get a mail to set their own. Returns the user
    and where that invitation mail stands after the commit (None without one)."""
    user = User(session_version=1)
    _apply_user_data(user, data)
    if password is not None:
        check_password_policy(password, user.email)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    mail_id = send_invitation(user) if password is None and invite else None
    db.session.commit()  # the outbox tries to send the mail right after this
    return user, (mail_report(mail_id) if mail_id is not None else None)


def update_user(user: User, data: UserData, acting: User) -> User:
    if user.id == acting.id and (not data.active or data.role is not Role.ADMIN):
        raise ServiceError.on(
            "role" if data.active else "active",
            _("You cannot take away your own admin rights or deactivate yourself."),
        )
    _apply_user_data(user, data)
    db.session.commit()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change a password and end the user's other sessions (the caller re-logs this one in)."""
    if not password_matches(user.password_hash, current_password):
        raise ServiceError.on("current_password", _("The current password is not correct."))
    _set_password(user, new_password, "new_password")
    db.session.commit()


def _set_password(user: User, password: str, field_name: str) -> None:
    check_password_policy(password, user.email, field_name)
    user.password_hash = hash_password(password)
    user.session_version += 1


def set_language(user: User, language: str | None) -> None:
    if language not in (None, *current_app.config["LANGUAGES"]):
        raise ServiceError.on("language", _("Unknown language."))
    user.language = language
    db.session.commit()


# Password reset and invitation links -------------------------------------------------------

_PURPOSES = {"reset": "PASSWORD_RESET_MAX_AGE", "invite": "INVITATION_MAX_AGE"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"qcrm-password-{purpose}")


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so that a link works only once."""
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_password_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_for_password_token(token: str, purpose: str) -> User | None:
    max_age = current_app.config[_PURPOSES[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, payload.get("uid"))
    if user is None or not user.active or payload.get("fp") != _password_fingerprint(user):
        return None
    return user


def set_password_with_token(token: str, purpose: str, password: str) -> User:
    user = user_for_password_token(token, purpose)
    if user is None:
        raise ServiceError.on("password", _("This link is invalid or has expired."))
    _set_password(user, password, "password")
    db.session.commit()
    return user


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for mails, built from PUBLIC_BASE_URL and never from the Host header."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def _mail_to_user(
    user: User,
    template: str,
    subject: Callable[[], str],
    send_after_commit: bool = True,
    **context: object,
) -> int:
    """Queue a mail in the user's own language (subject is called inside that locale); returns
    the outbox mail's id."""
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return queue_mail(
            user.email,
            subject(),
            render_template(f"mail/{template}.txt", user=user, **context),
            send_after_commit=send_after_commit,
        ).id


def send_invitation(user: User) -> int:
    """Queue the set-your-password mail in the caller's transaction; returns its outbox id."""
    link = external_url("auth.accept_invitation", token=make_password_token(user, "invite"))
    return _mail_to_user(user, "invitation", lambda: _("Your Q-CRM account"), link=link)


def invite_again(user: User) -> MailReport:
    """Send a fresh set-your-password link (earlier links stay valid until they expire);
    returns where the mail stands after the commit."""
    mail_id = send_invitation(user)
    db.session.commit()
    return mail_report(mail_id)


def request_password_reset(email: str) -> None:
    """Queue a reset link if an active account has this address; say nothing either way (so
    the page cannot tell whether the mail went out: it would tell whether the account exists).

    The outbox job sends it, never this request: talking to the mail server here would make
    the answer slower for existing accounts than for unknown ones.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None and user.active:
        link = external_url("auth.reset_password", token=make_password_token(user, "reset"))
        _mail_to_user(
            user,
            "password_reset",
            lambda: _("Reset your Q-CRM password"),
            send_after_commit=False,
            link=link,
        )
    db.session.commit()


# API tokens -----------------------------------------------------------------------------------


def _token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _token_expiry(expires_on: dt.date | None) -> dt.datetime | None:
    """A token valid through ``expires_on`` (in the app's time zone) expires at the next
    midnight; the date must be today or later, and at most two years ahead."""
    if expires_on is None:
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = utcnow().astimezone(zone).date()
    latest = today + dt.timedelta(days=TOKEN_MAX_LIFETIME_DAYS)
    if not today <= expires_on <= latest:
        raise ServiceError.on(
            "expires_on",
            _(
                "Choose a day from today to %(latest)s, or none for a token without expiry.",
                latest=latest.isoformat(),
            ),
        )
    midnight = dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return midnight.astimezone(dt.UTC)


def create_api_token(
    user: User, name: str, expires_on: dt.date | None = None
) -> tuple[ApiToken, str]:
    """Create a personal token, valid through ``expires_on`` (None: until revoked); the
    plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ServiceError.on("name", _("Please name the token, e.g. after the script using it."))
    if len(name) > 80:
        raise ServiceError.on("name", _("At most %(n)d characters.", n=80))
    refuse_control_characters({"name": name})
    expires_at = _token_expiry(expires_on)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=_token_digest(plaintext),
        prefix=plaintext[:12],
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.commit()
    return token, plaintext


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()


def user_for_api_token(plaintext: str) -> User | None:
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(plaintext))
    )
    now = utcnow()
    if token is None or token.is_revoked or token.is_expired(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user
