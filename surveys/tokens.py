"""Invitation tokens and address hashes.

The database holds only the SHA-256 of a token. The token itself is an HMAC of a random
per-invitation salt under the app's secret key, so the scheduler can put the same link into
the invitation and the reminder without the token ever being stored; a copy of the database
alone yields no working link. (Changing SECRET_KEY therefore invalidates open invitation links.)

The public form's one-time key is signed the same way: the server issues it with the form and
takes back only keys it issued for that survey, so leaving the key out or making one up cannot
count a form twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for(salt: str, secret_key: str | None = None) -> str:
    """The invitation token belonging to ``salt`` (URL-safe, 43 characters, 256 bits)."""
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"survey-invitation:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(address: str) -> str:
    return address.strip().lower()


def email_hash(address: str) -> str:
    """Hash of the normalised address: compares addresses without keeping them."""
    return hashlib.sha256(normalize_email(address).encode()).hexdigest()


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


#: What a signed key of the public form looks like: itsdangerous' URL-safe payload and signature.
PUBLIC_FORM_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]{20,400}")


def _public_form_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="qcrm-survey-public-form")


def public_form_key(survey_id: int) -> str:
    """A signed one-time key for one copy of a survey's public form."""
    return _public_form_serializer().dumps(
        {"survey": survey_id, "nonce": secrets.token_urlsafe(24)}
    )


def public_form_nonce(key: str | None, survey_id: int) -> str | None:
    """The random part of a key this server issued for ``survey_id``'s form (what is stored
    once per form), or None when the key is missing, forged or another survey's."""
    if not key or not PUBLIC_FORM_KEY_PATTERN.fullmatch(key):
        return None
    try:
        data = _public_form_serializer().loads(key)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("survey") != survey_id:
        return None
    nonce = data.get("nonce")
    return nonce if isinstance(nonce, str) else None
