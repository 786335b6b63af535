"""The demo data: a running wave whose past contacts are logged, scored and partly reviewed."""

from __future__ import annotations

from sqlalchemy import func, select

from audits.models import ContactLog, Evaluation, Inquiry, ReviewStatus, Wave, WaveStatus
from qcrm.demo import load_demo
from qcrm.extensions import db


def test_demo_wave_has_logged_scored_and_reviewed_contacts_and_loads_once(app):
    with app.app_context():
        load_demo(app.instance_path)
        wave = db.session.scalar(select(Wave))
        assert wave.status is WaveStatus.RUNNING
        logs = db.session.scalars(select(ContactLog)).all()
        assert logs, "the wave started ten days ago: some contacts are logged"
        assert {log.status for log in logs} <= {ReviewStatus.SUBMITTED, ReviewStatus.APPROVED}
        scores = db.session.scalars(select(Evaluation.total_score)).all()
        assert len(scores) == len(logs)
        assert all(score is None or 0 <= score <= 100 for score in scores)
        counts = (
            db.session.scalar(select(func.count(Inquiry.id))),
            len(logs),
            db.session.scalar(select(func.count(Evaluation.id))),
        )
        load_demo(app.instance_path)
        again = (
            db.session.scalar(select(func.count(Inquiry.id))),
            db.session.scalar(select(func.count(ContactLog.id))),
            db.session.scalar(select(func.count(Evaluation.id))),
        )
        assert again == counts
