"""API resources for reports: the list, one report with every figure (the numbers the PDF prints),
its PDF, and the caller's report subscriptions.

Readers as on the pages: managers and admins every report of their clients, executives the
published ones; testers none. A report's ``figures`` is its snapshot
(``reports.services.current_snapshot``, see reports/snapshot.py for the shape): stored when
published, computed live for a draft; ``{}`` for a report without figures.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_babel import force_locale, get_locale
from marshmallow import Schema, fields, validate

from qcrm.api.base import ApiBlueprint
from qcrm.api.pagination import MAX_PAGE_SIZE, PAGE_SIZE, paginate
from qcrm.api.schemas import Id
from qcrm.extensions import csrf
from qcrm.permissions import acting_user, allow, scope_url_parameter
from reports import delivery
from reports.access import REPORT_READERS, get_report_or_404
from reports.documents import report_pdf
from reports.models import DeliveryFrequency, Report, ReportStatus
from reports.services import current_snapshot, visible_reports
from reports.swot import Quadrant
from reports.xlsx import finding_text

blp = ApiBlueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Quality reports: figures, SWOT findings, PDF, subscriptions",
)
csrf.exempt(blp)
LANGUAGES = ("de", "en")

# A subscription is reachable only by its owner: anyone else's answers 404.
scope_url_parameter("subscription_id", delivery.get_subscription_or_404)


class ReportSummarySchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    client_name = fields.String(attribute="client.name")
    title = fields.String()
    status = fields.Enum(ReportStatus, by_value=True)
    wave_ids = fields.List(fields.Integer())
    period_start = fields.Date(allow_none=True)
    period_end = fields.Date(allow_none=True)
    channel_ids = fields.List(fields.Integer(), metadata={"description": "empty: all channels"})
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


SUMMARY_FIELDS = (
    "id",
    "client_id",
    "title",
    "status",
    "wave_ids",
    "period_start",
    "period_end",
    "channel_ids",
    "created_at",
    "published_at",
)


class FindingSchema(Schema):
    id = fields.Integer()
    quadrant = fields.Enum(Quadrant, by_value=True)
    position = fields.Integer()
    rule = fields.String(
        allow_none=True, metadata={"description": "the SWOT rule; null: added by a manager"}
    )
    text = fields.Function(
        finding_text,
        metadata={"description": "the sentence in the response's language (Content-Language)"},
    )
    edited = fields.Boolean(metadata={"description": "a manager's wording, not the rule's"})
    figure = fields.Function(lambda f: (f.data or {}).get("figure"), allow_none=True)
    n = fields.Function(lambda f: (f.data or {}).get("n"), allow_none=True)
    target = fields.Function(lambda f: (f.data or {}).get("target"), allow_none=True)
    unit = fields.Function(
        lambda f: (f.data or {}).get("unit"),
        allow_none=True,
        metadata={"description": "share (0–1), points, mean, seconds or count"},
    )


class ReportSchema(ReportSummarySchema):
    language = fields.String(metadata={"description": "the language of the findings' sentences"})
    figures = fields.Dict(
        metadata={
            "description": "every figure of the report, the numbers its PDF prints: each figure "
            "as {value, n, low, high, target, meets_target, significantly_above_target, "
            "significantly_below_target, small_sample, verdict}; shares 0–1, scores 0–100, times "
            "in seconds. Empty for a report without figures."
        }
    )
    findings = fields.List(fields.Nested(FindingSchema))


class PdfQuerySchema(Schema):
    language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "de or en; the caller's language when left out"},
    )


class SubscriptionSchema(Schema):
    id = fields.Integer(dump_only=True)
    client_id = Id(required=True)
    frequency = fields.Enum(
        DeliveryFrequency,
        by_value=True,
        required=True,
        metadata={
            "description": "wave_closed: a published report once all its waves are closed; "
            "monthly: on the 1st, the reports published in the month before"
        },
    )
    created_at = fields.DateTime(dump_only=True)


def _language() -> str:
    language = str(get_locale() or "de")
    return language if language in LANGUAGES else "de"


@blp.route("")
class ReportsResource(MethodView):
    @allow(*REPORT_READERS)
    @blp.response(200, ReportSummarySchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, pagination_parameters):
        """The reports the caller may read, newest first (paginated; executives: published)."""
        return paginate(visible_reports(acting_user()), pagination_parameters)


@blp.route("/<int:report_id>")
class ReportResource(MethodView):
    @allow(*REPORT_READERS)
    @blp.response(200, ReportSchema)
    def get(self, report_id: int):
        """One report with every figure and its SWOT findings (removed ones left out)."""
        report = get_report_or_404(acting_user(), report_id)
        # the request's language is German or English (qcrm.i18n); the sentences follow it
        return {
            **{name: getattr(report, name) for name in SUMMARY_FIELDS},
            "client": report.client,
            "language": _language(),
            "figures": current_snapshot(report),
            "findings": [finding for finding in report.findings if not finding.removed],
        }


@blp.route("/<int:report_id>/pdf")
class ReportPdfResource(MethodView):
    @allow(*REPORT_READERS)
    @blp.arguments(PdfQuerySchema, location="query")
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/pdf",
        description="The report as PDF, as an attachment.",
    )
    def get(self, args, report_id: int):
        """The report as PDF in German or English."""
        report: Report = get_report_or_404(acting_user(), report_id)
        language = args.get("language") or _language()
        with force_locale(language):
            body = report_pdf(report, language)
        response = Response(body, mimetype=delivery.PDF_TYPE)
        filename = delivery.download_name(report, "pdf", language)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/subscriptions")
class SubscriptionsResource(MethodView):
    @allow(*REPORT_READERS)
    @blp.response(200, SubscriptionSchema(many=True))
    def get(self):
        """The caller's report subscriptions."""
        return delivery.subscriptions_of(acting_user())

    @allow(*REPORT_READERS)
    @blp.arguments(SubscriptionSchema)
    @blp.response(201, SubscriptionSchema)
    def post(self, data):
        """Subscribe to a client's reports (mailed as PDF); subscribing again to the same client
        changes the frequency."""
        return delivery.subscribe(acting_user(), data["client_id"], data["frequency"])


@blp.route("/subscriptions/<int:subscription_id>")
class SubscriptionResource(MethodView):
    @allow(*REPORT_READERS)
    @blp.response(204)
    def delete(self, subscription_id: int):
        """End one of the caller's subscriptions."""
        delivery.unsubscribe(delivery.get_subscription_or_404(acting_user(), subscription_id))
