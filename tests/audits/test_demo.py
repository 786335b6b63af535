"""The demo data: a running wave whose past contacts are logged, scored and partly reviewed, and
the closed wave before it that reports compare it with."""

from __future__ import annotations

from sqlalchemy import func, select

from audits.demo import DEMO_PREVIOUS_WAVE, DEMO_WAVE
from audits.evaluations.models import Evaluation
from audits.mystery.models import ContactLog, Inquiry, ReviewStatus, Wave, WaveStatus
from audits.mystery.waves import previous_comparable_wave
from qcrm.demo import load_demo
from qcrm.extensions import db


def test_demo_wave_has_logged_scored_and_reviewed_contacts_and_loads_once(app):
    with app.app_context():
        load_demo(app.instance_path)
        wave = db.session.scalar(select(Wave).where(Wave.name == DEMO_WAVE))
        assert wave.status is WaveStatus.RUNNING
        previous = previous_comparable_wave(wave)
        assert previous is not None and previous.name == DEMO_PREVIOUS_WAVE
        assert previous.status is WaveStatus.CLOSED
        logs = db.session.scalars(
            select(ContactLog).join(Inquiry).where(Inquiry.wave_id == wave.id)
        ).all()
        assert logs, "the wave started ten days ago: some contacts are logged"
        assert {log.status for log in logs} <= {ReviewStatus.SUBMITTED, ReviewStatus.APPROVED}
        scores = db.session.scalars(
            select(Evaluation.total_score).join(Inquiry).where(Inquiry.wave_id == wave.id)
        ).all()
        assert len(scores) == len(logs)
        assert all(score is None or 0 <= score <= 100 for score in scores)
        counts = (
            db.session.scalar(select(func.count(Inquiry.id))),
            db.session.scalar(select(func.count(ContactLog.id))),
            db.session.scalar(select(func.count(Evaluation.id))),
        )
        load_demo(app.instance_path)
        again = (
            db.session.scalar(select(func.count(Inquiry.id))),
            db.session.scalar(select(func.count(ContactLog.id))),
            db.session.scalar(select(func.count(Evaluation.id))),
        )
        assert again == counts
