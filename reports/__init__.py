"""Reports: figures against targets, method comparison, SWOT, dashboards, PDF and delivery."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages, the API resources and the scheduler jobs of the reports package."""
    from reports import (
        access,  # noqa: F401  (scopes the report_id and finding_id URL parameters)
        models,  # noqa: F401  (the tables belong to the schema)
    )

    app.register_blueprint(bp)
