"""Settings an admin changes in the app: kept in the database, with the configuration as default.

The configuration (instance/config.py, environment) says what a new installation starts with;
once an admin saves a setting on a page, the stored value counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import User


class Setting(db.Model):
    """One named setting and who changed it last."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def get_setting(key: str, config_default: str) -> Any:
    """The stored value, or the configuration's ``config_default`` entry when none is stored."""
    stored = db.session.get(Setting, key)
    return stored.value if stored is not None else current_app.config[config_default]


def put_setting(key: str, value: Any, acting: User | None) -> None:
    """Store a value in the caller's transaction (the calling service commits)."""
    stored = db.session.get(Setting, key) or Setting(key=key)
    stored.value = value
    stored.updated_at = utcnow()
    stored.updated_by_id = acting.id if acting is not None else None
    db.session.add(stored)
