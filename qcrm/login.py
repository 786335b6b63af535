"""Logging a user in: the fresh server-side session, the safe page to go to afterwards, and the
pending login between a correct password and the second factor.

Both the login pages (qcrm.auth) and the second-factor pages (qcrm.two_factor_views) use this
module; it imports neither of them.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import current_app, session
from flask_login import login_user

from qcrm import accounts, two_factor
from qcrm.extensions import db
from qcrm.models import User

#: The session entry of a login whose password was right and whose code is still missing.
PENDING_LOGIN = "two_factor_login"


def log_in(user: User, remember: bool = False) -> None:
    """Start a fresh server-side session for the user (a new secret: an older cookie, even one
    from before the login, never becomes valid)."""
    user.session_secret = accounts.start_session(user)
    session.clear()
    login_user(user, remember=remember)


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative tricks."""
    if not target or target.startswith(("//", "\\")) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def begin_pending_login(user: User, remember: bool, next_target: str | None) -> bool:
    """After a correct password: for a user with two-factor login, keep a pending login in the
    session (bound to the user, expiring) and return True, the code is asked next; False: the
    caller logs the user in at once."""
    if not two_factor.is_enabled(user):
        return False
    session.clear()
    session[PENDING_LOGIN] = {
        "uid": user.id,
        "sv": user.session_version,
        "at": int(time.time()),
        "attempt": secrets.token_urlsafe(16),
        "next": safe_next_url(next_target),
        "remember": bool(remember),
    }
    return True


def pending_login() -> tuple[User, dict] | None:
    """The user of this session's pending login and its entry, while it is still valid."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        return None
    age = time.time() - float(pending.get("at", 0))
    if not 0 <= age <= current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        return None
    user = db.session.get(User, int(pending.get("uid", 0)))
    if (
        user is None
        or not user.active
        or user.session_version != pending.get("sv")
        or not two_factor.is_enabled(user)
    ):
        return None
    return user, pending


def drop_pending_login() -> None:
    session.pop(PENDING_LOGIN, None)
