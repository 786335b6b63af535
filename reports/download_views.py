"""Downloads of a report: its PDF (German or English) and its figures as XLSX.

Readers of the report get them (managers any report of their clients, executives published
ones; testers never: ``reports.access``). Neither is cached by a browser or proxy: a draft's
figures change, and a report may be confidential.
"""

from __future__ import annotations

from flask import Response
from flask_babel import force_locale
from flask_login import current_user

from qcrm.permissions import allow
from qcrm.spreadsheets import XLSX_MIMETYPE
from reports import bp
from reports.access import REPORT_READERS, get_report_or_404
from reports.delivery import PDF_TYPE, download_name
from reports.documents import report_pdf
from reports.models import Report
from reports.services import current_snapshot
from reports.xlsx import report_workbook


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:report_id>/report-<any(de, en):language>.pdf")
@allow(*REPORT_READERS)
def pdf(report_id: int, language: str):
    """The report as PDF in German or English."""
    report: Report = get_report_or_404(current_user, report_id)
    with force_locale(language):
        body = report_pdf(report, language)
    return _attachment(body, PDF_TYPE, download_name(report, "pdf", language))


@bp.get("/<int:report_id>/figures.xlsx")
@allow(*REPORT_READERS)
def xlsx(report_id: int):
    """Every figure of the report as XLSX, labelled in the reader's language."""
    report = get_report_or_404(current_user, report_id)
    body = report_workbook(report, current_snapshot(report))
    return _attachment(body, XLSX_MIMETYPE, download_name(report, "xlsx"))
