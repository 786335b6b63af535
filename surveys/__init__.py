"""Surveys: customer satisfaction surveys (CSAT, NPS, CES), invitations and anonymous responses."""

from __future__ import annotations

from flask import Blueprint, Flask

from qcrm.demo import register_demo_step
from qcrm.mail import register_outcome_handler
from qcrm.scheduler import register_job

#: Pages of the people running surveys.
bp = Blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")
#: Pages of the anonymous respondents: short links, no login.
respond_bp = Blueprint("respond", __name__, url_prefix="/s", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages, the API resources and the scheduler jobs of the surveys package."""
    from surveys import (
        access,  # noqa: F401  (scopes the survey_id URL parameter)
        anonymity,
        demo,
        invitation_api,
        invitation_views,  # noqa: F401
        invitations,
        models,  # noqa: F401  (the tables belong to the schema even before a view uses them)
        public_api,
        respond_views,  # noqa: F401
        results_api,
        results_views,  # noqa: F401
        survey_api,
        survey_views,  # noqa: F401
    )
    from surveys import surveys as surveys_service

    app.register_blueprint(bp)
    app.register_blueprint(respond_bp)
    app.jinja_env.filters["dated"] = anonymity.dated_label
    register_demo_step(app, demo.load_survey_demo)
    every = app.config["SCHEDULER_INTERVAL_SECONDS"]
    register_job(app, "close surveys", lambda now, w: surveys_service.close_due_surveys(now), every)
    register_job(app, "survey invitations", lambda now, w: invitations.send_invitations(now), every)
    register_job(app, "survey reminders", lambda now, w: invitations.send_reminders(now), every)
    register_job(app, "survey mails", lambda now, w: invitations.track_mails(now), every)
    register_outcome_handler(app, invitations.MAIL_PURPOSE, invitations.record_mail_outcome)
    api = app.extensions["qcrm_api"]
    for blueprint in (survey_api.blp, invitation_api.blp, results_api.blp, public_api.blp):
        api.register_blueprint(blueprint)
