"""A published report with real figures: wave A's fixed data set (test_analysis) and survey A's
fixed responses, drafted and published by the manager."""

from __future__ import annotations

import datetime as dt

from qcrm.extensions import db
from qcrm.models import User
from reports import services
from tests.reports.test_analysis import _build
from tests.surveys.results_helpers import add_fixed_responses

PUBLISHED_AT = dt.datetime(2030, 2, 1, 9, 0, tzinfo=dt.UTC)


def published_report(world, title: str = "Welle A: Ergebnis", publish: bool = True) -> int:
    """Call inside an app context; returns the report's id (wave A is closed by _build)."""
    ids = _build(world)
    add_fixed_responses(world.survey_a.id, world.channel_a.id)
    manager = db.session.get(User, world.manager.id)
    report = services.create_report(
        services.ReportData(title, ids["client"], wave_ids=(ids["wave"],)), manager, PUBLISHED_AT
    )
    if publish:
        services.publish_report(report, manager, PUBLISHED_AT)
    report_id = report.id
    db.session.remove()
    return report_id
