"""Surveys: customer satisfaction surveys (CSAT, NPS, CES), invitations and anonymous responses."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("surveys", __name__, url_prefix="/surveys", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages, the API resources and the scheduler jobs of the surveys package."""
    from surveys import (
        access,  # noqa: F401  (scopes the survey_id URL parameter)
        models,  # noqa: F401  (the tables belong to the schema even before a view uses them)
    )

    app.register_blueprint(bp)
