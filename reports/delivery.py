"""Report subscriptions and their scheduled delivery: a client's new reports mailed as PDF.

A subscription belongs to one user and one client (unique per pair) and says when reports come:

* **When a wave closes** (``WAVE_CLOSED``): every *published* report of the client that names
  waves, once *all* of its waves are closed — a report over one wave comes when that wave has
  closed and the report is published, whichever happens later. Reports over a period only (no
  waves named) are not sent this way: they belong to the monthly delivery.
* **Monthly** (``MONTHLY``): on or after the 1st of a month, every report of the client published
  in an earlier month, from the month the subscription was made on. Months are calendar months in
  the app's time zone (``BABEL_DEFAULT_TIMEZONE``). A scheduler that was down catches up.

Either way only reports that became ready (published, waves closed) at or after the moment of
subscribing are sent — subscribing does not mail the client's whole archive — with the monthly
rule counting from the start of the subscription's month. A report is mailed at most once per
subscription: the ``ReportDelivery`` row with its unique (subscription, report) pair is inserted
before the mail is queued, in the same transaction, so a second scheduler process (or a second
run) fails on that insert and mails nothing. Nothing goes to deactivated users, to users whose
role no longer reads reports (testers), or about clients the user may no longer see; drafts
are never sent.

The mail is in the subscriber's language (their preference, else the app's default) and carries
the report's PDF in that language and a link to the report's page.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from audits.mystery.models import Wave, WaveStatus
from qcrm.accounts import external_url
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.input_guard import bounded_id
from qcrm.mail import Attachment, queue_mail
from qcrm.models import Client, User
from qcrm.permissions import can_see_client, visible_clients
from reports.access import REPORT_READERS
from reports.documents import report_pdf
from reports.models import (
    DeliveryFrequency,
    Report,
    ReportDelivery,
    ReportStatus,
    ReportSubscription,
)

__all__ = [
    "FREQUENCY_LABELS",
    "deliver_reports",
    "download_name",
    "due_reports",
    "get_subscription_or_404",
    "subscribe",
    "subscriptions_of",
    "unsubscribe",
]

FREQUENCY_LABELS = {
    DeliveryFrequency.WAVE_CLOSED: _l("when a wave closes"),
    DeliveryFrequency.MONTHLY: _l("monthly"),
}
PDF_TYPE = "application/pdf"
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def download_name(report: Report, extension: str, language: str | None = None) -> str:
    """An ASCII file name for the report: client, title (and language), e.g.
    ``Stadtwerke-Aue_Bericht-Welle-A_de.pdf``."""
    parts = [report.client.name, report.title, language or ""]
    names = [_ascii(part) for part in parts if part]
    stem = "_".join(name for name in names if name) or f"report-{report.id}"
    return f"{stem[:150]}.{extension}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


# --- subscriptions --------------------------------------------------------------------------------


def subscriptions_of(user: User) -> list[ReportSubscription]:
    """The user's subscriptions, by client name."""
    return list(
        db.session.scalars(
            select(ReportSubscription)
            .join(Client, Client.id == ReportSubscription.client_id)
            .where(ReportSubscription.user_id == user.id)
            .order_by(Client.name, ReportSubscription.id)
        )
    )


def subscribe(
    user: User, client_id: int, frequency: DeliveryFrequency, now: dt.datetime | None = None
) -> ReportSubscription:
    """Subscribe the user to a client's reports; an existing subscription changes its frequency."""
    # an id of no client would fail at the foreign key, as a server error
    known = bounded_id(client_id) is not None and db.session.get(Client, client_id) is not None
    if user.role not in REPORT_READERS or not known or not can_see_client(user, client_id):
        raise ServiceError.on("client_id", _("Choose one of your clients."))
    existing = _subscription(user.id, client_id)
    if existing is None:
        subscription = ReportSubscription(
            user_id=user.id, client_id=client_id, frequency=frequency, created_at=now or utcnow()
        )
        db.session.add(subscription)
        try:
            db.session.commit()
            return subscription
        except IntegrityError:  # subscribed at the same moment in another request
            db.session.rollback()
            existing = _subscription(user.id, client_id)
            if existing is None:
                raise
    existing.frequency = frequency
    db.session.commit()
    return existing


def _subscription(user_id: int, client_id: int) -> ReportSubscription | None:
    return db.session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.user_id == user_id, ReportSubscription.client_id == client_id
        )
    )


def unsubscribe(subscription: ReportSubscription) -> None:
    """End a subscription; reports already mailed stay mailed."""
    db.session.delete(subscription)
    db.session.commit()


def get_subscription_or_404(user: User, subscription_id: int) -> ReportSubscription:
    """One of the user's own subscriptions (anyone else's: 404)."""
    subscription = db.session.get(ReportSubscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        abort(404)
    return subscription


def subscribable_clients(user: User) -> list[Client]:
    """The clients whose reports the user may subscribe to: those they see, not archived."""
    query = visible_clients(user)
    return [c for c in db.session.scalars(query.order_by(Client.name)) if not c.is_archived]


# --- delivery -------------------------------------------------------------------------------------


def _month_start(moment: dt.datetime) -> dt.datetime:
    """The start of ``moment``'s calendar month in the app's time zone, as UTC."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = moment.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def due_reports(subscription: ReportSubscription, now: dt.datetime) -> list[Report]:
    """The published reports this subscription should mail now and has not mailed yet (see the
    module docstring for the rule)."""
    delivered = exists().where(
        ReportDelivery.subscription_id == subscription.id,
        ReportDelivery.report_id == Report.id,
    )
    query = select(Report).where(
        Report.client_id == subscription.client_id,
        Report.status == ReportStatus.PUBLISHED,
        Report.published_at.is_not(None),
        ~delivered,
    )
    if subscription.frequency is DeliveryFrequency.MONTHLY:
        reports = db.session.scalars(
            query.where(
                Report.published_at >= _month_start(subscription.created_at),
                Report.published_at < _month_start(now),
            ).order_by(Report.published_at, Report.id)
        ).all()
        return list(reports)
    reports = db.session.scalars(query.order_by(Report.published_at, Report.id)).all()
    wave_ids = {wave_id for report in reports for wave_id in report.wave_ids or ()}
    waves = {
        wave.id: (wave.status, wave.closed_at)
        for wave in db.session.scalars(select(Wave).where(Wave.id.in_(wave_ids)))
    }
    due = []
    for report in reports:
        if not report.wave_ids:
            continue
        states = [waves.get(wave_id) for wave_id in report.wave_ids]
        if any(state is None or state[0] is not WaveStatus.CLOSED for state in states):
            continue
        ready = max(
            [report.published_at, *(state[1] for state in states if state and state[1])],
        )
        if ready >= subscription.created_at:
            due.append(report)
    return due


def _active_subscriptions() -> Iterable[ReportSubscription]:
    return db.session.scalars(
        select(ReportSubscription)
        .join(User, User.id == ReportSubscription.user_id)
        .where(User.active.is_(True), User.role.in_(REPORT_READERS))
        .order_by(ReportSubscription.id)
    ).all()


def _language(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return (
        user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def deliver_reports(now: dt.datetime | None = None) -> int:
    """Mail every due report to its subscribers (the scheduler's job); returns how many mails
    were queued. Each mail is claimed by inserting its ReportDelivery row and committed on its
    own, so a failure or a concurrent process affects only that one mail."""
    now = now or utcnow()
    pdfs: dict[tuple[int, str], bytes] = {}
    queued = 0
    for subscription in _active_subscriptions():
        user = subscription.user
        if not can_see_client(user, subscription.client_id):
            continue
        for report in due_reports(subscription, now):
            language = _language(user)
            key = (report.id, language)
            if key not in pdfs:
                with force_locale(language):
                    pdfs[key] = report_pdf(report, language, now=now)
                db.session.commit()  # end the read transaction before the write (SQLite's lock)
            queued += _deliver(subscription, user, report, language, pdfs[key], now)
    return queued


def _deliver(
    subscription: ReportSubscription,
    user: User,
    report: Report,
    language: str,
    pdf: bytes,
    now: dt.datetime,
) -> int:
    delivery = ReportDelivery(subscription_id=subscription.id, report_id=report.id, queued_at=now)
    db.session.add(delivery)
    try:
        db.session.flush()
    except IntegrityError:  # another scheduler process claimed it first
        db.session.rollback()
        return 0
    with force_locale(language):
        subject = _(
            "Report “%(title)s” · %(client)s", title=report.title, client=report.client.name
        )
        body = render_template(
            "reports/mail/report.txt",
            user=user,
            report=report,
            link=external_url("reports.detail", report_id=report.id),
            frequency=FREQUENCY_LABELS[subscription.frequency],
            subscriptions_link=external_url("reports.subscriptions"),
        )
        mail = queue_mail(
            user.email,
            subject,
            body,
            attachment=Attachment(download_name(report, "pdf", language), PDF_TYPE, pdf),
        )
    delivery.mail_id = mail.id
    db.session.commit()
    return 1
