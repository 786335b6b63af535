"""The scheduler's jobs on inquiries, driven by the clock of the test (time-machine)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine
from sqlalchemy import select

from audits.mystery import contact_logs, dispatch
from audits.mystery.models import (
    AttemptState,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    Wave,
    WaveStatus,
)
from qcrm import scheduler
from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, MailStatus, OutboxMail, SchedulerHeartbeat, User
from tests.audits.helpers import run_wave
from tests.conftest import free_port, login

PLANNED = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # the world's inquiries


def _inquiry(world, name="inquiry_a") -> Inquiry:
    return db.session.get(Inquiry, getattr(world, name).id)


def test_inquiries_become_due_an_hour_ahead_and_testers_are_told(app, world, mailbox):
    run_wave(app, world, auto_send_email=False)
    with app.app_context():
        assert dispatch.make_inquiries_due(PLANNED - dt.timedelta(minutes=61)) == 0
        assert dispatch.make_inquiries_due(PLANNED - dt.timedelta(minutes=60)) == 2
        assert dispatch.make_inquiries_due(PLANNED) == 0  # once only
        inquiry = _inquiry(world)
        assert inquiry.status is InquiryStatus.DUE
        assert [(a.number, a.automatic) for a in inquiry.attempts] == [(1, False)]
    assert sorted(m["To"] for m in mailbox) == [
        "other_tester@qcrm.example",
        "tester@qcrm.example",
    ]
    body = mailbox[0].get_body(("plain",)).get_content()
    assert "Tarifwechsel" in body and "service@aue.example" in body and "Jana Berger" in body
    assert "/audits/my-inquiries" in body


def test_draft_waves_are_not_dispatched(app, world):
    with app.app_context():
        assert dispatch.make_inquiries_due(PLANNED) == 0


def test_email_inquiries_are_sent_from_the_persona_with_a_recorded_message_id(
    make_app, world, smtp_server, mailbox
):
    app = make_app(AUDIT_MAIL_DOMAIN="audit.example")
    run_wave(app, world, auto_send_email=True)
    with app.app_context(), time_machine.travel(PLANNED, tick=False):
        dispatch.make_inquiries_due(utcnow())
        assert dispatch.send_automatic_attempts(utcnow(), "w1") == 2
        inquiry = _inquiry(world)
        attempt = inquiry.attempts[0]
        assert inquiry.status is InquiryStatus.SENT
        assert attempt.state is AttemptState.SENT
        assert attempt.sent_at == PLANNED
        assert attempt.message_id.endswith("@audit.example>")
    message = next(m for m in mailbox if m["Message-ID"] == attempt.message_id)
    assert message["From"] == "Jana Berger <jana.berger@mail.example>"
    assert message["To"] == "service@aue.example"
    assert message["Subject"] == "Tarifwechsel"
    assert "Ökostrom" in message.get_content()


def test_a_send_interrupted_by_a_crash_is_retaken_after_its_lease_with_the_same_message_id(
    app, world, mailbox
):
    run_wave(app, world, auto_send_email=True)
    with app.app_context():
        dispatch.make_inquiries_due(PLANNED)
        attempt_id = _inquiry(world).attempts[0].id
        db.session.execute(
            InquiryAttempt.__table__.update()
            .where(InquiryAttempt.id == attempt_id)
            .values(
                state=AttemptState.SENDING,
                claimed_by="dead-worker",
                lease_until=PLANNED + dt.timedelta(minutes=2),
                message_id="<crashed@audit.example>",
                send_count=1,
            )
        )
        db.session.commit()
        dispatch.send_automatic_attempts(PLANNED + dt.timedelta(minutes=1), "w2")
        assert db.session.get(InquiryAttempt, attempt_id).state is AttemptState.SENDING
        db.session.rollback()
        dispatch.send_automatic_attempts(PLANNED + dt.timedelta(minutes=3), "w2")
        attempt = db.session.get(InquiryAttempt, attempt_id)
        assert attempt.state is AttemptState.SENT
        assert attempt.send_count == 2
    assert "<crashed@audit.example>" in [m["Message-ID"] for m in mailbox]


def test_a_failed_send_is_retried_later_and_the_error_kept(make_app, world):
    app = make_app(AUDIT_SMTP_SERVER="127.0.0.1", AUDIT_SMTP_PORT=free_port(), MAIL_TIMEOUT=2)
    run_wave(app, world, auto_send_email=True)
    with app.app_context(), time_machine.travel(PLANNED, tick=False):
        dispatch.make_inquiries_due(utcnow())
        assert dispatch.send_automatic_attempts(utcnow(), "w1") == 0
        attempt = _inquiry(world).attempts[0]
        assert attempt.state is AttemptState.PENDING
        assert "refused" in attempt.last_error
        assert attempt.due_at == PLANNED + dt.timedelta(seconds=300)
        assert _inquiry(world).status is InquiryStatus.DUE


def _sent(app, world, sent_at=PLANNED, **wave_settings) -> None:
    run_wave(app, world, **wave_settings)
    with app.app_context():
        dispatch.make_inquiries_due(sent_at)
        inquiry = _inquiry(world)
        with time_machine.travel(sent_at, tick=False):
            contact_logs.record_sent(inquiry, inquiry.tester, 1, sent_at)


def test_an_inquiry_without_answer_is_unanswered_when_its_timeout_passes(app, world):
    _sent(app, world, auto_send_email=False, answer_timeouts={"email": 72})
    with app.app_context():
        assert dispatch.mark_unanswered(PLANNED + dt.timedelta(hours=71, minutes=59)) == 0
        assert dispatch.mark_unanswered(PLANNED + dt.timedelta(hours=72)) == 1
        assert _inquiry(world).status is InquiryStatus.UNANSWERED


def test_a_second_attempt_is_created_once_and_moves_the_deadline(app, world, mailbox):
    _sent(
        app,
        world,
        auto_send_email=False,
        answer_timeouts={"email": 72},
        second_attempt_after_hours=24,
    )
    with app.app_context():
        later = PLANNED + dt.timedelta(hours=24)
        assert dispatch.schedule_second_attempts(later - dt.timedelta(minutes=1)) == 0
        assert dispatch.schedule_second_attempts(later) == 1
        assert dispatch.schedule_second_attempts(later) == 0
        inquiry = _inquiry(world)
        assert [a.number for a in inquiry.attempts] == [1, 2]
        # not unanswered while the second attempt is not sent
        assert dispatch.mark_unanswered(PLANNED + dt.timedelta(hours=100)) == 0
        with time_machine.travel(later, tick=False):
            contact_logs.record_sent(inquiry, inquiry.tester, 2, later)
        assert dispatch.mark_unanswered(later + dt.timedelta(hours=71)) == 0
        assert dispatch.mark_unanswered(later + dt.timedelta(hours=72)) == 1
    # the tester's language is unset: mails go out in the default language, German
    assert any("Zweiter Versuch" in m["Subject"] for m in mailbox), [m["Subject"] for m in mailbox]


def test_a_due_inquiry_not_logged_in_time_is_overdue(app, world):
    run_wave(app, world, auto_send_email=False)
    with app.app_context():
        dispatch.make_inquiries_due(PLANNED)
        assert dispatch.mark_overdue(PLANNED + dt.timedelta(minutes=119)) == 0
        assert dispatch.mark_overdue(PLANNED + dt.timedelta(minutes=120)) == 2
        assert _inquiry(world).overdue_at == PLANNED + dt.timedelta(minutes=120)


def test_waves_start_on_their_first_day_and_close_when_over_and_settled(app, world):
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.SCHEDULED
        db.session.commit()
        dispatch.start_and_close_waves(dt.datetime(2030, 1, 6, 23, 0, tzinfo=dt.UTC))
        assert db.session.get(Wave, world.wave_a.id).status is WaveStatus.SCHEDULED
        dispatch.start_and_close_waves(dt.datetime(2030, 1, 7, 0, 0, tzinfo=dt.UTC))
        assert db.session.get(Wave, world.wave_a.id).status is WaveStatus.RUNNING
        after = dt.datetime(2030, 1, 19, 0, 0, tzinfo=dt.UTC)
        dispatch.start_and_close_waves(after)  # inquiries still open: stays running
        assert db.session.get(Wave, world.wave_a.id).status is WaveStatus.RUNNING
        db.session.execute(
            Inquiry.__table__.update()
            .where(Inquiry.wave_id == world.wave_a.id)
            .values(status=InquiryStatus.UNANSWERED)
        )
        db.session.commit()
        dispatch.start_and_close_waves(after)
        assert db.session.get(Wave, world.wave_a.id).status is WaveStatus.CLOSED


def test_scheduler_writes_a_heartbeat_that_readyz_reports(app, world):
    client = app.test_client()
    assert client.get("/readyz").json["scheduler"] == "never"
    assert scheduler.run_once(app, worker="host:1") == 0
    body = client.get("/readyz").json
    assert body["scheduler"] == "ok"
    with app.app_context():
        assert db.session.get(SchedulerHeartbeat, "host:1") is not None


def test_a_failing_job_is_logged_and_shown_but_does_not_stop_the_others(app, world):
    def broken(now, worker):
        raise RuntimeError("mailbox unreachable")

    app.extensions["qcrm_scheduler_jobs"].insert(2, scheduler.Job("broken", broken, 30))
    assert scheduler.run_once(app, worker="host:2") == 1
    with app.app_context():
        heartbeat = db.session.get(SchedulerHeartbeat, "host:2")
        assert heartbeat.last_error == "broken: RuntimeError: mailbox unreachable"


def test_readyz_can_require_a_live_scheduler(make_app, world):
    app = make_app(READYZ_REQUIRES_SCHEDULER=True)
    assert app.test_client().get("/readyz").status_code == 503


def test_testers_calendar_feed_lists_their_open_inquiries_and_can_be_revoked(app, world):
    import re

    from icalendar import Calendar

    from tests.conftest import login

    run_wave(app, world)
    client = app.test_client()
    login(client, world.tester)
    page = client.post("/audits/my-inquiries/calendar", follow_redirects=True)
    url = re.search(rb"(/audits/calendar/[A-Za-z0-9_-]+\.ics)", page.data).group(1).decode()
    anonymous = app.test_client()
    feed = anonymous.get(url)
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"inquiry-{world.inquiry_a.id}@q-crm"]
    assert events[0].decoded("dtstart") == PLANNED
    client.post("/audits/my-inquiries/calendar/revoke")
    assert anonymous.get(url).status_code == 404


def _both_sent(app, world, **wave_settings) -> None:
    """Wave A running, both of its inquiries due and logged as sent by their testers."""
    run_wave(app, world, auto_send_email=False, **wave_settings)
    with app.app_context(), time_machine.travel(PLANNED, tick=False):
        dispatch.make_inquiries_due(PLANNED)
        for name in ("inquiry_a", "inquiry_other"):
            inquiry = _inquiry(world, name)
            contact_logs.record_sent(inquiry, inquiry.tester, 1, PLANNED)


def test_the_second_attempt_job_finishes_through_run_once_and_mails_every_tester(
    make_app, world, mailbox
):
    # A short busy timeout: a job waiting for its own write lock fails in a second, not in 15.
    app = make_app(SQLITE_BUSY_TIMEOUT=1)
    _both_sent(app, world, answer_timeouts={"email": 72}, second_attempt_after_hours=24)
    mailbox.clear()
    assert scheduler.run_once(app, worker="host:3", now=PLANNED + dt.timedelta(hours=24)) == 0
    with app.app_context():
        assert [a.number for a in _inquiry(world).attempts] == [1, 2]
        assert [a.number for a in _inquiry(world, "inquiry_other").attempts] == [1, 2]
        assert db.session.get(SchedulerHeartbeat, "host:3").last_error is None
        assert db.session.scalars(select(OutboxMail.status)).all() == [MailStatus.SENT] * 4
    second = sorted(m["To"] for m in mailbox if "Zweiter Versuch" in m["Subject"])
    assert second == ["other_tester@qcrm.example", "tester@qcrm.example"]


def test_a_job_that_leaves_its_session_broken_is_recorded_and_run_once_does_not_raise(app, world):
    def breaks_its_session(now, worker):
        def hook_fails(session):
            raise RuntimeError("hook failed")

        # An error in a commit hook leaves the session where even rollback() raises.
        sa.event.listen(db.session, "after_commit", hook_fails, once=True)
        with db.session.begin_nested():
            pass

    app.extensions["qcrm_scheduler_jobs"].append(scheduler.Job("breaks", breaks_its_session, 30))
    assert scheduler.run_once(app, worker="host:4") == 1
    with app.app_context():
        heartbeat = db.session.get(SchedulerHeartbeat, "host:4")
        assert heartbeat.last_error == "breaks: RuntimeError: hook failed"


def _move_inquiry_other(app, world, **channel) -> int:
    """Inquiry "other" on a channel of its own (``channel`` overrides its fields), planned a
    minute before inquiry A so the jobs meet it first. Returns the channel's id."""
    with app.app_context():
        inquiry = _inquiry(world, "inquiry_other")
        values = {
            "client_id": world.client_a.id,
            "type": ChannelType.EMAIL,
            "name": "Beschwerden",
            "address": "beschwerde@aue.example",
            **channel,
        }
        row = Channel(**values)
        db.session.add(row)
        db.session.flush()
        inquiry.channel_id = row.id
        inquiry.planned_at = PLANNED - dt.timedelta(minutes=1)
        db.session.commit()
        return row.id


def _problems_on_the_wave_page(app, world) -> str:
    client = app.test_client()
    login(client, world.manager)
    page = client.get(f"/audits/waves/{world.wave_a.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="problems-heading"' in html, "the wave page lists no problems"
    return html.split('id="problems-heading"', 1)[1].split("</section>", 1)[0]


def test_an_inquiry_whose_mail_cannot_be_built_is_reported_and_the_others_are_sent(
    app, world, mailbox
):
    channel_id = _move_inquiry_other(app, world, address="beschwerde@aue.example\nBcc: x@y.de")
    run_wave(app, world, auto_send_email=True)
    with time_machine.travel(PLANNED, tick=False):  # the attempts' sending time is the clock's
        assert scheduler.run_once(app, worker="host:5", now=PLANNED) == 0
    with app.app_context():
        assert _inquiry(world).status is InquiryStatus.SENT
        broken = _inquiry(world, "inquiry_other")
        assert broken.status is InquiryStatus.DUE
        assert broken.dispatch_problem_job == dispatch.SEND_JOB
        assert broken.dispatch_problem.startswith("ValueError: Header values may not contain")
    assert [m["To"] for m in mailbox] == ["service@aue.example"]
    problems = _problems_on_the_wave_page(app, world)
    assert "Beschwerden" in problems and "Tarifwechsel" in problems
    assert "ValueError: Header values may not contain linefeed" in problems

    # once the channel is corrected, the next run after the claim's lease sends it and the
    # problem is gone
    _set_channel(app, channel_id, address="beschwerde@aue.example")
    later = PLANNED + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        assert scheduler.run_once(app, worker="host:5", now=later) == 0
    with app.app_context():
        fixed = _inquiry(world, "inquiry_other")
        assert fixed.status is InquiryStatus.SENT
        assert (fixed.dispatch_problem, fixed.dispatch_problem_job) == (None, None)
    assert sorted(m["To"] for m in mailbox) == ["beschwerde@aue.example", "service@aue.example"]


def _set_channel(app, channel_id: int, **values) -> None:
    with app.app_context():
        channel = db.session.get(Channel, channel_id)
        for name, value in values.items():
            setattr(channel, name, value)
        db.session.commit()


def test_a_tester_whose_language_breaks_the_notice_stops_only_that_inquiry(app, world, mailbox):
    _move_inquiry_other(app, world)
    with app.app_context():
        db.session.get(User, world.other_tester.id).language = "zz"  # no such locale
        db.session.commit()
    run_wave(app, world, auto_send_email=False)
    assert scheduler.run_once(app, worker="host:6", now=PLANNED - dt.timedelta(minutes=30)) == 0
    with app.app_context():
        assert _inquiry(world).status is InquiryStatus.DUE
        broken = _inquiry(world, "inquiry_other")
        assert broken.status is InquiryStatus.PLANNED  # rolled back whole: tried again next run
        assert broken.attempts == []
        assert broken.dispatch_problem_job == dispatch.DUE_JOB
        assert "UnknownLocaleError" in broken.dispatch_problem
    assert [m["To"] for m in mailbox] == ["tester@qcrm.example"]
    assert "UnknownLocaleError" in _problems_on_the_wave_page(app, world)


def test_an_inquiry_with_an_unreadable_timeout_is_reported_and_the_others_become_unanswered(
    app, world
):
    _move_inquiry_other(app, world, type=ChannelType.WEB_FORM, address="https://aue.example/k")
    run_wave(app, world, auto_send_email=False, answer_timeouts={"email": 72, "web_form": "x"})
    with app.app_context(), time_machine.travel(PLANNED, tick=False):
        dispatch.make_inquiries_due(PLANNED)
        for name in ("inquiry_a", "inquiry_other"):
            inquiry = _inquiry(world, name)
            contact_logs.record_sent(inquiry, inquiry.tester, 1, PLANNED)
        assert dispatch.mark_unanswered(PLANNED + dt.timedelta(hours=72)) == 1
        assert _inquiry(world).status is InquiryStatus.UNANSWERED
        broken = _inquiry(world, "inquiry_other")
        assert broken.status is InquiryStatus.SENT
        assert broken.dispatch_problem_job == dispatch.UNANSWERED_JOB
        assert broken.dispatch_problem.startswith("ValueError")
