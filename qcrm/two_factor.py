"""Two-factor login with time-based one-time codes (TOTP, RFC 6238) and one-time recovery codes.

pyotp computes the codes an authenticator app shows; segno draws the QR code the app scans,
here in the app (the secret never goes to an outside service). The secret is stored encrypted
with a key derived from SECRET_KEY (SECRET_KEY_FALLBACKS still decrypt after a key rotation);
recovery codes are stored as argon2 hashes. A code is accepted once: the last used time step is
kept, and an older or equal one is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hmac
import logging
import secrets
import time
from collections.abc import Iterable

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import ForeignKey, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from qcrm import accounts
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db, limiter
from qcrm.models import LoginResult, Role, User
from qcrm.settings import Setting, get_setting, put_setting

logger = logging.getLogger(__name__)

REQUIRED_ROLES_SETTING = "two_factor_required_roles"
#: Letters and digits that cannot be mistaken for each other when typed from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
#: Codes from one time step before and after the server's are accepted (clock drift).
VALID_WINDOW = 1


class TwoFactorCredential(db.Model):
    """A user's TOTP secret; ``enabled_at`` stays None until the user confirmed a first code."""

    __tablename__ = "two_factor_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: The base32 secret, Fernet-encrypted.
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    enabled_at: Mapped[dt.datetime | None]
    #: The time step (Unix time // 30) of the last accepted code: that code and older are refused.
    last_used_step: Mapped[int | None]


class RecoveryCode(db.Model):
    """A one-time code for a lost phone; only its argon2 hash is stored."""

    __tablename__ = "two_factor_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None]


class CodeCheck(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    #: Too many wrong codes for this pending login: back to the password.
    LOGIN_SPENT = "login-spent"
    #: Too many wrong codes for the account within the hour: wait.
    ACCOUNT_BRAKED = "account-braked"


# Settings --------------------------------------------------------------------------------------


def required_roles() -> frozenset[Role]:
    """Roles that must log in with a second factor (set by an admin; default from config)."""
    values = get_setting(REQUIRED_ROLES_SETTING, "TWO_FACTOR_REQUIRED_ROLES") or ()
    return frozenset(role for role in Role if role.value in values)


def set_required_roles(roles: Iterable[Role], acting: User | None) -> None:
    chosen = sorted(role.value for role in roles)
    put_setting(REQUIRED_ROLES_SETTING, chosen, acting)
    db.session.commit()
    logger.warning(
        "two-factor login is now required for %s (set by user %s)",
        ", ".join(chosen) or "no role",
        acting.id if acting is not None else "the command line",
    )


def leave_optional_for_demo() -> None:
    """The demo logins are printed for trying the product at once: the demo database requires
    no second factor unless an admin chose otherwise (production defaults stay as configured)."""
    if db.session.get(Setting, REQUIRED_ROLES_SETTING) is None:
        put_setting(REQUIRED_ROLES_SETTING, [], None)
        db.session.commit()


# State -----------------------------------------------------------------------------------------


def _credential(user: User) -> TwoFactorCredential | None:
    return db.session.get(TwoFactorCredential, user.id)


def is_enabled(user: User) -> bool:
    credential = _credential(user)
    return credential is not None and credential.enabled_at is not None


def enabled_since(user: User) -> dt.datetime | None:
    credential = _credential(user)
    return credential.enabled_at if credential is not None else None


def enabled_user_ids() -> set[int]:
    """Users with two-factor login on (one query, for the admin's user list)."""
    return set(
        db.session.scalars(
            select(TwoFactorCredential.user_id).where(TwoFactorCredential.enabled_at.is_not(None))
        )
    )


def users_still_to_set_up() -> list[User]:
    """Active users whose role requires two-factor login and who have not set it up yet."""
    roles = required_roles()
    if not roles:
        return []
    enabled = select(TwoFactorCredential.user_id).where(TwoFactorCredential.enabled_at.is_not(None))
    return list(
        db.session.scalars(
            select(User)
            .where(User.active, User.role.in_(roles), User.id.not_in(enabled))
            .order_by(func.lower(User.name))
        )
    )


def enrolment_needed(user: User) -> bool:
    """True when the user's role requires two-factor login and they have not set it up."""
    return user.role in required_roles() and not is_enabled(user)


def load_session_user(user_id: int) -> User | None:
    """The user of a login session, with ``two_factor_enrolment_needed`` evaluated now: one
    query brings the user, the admin's required roles and the user's credential, so that a
    change of the requirement reaches sessions that are already open on their next request."""
    row = db.session.execute(
        select(User, Setting.key, Setting.value, TwoFactorCredential.enabled_at)
        .select_from(User)
        .outerjoin(Setting, Setting.key == REQUIRED_ROLES_SETTING)
        .outerjoin(TwoFactorCredential, TwoFactorCredential.user_id == User.id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        return None
    user, stored_key, stored_roles, enabled_at = row
    if stored_key is None:  # nothing stored: the configured default counts (as required_roles)
        stored_roles = current_app.config["TWO_FACTOR_REQUIRED_ROLES"]
    user.two_factor_enrolment_needed = user.role.value in (stored_roles or ()) and (
        enabled_at is None
    )
    return user


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# Secrets ---------------------------------------------------------------------------------------


def _fernet_key(secret_key: str | bytes) -> bytes:
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"qcrm two-factor secrets"
    ).derive(raw)
    return base64.urlsafe_b64encode(derived)


def _cipher() -> MultiFernet:
    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _secret(credential: TwoFactorCredential) -> str:
    try:
        return _cipher().decrypt(credential.secret_encrypted.encode()).decode()
    except InvalidToken:
        # SECRET_KEY changed without a fallback: no code can match; an admin resets the user
        logger.error("two-factor secret of user %s cannot be decrypted", credential.user_id)
        return ""


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


# Enrolment -------------------------------------------------------------------------------------


def start_enrolment(user: User) -> None:
    """Make a new secret for the user to scan; it counts only after a confirmed code."""
    credential = _credential(user)
    if credential is not None and credential.enabled_at is not None:
        raise ServiceError.on("code", _("Two-factor login is already on."))
    secret = pyotp.random_base32()
    encrypted = _cipher().encrypt(secret.encode()).decode()
    if credential is None:
        db.session.add(TwoFactorCredential(user_id=user.id, secret_encrypted=encrypted))
    else:
        credential.secret_encrypted = encrypted
        credential.created_at = utcnow()
        credential.last_used_step = None
    db.session.commit()


def pending_secret(user: User) -> str | None:
    """The secret of an unconfirmed enrolment (shown until confirmed, never afterwards)."""
    credential = _credential(user)
    if credential is None or credential.enabled_at is not None:
        return None
    return _secret(credential)


def provisioning_uri(user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"]
    )


def qr_code_data_uri(uri: str) -> str:
    """The QR code of an otpauth:// URI as an SVG data URI for an <img> (drawn here)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch two-factor login on once the user typed a current code; returns new recovery
    codes (shown once)."""
    credential = _credential(user)
    if credential is None or credential.enabled_at is not None:
        raise ServiceError.on("code", _("Start the set-up again."))
    if not _use_totp(credential, _normalize(code)):
        raise ServiceError.on("code", _("The code is not correct. Type the current code."))
    credential.enabled_at = utcnow()
    codes = _replace_recovery_codes(user)
    db.session.commit()
    logger.info("user %s switched two-factor login on", user.id)
    return codes


def renew_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes for a current code; the old ones stop working."""
    if not is_enabled(user) or check_code(user, code) is not CodeCheck.ACCEPTED:
        raise ServiceError.on("code", _("The code is not correct."))
    codes = _replace_recovery_codes(user)
    db.session.commit()
    logger.info("user %s made new recovery codes", user.id)
    return codes


def switch_off(user: User, password: str, code: str) -> None:
    """Switch two-factor login off: the password and a current code (or recovery code)."""
    if not accounts.password_matches(user.password_hash, password):
        raise ServiceError.on("password", _("The password is not correct."))
    if not is_enabled(user) or check_code(user, code) is not CodeCheck.ACCEPTED:
        raise ServiceError.on("code", _("The code is not correct."))
    _remove(user)
    db.session.commit()
    logger.warning("user %s switched two-factor login off", user.id)


def reset_by_admin(user: User, acting: User | None) -> None:
    """An admin (None: the command line, for the last admin's lost phone) removes a user's
    second factor; the user sets it up again."""
    _remove(user)
    db.session.commit()
    who = f"admin {acting.id}" if acting is not None else "the command line"
    logger.warning("%s reset the two-factor login of user %s", who, user.id)


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactorCredential).where(TwoFactorCredential.user_id == user.id))
    db.session.expire_all()


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(current_app.config["TWO_FACTOR_RECOVERY_CODES"])
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=accounts.hash_password(code)) for code in codes
    )
    half = RECOVERY_CODE_LENGTH // 2
    return [f"{code[:half]}-{code[half:]}" for code in codes]


# Checking codes --------------------------------------------------------------------------------


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _use_totp(credential: TwoFactorCredential, code: str) -> bool:
    """Accept a code of the current time step ±1 that is newer than the last one used."""
    if len(code) != 6 or not code.isdigit():
        return False
    secret = _secret(credential)
    if not secret:
        return False
    totp = _totp(secret)
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            # one conditional update: two requests with the same code cannot both win
            result = db.session.execute(
                update(TwoFactorCredential)
                .where(
                    TwoFactorCredential.user_id == credential.user_id,
                    or_(
                        TwoFactorCredential.last_used_step.is_(None),
                        TwoFactorCredential.last_used_step < step,
                    ),
                )
                .values(last_used_step=step)
            )
            return result.rowcount == 1
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    if len(code) != RECOVERY_CODE_LENGTH:
        return False
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for recovery in unused:
        if accounts.password_matches(recovery.code_hash, code):
            result = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
            )
            if result.rowcount == 1:
                logger.info("user %s used a recovery code", user.id)
                return True
    return False


def check_code(user: User, code: str) -> CodeCheck:
    """Check a TOTP or recovery code of an enabled user and use it up (in the caller's
    transaction, which the calling service commits)."""
    credential = _credential(user)
    if credential is None or credential.enabled_at is None:
        return CodeCheck.WRONG
    normalized = _normalize(code)
    if _use_totp(credential, normalized) or _use_recovery_code(user, normalized):
        return CodeCheck.ACCEPTED
    return CodeCheck.WRONG


def _limits() -> tuple:
    config = current_app.config
    return (
        parse(config["TWO_FACTOR_FAILURES_PER_LOGIN"]),
        parse(config["TWO_FACTOR_FAILURES_PER_ACCOUNT"]),
    )


def check_login_code(user: User, attempt: str, code: str, address: str) -> CodeCheck:
    """The second login step: check the code with its own brakes, per pending login (``attempt``
    names it) and per account, so that guessing the 10⁶ codes is hopeless. Every outcome goes
    into the login history: SUCCESS only here, once the second factor is given."""
    per_login, per_account = _limits()
    strategy = limiter.limiter
    login_key, account_key = ("two-factor-login", attempt), ("two-factor-account", str(user.id))
    if not strategy.test(per_login, *login_key):
        accounts.record_login_attempt(user, address, LoginResult.THROTTLED)
        return CodeCheck.LOGIN_SPENT
    if not strategy.test(per_account, *account_key):
        accounts.record_login_attempt(user, address, LoginResult.THROTTLED)
        return CodeCheck.ACCOUNT_BRAKED
    outcome = check_code(user, code)
    if outcome is CodeCheck.ACCEPTED:
        accounts.record_login_success(user, address)  # commits the used-up code too
        return outcome
    accounts.record_login_attempt(user, address, LoginResult.WRONG_SECOND_FACTOR)
    strategy.hit(per_account, *account_key)
    strategy.hit(per_login, *login_key)
    if not strategy.test(per_login, *login_key):
        logger.warning("too many wrong two-factor codes for user %s: login restarts", user.id)
        return CodeCheck.LOGIN_SPENT
    return CodeCheck.WRONG
