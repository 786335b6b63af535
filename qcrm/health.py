"""Health checks for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from qcrm import scheduler
from qcrm.extensions import csrf, db
from qcrm.permissions import public

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.route("/healthz")
@public
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    """The database answers; 503 otherwise, so a load balancer takes the instance out."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.error("readiness check failed: %s", error)
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    state = scheduler.status(current_app)
    body = {
        "status": "ok",
        "database": "ok",
        "scheduler": state.state,
        "scheduler_last_beat": state.last_beat.isoformat() if state.last_beat else None,
    }
    if state.state != "ok" and current_app.config["READYZ_REQUIRES_SCHEDULER"]:
        return jsonify({**body, "status": "unavailable"}), 503
    return jsonify(body)
