"""Audits: scenarios, personas, scorecards, waves and the schedule of test inquiries."""

from __future__ import annotations

from flask import Blueprint, Flask

from qcrm.demo import register_demo_step
from qcrm.scheduler import register_job

bp = Blueprint("audits", __name__, url_prefix="/audits", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages and the API resources of the audits package."""
    # The view modules register their routes on ``bp`` when imported.
    from audits import (
        access,  # noqa: F401  (scopes wave_id and inquiry_id URL parameters)
        contact_api,
        contact_views,  # noqa: F401
        demo,
        dispatch,
        models,  # noqa: F401  (the tables belong to the schema even before a view uses them)
        persona_api,
        persona_views,  # noqa: F401
        replies,
        scenario_api,
        scenario_views,  # noqa: F401
        scorecard_api,
        scorecard_views,  # noqa: F401
        wave_api,
        wave_views,  # noqa: F401
    )

    app.register_blueprint(bp)
    register_demo_step(app, demo.load_audit_demo)
    every = app.config["SCHEDULER_INTERVAL_SECONDS"]
    register_job(app, "waves", lambda now, worker: dispatch.start_and_close_waves(now), every)
    register_job(app, dispatch.DUE_JOB, lambda now, worker: dispatch.make_inquiries_due(now), every)
    register_job(app, dispatch.SEND_JOB, dispatch.send_automatic_attempts, every)
    register_job(app, "replies", lambda now, w: replies.fetch_replies(app.config, now), every)
    register_job(
        app,
        dispatch.SECOND_ATTEMPTS_JOB,
        lambda now, w: dispatch.schedule_second_attempts(now),
        every,
    )
    register_job(app, dispatch.OVERDUE_JOB, lambda now, worker: dispatch.mark_overdue(now), every)
    register_job(
        app, dispatch.UNANSWERED_JOB, lambda now, worker: dispatch.mark_unanswered(now), every
    )
    api = app.extensions["qcrm_api"]
    for blueprint in (
        scenario_api.blp,
        persona_api.blp,
        scorecard_api.blp,
        wave_api.blp,
        wave_api.inquiries_blp,
        contact_api.blp,
    ):
        api.register_blueprint(blueprint)
