"""The whole planning flow as a manager tries it, with the clock of the test: a wave for two
channels and three scenarios over two weeks, previewed and confirmed; then the scheduler notifies
testers, sends the e-mail inquiries itself, picks a reply up from the audit mailbox (dovecot),
and marks the ignored e-mail inquiries unanswered after their timeout."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime

import time_machine
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select

from audits.mystery.models import Inquiry, InquiryAttempt, InquiryStatus, Scenario, ScenarioCategory
from qcrm import scheduler
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType
from tests.audits.test_waves import wave_form
from tests.conftest import login
from tests.imap_server import imap_server  # noqa: F401 (the fixture)


def test_a_wave_from_planning_to_answered_and_unanswered(make_app, world, mailbox, imap_server):  # noqa: F811
    box = imap_server.fresh_user()
    app = make_app(
        AUDIT_MAIL_DOMAIN="audit.example",
        AUDIT_IMAP_HOST=box.host,
        AUDIT_IMAP_PORT=box.port,
        AUDIT_IMAP_SSL=False,
        AUDIT_IMAP_USER=box.user,
        AUDIT_IMAP_PASSWORD=box.password,
    )
    with app.app_context():
        phone = Channel(
            client_id=world.client_a.id,
            type=ChannelType.PHONE,
            name="Hotline",
            address="+49 30 555 0100",
            business_hours={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        )
        extra = [
            Scenario(title=title, category=ScenarioCategory.QUESTION, script=f"{title}?")
            for title in ("Umzug", "Abschlag")
        ]
        db.session.add_all([phone, *extra])
        db.session.commit()
        channel_ids = [world.channel_a.id, phone.id]
        scenario_ids = [world.scenario.id, *(s.id for s in extra)]

    client = app.test_client()
    form = wave_form(
        world,
        channel_ids=channel_ids,
        scenario_ids=scenario_ids,
        contacts_per_cell="1",
        auto_send_email="y",
        timeout_live="1",
        period_start="2026-03-16",
        period_end="2026-03-29",
    )
    # planned in the past of the real clock, so the IMAP server accepts the reply's date
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        login(client, world.manager)  # session cookies are signed with the (travelled) time
        created = client.post("/audits/waves/new", data=form)
        assert created.status_code == 302, created.data
        wave_url = created.headers["Location"]
        preview = client.post(f"{wave_url}/schedule", follow_redirects=True)
        assert b"6 inquiries are drawn." in preview.data
        assert b"Inquiries per time of day and weekday" in preview.data
        client.post(f"{wave_url}/confirm")

    with app.app_context():
        wave_id = int(wave_url.rsplit("/", 1)[1])
        inquiries = db.session.scalars(select(Inquiry).where(Inquiry.wave_id == wave_id)).all()
        last_planned = max(i.planned_at for i in inquiries)
        email_ids = [i.id for i in inquiries if i.channel_id == world.channel_a.id]
        phone_ids = [i.id for i in inquiries if i.channel_id == channel_ids[1]]
    assert len(email_ids) == len(phone_ids) == 3

    # the period has come: testers are told about phone inquiries, e-mails go out by themselves
    with time_machine.travel(last_planned + dt.timedelta(minutes=1), tick=False):
        assert scheduler.run_once(app, worker="e2e:1") == 0
    testers = {"tester@qcrm.example", "other_tester@qcrm.example"}
    notified = [m for m in mailbox if m["To"] in testers]
    assert len(notified) == 3
    sent = [m for m in mailbox if m["To"] == "service@aue.example"]
    assert len(sent) == 3
    assert {m["From"] for m in sent} == {"Jana Berger <jana.berger@mail.example>"}

    # the client answers the first e-mail inquiry two hours later
    with app.app_context():
        first = db.session.scalar(
            select(InquiryAttempt).where(InquiryAttempt.inquiry_id == email_ids[0])
        )
        answered_message_id, sent_at = first.message_id, first.sent_at
    answer_time = sent_at + dt.timedelta(hours=2)
    reply = EmailMessage()
    reply["From"] = "service@aue.example"
    reply["To"] = "jana.berger@mail.example"
    reply["Subject"] = "Re: Tarifwechsel"
    reply["Message-ID"] = "<answer-1@aue.example>"
    reply["In-Reply-To"] = answered_message_id
    reply["Date"] = format_datetime(answer_time)
    reply.set_content("Guten Tag, den Tarif wechseln Sie online unter …")
    with MailBoxUnencrypted(box.host, box.port).login(box.user, box.password) as mail:
        mail.append(reply.as_bytes(), "INBOX", answer_time, [])
    with time_machine.travel(answer_time + dt.timedelta(minutes=5), tick=False):
        assert scheduler.run_once(app, worker="e2e:1") == 0

    # three days later the ignored e-mail inquiries are unanswered; phone ones wait for the tester
    with time_machine.travel(last_planned + dt.timedelta(hours=73), tick=False):
        assert scheduler.run_once(app, worker="e2e:1") == 0
    with app.app_context():
        status = {i.id: (i.status, i.first_answer_at) for i in db.session.scalars(select(Inquiry))}
    assert status[email_ids[0]] == (InquiryStatus.ANSWERED, answer_time)
    assert [status[i][0] for i in email_ids[1:]] == [InquiryStatus.UNANSWERED] * 2
    assert {status[i][0] for i in phone_ids} == {InquiryStatus.DUE}
    login(client, world.manager)
    page = client.get(wave_url)
    assert b"Dispatch" in page.data
