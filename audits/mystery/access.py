"""Fine access rules for audit objects: another client's wave, another tester's inquiry → 404."""

from __future__ import annotations

from flask import abort

from audits.mystery.models import Evidence, Inquiry, Wave
from qcrm.extensions import db
from qcrm.models import Role, User
from qcrm.permissions import can_see_client, scope_url_parameter

#: Who reviews contact logs and scores contacts independently for calibration.
REVIEWERS = (Role.ADMIN, Role.MANAGER)


def get_wave_or_404(user: User, wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None or not can_see_client(user, wave.client_id):
        abort(404)
    return wave


def get_inquiry_or_404(user: User, inquiry_id: int) -> Inquiry:
    """Testers reach only their own inquiries; everyone else those of clients they see."""
    inquiry = db.session.get(Inquiry, inquiry_id)
    if inquiry is None:
        abort(404)
    if user.role is Role.TESTER:
        if inquiry.tester_id != user.id:
            abort(404)
    elif not can_see_client(user, inquiry.wave.client_id):
        abort(404)
    return inquiry


def get_evidence_or_404(user: User, evidence_id: int) -> Evidence:
    """Evidence is reached through its inquiry: the same rules apply."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    get_inquiry_or_404(user, evidence.inquiry_id)
    return evidence


scope_url_parameter("wave_id", get_wave_or_404)
scope_url_parameter("evidence_id", get_evidence_or_404)
scope_url_parameter("inquiry_id", get_inquiry_or_404)
