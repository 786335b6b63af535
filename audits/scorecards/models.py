"""Scorecards: a scorecard, its numbered versions and their items, with the enums that say
what an item measures and how it is scored."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qcrm.db import utcnow
from qcrm.extensions import db

# Scorecards ----------------------------------------------------------------------------------


class MethodDimension(enum.Enum):
    """How an item is measured (DOMAIN.md: the three views of a mystery contact)."""

    TRANSACTION = "transaction"
    COMMUNICATION = "communication"
    HANDLING = "handling"


class QualityDimension(enum.Enum):
    """What an item measures; the methods are compared on these."""

    REACHABILITY = "reachability"
    RESPONSIVENESS = "responsiveness"
    INDIVIDUALITY = "individuality"
    COMPETENCE = "competence"
    PROCESS = "process"
    SATISFACTION = "satisfaction"


class ItemType(enum.Enum):
    YES_NO = "yes_no"
    SCALE = "scale"  # 1–5
    NUMBER = "number"
    DURATION = "duration"  # seconds


class KnockoutScope(enum.Enum):
    DIMENSION = "dimension"
    CONTACT = "contact"


class Comparison(enum.Enum):
    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class DerivedMeasure(enum.Enum):
    """Transaction items computed from the contact log's timestamps rather than typed."""

    ANSWERED = "answered"
    FIRST_RESPONSE_WITHIN_TARGET = "first_response_within_target"
    SOLVED_AT_FIRST_ANSWER = "solved_at_first_answer"


class Scorecard(db.Model):
    """A named scorecard; its criteria live in numbered versions."""

    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[dt.datetime | None]

    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ScorecardVersion(db.Model):
    """One version of a scorecard; frozen once a scheduled wave uses it."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id"), index=True)
    number: Mapped[int]
    #: Set when a wave using this version is scheduled; a frozen version is never changed.
    frozen_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")
    items: Mapped[list[ScorecardItem]] = relationship(
        back_populates="version", order_by="ScorecardItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class ScorecardItem(db.Model):
    """One criterion: its dimensions, type, weight, knock-out rule and target (Soll)."""

    __tablename__ = "scorecard_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    method_dimension: Mapped[MethodDimension]
    quality_dimension: Mapped[QualityDimension]
    text: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(Text, default="")
    item_type: Mapped[ItemType]
    #: Whether "not applicable" may be answered (the item then leaves the score).
    allows_not_applicable: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    knockout: Mapped[KnockoutScope | None]
    #: Number and duration items: the threshold an answer must meet to earn the item
    #: (durations in seconds); without one they are recorded but not scored.
    threshold: Mapped[float | None] = mapped_column(Float)
    comparison: Mapped[Comparison | None]
    #: The Soll: the share of contacts that should pass this item (0–1).
    target_pass_rate: Mapped[float | None] = mapped_column(Float)
    #: Transaction items derived from the timestamps instead of typed by the tester.
    derived: Mapped[DerivedMeasure | None]

    version: Mapped[ScorecardVersion] = relationship(back_populates="items")
