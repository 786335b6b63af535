"""Audits: the measurement methods that look at service contacts, one sub-package each
(``mystery``; more with their issues), and the machinery they share (``scorecards``,
``evaluations``). Every page is on one blueprint, so endpoint names stay ``audits.*``; each
sub-package brings its own ``templates/`` folder."""

from __future__ import annotations

from flask import Blueprint, Flask

from qcrm.demo import register_demo_step
from qcrm.scheduler import register_job

bp = Blueprint("audits", __name__, url_prefix="/audits")

#: The sub-packages whose ``templates/`` folders the app searches (template names unchanged).
SUB_PACKAGES = ("scorecards", "evaluations", "mystery")


def init_app(app: Flask) -> None:
    """Register the pages and the API resources of the audits package."""
    # The view modules register their routes on ``bp`` when imported.
    from audits import demo
    from audits.evaluations import models as _evaluation_tables  # noqa: F401  (the schema's)
    from audits.evaluations import views as _evaluation_views  # noqa: F401
    from audits.mystery import (
        access,  # noqa: F401  (scopes wave_id and inquiry_id URL parameters)
        dispatch,
        replies,
    )
    from audits.mystery import models as _mystery_tables  # noqa: F401
    from audits.mystery.api import contacts as contact_api
    from audits.mystery.api import personas as persona_api
    from audits.mystery.api import scenarios as scenario_api
    from audits.mystery.api import waves as wave_api
    from audits.mystery.views import (  # noqa: F401
        assignments,
        contacts,
        personas,
        scenarios,
        waves,
    )
    from audits.scorecards import api as scorecard_api
    from audits.scorecards import models as _scorecard_tables  # noqa: F401
    from audits.scorecards import views  # noqa: F401

    app.register_blueprint(bp)
    for package in SUB_PACKAGES:
        app.register_blueprint(
            Blueprint(f"audits_{package}", f"audits.{package}", template_folder="templates")
        )
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
