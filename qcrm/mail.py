"""The one mail service: every mail goes through the outbox, sent after its transaction commits.

``queue_mail`` writes an ``OutboxMail`` row in the caller's transaction. When that transaction
commits, the rows it wrote are sent at once; a failed send stays in the outbox and
``deliver_due`` (run by the scheduler, or ``flask qcrm outbox send``) retries it with back-off.
Each send first claims its row with a conditional update, so two processes never send one mail.

A mail is SENT only once an SMTP server accepted it. A permanent refusal of the recipient (a 5xx
reply to RCPT TO) makes it BOUNCED, never retried; every other error (no server, no
connection, a temporary refusal) leaves it FAILED and retried. A feature that needs to know how
its mails fared gives them a ``purpose`` and registers a handler for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import MailStatus, OutboxMail

log = logging.getLogger(__name__)
_PENDING_KEY = "qcrm_outbox_pending"
#: Waiting times before the 2nd, 3rd, … attempt; after the last one a mail stays failed.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=8),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: How long a claimed mail belongs to its sender before another process may take it over.
SENDING_LEASE = dt.timedelta(minutes=5)
_HANDLERS_KEY = "qcrm_mail_outcome_handlers"
#: Called with the outbox's session and the mail once its status is SENT, FAILED or BOUNCED.
OutcomeHandler = Callable[[Session, OutboxMail], None]


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail, e.g. a report's PDF."""

    filename: str
    content_type: str
    content: bytes


def queue_mail(
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: Attachment | None = None,
    purpose: str | None = None,
    send_after_commit: bool = True,
) -> OutboxMail:
    """Write a mail into the outbox in the current transaction; it is sent after commit.

    With ``send_after_commit=False`` the outbox job sends it on its next run instead: for a
    request whose response time must not depend on whether a mail was sent (password reset).
    The handler registered for ``purpose`` (if any) hears each outcome of sending it.
    """
    sender_domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip(">")
    mail = OutboxMail(
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        attachment_name=attachment.filename if attachment else None,
        attachment_type=attachment.content_type if attachment else None,
        attachment=attachment.content if attachment else None,
        message_id=make_msgid(domain=sender_domain or "localhost"),
        purpose=purpose,
        status=MailStatus.QUEUED,
        next_attempt_at=utcnow(),
    )
    db.session.add(mail)
    db.session.flush()
    if send_after_commit:
        db.session.info.setdefault(_PENDING_KEY, []).append(mail.id)
    return mail


def register_outcome_handler(app: Flask, purpose: str, handler: OutcomeHandler) -> None:
    """Have ``handler`` hear how each mail of ``purpose`` fared; feature packages call this
    from their ``init_app``.

    It runs in the outbox's own session, inside the transaction that records the mail's new
    status, so the two are committed together. A failing handler is logged; the mail's status
    is kept all the same.
    """
    app.extensions.setdefault(_HANDLERS_KEY, {})[purpose] = handler


@dataclass(frozen=True)
class MailReport:
    """Where one mail stands, so a page says "sent" only of a mail a server accepted."""

    status: MailStatus
    #: Why it failed or bounced.
    error: str | None
    #: A failed mail the outbox will try again.
    retrying: bool


def mail_report(mail_id: int) -> MailReport:
    """Read where the mail stands now (after its transaction committed, it was tried once)."""
    status, error, attempts = db.session.execute(
        select(OutboxMail.status, OutboxMail.last_error, OutboxMail.attempts).where(
            OutboxMail.id == mail_id
        )
    ).one()
    return MailReport(status, error, status is MailStatus.FAILED and attempts < MAX_ATTEMPTS)


@event.listens_for(db.session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """Send the mails of a committed transaction, but only once the OUTER one committed.

    SQLAlchemy fires ``after_commit`` for a released SAVEPOINT too (``begin_nested``); sending
    then would read rows the outer transaction has not committed, and on SQLite wait for that
    transaction's own write lock. The commit has happened when this runs, so a failure to send
    now is only logged: the rows stay in the outbox and ``deliver_due`` sends them.
    """
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    try:
        deliver(pending)
    except Exception:
        log.exception("mails %s not sent after commit; the outbox job retries them", pending)


@event.listens_for(db.session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back outer transaction leaves no mails to send.

    A savepoint's end changes nothing: the ids of mails it rolled back no longer exist, and
    claiming them in ``deliver`` simply finds no row.
    """
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def deliver(mail_ids: list[int]) -> int:
    """Send the given outbox mails now (each claimed first); returns how many were sent."""
    sent = 0
    with Session(db.engine) as session:
        for mail_id in mail_ids:
            sent += _deliver_one(session, mail_id)
    return sent


def _claimable(now: dt.datetime):
    """Queued or failed mails, and mails whose sender died mid-send (their lease ran out)."""
    return or_(
        OutboxMail.status.in_([MailStatus.QUEUED, MailStatus.FAILED]),
        (OutboxMail.status == MailStatus.SENDING) & (OutboxMail.next_attempt_at <= now),
    )


def deliver_due(now: dt.datetime | None = None) -> int:
    """Send every queued or failed mail whose next attempt is due; the scheduler's retry job.

    It works in its own session: call it with no transaction of the caller's open (on SQLite an
    open transaction holds the write lock).
    """
    now = now or utcnow()
    with Session(db.engine) as session:
        due = session.scalars(
            select(OutboxMail.id)
            .where(
                _claimable(now),
                OutboxMail.attempts < MAX_ATTEMPTS,
                or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now),
            )
            .order_by(OutboxMail.id)
        ).all()
        session.rollback()
        return sum(_deliver_logged(session, mail_id, now) for mail_id in due)


def _deliver_logged(session: Session, mail_id: int, now: dt.datetime) -> int:
    """``_deliver_one``, naming the mail in the log when it raises (the outbox run then stops
    and the scheduler logs the traceback)."""
    try:
        return _deliver_one(session, mail_id, now)
    except Exception as error:
        log.error(
            "mail %s stopped the outbox run: %s: %s",
            mail_id,
            type(error).__name__,
            error,
            extra={"mail_id": mail_id},
        )
        raise


def _context(mail: OutboxMail) -> dict[str, object]:
    """The log context of an outbox mail's failure."""
    return {"mail_id": mail.id, "purpose": mail.purpose}


def _deliver_one(session: Session, mail_id: int, now: dt.datetime | None = None) -> int:
    """Claim the mail under a lease, send it, record the outcome.

    A sender that dies after claiming leaves the row in SENDING; once the lease has run out it
    is claimed again and re-sent with the same Message-ID, so receivers see one message.
    """
    now = now or utcnow()
    claimed = session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, _claimable(now))
        .values(
            status=MailStatus.SENDING,
            attempts=OutboxMail.attempts + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
    ).rowcount
    session.commit()
    if not claimed:
        return 0
    mail = session.get_one(OutboxMail, mail_id)
    try:
        message = build_message(mail)
    except Exception as error:
        # e.g. a header with CR/LF from old data: no retry can build it, so give up at once
        # rather than leave it SENDING and stop the outbox run for the mails after it
        mail.last_error = f"Unbuildable mail: {describe_error(error)}"[:2000]
        mail.status = MailStatus.FAILED
        mail.attempts = max(mail.attempts, MAX_ATTEMPTS)
        mail.next_attempt_at = None
        log.error("mail %s cannot be built: %s", mail.id, mail.last_error, extra=_context(mail))
        _tell_handler(session, mail)
        session.commit()
        return 0
    try:
        _send_smtp(mail, message)
    except (OSError, smtplib.SMTPException, RuntimeError) as error:
        mail.last_error = describe_error(error)[:2000]
        if _refused_for_good(error):
            mail.status = MailStatus.BOUNCED
            mail.next_attempt_at = None
            log.warning("mail %s bounced: %s", mail.id, mail.last_error, extra=_context(mail))
        else:
            mail.status = MailStatus.FAILED
            delay = RETRY_DELAYS[min(mail.attempts - 1, len(RETRY_DELAYS) - 1)]
            mail.next_attempt_at = utcnow() + delay
            log.warning(
                "mail %s to %s failed: %s", mail.id, mail.recipient, error, extra=_context(mail)
            )
        _tell_handler(session, mail)
        session.commit()
        return 0
    mail.status = MailStatus.SENT
    mail.sent_at = utcnow()
    mail.last_error = None
    _tell_handler(session, mail)
    session.commit()
    return 1


def _refused_for_good(error: Exception) -> bool:
    """The server refused the recipient with a permanent (5xx) reply: a bounce."""
    return (
        isinstance(error, smtplib.SMTPRecipientsRefused)
        and bool(error.recipients)
        and all(code >= 500 for code, _message in error.recipients.values())
    )


def describe_error(error: Exception) -> str:
    """The error as pages show it: for SMTP replies the code and text, without the recipient's
    address (the outbox keeps errors after addresses are deleted)."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = sorted({_reply(code, message) for code, message in error.recipients.values()})
        return f"{name}: {'; '.join(replies)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name}: {_reply(error.smtp_code, error.smtp_error)}"
    return f"{name}: {error}"


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


def _tell_handler(session: Session, mail: OutboxMail) -> None:
    handler = current_app.extensions.get(_HANDLERS_KEY, {}).get(mail.purpose)
    if handler is None:
        return
    try:
        with session.begin_nested():
            handler(session, mail)
    except Exception:
        log.exception(
            "the %s handler failed on mail %s (%s)",
            mail.purpose,
            mail.id,
            mail.status,
            extra=_context(mail),
        )


def build_message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    for name, value in (mail.headers or {}).items():
        message[name] = value
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    if mail.attachment is not None:
        content_type = mail.attachment_type or "application/octet-stream"
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(
            mail.attachment, maintype=maintype, subtype=subtype, filename=mail.attachment_name
        )
    return message


def _send_smtp(mail: OutboxMail, message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER") and config.get("QCRM_ENV") == "development":
        log.warning(
            "MAIL_SERVER is not set; mail not sent:\nTo: %s\nSubject: %s\n\n%s",
            mail.recipient,
            mail.subject,
            mail.body_text,
        )
    send_via_smtp(message)


def send_via_smtp(message: EmailMessage, prefix: str = "MAIL") -> None:
    """Hand a message to the SMTP server configured under ``<prefix>_SERVER`` etc.

    The product's own mail uses the MAIL_* settings; test inquiries sent from personas use the
    audit mailbox's AUDIT_SMTP_* settings, falling back to MAIL_* where one is not set.
    """
    config = current_app.config

    def setting(name: str, default: object = None) -> object:
        value = config.get(f"{prefix}_{name}")
        return value if value is not None else config.get(f"MAIL_{name}", default)

    host = setting("SERVER")
    if not host:
        raise RuntimeError(f"{prefix}_SERVER is not configured")
    port, timeout = int(setting("PORT", 25)), float(setting("TIMEOUT", 20))
    if setting("USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if setting("USE_TLS") and not setting("USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if setting("USERNAME"):
            # values from QCRM_* variables are parsed as JSON: a numeric password is a number
            smtp.login(str(setting("USERNAME")), str(setting("PASSWORD") or ""))
        smtp.send_message(message)
