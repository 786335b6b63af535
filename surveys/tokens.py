"""Invitation tokens and address hashes.

The database holds only the SHA-256 of a token. The token itself is an HMAC of a random
per-invitation salt under the app's secret key, so the scheduler can put the same link into
the invitation and the reminder without the token ever being stored; a copy of the database
alone yields no working link. (Changing SECRET_KEY therefore invalidates open invitation links.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app


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
