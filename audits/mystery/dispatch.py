"""What the scheduler does with test inquiries, as plain functions of the current time.

The database decides what is due. Every job selects candidate rows, then wins each row with a
conditional UPDATE (or a unique constraint) before acting on it, so that two scheduler processes
never act on the same row twice; every step commits on its own, so a crash loses at most the row
in hand. Each row is worked in its own transaction (``_each``): a row that raises is rolled back,
logged and recorded on its inquiry (the wave page lists it), and the job goes on with the others.
E-mail attempts are sent under a lease: a process that dies mid-send leaves the attempt
"sending"; when the lease has run out another process takes it over and re-sends it with the
same Message-ID, so the mailbox and the reply matching still see one message.

Dispatch states (Inquiry.status): planned → due → sent → answered / unanswered, or cancelled;
not contactable is logged by the tester. The review of a contact log is a separate state.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from audits.mystery.models import (
    AttemptState,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    Wave,
    WaveStatus,
)
from audits.mystery.replies import answer_timeout, inquiry_subject
from qcrm.accounts import external_url
from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.mail import queue_mail, send_via_smtp
from qcrm.models import ChannelType

log = logging.getLogger(__name__)
ACTIVE_WAVES = (WaveStatus.SCHEDULED, WaveStatus.RUNNING)
BATCH = 200
#: The scheduler's names of the jobs on inquiries (also recorded with an inquiry's problem).
DUE_JOB, SEND_JOB, SECOND_ATTEMPTS_JOB, OVERDUE_JOB, UNANSWERED_JOB = (
    "due",
    "send",
    "second attempts",
    "overdue",
    "unanswered",
)


def _config(name: str) -> float:
    return float(current_app.config[name])


def _is_automatic(inquiry: Inquiry) -> bool:
    return inquiry.wave.auto_send_email and inquiry.channel.type is ChannelType.EMAIL


def _each(
    job: str, items: Sequence[tuple[int, int]], now: dt.datetime, work: Callable[[int], int]
) -> int:
    """Run ``work`` on each (row id, inquiry id) in turn and add up what it returns.

    ``work`` ends its own transactions. One bad row must not stop the rest: when it raises, its
    transaction is rolled back, the error is logged and recorded on the inquiry, and the job
    goes on; the next time the same job gets through that inquiry, the record is cleared.
    """
    troubled = _inquiries_with_problems(job, [inquiry_id for _row, inquiry_id in items])
    done = 0
    for row_id, inquiry_id in items:
        try:
            done += work(row_id)
        except Exception as error:
            db.session.rollback()
            wave_id = _wave_id(inquiry_id)
            log.exception(
                "scheduler job %s failed on inquiry %s (wave %s)",
                job,
                inquiry_id,
                wave_id,
                extra={"job": job, "inquiry_id": inquiry_id, "wave_id": wave_id},
            )
            _record_problem(job, inquiry_id, f"{type(error).__name__}: {error}", now)
        else:
            if inquiry_id in troubled:
                _record_problem(job, inquiry_id, None, now)
    return done


def _wave_id(inquiry_id: int) -> int | None:
    """The failed inquiry's wave, for the log line (None when even that cannot be read)."""
    try:
        return db.session.scalar(select(Inquiry.wave_id).where(Inquiry.id == inquiry_id))
    except SQLAlchemyError:
        db.session.rollback()
        return None


def _inquiries_with_problems(job: str, inquiry_ids: list[int]) -> set[int]:
    """Which of the inquiries carry a problem of this job (so success needs to clear it)."""
    found: set[int] = set()
    for start in range(0, len(inquiry_ids), 1000):
        found.update(
            db.session.scalars(
                select(Inquiry.id).where(
                    Inquiry.id.in_(inquiry_ids[start : start + 1000]),
                    Inquiry.dispatch_problem_job == job,
                )
            )
        )
    db.session.rollback()  # hold no transaction (on SQLite: the write lock) between rows
    return found


def _record_problem(job: str, inquiry_id: int, message: str | None, now: dt.datetime) -> None:
    """Record (or with ``message`` None clear) the job's problem on the inquiry."""
    values = (
        {
            "dispatch_problem": message[:2000],
            "dispatch_problem_job": job,
            "dispatch_problem_at": now,
        }
        if message is not None
        else {"dispatch_problem": None, "dispatch_problem_job": None, "dispatch_problem_at": None}
    )
    clearing = [] if message is not None else [Inquiry.dispatch_problem_job == job]
    try:
        db.session.execute(
            update(Inquiry).where(Inquiry.id == inquiry_id, *clearing).values(values)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception(
            "could not record the %s problem of inquiry %s",
            job,
            inquiry_id,
            extra={"job": job, "inquiry_id": inquiry_id},
        )


def start_and_close_waves(now: dt.datetime) -> int:
    """Start scheduled waves whose period began; close running ones that are over and settled."""
    today = now.date()
    changed = db.session.execute(
        update(Wave)
        .where(Wave.status == WaveStatus.SCHEDULED, Wave.period_start <= today)
        .values(status=WaveStatus.RUNNING)
    ).rowcount
    open_inquiry = exists().where(
        Inquiry.wave_id == Wave.id,
        Inquiry.status.in_([InquiryStatus.PLANNED, InquiryStatus.DUE, InquiryStatus.SENT]),
    )
    changed += db.session.execute(
        update(Wave)
        .where(Wave.status == WaveStatus.RUNNING, Wave.period_end < today, ~open_inquiry)
        .values(status=WaveStatus.CLOSED, closed_at=now)
    ).rowcount
    db.session.commit()
    return changed


def make_inquiries_due(now: dt.datetime) -> int:
    """Planned inquiries whose time is near become due: a first attempt is created and the
    tester notified (or, for e-mails the wave sends itself, the attempt is queued for sending)."""
    lead = dt.timedelta(minutes=_config("SCHEDULER_DUE_LEAD_MINUTES"))
    candidates = db.session.scalars(
        select(Inquiry.id)
        .join(Wave, Inquiry.wave_id == Wave.id)
        .where(
            Inquiry.status == InquiryStatus.PLANNED,
            Inquiry.planned_at <= now + lead,
            Wave.status.in_(ACTIVE_WAVES),
        )
        .order_by(Inquiry.planned_at)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    return _each(DUE_JOB, [(i, i) for i in candidates], now, lambda i: _make_due(i, now))


def _make_due(inquiry_id: int, now: dt.datetime) -> int:
    won = db.session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry_id, Inquiry.status == InquiryStatus.PLANNED)
        .values(status=InquiryStatus.DUE, notified_at=now)
    ).rowcount
    if not won:
        db.session.rollback()
        return 0
    inquiry = db.session.get_one(Inquiry, inquiry_id)
    automatic = _is_automatic(inquiry)
    db.session.add(
        InquiryAttempt(
            inquiry_id=inquiry.id, number=1, due_at=inquiry.planned_at, automatic=automatic
        )
    )
    if not automatic:
        _notify_tester(inquiry, attempt_number=1)
    db.session.commit()
    return 1


def _notify_tester(inquiry: Inquiry, attempt_number: int) -> None:
    tester = inquiry.tester
    if tester is None or not tester.active:
        return
    with force_locale(tester.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = (
            _("Test inquiry due: %(scenario)s", scenario=inquiry.scenario.title)
            if attempt_number == 1
            else _("Second attempt due: %(scenario)s", scenario=inquiry.scenario.title)
        )
        queue_mail(
            tester.email,
            subject,
            render_template(
                "mail/inquiry_due.txt",
                inquiry=inquiry,
                tester=tester,
                attempt_number=attempt_number,
                link=external_url("audits.my_inquiries"),
            ),
        )


def send_automatic_attempts(now: dt.datetime, worker: str) -> int:
    """Send due e-mail attempts from the persona's address, each claimed under a lease."""
    lease = dt.timedelta(seconds=_config("SCHEDULER_LEASE_SECONDS"))
    claimable = or_(
        and_(InquiryAttempt.state == AttemptState.PENDING, InquiryAttempt.due_at <= now),
        and_(InquiryAttempt.state == AttemptState.SENDING, InquiryAttempt.lease_until < now),
    )
    candidates = db.session.execute(
        select(InquiryAttempt.id, InquiryAttempt.inquiry_id)
        .where(InquiryAttempt.automatic.is_(True), claimable)
        .order_by(InquiryAttempt.due_at, InquiryAttempt.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()

    def claim_and_send(attempt_id: int) -> int:
        won = db.session.execute(
            update(InquiryAttempt)
            .where(InquiryAttempt.id == attempt_id, claimable)
            .values(
                state=AttemptState.SENDING,
                claimed_by=worker,
                lease_until=now + lease,
                # fixed at the first claim: a re-send after a crash keeps the Message-ID
                message_id=func.coalesce(InquiryAttempt.message_id, _new_message_id()),
                send_count=InquiryAttempt.send_count + 1,
            )
        ).rowcount
        db.session.commit()
        # A row that raises from here on keeps its claim until the lease runs out, then it is
        # taken up again (as after a crash).
        return _send_attempt(attempt_id, worker) if won else 0

    return _each(SEND_JOB, [tuple(row) for row in candidates], now, claim_and_send)


def _new_message_id() -> str:
    sender = current_app.config.get("AUDIT_MAIL_DOMAIN") or "qcrm.invalid"
    return make_msgid(domain=sender)


def _send_attempt(attempt_id: int, worker: str) -> int:
    attempt = db.session.get_one(InquiryAttempt, attempt_id)
    inquiry_id, number = attempt.inquiry_id, attempt.number
    try:
        message = _inquiry_message(attempt.inquiry, attempt)
        # never hold a transaction (on SQLite: the write lock) while talking to a mail server
        db.session.rollback()
        send_via_smtp(message, prefix="AUDIT_SMTP")
    except (OSError, smtplib.SMTPException, RuntimeError) as error:
        db.session.rollback()
        retry = dt.timedelta(seconds=_config("SCHEDULER_RETRY_SECONDS"))
        db.session.execute(
            update(InquiryAttempt)
            .where(InquiryAttempt.id == attempt_id, InquiryAttempt.claimed_by == worker)
            .values(
                state=AttemptState.PENDING,
                due_at=utcnow() + retry,
                lease_until=None,
                claimed_by=None,
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
        )
        db.session.commit()
        log.warning(
            "inquiry %s attempt %s not sent: %s",
            inquiry_id,
            number,
            error,
            extra={"job": SEND_JOB, "inquiry_id": inquiry_id, "attempt": number},
        )
        return 0
    sent_at = utcnow()
    db.session.execute(
        update(InquiryAttempt)
        .where(InquiryAttempt.id == attempt_id, InquiryAttempt.state == AttemptState.SENDING)
        .values(state=AttemptState.SENT, sent_at=sent_at, lease_until=None, last_error=None)
    )
    if number == 1:
        db.session.get_one(Inquiry, inquiry_id).note_first_sending(sent_at)
    db.session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry_id, Inquiry.status == InquiryStatus.DUE)
        .values(status=InquiryStatus.SENT)
    )
    db.session.commit()
    return 1


def _inquiry_message(inquiry: Inquiry, attempt: InquiryAttempt) -> EmailMessage:
    persona = inquiry.persona
    if persona is None or not persona.email:
        raise RuntimeError("the persona has no e-mail address")
    message = EmailMessage()
    message["From"] = formataddr((persona.display_name, persona.email))
    message["To"] = inquiry.channel.address
    message["Subject"] = inquiry_subject(inquiry)
    message["Message-ID"] = attempt.message_id
    message.set_content(inquiry.scenario.script)
    return message


def mark_overdue(now: dt.datetime) -> int:
    """Due inquiries the tester has not logged as sent within the grace period are overdue."""
    grace = dt.timedelta(minutes=_config("SCHEDULER_OVERDUE_GRACE_MINUTES"))
    overdue = (
        Inquiry.status == InquiryStatus.DUE,
        Inquiry.overdue_at.is_(None),
        Inquiry.planned_at <= now - grace,
        ~exists().where(
            InquiryAttempt.inquiry_id == Inquiry.id, InquiryAttempt.automatic.is_(True)
        ),
    )
    candidates = db.session.scalars(
        select(Inquiry.id).where(*overdue).order_by(Inquiry.id).limit(BATCH * 5)
    ).all()
    db.session.rollback()

    def mark(inquiry_id: int) -> int:
        count = db.session.execute(
            update(Inquiry).where(Inquiry.id == inquiry_id, *overdue).values(overdue_at=now)
        ).rowcount
        db.session.commit()
        return count

    return _each(OVERDUE_JOB, [(i, i) for i in candidates], now, mark)


def _sent_without_answer():
    return (
        select(Inquiry.id)
        .join(Wave, Inquiry.wave_id == Wave.id)
        .where(Inquiry.status == InquiryStatus.SENT, Inquiry.first_answer_at.is_(None))
        .order_by(Inquiry.id)
    )


def schedule_second_attempts(now: dt.datetime) -> int:
    """Where the wave says so, an inquiry with no answer X hours after it was sent gets a
    second attempt (a row of the same inquiry; the unique number makes it happen once)."""
    candidates = db.session.scalars(
        _sent_without_answer()
        .where(Wave.second_attempt_after_hours.is_not(None))
        .where(~exists().where(InquiryAttempt.inquiry_id == Inquiry.id, InquiryAttempt.number == 2))
        .limit(BATCH)
    ).all()
    db.session.rollback()
    return _each(
        SECOND_ATTEMPTS_JOB, [(i, i) for i in candidates], now, lambda i: _second_attempt(i, now)
    )


def _second_attempt(inquiry_id: int, now: dt.datetime) -> int:
    inquiry = db.session.get_one(Inquiry, inquiry_id)
    first = inquiry.attempts[0] if inquiry.attempts else None
    if (
        first is None
        or first.sent_at is None
        or first.sent_at + dt.timedelta(hours=inquiry.wave.second_attempt_after_hours) > now
    ):
        db.session.rollback()
        return 0
    db.session.add(
        InquiryAttempt(inquiry_id=inquiry.id, number=2, due_at=now, automatic=first.automatic)
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return 0  # another scheduler created it
    if not first.automatic:
        _notify_tester(inquiry, attempt_number=2)
    db.session.commit()
    return 1


def answer_deadline(inquiry: Inquiry) -> dt.datetime | None:
    """When the inquiry counts as unanswered: the answer timeout after its last sent attempt.

    While a second attempt is planned but not yet sent, there is no deadline yet.
    """
    sent = [a for a in inquiry.attempts if a.sent_at is not None]
    if not sent:
        return None
    if inquiry.wave.second_attempt_after_hours is not None and len(sent) < 2:
        first = sent[0]
        second_due = first.sent_at + dt.timedelta(hours=inquiry.wave.second_attempt_after_hours)
        timeout = answer_timeout(inquiry)
        if second_due < first.sent_at + timeout:
            return None
    return sent[-1].sent_at + answer_timeout(inquiry)


def mark_unanswered(now: dt.datetime) -> int:
    """A sent inquiry without an answer when its deadline passes is unanswered: a result."""
    candidates = db.session.scalars(_sent_without_answer().limit(BATCH * 5)).all()
    db.session.rollback()
    return _each(
        UNANSWERED_JOB, [(i, i) for i in candidates], now, lambda i: _mark_unanswered(i, now)
    )


def _mark_unanswered(inquiry_id: int, now: dt.datetime) -> int:
    deadline = answer_deadline(db.session.get_one(Inquiry, inquiry_id))
    if deadline is None or deadline > now:
        db.session.rollback()
        return 0
    marked = db.session.execute(
        update(Inquiry)
        .where(
            Inquiry.id == inquiry_id,
            Inquiry.status == InquiryStatus.SENT,
            Inquiry.first_answer_at.is_(None),
        )
        .values(status=InquiryStatus.UNANSWERED)
    ).rowcount
    db.session.commit()
    return marked
