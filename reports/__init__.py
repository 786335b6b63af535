"""Reports: figures against targets, method comparison, SWOT, dashboards, PDF and delivery."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages, the API resources and the scheduler jobs of the reports package."""
    from reports import models  # noqa: F401  (the tables belong to the schema)

    app.register_blueprint(bp)
