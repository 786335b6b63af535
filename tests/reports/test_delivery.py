"""Subscriptions and the scheduled delivery: each published report mailed once per subscriber,
with its PDF, in the subscriber's language, through the real local SMTP server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from audits.mystery.models import Wave, WaveStatus
from qcrm.extensions import db
from qcrm.models import User
from qcrm.scheduler import JOBS_KEY, run_job
from reports import delivery
from reports.models import DeliveryFrequency, Report, ReportDelivery, ReportSubscription
from tests.conftest import login
from tests.reports.report_helpers import published_report

WAVE, MONTHLY = DeliveryFrequency.WAVE_CLOSED, DeliveryFrequency.MONTHLY
#: After the reports' publishing (2030-02-01) within the same month.
FEB_20 = dt.datetime(2030, 2, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def report_id(app, world) -> int:
    """Client A: the world's report_a (no figures) and a published report with figures, both
    over wave A, which is closed."""
    with app.app_context():
        return published_report(world)


def _subscribe(world, name: str, frequency=WAVE, client=None, language=None, now=None) -> int:
    user = db.session.get(User, world.user(name).id)
    if language:
        user.language = language
    client_id = (client or world.client_a).id
    return delivery.subscribe(user, client_id, frequency, now=now).id


def _deliver(app, now=FEB_20) -> int:
    with app.app_context():
        try:
            return delivery.deliver_reports(now)
        finally:
            db.session.remove()


def _by_recipient(mailbox) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in mailbox:
        found.setdefault(message["To"], []).append(message)
    return found


def test_each_subscriber_gets_each_report_once_with_its_pdf(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive", language="en")
        _subscribe(world, "client_manager", language="de")
    assert _deliver(app) == 4
    mails = _by_recipient(mailbox)
    assert set(mails) == {"executive@qcrm.example", "client_manager@qcrm.example"}
    english = mails["executive@qcrm.example"]
    assert len(english) == 2
    subjects = sorted(message["Subject"] for message in english)
    assert subjects == [
        "Report “Bericht Welle A” · Stadtwerke Aue",
        "Report “Welle A: Ergebnis” · Stadtwerke Aue",
    ]
    for message in english:
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename().endswith("_en.pdf")
        assert attachment.get_content().startswith(b"%PDF")
        body = message.get_body(("plain",)).get_content()
        assert "http://qcrm.test/reports/" in body
        assert "http://qcrm.test/reports/subscriptions" in body
    assert f"http://qcrm.test/reports/{report_id}" in "".join(
        m.get_body(("plain",)).get_content() for m in english
    )
    german = mails["client_manager@qcrm.example"]
    assert all(
        next(message.iter_attachments()).get_filename().endswith("_de.pdf") for message in german
    )
    assert all("Stadtwerke Aue" in message["Subject"] for message in german)
    with app.app_context():
        deliveries = db.session.scalars(select(ReportDelivery)).all()
        assert len(deliveries) == 4 and all(d.mail_id is not None for d in deliveries)


def test_running_the_job_again_mails_nothing_twice(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive")
    assert _deliver(app) == 2
    assert _deliver(app) == 0
    assert _deliver(app, FEB_20 + dt.timedelta(days=40)) == 0
    assert len(mailbox) == 2


def test_a_delivery_claimed_elsewhere_is_not_mailed_again(app, world, report_id, mailbox):
    """Two scheduler processes: the one whose insert of the delivery row fails mails nothing."""
    with app.app_context():
        subscription_id = _subscribe(world, "executive")
        db.session.add(ReportDelivery(subscription_id=subscription_id, report_id=report_id))
        db.session.commit()
        subscription = db.session.get(ReportSubscription, subscription_id)
        report = db.session.get(Report, report_id)
        user = subscription.user
        assert delivery._deliver(subscription, user, report, "de", b"%PDF-", FEB_20) == 0
        db.session.remove()
    assert mailbox == []
    assert _deliver(app) == 1  # report_a only


def test_drafts_are_never_mailed(app, world, mailbox):
    with app.app_context():
        published_report(world, title="Entwurf", publish=False)
        _subscribe(world, "executive")
    assert _deliver(app) == 1
    [message] = mailbox
    assert "Bericht Welle A" in message["Subject"] and "Stadtwerke Aue" in message["Subject"]


def test_after_unsubscribing_nothing_comes(app, world, report_id, mailbox):
    with app.app_context():
        subscription_id = _subscribe(world, "executive")
        delivery.unsubscribe(db.session.get(ReportSubscription, subscription_id))
    assert _deliver(app) == 0
    assert mailbox == []


def test_deactivated_users_and_lost_clients_get_nothing(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive")
        _subscribe(world, "client_manager")
        db.session.get(User, world.executive.id).active = False
        db.session.get(User, world.client_manager.id).clients = []
        db.session.commit()
    assert _deliver(app) == 0
    assert mailbox == []


def test_a_report_comes_when_its_wave_closes(app, world, mailbox):
    with app.app_context():
        _subscribe(world, "manager", client=world.client_b)
    assert _deliver(app) == 0  # wave B is still a draft
    with app.app_context():
        wave = db.session.get(Wave, world.wave_b.id)
        wave.status, wave.closed_at = WaveStatus.CLOSED, FEB_20
        db.session.commit()
    assert _deliver(app) == 1
    assert "Bericht Welle B" in mailbox[0]["Subject"] and "Energie Nord" in mailbox[0]["Subject"]


def test_subscribing_does_not_mail_the_archive(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive", now=dt.datetime(2030, 3, 1, tzinfo=dt.UTC))
    assert _deliver(app, dt.datetime(2030, 3, 2, tzinfo=dt.UTC)) == 0


def test_monthly_subscribers_get_last_months_reports_from_the_first(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive", MONTHLY, now=dt.datetime(2030, 1, 15, tzinfo=dt.UTC))
    assert _deliver(app, FEB_20) == 0  # published in February: not before March
    # 1 March 00:30 in Berlin is still 28 February in UTC: months are the app's time zone's
    march_first = dt.datetime(2030, 2, 28, 23, 30, tzinfo=dt.UTC)
    assert _deliver(app, march_first - dt.timedelta(hours=1)) == 0
    assert _deliver(app, march_first) == 2
    assert _deliver(app, dt.datetime(2030, 4, 1, tzinfo=dt.UTC)) == 0
    assert len(mailbox) == 2


def test_monthly_subscribers_get_no_report_of_months_before_they_subscribed(
    app, world, report_id, mailbox
):
    with app.app_context():
        _subscribe(world, "executive", MONTHLY, now=dt.datetime(2030, 3, 10, tzinfo=dt.UTC))
    assert _deliver(app, dt.datetime(2030, 4, 2, tzinfo=dt.UTC)) == 0


def test_the_scheduler_runs_the_delivery(app, world, report_id, mailbox):
    with app.app_context():
        _subscribe(world, "executive")
    job = next(job for job in app.extensions[JOBS_KEY] if job.name == "report delivery")
    assert run_job(app, job, "test-worker", FEB_20)
    assert len(mailbox) == 2


# --- the subscriptions page -------------------------------------------------------------------


def test_the_page_lists_the_readers_clients(app, client, world):
    login(client, world.executive)
    page = client.get("/reports/subscriptions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stadtwerke Aue" in html and "Energie Nord" not in html
    assert "when a wave closes" in html and "monthly" in html


def test_subscribe_change_and_unsubscribe_on_the_page(app, client, world):
    login(client, world.executive)
    client_id = world.client_a.id
    response = client.post(
        "/reports/subscriptions",
        data={"client_id": client_id, "frequency": "monthly", "subscribe": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        [subscription] = db.session.scalars(select(ReportSubscription)).all()
        assert (subscription.user_id, subscription.frequency) == (world.executive.id, MONTHLY)
    html = client.get("/reports/subscriptions").get_data(as_text=True)
    assert "subscribed" in html and "Unsubscribe" in html
    client.post(
        "/reports/subscriptions",
        data={"client_id": client_id, "frequency": "wave_closed", "subscribe": "1"},
    )
    with app.app_context():
        assert db.session.scalars(select(ReportSubscription.frequency)).all() == [WAVE]
    client.post(
        "/reports/subscriptions",
        data={"client_id": client_id, "frequency": "wave_closed", "unsubscribe": "1"},
    )
    with app.app_context():
        assert db.session.scalars(select(ReportSubscription)).all() == []


def test_another_clients_reports_cannot_be_subscribed(app, client, world):
    login(client, world.executive)
    response = client.post(
        "/reports/subscriptions",
        data={"client_id": world.client_b.id, "frequency": "monthly", "subscribe": "1"},
    )
    assert response.status_code == 422
    assert "Choose one of your clients." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ReportSubscription)).all() == []


def test_testers_have_no_subscriptions_page(app, client, world):
    login(client, world.tester)
    assert client.get("/reports/subscriptions").status_code == 403
