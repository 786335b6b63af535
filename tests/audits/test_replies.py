"""Replies to test inquiries: acknowledgement rules, subjects, matching, recording, and reading a
real IMAP mailbox (dovecot, see tests/imap_server.py)."""

from __future__ import annotations

import datetime as dt
import logging
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from imap_tools import MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audits.mystery.models import (
    AttemptState,
    Inquiry,
    InquiryAttempt,
    InquiryReply,
    InquiryStatus,
    Wave,
)
from audits.mystery.replies import (
    IncomingMail,
    acknowledgement_reasons,
    fetch_replies,
    html_to_text,
    inquiry_subject,
    is_automatic_acknowledgement,
    match_reply,
    normalize_subject,
    parse_internaldate,
    record_reply,
)
from qcrm.extensions import db
from tests.conftest import free_port
from tests.imap_server import ImapServer, imap_server  # noqa: F401 (the fixture)

UTC = dt.UTC
CET = dt.timezone(dt.timedelta(hours=1))
SENT_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
PERSONA = "jana.berger@mail.example"
ANSWER = "Guten Tag Frau Berger,\n\nden Tarif wechseln Sie online zum Monatsersten.\n"


# Acknowledgement rules, one at a time ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "subject", "body"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Tarifwechsel", ANSWER),
        ({"auto-submitted": "auto-generated; owner-email=x@y.example"}, "Tarifwechsel", ANSWER),
        ({"X-Autoreply": "yes"}, "Re: Tarifwechsel", ANSWER),
        ({"X-Autorespond": "Tarifwechsel"}, "Re: Tarifwechsel", ANSWER),
        ({"Precedence": "auto_reply"}, "Re: Tarifwechsel", ANSWER),
        ({"Precedence": "BULK"}, "Re: Tarifwechsel", ANSWER),
        ({"Precedence": "junk"}, "Re: Tarifwechsel", ANSWER),
        ({"X-Auto-Response-Suppress": "All"}, "Re: Tarifwechsel", ANSWER),
        ({}, "Automatische Antwort: Tarifwechsel", ANSWER),
        ({}, "Re: Tarifwechsel", "Dies ist eine automatische Antwort."),
        ({}, "Eingangsbestätigung Ihrer Anfrage", ANSWER),
        ({}, "Re: Tarifwechsel", "Hiermit erhalten Sie eine EINGANGSBESTAETIGUNG."),
        ({}, "Re: Tarifwechsel", "Ihre Anfrage ist\nbei uns eingegangen."),
        ({}, "Re: Tarifwechsel", "Vielen Dank, wir haben Ihre Nachricht erhalten."),
        ({}, "Automatic reply: Tarifwechsel", ANSWER),
        ({}, "AUTO: Tarifwechsel", ANSWER),
        ({}, "Re: Tarifwechsel", "Thank you, we have received your message."),
        ({}, "Re: Tarifwechsel", "This is an automated response. Please do not reply."),
        ({}, "[#4711] Tarifwechsel", "Ticket #4711 has been created for your request."),
        ({}, "Ticket 4711 erstellt", ANSWER),
        ({}, "Re: Tarifwechsel", "Ihre Ticketnummer: 4711"),
        ({}, "Out of Office: Tarifwechsel", ANSWER),
        ({}, "Abwesenheitsnotiz: Tarifwechsel", ANSWER),
    ],
)
def test_each_rule_alone_makes_an_acknowledgement(headers, subject, body):
    assert is_automatic_acknowledgement(headers, subject, body)
    assert len(acknowledgement_reasons(headers, subject, body)) == 1


@pytest.mark.parametrize(
    ("headers", "subject", "body"),
    [
        ({}, "Re: Tarifwechsel", ANSWER),
        ({"Auto-Submitted": "no"}, "Re: Tarifwechsel", ANSWER),
        ({"Auto-Submitted": " No "}, "Re: Tarifwechsel", ANSWER),
        ({"X-Auto-Response-Suppress": "None"}, "Re: Tarifwechsel", ANSWER),
        ({"X-Autoreply": "no"}, "Re: Tarifwechsel", ANSWER),
        ({"Precedence": "list"}, "Re: Tarifwechsel", ANSWER),
        ({}, "Re: Automobilclub", ANSWER),
        ({}, "Re: Tarifwechsel", "Ihr Ticket wird bearbeitet. Danke für Ihre Geduld."),
        # an answer quoting the earlier acknowledgement is still an answer
        ({}, "Re: Tarifwechsel", ANSWER + "\n> wir haben Ihre Nachricht erhalten\n"),
        (
            {},
            "Re: Tarifwechsel",
            ANSWER + "\n-----Ursprüngliche Nachricht-----\nIhre Anfrage ist bei uns eingegangen.",
        ),
        (
            {},
            "Re: Tarifwechsel",
            ANSWER + "\nOn Mon, 2 Mar 2026 Service wrote:\nwe have received your message",
        ),
    ],
)
def test_answers_are_not_acknowledgements(headers, subject, body):
    assert not is_automatic_acknowledgement(headers, subject, body)


@pytest.mark.parametrize(
    ("subject", "normal"),
    [
        ("Tarifwechsel", "tarifwechsel"),
        ("Re: Tarifwechsel", "tarifwechsel"),
        ("RE: AW: wg: Fwd: Tarifwechsel", "tarifwechsel"),
        ("AW:Tarifwechsel", "tarifwechsel"),
        ("Re[2]: Fw: Tarifwechsel", "tarifwechsel"),
        ("[Ticket#4711] Re: Tarifwechsel", "tarifwechsel"),
        ("Automatische Antwort: Tarifwechsel", "tarifwechsel"),
        ("  Re:   Ökostrom   Tarif ", "ökostrom tarif"),
        ("Reise: Anfrage", "reise: anfrage"),
        ("Tarifwechsel: Re: Frage", "tarifwechsel: re: frage"),
    ],
)
def test_subjects_are_compared_without_reply_prefixes(subject, normal):
    assert normalize_subject(subject) == normal


def test_internaldate_is_read_as_utc():
    line = b'3 (UID 17 INTERNALDATE " 2-Mar-2026 12:30:05 +0100")'
    assert parse_internaldate(line) == dt.datetime(2026, 3, 2, 11, 30, 5, tzinfo=UTC)
    assert parse_internaldate(b"3 (UID 17)") is None


def test_incoming_mail_parsing():
    raw = build_mail(
        date=dt.datetime(2026, 3, 2, 12, 0, tzinfo=CET),
        in_reply_to="<a@qcrm.test>",
        references="<x@qcrm.test> <a@qcrm.test>",
        headers={"Cc": "Other <other@mail.example>"},
    )
    mail = IncomingMail.from_bytes(raw, now=NOW)
    assert mail.received_at == dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # the Date header
    assert mail.in_reply_to == ("<a@qcrm.test>",)
    assert mail.references == ("<x@qcrm.test>", "<a@qcrm.test>")
    assert set(mail.recipients) == {PERSONA, "other@mail.example"}
    assert mail.sender == "service@aue.example"
    assert not mail.is_report
    # without a Message-ID a mail gets one from its content: the same each time it is read
    bare = build_mail(message_id=None, date=None)
    first, again = (IncomingMail.from_bytes(bare, now=NOW) for _ in range(2))
    assert first.message_id == again.message_id and first.message_id.startswith("<")
    assert first.received_at == NOW


def test_html_only_mails_give_text_and_bounces_are_recognised():
    message = EmailMessage()
    message["From"] = "service@aue.example"
    message["Subject"] = "Re: Tarifwechsel"
    message.set_content("<p>Guten Tag,</p><p>online &amp; schnell.</p><style>p{}</style>", "html")
    mail = IncomingMail.from_bytes(bytes(message), now=NOW)
    assert mail.body_text == "Guten Tag,\nonline & schnell."
    assert html_to_text("<b>a</b><br>b") == "a\nb"
    bounce = build_mail(sender="MAILER-DAEMON@mx.aue.example", subject="Undelivered Mail")
    assert IncomingMail.from_bytes(bounce, now=NOW).is_report


# Test data ------------------------------------------------------------------------------------


def build_mail(
    *,
    subject: str = "Re: Tarifwechsel",
    sender: str = "Kundenservice Aue <service@aue.example>",
    to: str = f"Jana Berger <{PERSONA}>",
    body: str = ANSWER,
    message_id: str | None = "<reply-1@aue.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    date: dt.datetime | None = SENT_AT + dt.timedelta(hours=1),
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if date:
        message["Date"] = format_datetime(date)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


def send(
    app,
    inquiry_id: int,
    *,
    number: int = 1,
    sent_at: dt.datetime = SENT_AT,
    timeout_hours: float = 72,
    status: InquiryStatus = InquiryStatus.SENT,
) -> str:
    """Mark the inquiry sent and add a sent attempt; returns the attempt's Message-ID."""
    message_id = f"<inquiry-{inquiry_id}-attempt-{number}@qcrm.test>"
    with app.app_context():
        inquiry = db.session.get_one(Inquiry, inquiry_id)
        inquiry.status = status
        inquiry.wave.answer_timeouts = {**inquiry.wave.answer_timeouts, "email": timeout_hours}
        db.session.add(
            InquiryAttempt(
                inquiry_id=inquiry_id,
                number=number,
                due_at=sent_at,
                sent_at=sent_at,
                message_id=message_id,
                state=AttemptState.SENT,
                automatic=True,
            )
        )
        db.session.commit()
    return message_id


def inquiry_state(app, inquiry_id: int) -> tuple[InquiryStatus, dt.datetime | None, int | None]:
    with app.app_context():
        inquiry = db.session.get_one(Inquiry, inquiry_id)
        state = (inquiry.status, inquiry.first_answer_at, inquiry.answered_attempt)
        db.session.rollback()
    return state


def replies(app) -> list[InquiryReply]:
    with app.app_context():
        rows = db.session.scalars(select(InquiryReply).order_by(InquiryReply.received_at)).all()
        db.session.expunge_all()
        db.session.rollback()
    return list(rows)


# The mailbox ----------------------------------------------------------------------------------


@pytest.fixture
def audit_mailbox(app, imap_server) -> ImapServer:  # noqa: F811
    """An empty mailbox of its own on the dovecot server, configured as the audit mailbox."""
    server = imap_server.fresh_user()
    app.config.update(
        AUDIT_IMAP_HOST=server.host,
        AUDIT_IMAP_PORT=server.port,
        AUDIT_IMAP_SSL=False,
        AUDIT_IMAP_USER=server.user,
        AUDIT_IMAP_PASSWORD=server.password,
        AUDIT_IMAP_FOLDER="INBOX",
    )
    return server


def deliver(server: ImapServer, raw: bytes, internal_date: dt.datetime, flags=()) -> None:
    """Put a mail into the mailbox with IMAP APPEND, at the given INTERNALDATE."""
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        box.append(raw, "INBOX", internal_date, list(flags))


def flags(server: ImapServer) -> list[tuple[str, ...]]:
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        return [message.flags for message in box.fetch(mark_seen=False, headers_only=True)]


def fetch(app, now: dt.datetime = NOW) -> int:
    with app.app_context():
        return fetch_replies(app.config, now)


def test_a_reply_naming_the_attempt_answers_the_inquiry_at_its_internaldate(
    app, world, audit_mailbox
):
    attempt_id = send(app, world.inquiry_a.id)
    received = dt.datetime(2026, 3, 2, 12, 30, tzinfo=CET)  # 11:30 UTC; the Date header says 11:00
    deliver(audit_mailbox, build_mail(in_reply_to=attempt_id), received)

    assert fetch(app) == 1

    status, first_answer_at, attempt = inquiry_state(app, world.inquiry_a.id)
    assert status is InquiryStatus.ANSWERED
    assert first_answer_at == dt.datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    assert attempt == 1
    (reply,) = replies(app)
    assert reply.inquiry_id == world.inquiry_a.id
    assert reply.received_at == first_answer_at
    assert (reply.sender, reply.subject) == ("service@aue.example", "Re: Tarifwechsel")
    assert reply.body_text.startswith("Guten Tag Frau Berger")
    assert reply.message_id == "<reply-1@aue.example>"
    assert (reply.is_auto_acknowledgement, reply.is_late, reply.source) == (False, False, "mailbox")
    assert flags(audit_mailbox) == [("\\Seen",)]


def test_an_acknowledgement_is_kept_but_only_the_later_answer_counts(app, world, audit_mailbox):
    attempt_id = send(app, world.inquiry_a.id)
    acknowledgement = build_mail(
        subject="Automatische Antwort: Tarifwechsel",
        body="Vielen Dank, wir haben Ihre Nachricht erhalten.",
        message_id="<ack@aue.example>",
        in_reply_to=attempt_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    deliver(audit_mailbox, acknowledgement, SENT_AT + dt.timedelta(minutes=1))
    assert fetch(app) == 1
    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.SENT, None, None)

    answer_at = SENT_AT + dt.timedelta(hours=4)
    deliver(audit_mailbox, build_mail(in_reply_to=attempt_id), answer_at)
    assert fetch(app) == 1

    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.ANSWERED, answer_at, 1)
    assert [r.is_auto_acknowledgement for r in replies(app)] == [True, False]


def test_without_references_a_reply_is_matched_by_subject_and_sender_domain(
    app, world, audit_mailbox
):
    send(app, world.inquiry_a.id, sent_at=SENT_AT)
    send(app, world.inquiry_other.id, sent_at=SENT_AT + dt.timedelta(hours=1))
    # another person at the company answers, forwarded once, prefixes in German
    early = build_mail(
        subject="AW: WG: tarifwechsel",
        sender="m.mueller@aue.example",
        message_id="<early@aue.example>",
    )
    late = build_mail(subject="Re: Tarifwechsel", message_id="<late@aue.example>")
    deliver(audit_mailbox, early, SENT_AT + dt.timedelta(minutes=30))
    deliver(audit_mailbox, late, SENT_AT + dt.timedelta(hours=2))

    assert fetch(app) == 2

    # before the second inquiry was sent only the first one can have been answered; afterwards
    # the most recently sent one is taken
    by_message = {reply.message_id: reply.inquiry_id for reply in replies(app)}
    assert by_message == {
        "<early@aue.example>": world.inquiry_a.id,
        "<late@aue.example>": world.inquiry_other.id,
    }
    assert inquiry_state(app, world.inquiry_a.id)[0] is InquiryStatus.ANSWERED
    assert inquiry_state(app, world.inquiry_other.id)[0] is InquiryStatus.ANSWERED


def test_unrelated_mail_is_not_stored_but_logged_and_flagged_seen(
    app, world, audit_mailbox, caplog
):
    send(app, world.inquiry_a.id)
    caplog.set_level(logging.INFO, logger="audits.mystery.replies")
    newsletter = build_mail(
        subject="Unser Newsletter im März", sender="news@shop.example", message_id="<n@shop>"
    )
    other_company = build_mail(sender="service@nord.example", message_id="<o@nord.example>")
    for raw in (newsletter, other_company):
        deliver(audit_mailbox, raw, SENT_AT + dt.timedelta(hours=1))

    assert fetch(app) == 0

    assert replies(app) == []
    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.SENT, None, None)
    assert flags(audit_mailbox) == [("\\Seen",), ("\\Seen",)]
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("news@shop.example" in m and "Unser Newsletter im März" in m for m in logged)
    assert any("service@nord.example" in m and "Re: Tarifwechsel" in m for m in logged)


def test_the_same_mail_read_twice_is_stored_once(app, world, audit_mailbox):
    attempt_id = send(app, world.inquiry_a.id)
    raw = build_mail(in_reply_to=attempt_id)
    received = SENT_AT + dt.timedelta(hours=1)
    deliver(audit_mailbox, raw, received)
    deliver(audit_mailbox, raw, received)  # delivered twice (e.g. to two aliases)

    assert fetch(app) == 1
    # a crash after the commit but before the \Seen flag: the mail is read again
    with MailBoxUnencrypted(audit_mailbox.host, audit_mailbox.port).login(
        audit_mailbox.user, audit_mailbox.password
    ) as box:
        box.client.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
    assert fetch(app) == 0

    assert len(replies(app)) == 1
    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.ANSWERED, received, 1)
    assert flags(audit_mailbox) == [("\\Seen",), ("\\Seen",)]


def test_an_answer_after_the_timeout_is_late_and_does_not_answer(app, world, audit_mailbox):
    attempt_id = send(app, world.inquiry_a.id, timeout_hours=24)
    deliver(audit_mailbox, build_mail(in_reply_to=attempt_id), SENT_AT + dt.timedelta(hours=25))

    assert fetch(app) == 1

    (reply,) = replies(app)
    assert reply.is_late and not reply.is_auto_acknowledgement
    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.SENT, None, None)


def test_an_answer_to_the_second_attempt(app, world, audit_mailbox):
    send(app, world.inquiry_a.id, number=1)
    second_sent = SENT_AT + dt.timedelta(days=3)
    first_id = f"<inquiry-{world.inquiry_a.id}-attempt-1@qcrm.test>"
    second_id = send(app, world.inquiry_a.id, number=2, sent_at=second_sent)
    answer_at = second_sent + dt.timedelta(hours=2)
    deliver(
        audit_mailbox,
        build_mail(in_reply_to=second_id, references=f"{first_id} {second_id}"),
        answer_at,
    )

    assert fetch(app) == 1

    assert inquiry_state(app, world.inquiry_a.id) == (InquiryStatus.ANSWERED, answer_at, 2)


def test_mails_already_seen_are_left_alone(app, world, audit_mailbox):
    attempt_id = send(app, world.inquiry_a.id)
    deliver(audit_mailbox, build_mail(in_reply_to=attempt_id), SENT_AT, flags=["\\Seen"])
    assert fetch(app) == 0
    assert replies(app) == []


def test_without_a_mailbox_nothing_is_read(app):
    app.config["AUDIT_IMAP_HOST"] = None
    assert fetch(app) == 0


def test_connection_and_login_errors_reach_the_caller(app, audit_mailbox):
    app.config["AUDIT_IMAP_PASSWORD"] = "wrong"
    with pytest.raises(MailboxLoginError):
        fetch(app)
    app.config["AUDIT_IMAP_PORT"] = free_port()  # nobody listens there
    with pytest.raises(ConnectionRefusedError):
        fetch(app)


# Matching and recording in the database -------------------------------------------------------


def incoming(**fields) -> IncomingMail:
    values = {
        "sender": "service@aue.example",
        "subject": "Re: Tarifwechsel",
        "body_text": ANSWER,
        "message_id": "<r@aue.example>",
        "received_at": SENT_AT + dt.timedelta(hours=1),
        "recipients": (PERSONA,),
    }
    values.update(fields)
    return IncomingMail(**values)


def record(session: Session, inquiry, attempt, mail: IncomingMail) -> InquiryReply | None:
    return record_reply(
        session,
        inquiry,
        attempt,
        received_at=mail.received_at,
        sender=mail.sender,
        subject=mail.subject,
        body_text=mail.body_text,
        message_id=mail.message_id,
        headers=mail.headers,
    )


def test_references_are_searched_newest_first_and_only_sent_attempts_count(app, world):
    first = send(app, world.inquiry_a.id, number=1)
    second = send(app, world.inquiry_a.id, number=2, sent_at=SENT_AT + dt.timedelta(days=1))
    with app.app_context():
        session = db.session
        _, attempt = match_reply(session, incoming(references=(first, second)))
        assert attempt.number == 2
        _, attempt = match_reply(session, incoming(in_reply_to=(first,), references=(second,)))
        assert attempt.number == 1
        # brackets lost on the way still match
        _, attempt = match_reply(session, incoming(in_reply_to=(first.strip("<>"),)))
        assert attempt.number == 1
        session.execute(
            InquiryAttempt.__table__.update().values(sent_at=None, state=AttemptState.SENDING)
        )
        assert match_reply(session, incoming(in_reply_to=(first,), subject="x")) is None
        session.rollback()


def test_subject_matching_prefers_the_persona_the_reply_went_to(app, world):
    send(app, world.inquiry_a.id)
    send(app, world.inquiry_other.id, sent_at=SENT_AT + dt.timedelta(minutes=5))
    with app.app_context():
        # both inquiries use the same persona: the one sent last wins
        matched, _ = match_reply(db.session, incoming(recipients=(PERSONA,)))
        assert matched.id == world.inquiry_other.id
        db.session.rollback()
    with app.app_context():
        from audits.mystery.models import Persona

        stranger = Persona(display_name="Max", email="max@mail.example")
        other = db.session.get_one(Inquiry, world.inquiry_other.id)
        other.persona = stranger
        db.session.flush()
        matched, _ = match_reply(db.session, incoming(recipients=(PERSONA,)))
        assert matched.id == world.inquiry_a.id
        assert inquiry_subject(matched) == "Tarifwechsel"
        # a subdomain of the channel's domain is the company too; a look-alike domain is not
        assert match_reply(db.session, incoming(sender="agent@tickets.aue.example")) is not None
        assert match_reply(db.session, incoming(sender="agent@blaue.example")) is None
        db.session.rollback()


def test_record_reply_is_idempotent_and_a_stale_process_cannot_move_the_first_answer(app, world):
    send(app, world.inquiry_a.id)
    with app.app_context(), Session(db.engine, expire_on_commit=False) as stale:
        # process 1 reads the inquiry while it is still unanswered ...
        inquiry = stale.get_one(Inquiry, world.inquiry_a.id)
        attempt = inquiry.attempts[0]
        _ = (inquiry.wave.answer_timeouts, inquiry.channel.type)
        stale.commit()
        # ... process 2 records an answer received at 11:00 ...
        with Session(db.engine) as other:
            fresh = other.get_one(Inquiry, world.inquiry_a.id)
            assert record(other, fresh, fresh.attempts[0], incoming()) is not None
            other.commit()
        # ... and process 1 the same mail again, then a later answer
        assert record(stale, inquiry, attempt, incoming()) is None
        later = incoming(message_id="<later@aue.example>", received_at=SENT_AT.replace(hour=12))
        assert record(stale, inquiry, attempt, later) is not None
        stale.commit()
        assert inquiry.first_answer_at == SENT_AT.replace(hour=11)
        # an earlier answer read last is still the first answer
        earlier = incoming(
            message_id="<earlier@aue.example>", received_at=SENT_AT.replace(minute=5)
        )
        record(stale, inquiry, attempt, earlier)
        stale.commit()
        assert inquiry.first_answer_at == SENT_AT.replace(minute=5)
        assert stale.scalar(select(func.count(InquiryReply.id))) == 3
        stale.rollback()


def test_an_answer_in_time_read_late_corrects_an_unanswered_inquiry(app, world):
    """The mailbox was read after the timeout job ran: the answer did arrive in time."""
    send(app, world.inquiry_a.id, status=InquiryStatus.UNANSWERED)
    with app.app_context():
        inquiry = db.session.get_one(Inquiry, world.inquiry_a.id)
        reply = record(db.session, inquiry, inquiry.attempts[0], incoming())
        db.session.commit()
        assert not reply.is_late
        assert inquiry.status is InquiryStatus.ANSWERED
        assert inquiry.first_answer_at == reply.received_at


def test_a_late_answer_leaves_an_unanswered_inquiry_unanswered(app, world):
    send(app, world.inquiry_a.id, status=InquiryStatus.UNANSWERED, timeout_hours=2)
    with app.app_context():
        inquiry = db.session.get_one(Inquiry, world.inquiry_a.id)
        late = incoming(received_at=SENT_AT + dt.timedelta(hours=3))
        reply = record(db.session, inquiry, inquiry.attempts[0], late)
        db.session.commit()
        assert reply.is_late
        assert (inquiry.status, inquiry.first_answer_at) == (InquiryStatus.UNANSWERED, None)


def test_the_answer_timeout_comes_from_the_wave_and_the_channel_type(app, world):
    send(app, world.inquiry_a.id, timeout_hours=2)
    with app.app_context():
        inquiry = db.session.get_one(Inquiry, world.inquiry_a.id)
        attempt = inquiry.attempts[0]
        on_time = record(
            db.session, inquiry, attempt, incoming(received_at=SENT_AT.replace(hour=12))
        )
        assert not on_time.is_late
        late = incoming(
            message_id="<2@aue.example>", received_at=SENT_AT.replace(hour=12, second=1)
        )
        assert record(db.session, inquiry, attempt, late).is_late
        # no timeout for the channel type: the scheduler's fallback of 72 hours
        db.session.get_one(Wave, world.wave_a.id).answer_timeouts = {}
        after_three_days = incoming(
            message_id="<3@aue.example>", received_at=SENT_AT + dt.timedelta(hours=72)
        )
        assert not record(db.session, inquiry, attempt, after_three_days).is_late
        db.session.rollback()
