"""Personal invitations: who may be invited, taking recipients, mailing, opting out, counting.

Recipients (from a CSV upload or the API) are checked first and stored only when the manager
takes them, all or nothing. The scheduler mails invitations and one reminder: each mail is
queued in the same transaction that wins its invitation with a conditional UPDATE, so two
scheduler processes never mail one address twice. An opt-out suppresses the address for every
later survey of the same client. Addresses can be deleted while the hashes stay, so duplicates
and suppressions are still recognised.

How the mails fared comes from the outbox (``record_mail_outcome``): an invitation is delivered
once a mail server accepted one of its mails, and only delivered invitations are the response
rate's denominator. A failed mail (no server, no connection, a temporary refusal) is not
delivered and is retried; a recipient refused for good is a bounce.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcrm.accounts import external_url
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.mail import MAX_ATTEMPTS, queue_mail
from qcrm.models import Channel, MailStatus, OutboxMail
from surveys.anonymity import SHOWN_EVENT_STATES, mail_problem_shown
from surveys.models import (
    Delivery,
    Invitation,
    InvitationEvent,
    InvitationState,
    Suppression,
    Survey,
)
from surveys.recipients_csv import MAX_ROWS, RecipientRow
from surveys.tokens import email_hash, new_salt, token_for, token_hash

#: Invitations mailed per scheduler run (each one its own small transaction).
BATCH = 500
#: How long the preview of an upload can be taken.
PREVIEW_MAX_AGE = 60 * 60 * 24
_PREVIEW_SALT = "survey-recipients-preview"
#: Codes in InvitationEvent.detail (pages translate them; a bounce's detail is the SMTP error).
DETAIL_CSV, DETAIL_API, DETAIL_SUPPRESSED, DETAIL_OTHER_SURVEY = (
    "csv",
    "api",
    "suppressed",
    "other_survey",
)
#: Invitations that are still waiting for an answer (an opt-out or a bounce ends them).
OPEN_STATES = (InvitationState.PENDING, InvitationState.INVITED, InvitationState.REMINDED)
#: What a sent invitation mail keeps in the outbox: its personal link is a working key, and a
#: copy of the database must not yield one (see surveys/tokens.py).
SCRUBBED_BODY = "[survey invitation: the personal link is not kept after sending]"
#: The outbox purpose of invitation and reminder mails (their outcomes come to
#: ``record_mail_outcome``).
MAIL_PURPOSE = "survey_invitation"


# Checking recipients ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A recipient that may be invited: normalised address, its hash, the channel (if any)."""

    position: int
    email: str
    email_hash: str
    channel_id: int | None


@dataclass(frozen=True)
class BadRow:
    """A recipient that cannot be invited; ``field`` is "email" or "channel"."""

    position: int
    email: str
    field: str
    reason: str


@dataclass(frozen=True)
class RecipientCheck:
    valid: list[Recipient]
    bad: list[BadRow]


def survey_channels(survey: Survey) -> list[Channel]:
    """The channels a recipient may name: the survey's own, or all of its client's if it has
    none (the answers can still be broken down by the channel the customer used)."""
    return list(survey.channels) or [
        channel for channel in survey.client.channels if channel.archived_at is None
    ]


def _channel_lookup(survey: Survey) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for channel in survey_channels(survey):
        lookup[str(channel.id)] = channel.id
        lookup.setdefault(channel.name.strip().lower(), channel.id)
    return lookup


def _hashes_in(column, hashes: list[str], *where) -> set[str]:
    """Which of ``hashes`` occur in ``column`` (queried in chunks: bounded parameter lists)."""
    found: set[str] = set()
    for start in range(0, len(hashes), 1000):
        chunk = hashes[start : start + 1000]
        found.update(db.session.scalars(select(column).where(column.in_(chunk), *where)))
    return found


def check_recipients(
    survey: Survey, rows: Sequence[RecipientRow], indexed: bool = False
) -> RecipientCheck:
    """Sort the rows into those that may be invited and those that may not, with the reason.

    Positions are a file's lines, or with ``indexed`` the indexes of a list (the API's).

    Reasons: no or a malformed address, a channel that is not the survey's, the same address
    earlier in the list, already invited to this survey, opted out of this client's surveys.
    """
    channels = _channel_lookup(survey)
    bad: list[BadRow] = []
    parsed: list[Recipient] = []
    for row in rows:
        if not row.email:
            bad.append(BadRow(row.position, row.email, "email", _("The address is missing.")))
            continue
        try:
            address = validate_email(row.email, check_deliverability=False).normalized
        except EmailNotValidError:
            bad.append(
                BadRow(row.position, row.email, "email", _("This is not a valid e-mail address."))
            )
            continue
        if len(address) > 254:
            bad.append(BadRow(row.position, row.email, "email", _("The address is too long.")))
            continue
        channel_id = None
        if row.channel:
            channel_id = channels.get(row.channel.strip().lower())
            if channel_id is None:
                bad.append(
                    BadRow(
                        row.position,
                        row.email,
                        "channel",
                        _(
                            "“%(channel)s” is not one of this survey's channels.",
                            channel=row.channel,
                        ),
                    )
                )
                continue
        parsed.append(Recipient(row.position, address, email_hash(address), channel_id))

    hashes = [recipient.email_hash for recipient in parsed]
    invited = _hashes_in(Invitation.email_hash, hashes, Invitation.survey_id == survey.id)
    suppressed = _hashes_in(
        Suppression.email_hash, hashes, Suppression.client_id == survey.client_id
    )
    first_seen: dict[str, int] = {}
    valid: list[Recipient] = []
    for recipient in parsed:
        reason = None
        if recipient.email_hash in first_seen:
            reason = (
                _("The address appears already as entry %(n)d.", n=first_seen[recipient.email_hash])
                if indexed
                else _(
                    "The address appears already in line %(n)d.", n=first_seen[recipient.email_hash]
                )
            )
        elif recipient.email_hash in invited:
            reason = _("This address is already invited to this survey.")
        elif recipient.email_hash in suppressed:
            reason = _("This address opted out of the surveys of this client.")
        if reason:
            bad.append(BadRow(recipient.position, recipient.email, "email", reason))
        else:
            first_seen[recipient.email_hash] = recipient.position
            valid.append(recipient)
    bad.sort(key=lambda row: row.position)
    return RecipientCheck(valid=valid, bad=bad)


def check_can_invite(survey: Survey) -> None:
    """A closed survey, or one whose addresses are deleted, takes no more recipients."""
    if survey.closed_at is not None or survey.archived_at is not None:
        raise ServiceError.on("survey", _("The survey is closed; no one can be invited any more."))
    if survey.addresses_deleted_at is not None:
        raise ServiceError.on(
            "survey", _("The addresses of this survey are deleted; no one can be invited.")
        )


class RecipientsRejected(ServiceError):
    """Some recipients cannot be invited; nothing was stored. ``check`` says which and why."""

    def __init__(self, check: RecipientCheck):
        self.check = check
        super().__init__({f"{row.position}.{row.field}": row.reason for row in check.bad})


def add_invitations(
    survey: Survey,
    rows: Sequence[RecipientRow],
    now: dt.datetime,
    detail: str = "",
    indexed: bool = False,
) -> int:
    """Store a pending invitation for every row, in one transaction: all rows or none.

    The rows are checked again (time may have passed since a preview); any bad row raises
    ``RecipientsRejected`` and nothing is stored.
    """
    check_can_invite(survey)
    if not rows:
        raise ServiceError.on("recipients", _("There is no one to invite."))
    if len(rows) > MAX_ROWS:
        raise ServiceError.on(
            "recipients", _("At most %(max)d recipients can be added at once.", max=MAX_ROWS)
        )
    check = check_recipients(survey, rows, indexed)
    if check.bad:
        raise RecipientsRejected(check)
    values = []
    for recipient in check.valid:
        salt = new_salt()
        values.append(
            {
                "survey_id": survey.id,
                "email": recipient.email,
                "email_hash": recipient.email_hash,
                "token_salt": salt,
                "token_hash": token_hash(token_for(salt)),
                "channel_id": recipient.channel_id,
                "state": InvitationState.PENDING,
                "send_count": 0,
                "created_at": now,
            }
        )
    try:
        # bulk INSERTs: thousands of rows in well under a second
        ids = db.session.scalars(
            insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True), values
        ).all()
    except IntegrityError as error:
        db.session.rollback()
        raise ServiceError.on(
            "recipients",
            _("Some of these addresses were invited meanwhile. Please check the list again."),
        ) from error
    db.session.execute(
        insert(InvitationEvent),
        [
            {
                "invitation_id": invitation_id,
                "state": InvitationState.PENDING,
                "occurred_on": now.date(),
                "detail": detail,
            }
            for invitation_id in ids
        ],
    )
    db.session.commit()
    return len(ids)


# Carrying a preview to the "take" button, without storing anything -------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_PREVIEW_SALT)


def sign_recipients(survey: Survey, recipients: Iterable[Recipient]) -> str:
    """The checked rows as a signed (and compressed) value for a hidden form field."""
    rows = [
        [r.position, r.email, "" if r.channel_id is None else str(r.channel_id)] for r in recipients
    ]
    return _serializer().dumps({"survey": survey.id, "rows": rows})


def unsign_recipients(survey: Survey, value: str) -> list[RecipientRow]:
    """The rows of a preview of this survey; a forged, foreign or stale value is refused."""
    try:
        data = _serializer().loads(value, max_age=PREVIEW_MAX_AGE)
    except SignatureExpired as error:
        raise ServiceError.on(
            "rows", _("The preview is older than a day. Please upload the file again.")
        ) from error
    except (BadSignature, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ServiceError.on(
            "rows", _("The preview could not be read. Please upload the file again.")
        ) from error
    if not isinstance(data, dict) or data.get("survey") != survey.id:
        raise ServiceError.on("rows", _("The preview belongs to another survey."))
    return [
        RecipientRow(int(line), str(email), str(channel)) for line, email, channel in data["rows"]
    ]


# Mailing -----------------------------------------------------------------------------------


def _open_surveys(now: dt.datetime):
    """SQL twin of ``Survey.is_open``."""
    return and_(
        Survey.published_at.is_not(None),
        Survey.closed_at.is_(None),
        Survey.archived_at.is_(None),
        or_(Survey.opens_at.is_(None), Survey.opens_at <= now),
        or_(Survey.closes_at.is_(None), Survey.closes_at > now),
    )


def _event(invitation_id: int, state: InvitationState, now: dt.datetime, detail: str = "") -> None:
    db.session.add(
        InvitationEvent(
            invitation_id=invitation_id, state=state, occurred_on=now.date(), detail=detail
        )
    )


def invitation_links(invitation: Invitation) -> tuple[str, str]:
    """The personal link and the opt-out link, absolute (mails are sent outside requests)."""
    token = token_for(invitation.token_salt)
    return (
        external_url("respond.invitation", token=token),
        external_url("respond.opt_out", token=token),
    )


def _queue_invitation_mail(invitation: Invitation, reminder: bool) -> OutboxMail:
    """The invitation or reminder, in the survey's language, with RFC 8058 one-click opt-out."""
    survey = invitation.survey
    link, opt_out_link = invitation_links(invitation)
    with force_locale(survey.language):
        subject = (
            _("Reminder: %(title)s", title=survey.title)
            if reminder
            else _("Your opinion, please: %(title)s", title=survey.title)
        )
        body = render_template(
            "surveys/mail/invitation.txt",
            survey=survey,
            reminder=reminder,
            link=link,
            opt_out_link=opt_out_link,
        )
    return queue_mail(
        invitation.email or "",
        subject,
        body,
        headers={
            "List-Unsubscribe": f"<{opt_out_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        purpose=MAIL_PURPOSE,
    )


def _suppressed():
    return exists().where(
        Suppression.client_id == Survey.client_id, Suppression.email_hash == Invitation.email_hash
    )


def _mail_one(
    invitation_id: int, expected: InvitationState, new: InvitationState, now: dt.datetime
) -> bool:
    """Win the invitation, queue its mail and record it, in one transaction."""
    stamp = {"invited_at": now} if new is InvitationState.INVITED else {"reminded_at": now}
    won = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.state == expected)
        .values(state=new, send_count=Invitation.send_count + 1, **stamp)
    ).rowcount
    if not won:
        db.session.rollback()
        return False
    invitation = db.session.get_one(Invitation, invitation_id)
    previous_mail_id = invitation.last_mail_id
    mail = _queue_invitation_mail(invitation, reminder=new is InvitationState.REMINDED)
    invitation.last_mail_id = mail.id
    if invitation.delivery is not Delivery.DELIVERED:  # a reminder never undoes a delivery
        invitation.delivery = Delivery.QUEUED
    if previous_mail_id is not None:
        _scrub_mails([previous_mail_id], recipient=True)
    _event(invitation_id, new, now)
    db.session.commit()  # the outbox sends the mail right after this commit
    return True


def _opt_out_suppressed(invitation_id: int, expected: InvitationState, now: dt.datetime) -> None:
    """An address that opted out of another survey of the client is not mailed."""
    won = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.state == expected)
        .values(state=InvitationState.OPTED_OUT)
    ).rowcount
    if won:
        _event(
            invitation_id,
            InvitationState.OPTED_OUT,
            now,
            DETAIL_SUPPRESSED,
        )
    db.session.commit()


def send_invitations(now: dt.datetime) -> int:
    """Mail the pending invitations of open surveys; returns how many were mailed."""
    candidates = db.session.execute(
        select(Invitation.id, _suppressed().label("suppressed"))
        .join(Survey, Invitation.survey_id == Survey.id)
        .where(
            Invitation.state == InvitationState.PENDING,
            Invitation.email.is_not(None),
            _open_surveys(now),
        )
        .order_by(Invitation.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()  # hold no transaction (on SQLite: the write lock) between rows
    sent = 0
    for invitation_id, suppressed in candidates:
        if suppressed:
            _opt_out_suppressed(invitation_id, InvitationState.PENDING, now)
        else:
            sent += _mail_one(invitation_id, InvitationState.PENDING, InvitationState.INVITED, now)
    return sent


def send_reminders(now: dt.datetime) -> int:
    """Remind once those invited at least ``reminder_after_days`` ago who have not answered,
    opted out or bounced, while the survey is open; returns how many were mailed. Only a
    delivered invitation is reminded: one whose mail has not gone out yet is still retried."""
    surveys = db.session.execute(
        select(Survey.id, Survey.reminder_after_days).where(
            Survey.reminder_after_days.is_not(None), _open_surveys(now)
        )
    ).all()
    candidates = []
    for survey_id, days in surveys:
        candidates += db.session.execute(
            select(Invitation.id, _suppressed().label("suppressed"))
            .join(Survey, Invitation.survey_id == Survey.id)
            .where(
                Invitation.survey_id == survey_id,
                Invitation.state == InvitationState.INVITED,
                Invitation.email.is_not(None),
                Invitation.invited_at <= now - dt.timedelta(days=days),
                Invitation.delivery == Delivery.DELIVERED,
            )
            .order_by(Invitation.id)
            .limit(BATCH)
        ).all()
    db.session.rollback()
    sent = 0
    for invitation_id, suppressed in candidates[:BATCH]:
        if suppressed:
            _opt_out_suppressed(invitation_id, InvitationState.INVITED, now)
        else:
            sent += _mail_one(invitation_id, InvitationState.INVITED, InvitationState.REMINDED, now)
    return sent


def _done_with():
    """Mails the outbox will not send again: sent, bounced, or failed after the last retry."""
    return or_(
        OutboxMail.status.in_([MailStatus.SENT, MailStatus.BOUNCED]),
        and_(OutboxMail.status == MailStatus.FAILED, OutboxMail.attempts >= MAX_ATTEMPTS),
    )


def _scrub(mail_ids: Sequence[int], recipient: bool = False):
    """Drop the personal link (and with ``recipient`` the address) from finished mails."""
    values: dict[str, object] = {"body_text": SCRUBBED_BODY, "body_html": None, "headers": {}}
    if recipient:
        values["recipient"] = ""
    return update(OutboxMail).where(OutboxMail.id.in_(mail_ids), _done_with()).values(**values)


def _scrub_mails(mail_ids: Sequence[int], recipient: bool = False) -> int:
    return db.session.execute(_scrub(mail_ids, recipient)).rowcount


def record_mail_outcome(session: Session, mail: OutboxMail) -> None:
    """The outbox's word on an invitation or reminder mail, in its own session and transaction.

    Sent: the invitation is delivered, for good. Failed: it is failed while it was not
    delivered (the outbox retries the mail). Bounced: it is bounced and ends, unless an earlier
    mail was delivered (a reminder's bounce changes nothing). A sent or bounced mail loses its
    personal link at once.
    """
    this_mail = Invitation.last_mail_id == mail.id
    not_delivered = Invitation.delivery.is_distinct_from(Delivery.DELIVERED)
    if mail.status is MailStatus.SENT:
        session.execute(update(Invitation).where(this_mail).values(delivery=Delivery.DELIVERED))
    elif mail.status is MailStatus.FAILED:
        session.execute(
            update(Invitation).where(this_mail, not_delivered).values(delivery=Delivery.FAILED)
        )
    elif mail.status is MailStatus.BOUNCED:
        bounced = session.scalars(
            update(Invitation)
            .where(this_mail, not_delivered)
            .values(delivery=Delivery.BOUNCED)
            .returning(Invitation.id)
        ).all()
        ended = session.scalars(
            update(Invitation)
            .where(
                Invitation.id.in_(bounced),
                Invitation.state.in_([InvitationState.INVITED, InvitationState.REMINDED]),
            )
            .values(state=InvitationState.BOUNCED)
            .returning(Invitation.id)
        ).all()
        for invitation_id in ended:
            session.add(
                InvitationEvent(
                    invitation_id=invitation_id,
                    state=InvitationState.BOUNCED,
                    occurred_on=utcnow().date(),
                    detail=(mail.last_error or "")[:500],
                )
            )
    if mail.status in (MailStatus.SENT, MailStatus.BOUNCED):
        session.execute(_scrub([mail.id]))


def track_mails(now: dt.datetime) -> int:
    """Drop the personal links the outbox still keeps of finished survey mails: those that
    failed after the last retry, and any a failed outcome handler left. Returns how many."""
    mail_ids = db.session.scalars(
        select(OutboxMail.id)
        .where(
            OutboxMail.purpose == MAIL_PURPOSE,
            _done_with(),
            OutboxMail.body_text != SCRUBBED_BODY,
        )
        .limit(BATCH)
    ).all()
    scrubbed = _scrub_mails(mail_ids) if mail_ids else 0
    db.session.commit()
    return scrubbed


# Opting out ------------------------------------------------------------------------------------


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token belongs to (only its hash is stored), or None."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def opt_out(invitation: Invitation, now: dt.datetime) -> None:
    """Stop mails to this address for every survey of the client, now and later.

    An answered invitation stays answered (its response counts); the address is suppressed
    all the same. Opting out twice changes nothing.
    """
    survey = db.session.get_one(Survey, invitation.survey_id)
    client_id, address_hash = survey.client_id, invitation.email_hash
    exists_already = db.session.scalar(
        select(Suppression.id).where(
            Suppression.client_id == client_id, Suppression.email_hash == address_hash
        )
    )
    if exists_already is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    Suppression(client_id=client_id, email_hash=address_hash, created_on=now.date())
                )
        except IntegrityError:
            pass  # a simultaneous opt-out of the same address won; the outcome is the same
    waiting = db.session.scalars(
        select(Invitation.id)
        .join(Survey, Invitation.survey_id == Survey.id)
        .where(
            Survey.client_id == client_id,
            Invitation.email_hash == address_hash,
            Invitation.state.in_([*OPEN_STATES, InvitationState.BOUNCED]),
        )
    ).all()
    for invitation_id in waiting:
        won = db.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.state.in_([*OPEN_STATES, InvitationState.BOUNCED]),
            )
            .values(state=InvitationState.OPTED_OUT)
        ).rowcount
        if won:
            detail = "" if invitation_id == invitation.id else DETAIL_OTHER_SURVEY
            _event(invitation_id, InvitationState.OPTED_OUT, now, detail)
    db.session.commit()


# Addresses and figures -------------------------------------------------------------------------


def delete_addresses(survey: Survey, now: dt.datetime) -> int:
    """Delete the survey's invitation addresses (also from its sent mails); the hashes stay,
    so duplicates and opt-outs are still recognised. Returns how many were deleted."""
    mail_ids = db.session.scalars(
        select(Invitation.last_mail_id).where(
            Invitation.survey_id == survey.id, Invitation.last_mail_id.is_not(None)
        )
    ).all()
    for start in range(0, len(mail_ids), 1000):
        _scrub_mails(mail_ids[start : start + 1000], recipient=True)
    deleted = db.session.execute(
        update(Invitation)
        .where(Invitation.survey_id == survey.id, Invitation.email.is_not(None))
        .values(email=None)
    ).rowcount
    survey.addresses_deleted_at = now
    db.session.commit()
    return deleted


def delivered_invitations(survey_ids: Sequence[int]) -> dict[int, int]:
    """Delivered invitations per survey, in one query: the ``delivered`` of
    :func:`invitation_counts` (the response rate's denominator) for many surveys at once."""
    if not survey_ids:
        return {}
    return dict(
        db.session.execute(
            select(Invitation.survey_id, func.count())
            .where(Invitation.survey_id.in_(survey_ids), Invitation.delivery == Delivery.DELIVERED)
            .group_by(Invitation.survey_id)
        ).all()
    )


def invitation_counts(survey: Survey, channel_id: int | None = None) -> dict[str, int]:
    """The invitations of a survey (or of one of its channels) in figures, in one query: the
    one rule the invitation page, the API and the results count by.

    ``invited``: a mail was queued at least once; of those ``queued`` (not tried yet),
    ``failed`` (not accepted by a mail server; retried), ``delivered`` (accepted: the response
    rate's denominator) and ``bounced`` (the address refused); ``waiting``: delivered, no answer
    or opt-out yet; ``reminded``: reminders queued; the others count invitations in that state.
    """
    query = (
        select(
            Invitation.state,
            Invitation.delivery,
            func.count(),
            func.count(Invitation.reminded_at),
        )
        .where(Invitation.survey_id == survey.id)
        .group_by(Invitation.state, Invitation.delivery)
    )
    if channel_id is not None:
        query = query.where(Invitation.channel_id == channel_id)
    rows = db.session.execute(query).all()

    def count(state: InvitationState | None = None, delivery: Delivery | None = None) -> int:
        return sum(
            n
            for row_state, row_delivery, n, _reminded in rows
            if (state is None or row_state is state)
            and (delivery is None or row_delivery is delivery)
        )

    waiting = count(InvitationState.INVITED, Delivery.DELIVERED) + count(
        InvitationState.REMINDED, Delivery.DELIVERED
    )
    return {
        "total": count(),
        "pending": count(InvitationState.PENDING),
        "invited": sum(n for _state, delivery, n, _reminded in rows if delivery is not None),
        "queued": count(delivery=Delivery.QUEUED),
        "failed": count(delivery=Delivery.FAILED),
        "delivered": count(delivery=Delivery.DELIVERED),
        "bounced": count(delivery=Delivery.BOUNCED),
        "reminded": sum(row[3] for row in rows),
        "waiting": waiting,
        "answered": count(InvitationState.ANSWERED),
        "opted_out": count(InvitationState.OPTED_OUT),
    }


@dataclass(frozen=True)
class DeliveryFailure:
    """Invitations whose mail could not be sent, by the reason the mail server (or its absence)
    gave; ``retrying``: the outbox still tries them, else it gave up after the last retry."""

    reason: str
    count: int
    retrying: bool


def delivery_failures(survey: Survey, channel_id: int | None = None) -> list[DeliveryFailure]:
    """The failed invitations of a survey grouped by reason, the most frequent first."""
    retrying = OutboxMail.attempts < MAX_ATTEMPTS
    query = (
        select(OutboxMail.last_error, retrying, func.count())
        .select_from(Invitation)
        .join(OutboxMail, Invitation.last_mail_id == OutboxMail.id)
        .where(Invitation.survey_id == survey.id, Invitation.delivery == Delivery.FAILED)
        .group_by(OutboxMail.last_error, retrying)
        .order_by(func.count().desc(), OutboxMail.last_error)
    )
    if channel_id is not None:
        query = query.where(Invitation.channel_id == channel_id)
    return [
        DeliveryFailure(reason or "", count, bool(still))
        for reason, still, count in db.session.execute(query)
    ]


def mail_problems(invitations: Sequence[Invitation]) -> dict[int, tuple[MailStatus, str]]:
    """Of some invitations not yet delivered, those whose last mail failed or bounced: (its
    status, its error). A delivered one's problem would be a reminder's, which tells "not
    answered by then" (``surveys.anonymity``)."""
    mail_ids = {
        i.last_mail_id: i.id
        for i in invitations
        if i.last_mail_id is not None and mail_problem_shown(i)
    }
    if not mail_ids:
        return {}
    rows = db.session.execute(
        select(OutboxMail.id, OutboxMail.status, OutboxMail.last_error).where(
            OutboxMail.id.in_(list(mail_ids)),
            OutboxMail.status.in_([MailStatus.FAILED, MailStatus.BOUNCED]),
        )
    )
    return {mail_ids[mail_id]: (status, error or "") for mail_id, status, error in rows}


def events_of(invitation_ids: Sequence[int]) -> dict[int, list[InvitationEvent]]:
    """The history of each of some invitations as it may be shown, oldest first (one query):
    without reminders, which tell "not answered by then" (``surveys.anonymity``)."""
    events: dict[int, list[InvitationEvent]] = {i: [] for i in invitation_ids}
    if invitation_ids:
        for event in db.session.scalars(
            select(InvitationEvent)
            .where(
                InvitationEvent.invitation_id.in_(invitation_ids),
                InvitationEvent.state.in_(SHOWN_EVENT_STATES),
            )
            .order_by(InvitationEvent.id)
        ):
            events[event.invitation_id].append(event)
    return events
