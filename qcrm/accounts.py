"""Accounts: users, passwords, invitations, password resets and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.mail import MailReport, mail_report, queue_mail
from qcrm.models import ApiToken, Client, Role, User
from qcrm.validation import refuse_control_characters

TOKEN_PREFIX = "qcrm_"  # noqa: S105 (a public marker, not a secret)


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


def check_password_policy(password: str, user_email: str, field_name: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ServiceError.on(field_name, _("Use at least %(n)d characters.", n=minimum))
    if password.strip().lower() == user_email.lower():
        raise ServiceError.on(field_name, _("The password must not be your e-mail address."))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; upgrades outdated hashes."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active or not user.password_hash:
        hash_password(password)  # spend the same time as a real check: no account probing
        return None
    if not password_matches(user.password_hash, password):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


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


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; the plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ServiceError.on("name", _("Please name the token, e.g. after the script using it."))
    if len(name) > 80:
        raise ServiceError.on("name", _("At most %(n)d characters.", n=80))
    refuse_control_characters({"name": name})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, token_hash=_token_digest(plaintext), prefix=plaintext[:12]
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
    if token is None or token.is_revoked or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        token.last_used_at = now
        db.session.commit()
    return token.user
