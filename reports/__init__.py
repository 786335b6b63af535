"""Reports: figures against targets, method comparison, SWOT, dashboards, PDF and delivery."""

from __future__ import annotations

from flask import Blueprint, Flask

from qcrm.scheduler import register_job

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


def init_app(app: Flask) -> None:
    """Register the pages, the API resources and the scheduler jobs of the reports package."""
    from reports import (
        access,  # noqa: F401  (scopes the report_id and finding_id URL parameters)
        api,
        delivery,
        download_views,  # noqa: F401  (PDF and XLSX downloads)
        models,  # noqa: F401  (the tables belong to the schema)
        subscription_views,  # noqa: F401  (the subscriptions page)
        views,  # noqa: F401  (the report pages)
    )

    app.register_blueprint(bp)
    register_job(
        app,
        "report delivery",
        lambda now, worker: delivery.deliver_reports(now),
        app.config["SCHEDULER_INTERVAL_SECONDS"],
    )
    app.extensions["qcrm_api"].register_blueprint(api.blp)
