"""The mail outbox: written with the transaction, sent after commit, retried after failures."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from qcrm import mail
from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import MailStatus, OutboxMail
from tests.conftest import free_port


def test_mail_is_sent_after_the_transaction_commits(app, mailbox):
    with app.app_context():
        queued = mail.queue_mail("kunde@example.com", "Betreff", "Hallo", "<p>Hallo</p>")
        assert mailbox == []
        db.session.commit()
        assert len(mailbox) == 1
        sent = db.session.get(OutboxMail, queued.id)
        assert sent.status is MailStatus.SENT
        assert sent.attempts == 1
    message = mailbox[0]
    assert message["Subject"] == "Betreff"
    assert message["Message-ID"] == sent.message_id
    assert message.get_body(("html",)).get_content().strip() == "<p>Hallo</p>"


def test_an_attachment_is_sent_with_the_mail(app, mailbox):
    pdf = b"%PDF-1.4 tiny"
    with app.app_context():
        mail.queue_mail(
            "vorstand@example.com",
            "Bericht",
            "Im Anhang.",
            attachment=mail.Attachment("bericht.pdf", "application/pdf", pdf),
        )
        db.session.commit()
    (attached,) = list(mailbox[0].iter_attachments())
    assert attached.get_filename() == "bericht.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == pdf


def test_a_rolled_back_mail_is_neither_stored_nor_sent(app, mailbox):
    with app.app_context():
        mail.queue_mail("kunde@example.com", "Betreff", "Hallo")
        db.session.rollback()
        db.session.commit()
        assert db.session.query(OutboxMail).count() == 0
    assert mailbox == []


def test_extra_headers_are_sent(app, mailbox):
    with app.app_context():
        mail.queue_mail(
            "kunde@example.com", "S", "T", headers={"List-Unsubscribe": "<https://x/u>"}
        )
        db.session.commit()
    assert mailbox[0]["List-Unsubscribe"] == "<https://x/u>"


def test_failed_send_stays_in_the_outbox_and_is_retried_later(make_app, smtp_server, mailbox):
    broken = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with broken.app_context():
        mail_id = mail.queue_mail("kunde@example.com", "Betreff", "Hallo").id
        db.session.commit()
        failed = db.session.get(OutboxMail, mail_id)
        assert failed.status is MailStatus.FAILED
        assert failed.attempts == 1
        assert "refused" in failed.last_error
        assert failed.next_attempt_at > utcnow()
        db.session.rollback()  # end the read transaction: on SQLite it holds the write lock
        # not yet due: nothing happens
        assert mail.deliver_due() == 0
    working = make_app()
    with working.app_context():
        later = utcnow() + dt.timedelta(minutes=2)
        assert mail.deliver_due(now=later) == 1
        sent = db.session.get(OutboxMail, mail_id)
        assert sent.status is MailStatus.SENT
        assert sent.attempts == 2
        assert sent.last_error is None
    assert len(mailbox) == 1


def test_two_deliverers_never_send_the_same_mail_twice(make_app, mailbox):
    app = make_app(MAIL_SERVER=None)
    with app.app_context():
        ids = [mail.queue_mail(f"k{i}@example.com", "S", "T").id for i in range(6)]
        db.session.commit()  # no server configured: all stay failed, due in a minute
    sender = make_app()
    later = utcnow() + dt.timedelta(minutes=2)
    results: list[int] = []

    def deliver() -> None:
        with sender.app_context():
            results.append(mail.deliver_due(now=later))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6
    assert sorted(m["To"] for m in mailbox) == sorted(f"k{i}@example.com" for i in range(6))
    with sender.app_context():
        statuses = {db.session.get(OutboxMail, i).status for i in ids}
        assert statuses == {MailStatus.SENT}


def test_mail_is_given_up_after_the_last_retry(make_app):
    app = make_app(MAIL_SERVER=None)
    with app.app_context():
        queued = mail.queue_mail("k@example.com", "S", "T")
        db.session.commit()
        far_future = utcnow() + dt.timedelta(days=30)
        for _ in range(mail.MAX_ATTEMPTS + 2):
            mail.deliver_due(now=far_future)
        assert db.session.get(OutboxMail, queued.id).attempts == mail.MAX_ATTEMPTS


def test_a_mail_left_sending_by_a_dead_process_is_resent_with_its_message_id(app, mailbox):
    with app.app_context():
        row = OutboxMail(
            recipient="k@example.com",
            subject="S",
            body_text="T",
            message_id="<fixed-id@qcrm.test>",
            status=MailStatus.SENDING,
            attempts=1,
            next_attempt_at=utcnow() + mail.SENDING_LEASE,
        )
        db.session.add(row)
        db.session.flush()
        mail_id = row.id
        db.session.commit()
        assert mail.deliver_due() == 0  # the lease still runs: the other sender may be alive
        assert mail.deliver_due(now=utcnow() + mail.SENDING_LEASE * 2) == 1
        assert db.session.get(OutboxMail, mail_id).status is MailStatus.SENT
    assert [m["Message-ID"] for m in mailbox] == ["<fixed-id@qcrm.test>"]


def test_api_messages_follow_the_token_users_language(app, world):
    with app.app_context():
        from qcrm.models import User

        db.session.get(User, world.manager.id).language = "de"
        db.session.commit()
    response = app.test_client().post(
        "/api/v1/clients",
        json={"name": "Stadtwerke Aue"},
        headers={"Authorization": f"Bearer {world.tokens['manager']}"},
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["message"] == "Es gibt bereits einen Kunden mit diesem Namen."


def test_a_savepoint_sends_nothing_and_the_outer_commit_sends_every_mail(make_app, mailbox):
    # SQLite takes its write lock at BEGIN: a send while the outer transaction still runs would
    # wait for that lock (here at most a second) and fail with "database is locked".
    app = make_app(SQLITE_BUSY_TIMEOUT=1)
    with app.app_context():
        first = mail.queue_mail("erste@example.com", "Eins", "Hallo").id
        with db.session.begin_nested():
            second = mail.queue_mail("zweite@example.com", "Zwei", "Hallo").id
        assert mailbox == []  # releasing the savepoint commits nothing yet
        db.session.commit()
        statuses = dict(db.session.execute(select(OutboxMail.id, OutboxMail.status)).all())
    assert statuses == {first: MailStatus.SENT, second: MailStatus.SENT}
    assert sorted(m["To"] for m in mailbox) == ["erste@example.com", "zweite@example.com"]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_mails(app, mailbox):
    with app.app_context():
        kept = mail.queue_mail("bleibt@example.com", "Bleibt", "Hallo").id
        savepoint = db.session.begin_nested()
        mail.queue_mail("weg@example.com", "Weg", "Hallo")
        savepoint.rollback()
        db.session.commit()
        assert db.session.scalars(select(OutboxMail.id)).all() == [kept]
        assert db.session.get(OutboxMail, kept).status is MailStatus.SENT
    assert [m["To"] for m in mailbox] == ["bleibt@example.com"]


def test_a_recipient_refused_for_good_bounces_and_is_never_retried(app, smtp_server, mailbox):
    smtp_server.handler.refused.add("weg@example.com")
    with app.app_context():
        mail_id = mail.queue_mail("weg@example.com", "Betreff", "Hallo").id
        db.session.commit()
        report = mail.mail_report(mail_id)
        assert report == mail.MailReport(
            MailStatus.BOUNCED, "SMTPRecipientsRefused: 550 5.1.1 Mailbox does not exist", False
        )
        db.session.rollback()  # end the read transaction: on SQLite it holds the write lock
        assert mail.deliver_due(now=utcnow() + dt.timedelta(days=1)) == 0
        assert db.session.get(OutboxMail, mail_id).attempts == 1
    assert mailbox == []


def test_a_temporary_refusal_fails_and_is_sent_on_a_later_try(app, smtp_server, mailbox):
    smtp_server.handler.deferred.add("voll@example.com")
    with app.app_context():
        mail_id = mail.queue_mail("voll@example.com", "Betreff", "Hallo").id
        db.session.commit()
        report = mail.mail_report(mail_id)
        assert (report.status, report.retrying) == (MailStatus.FAILED, True)
        assert report.error == "SMTPRecipientsRefused: 450 4.2.1 Try again later"
        db.session.rollback()
        smtp_server.handler.deferred.clear()
        assert mail.deliver_due(now=utcnow() + dt.timedelta(minutes=2)) == 1
        assert mail.mail_report(mail_id) == mail.MailReport(MailStatus.SENT, None, False)
    assert [m["To"] for m in mailbox] == ["voll@example.com"]


def test_the_handler_of_a_mails_purpose_hears_each_outcome(app, smtp_server, mailbox):
    heard: list[tuple[str, MailStatus]] = []
    mail.register_outcome_handler(
        app, "test", lambda session, sent: heard.append((sent.recipient, sent.status))
    )
    smtp_server.handler.refused.add("weg@example.com")
    try:
        with app.app_context():
            for recipient in ("da@example.com", "weg@example.com"):
                mail.queue_mail(recipient, "S", "T", purpose="test")
            mail.queue_mail("ohne@example.com", "S", "T")
            db.session.commit()
    finally:
        app.extensions["qcrm_mail_outcome_handlers"].pop("test")
    assert heard == [("da@example.com", MailStatus.SENT), ("weg@example.com", MailStatus.BOUNCED)]


def _stored_mail(subject: str, recipient: str = "k@example.com") -> int:
    """A mail written straight into the outbox, as old data may hold it."""
    row = OutboxMail(
        recipient=recipient,
        subject=subject,
        body_text="T",
        message_id=mail.make_msgid(domain="qcrm.test"),
        status=MailStatus.QUEUED,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def test_a_mail_that_cannot_be_built_fails_for_good_and_the_next_one_is_sent(app, mailbox):
    with app.app_context():
        broken = _stored_mail("Einladung\r\nBcc: x@y.example")
        good = _stored_mail("Einladung", recipient="gut@example.com")
        db.session.info.pop("qcrm_outbox_pending", None)
        db.session.commit()
        assert mail.deliver_due() == 1
        report = mail.mail_report(broken)
        assert report.status is MailStatus.FAILED
        assert not report.retrying
        assert "linefeed" in report.error and report.error.startswith("Unbuildable mail")
        assert mail.mail_report(good).status is MailStatus.SENT
        db.session.rollback()
        assert mail.deliver_due(now=utcnow() + dt.timedelta(days=1)) == 0  # never retried
    assert [m["To"] for m in mailbox] == ["gut@example.com"]


def test_the_scheduler_outbox_job_goes_on_past_an_unbuildable_mail(app, mailbox):
    from qcrm import scheduler

    with app.app_context():
        broken = _stored_mail("Hallo", recipient="k@example.com\r\nBcc: x@y.example")
        _stored_mail("Hallo", recipient="gut@example.com")
        db.session.info.pop("qcrm_outbox_pending", None)
        db.session.commit()
    assert scheduler.run_once(app, worker="host:m") == 0
    with app.app_context():
        assert db.session.get(OutboxMail, broken).status is MailStatus.FAILED
    assert [m["To"] for m in mailbox] == ["gut@example.com"]
