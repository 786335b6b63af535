"""Fine access rules for reports: another client's report, or a draft for an executive → 404."""

from __future__ import annotations

from flask import abort

from qcrm.extensions import db
from qcrm.models import Role, User
from qcrm.permissions import can_see_client, scope_url_parameter
from reports.models import Report, ReportFinding, ReportStatus

#: Who drafts, edits and publishes reports; executives read published ones; testers never.
REPORT_EDITORS = (Role.ADMIN, Role.MANAGER)
REPORT_READERS = (Role.ADMIN, Role.MANAGER, Role.EXECUTIVE)


def get_report_or_404(user: User, report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if (
        report is None
        or user.role is Role.TESTER
        or not can_see_client(user, report.client_id)
        or (user.role is Role.EXECUTIVE and report.status is not ReportStatus.PUBLISHED)
    ):
        abort(404)
    return report


def get_finding_or_404(user: User, finding_id: int) -> ReportFinding:
    finding = db.session.get(ReportFinding, finding_id)
    if finding is None:
        abort(404)
    get_report_or_404(user, finding.report_id)
    return finding


scope_url_parameter("report_id", get_report_or_404)
scope_url_parameter("finding_id", get_finding_or_404)
