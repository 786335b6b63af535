"""Test data shared by the logging tests: the world's wave running and its inquiry A due."""

from __future__ import annotations

import datetime as dt

from audits.mystery.models import Inquiry, InquiryAttempt, InquiryStatus, Wave, WaveStatus
from audits.scorecards.models import (
    DerivedMeasure,
    ItemType,
    MethodDimension,
    QualityDimension,
    ScorecardItem,
)
from qcrm.extensions import db


def answered_item(weight: float = 1) -> ScorecardItem:
    """The derived transaction item "answered" (computed from the replies, never typed)."""
    return ScorecardItem(
        position=0,
        method_dimension=MethodDimension.TRANSACTION,
        quality_dimension=QualityDimension.REACHABILITY,
        text="Beantwortet",
        item_type=ItemType.YES_NO,
        weight=weight,
        derived=DerivedMeasure.ANSWERED,
    )


def make_inquiry_a_due(app, world, planned: dt.datetime, *items: ScorecardItem) -> dict[str, int]:
    """Run wave A, make inquiry A due at ``planned`` with its first attempt, and append the
    given items to the scorecard (after the world's "Persönliche Anrede"). Returns item ids by
    text."""
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.RUNNING
        version = wave.scorecard_version
        for position, item in enumerate(items, start=len(version.items) + 1):
            item.version, item.position = version, position
            db.session.add(item)
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        inquiry.planned_at = planned
        inquiry.status = InquiryStatus.DUE
        db.session.add(InquiryAttempt(inquiry=inquiry, number=1, due_at=planned))
        db.session.commit()
        return {item.text: item.id for item in version.items}


def run_wave(app, world, **settings) -> None:
    """Set the world's wave A running, with the given settings."""
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.RUNNING
        for name, value in settings.items():
            setattr(wave, name, value)
        db.session.commit()
