"""An evaluation: a scorecard version answered for a contact, with scores computed on the
server, and its answers per item."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Float, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qcrm.db import utcnow
from qcrm.extensions import db


class EvaluationKind(enum.Enum):
    PRIMARY = "primary"
    #: Scored independently by another reviewer to check agreement; never counts in reports.
    CALIBRATION = "calibration"


class Evaluation(db.Model):
    """The scorecard answered for an inquiry, with its scores computed on the server."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("inquiry_id", "evaluator_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EvaluationKind] = mapped_column(default=EvaluationKind.PRIMARY)
    scorecard_version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"))
    transaction_score: Mapped[float | None] = mapped_column(Float)
    communication_score: Mapped[float | None] = mapped_column(Float)
    handling_score: Mapped[float | None] = mapped_column(Float)
    total_score: Mapped[float | None] = mapped_column(Float)
    knocked_out: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    answers: Mapped[list[EvaluationAnswer]] = relationship(
        back_populates="evaluation",
        cascade="all, delete-orphan",
        order_by="EvaluationAnswer.item_id",
    )

    __mapper_args__ = {"version_id_col": version}


class EvaluationAnswer(db.Model):
    """One item's answer and what it earned (before and after knock-outs)."""

    __tablename__ = "evaluation_answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("scorecard_items.id"))
    #: yes/no answers as 1/0, scale 1–5, numbers, durations in seconds
    value: Mapped[float | None] = mapped_column(Float)
    not_applicable: Mapped[bool] = mapped_column(default=False)
    #: Derived from the contact log's timestamps, not typed by the tester.
    derived: Mapped[bool] = mapped_column(default=False)
    earned: Mapped[float | None] = mapped_column(Float)
    final: Mapped[float | None] = mapped_column(Float)

    evaluation: Mapped[Evaluation] = relationship(back_populates="answers")
