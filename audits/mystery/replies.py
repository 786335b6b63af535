"""Replies to test inquiries: read from the audit IMAP mailbox, matched, recorded.

The scheduler sends e-mail inquiries from personas' addresses (aliases of the audit mailbox),
each attempt with its own Message-ID and with ``inquiry_subject(inquiry)`` as the subject.
``fetch_replies`` reads the mails of that mailbox not yet flagged ``\\Seen`` (without marking
them), matches each to an inquiry and attempt, records it in a transaction of its own, and only
then flags it ``\\Seen`` on the server. A crash between commit and flag makes the mail be read
again; the unique Message-ID of a reply makes that harmless.

Matching (``match_reply``): first by the Message-IDs in In-Reply-To and References; else by
subject (reply and forward prefixes stripped) and by sender domain. Recording
(``record_reply``): an automatic acknowledgement is kept but is never the answer; an answer after
the attempt's answer timeout is kept as late and changes nothing else; the first answer in time
makes a sent inquiry answered, by a conditional UPDATE so that two processes reading the same
mailbox cannot both set it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import re
import ssl
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from imap_tools import MailBox, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxFetchError, MailboxFlagError
from imap_tools.utils import check_command_status
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from audits.mystery.models import Inquiry, InquiryAttempt, InquiryReply, InquiryStatus, Scenario
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType

log = logging.getLogger(__name__)

#: Hours an inquiry waits for its answer when the wave names no timeout for the channel type
#: (the same fallback the scheduler uses when it marks inquiries unanswered).
FALLBACK_ANSWER_TIMEOUT_HOURS = 72.0
#: Seconds a connection to the IMAP server may take before it fails.
DEFAULT_IMAP_TIMEOUT = 30.0
#: How many UIDs go into one FETCH of INTERNALDATEs.
_UID_CHUNK = 500


def inquiry_subject(inquiry: Inquiry) -> str:
    """The subject an e-mail inquiry is sent with; replies without references are matched on it.

    The sending code must use this function, or replies matched by subject are missed.
    """
    return inquiry.scenario.title


# Automatic acknowledgements ------------------------------------------------------------------

#: Values of ``Precedence`` that mark machine-made mail.
_AUTOMATIC_PRECEDENCE = {"auto_reply", "bulk", "junk"}
#: Header values that say "not automatic" for headers whose mere presence otherwise does.
_NEGATIVE_VALUES = {"", "no", "false", "0", "none"}

#: Phrases that make a subject or body an acknowledgement (matched case-insensitively, with runs
#: of white space read as one space, in the subject and in the body without its quoted part).
ACKNOWLEDGEMENT_PHRASES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "automatische antwort": r"\bautomatische antwort\b",
        "eingangsbestätigung": r"\beingangsbest(?:ä|ae)tigung",
        "ihre anfrage ist bei uns eingegangen": r"\bihre anfrage ist bei uns eingegangen\b",
        "wir haben ihre nachricht erhalten": r"\bwir haben ihre nachricht erhalten\b",
        "automatic reply": r"\bautomatic reply\b",
        "we have received your message": r"\bwe have received your message\b",
        "this is an automated response": r"\bthis is an automated response\b",
        "ticket created": (
            r"\bticket\b[^.!?\n]{0,80}?\b(?:created|opened|erstellt|angelegt|eröffnet)\b"
        ),
        "ticketnummer": r"\bticketnummer\b",
        "out of office": r"\bout of (?:the )?office\b",
        "abwesenheitsnotiz": r"\babwesenheitsnotiz\b",
    }.items()
}
#: Subject prefixes of automatic replies ("Auto: Tarifwechsel").
_AUTOMATIC_SUBJECT_PREFIX = re.compile(r"^\s*auto\s*:", re.IGNORECASE)

#: Where the quoted earlier mail begins in a reply (the phrases must be the sender's own words:
#: an agent's answer quoting the earlier acknowledgement is still an answer).
_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|weitergeleitete nachricht|"
    r"forwarded message)\s*-{2,}|(?:am|on)\s.{0,200}\s(?:schrieb|wrote)\s*.{0,200}:\s*$|"
    r"(?:from|von)\s*:\s.+$)",
    re.IGNORECASE | re.MULTILINE,
)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return None


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def own_text(body: str) -> str:
    """The body without what it quotes: lines starting with ">" and everything below a
    "-----Original Message-----", "Am … schrieb …:", "On … wrote:" or "From:" line."""
    match = _QUOTE_START.search(body)
    if match:
        body = body[: match.start()]
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


def acknowledgement_reasons(headers: Mapping[str, str], subject: str, body: str) -> list[str]:
    """The rules of ``is_automatic_acknowledgement`` that the mail meets (empty: an answer)."""
    reasons = []
    auto_submitted = _header(headers, "Auto-Submitted")
    if auto_submitted is not None:
        value = auto_submitted.split(";", 1)[0].strip().lower()
        if value and value != "no":
            reasons.append("Auto-Submitted")
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _header(headers, name)
        if value is not None and value.strip().lower() not in _NEGATIVE_VALUES:
            reasons.append(name)
    precedence = _header(headers, "Precedence")
    if precedence is not None and precedence.strip().lower() in _AUTOMATIC_PRECEDENCE:
        reasons.append("Precedence")
    if _AUTOMATIC_SUBJECT_PREFIX.search(subject):
        reasons.append("subject Auto:")
    subject_text, body_text = _flat(subject), _flat(own_text(body))
    for name, pattern in ACKNOWLEDGEMENT_PHRASES.items():
        if pattern.search(subject_text):
            reasons.append(f"subject: {name}")
        elif pattern.search(body_text):
            reasons.append(f"body: {name}")
    return reasons


def is_automatic_acknowledgement(headers: Mapping[str, str], subject: str, body: str) -> bool:
    """Whether a reply is an automatic acknowledgement ("we have received your message"), which
    is recorded but is not an answer. Header names are matched case-insensitively.

    Any one of these rules makes a mail an acknowledgement:

    * ``Auto-Submitted`` (RFC 3834) with a value other than ``no`` (``auto-replied``,
      ``auto-generated``, …; parameters after ";" are ignored);
    * ``X-Autoreply``, ``X-Autorespond`` or ``X-Auto-Response-Suppress`` present with a value
      other than empty, ``no``, ``false``, ``0`` or ``None`` (Microsoft's "suppress nothing");
    * ``Precedence`` ``auto_reply``, ``bulk`` or ``junk``;
    * a subject starting with ``Auto:``;
    * one of these phrases, case-insensitively, in the subject or in the body's own text (what
      the body quotes from earlier mails is ignored; line breaks count as spaces):
      "Automatische Antwort", "Eingangsbestätigung" (also "Eingangsbestaetigung"),
      "Ihre Anfrage ist bei uns eingegangen", "wir haben Ihre Nachricht erhalten",
      "Automatic reply", "we have received your message", "this is an automated response",
      "Ticket … created/opened/erstellt/angelegt/eröffnet" (within one sentence),
      "Ticketnummer", "out of office", "Abwesenheitsnotiz".
    """
    return bool(acknowledgement_reasons(headers, subject, body))


# Subjects ------------------------------------------------------------------------------------

#: One reply/forward prefix, with an optional counter ("Re[2]:", "AW(3):"), or one leading
#: "[tag]" a ticket system puts in front; automatic-reply prefixes count too, so that an
#: acknowledgement without references still finds its inquiry.
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|wg|fwd?|antw|automatische antwort|automatic reply|auto)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*:|\[[^\]]*\])\s*",
    re.IGNORECASE,
)


def normalize_subject(subject: str) -> str:
    """The subject for comparing: reply and forward prefixes ("Re:", "AW:", "WG:", "Fwd:",
    "Fw:", any number and mix of them, also "Re[2]:"), leading "[…]" tags and the prefixes of
    automatic replies removed; white space collapsed; case folded."""
    text = _flat(subject)
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            return text.casefold()
        text = stripped


# Incoming mail -------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in {"br", "p", "div", "tr", "li", "blockquote"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()


def _message_ids(value: str) -> list[str]:
    """The Message-IDs in an In-Reply-To or References header, in order."""
    found = re.findall(r"<[^<>\s]+>", value)
    return found or value.split()


def _addresses(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        address.lower() for _, address in email.utils.getaddresses(list(values)) if "@" in address
    )


def _domain(address: str) -> str:
    return email.utils.parseaddr(address)[1].rpartition("@")[2].strip().lower().rstrip(".")


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is read as UTC (RFC 5322's "-0000")."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _date_header(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return as_utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class IncomingMail:
    """A mail read from the audit mailbox, reduced to what matching and recording need."""

    sender: str
    subject: str
    body_text: str
    message_id: str
    received_at: dt.datetime
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    #: To, Cc, Delivered-To and X-Original-To addresses, lower case.
    recipients: tuple[str, ...] = ()
    #: Header name (lower case) → its first value.
    headers: Mapping[str, str] = field(default_factory=dict)
    #: A bounce or read receipt (multipart/report, or from MAILER-DAEMON/postmaster): not a reply.
    is_report: bool = False
    uid: str | None = None

    @classmethod
    def from_imap(
        cls, message: MailMessage, internal_date: dt.datetime | None, now: dt.datetime
    ) -> IncomingMail:
        """Received at the server's INTERNALDATE, else at the Date header, else now."""
        obj = message.obj
        headers = {name: str(values[0]) for name, values in message.headers.items() if values}
        body = message.text or html_to_text(message.html)
        message_id = (headers.get("message-id") or "").strip()
        if not message_id or len(message_id) > 255:
            # a mail without a usable Message-ID gets one from its content: fetched again, it
            # gets the same one, so it is still stored once
            digest = hashlib.sha256(message_id.encode() or obj.as_bytes()).hexdigest()
            message_id = f"<{digest[:40]}@mailbox.qcrm.invalid>"
        received_at = internal_date or _date_header(headers.get("date")) or now
        recipient_headers = ("to", "cc", "delivered-to", "x-original-to")
        sender = message.from_.lower()
        return cls(
            sender=sender,
            subject=re.sub(r"\r?\n[ \t]*", " ", message.subject),  # unfolded
            body_text=body,
            message_id=message_id,
            received_at=as_utc(received_at),
            in_reply_to=tuple(_message_ids(headers.get("in-reply-to", ""))),
            references=tuple(_message_ids(" ".join(obj.get_all("References", [])))),
            recipients=_addresses(
                str(value) for name in recipient_headers for value in obj.get_all(name, [])
            ),
            headers=headers,
            is_report=(
                obj.get_content_type() == "multipart/report"
                or sender.partition("@")[0] in {"mailer-daemon", "postmaster"}
            ),
            uid=message.uid,
        )

    @classmethod
    def from_bytes(
        cls, raw: bytes, *, received_at: dt.datetime | None = None, now: dt.datetime
    ) -> IncomingMail:
        return cls.from_imap(MailMessage.from_bytes(raw), received_at, now)


# Matching ------------------------------------------------------------------------------------


def _match_by_reference(
    session: Session, message: IncomingMail
) -> tuple[Inquiry, InquiryAttempt] | None:
    # In-Reply-To names the mail replied to; References ends with the most recent one
    wanted = [*message.in_reply_to, *reversed(message.references)]
    if not wanted:
        return None
    variants = {v for mid in wanted for v in (mid, mid.strip("<>"), f"<{mid.strip('<>')}>")}
    attempts = session.scalars(
        select(InquiryAttempt)
        .where(InquiryAttempt.message_id.in_(variants), InquiryAttempt.sent_at.is_not(None))
        .options(selectinload(InquiryAttempt.inquiry))
    ).all()
    by_id = {attempt.message_id.strip("<>"): attempt for attempt in attempts if attempt.message_id}
    for mid in wanted:
        attempt = by_id.get(mid.strip("<>"))
        if attempt is not None:
            return attempt.inquiry, attempt
    return None


def _same_domain(sender_domain: str, channel_address: str) -> bool:
    """The sender's domain is the channel's, or a subdomain of it (tickets.example.com)."""
    channel_domain = _domain(channel_address)
    return bool(channel_domain) and (
        sender_domain == channel_domain or sender_domain.endswith("." + channel_domain)
    )


def _match_by_subject(
    session: Session, message: IncomingMail
) -> tuple[Inquiry, InquiryAttempt] | None:
    subject = normalize_subject(message.subject)
    sender_domain = _domain(message.sender)
    if not subject or not sender_domain:
        return None
    scenario_ids = [
        scenario_id
        for scenario_id, title in session.execute(select(Scenario.id, Scenario.title))
        if normalize_subject(title) == subject
    ]
    if not scenario_ids:
        return None
    # the channel's domain is contained in its address, and the sender's domain ends with it
    sender_parts = sender_domain.split(".")
    domains = [".".join(sender_parts[i:]) for i in range(len(sender_parts) - 1)] or [sender_domain]
    candidates = session.execute(
        select(InquiryAttempt, Inquiry)
        .join(Inquiry, InquiryAttempt.inquiry_id == Inquiry.id)
        .join(Channel, Inquiry.channel_id == Channel.id)
        .where(
            Inquiry.scenario_id.in_(scenario_ids),
            Channel.type == ChannelType.EMAIL,
            or_(*(Channel.address.icontains(domain, autoescape=True) for domain in domains)),
            InquiryAttempt.sent_at.is_not(None),
            InquiryAttempt.sent_at <= message.received_at,
        )
        .options(
            selectinload(Inquiry.channel),
            selectinload(Inquiry.scenario),
            selectinload(Inquiry.persona),
        )
        .order_by(InquiryAttempt.sent_at.desc(), InquiryAttempt.id.desc())
    ).all()
    candidates = [
        (inquiry, attempt)
        for attempt, inquiry in candidates
        if _same_domain(sender_domain, inquiry.channel.address)
        and normalize_subject(inquiry_subject(inquiry)) == subject
    ]
    # the persona's address the reply went to tells inquiries of one channel and scenario apart
    to_persona = [
        (inquiry, attempt)
        for inquiry, attempt in candidates
        if inquiry.persona is not None
        and inquiry.persona.email
        and inquiry.persona.email.lower() in message.recipients
    ]
    return (to_persona or candidates or [None])[0]


def match_reply(session: Session, message: IncomingMail) -> tuple[Inquiry, InquiryAttempt] | None:
    """The inquiry and attempt a mail replies to, or None.

    1. By reference: the first Message-ID in In-Reply-To, then in References (newest first),
       that is the Message-ID of a sent attempt.
    2. Else by subject and sender: the subject without reply/forward prefixes equals the
       subject the inquiry was sent with (``inquiry_subject``), compared case-insensitively, and
       the sender's domain is the domain of the e-mail channel's address (or a subdomain of it).
       Among several candidates, those whose persona's address the mail was sent to come first;
       then the attempt sent most recently before the mail was received.

    Only sent attempts (``sent_at`` set) count.
    """
    return _match_by_reference(session, message) or _match_by_subject(session, message)


# Recording -----------------------------------------------------------------------------------


def answer_timeout(inquiry: Inquiry) -> dt.timedelta:
    hours = inquiry.wave.answer_timeouts.get(
        inquiry.channel.type.value, FALLBACK_ANSWER_TIMEOUT_HOURS
    )
    return dt.timedelta(hours=float(hours))


@dataclass(frozen=True)
class ReplyTiming:
    """Where a reply falls: the attempt it answers and whether it came after that attempt's
    answer timeout (late: kept and shown, never counted as answered)."""

    attempt_number: int
    late: bool


def reply_timing(inquiry: Inquiry, received_at: dt.datetime) -> ReplyTiming:
    """The one rule for every path a reply enters (mailbox, tester page, API, imports).

    The answer window is that of the latest attempt sent at or before the reply (its
    ``sent_at`` + the wave's answer timeout for the channel type); a reply after it is late.
    A reply with no attempt sent before it belongs to the first attempt and is not late.
    """
    received_at = as_utc(received_at)
    sent_before = [
        a for a in inquiry.attempts if a.sent_at is not None and as_utc(a.sent_at) <= received_at
    ]
    if not sent_before:
        return ReplyTiming(attempt_number=1, late=False)
    window = sent_before[-1]
    deadline = as_utc(window.sent_at) + answer_timeout(inquiry)
    return ReplyTiming(attempt_number=window.number, late=received_at > deadline)


def count_answer(
    session: Session, inquiry: Inquiry, received_at: dt.datetime, attempt_number: int
) -> bool:
    """Make an answer in time the inquiry's first answer; True when it became the first.

    A conditional UPDATE, so that of two processes recording answers at once the earliest
    answer wins. An inquiry marked unanswered because the answer was recorded late (the mailbox
    read late, the tester typing it in afterwards) becomes answered, since the answer did arrive
    in time; late answers never reach this function.
    """
    won = session.execute(
        update(Inquiry)
        .where(
            Inquiry.id == inquiry.id,
            or_(
                and_(
                    Inquiry.status.in_(
                        [InquiryStatus.DUE, InquiryStatus.SENT, InquiryStatus.UNANSWERED]
                    ),
                    Inquiry.first_answer_at.is_(None),
                ),
                # an earlier answer recorded after a later one is still the first answer
                and_(
                    Inquiry.status == InquiryStatus.ANSWERED,
                    Inquiry.first_answer_at > received_at,
                ),
            ),
        )
        .values(
            first_answer_at=received_at,
            answered_attempt=attempt_number,
            status=InquiryStatus.ANSWERED,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(inquiry, ["first_answer_at", "answered_attempt", "status"])
    return bool(won)


def recount_answers(session: Session, inquiry: Inquiry) -> None:
    """Apply :func:`reply_timing` again to every reply of the inquiry, after a sending time
    changed: late flags, the first answer and the inquiry's state follow the new times."""
    replies = session.scalars(
        select(InquiryReply)
        .where(InquiryReply.inquiry_id == inquiry.id)
        .order_by(InquiryReply.received_at, InquiryReply.id)
    ).all()
    first: tuple[dt.datetime, int] | None = None
    for reply in replies:
        timing = reply_timing(inquiry, reply.received_at)
        reply.is_late = not reply.is_auto_acknowledgement and timing.late
        if first is None and not reply.is_auto_acknowledgement and not reply.is_late:
            first = (reply.received_at, timing.attempt_number)
    if first is not None:
        inquiry.first_answer_at, inquiry.answered_attempt = first
        if inquiry.status in (InquiryStatus.DUE, InquiryStatus.SENT, InquiryStatus.UNANSWERED):
            inquiry.status = InquiryStatus.ANSWERED
    elif inquiry.first_answer_at is not None:
        inquiry.first_answer_at, inquiry.answered_attempt = None, None
        if inquiry.status is InquiryStatus.ANSWERED:
            inquiry.status = InquiryStatus.SENT


def record_reply(
    session: Session,
    inquiry: Inquiry,
    attempt: InquiryAttempt,
    *,
    received_at: dt.datetime,
    sender: str,
    subject: str,
    body_text: str,
    message_id: str | None,
    headers: Mapping[str, str],
) -> InquiryReply | None:
    """Store a mail replying to an inquiry in the caller's transaction (the caller commits).

    A mail whose Message-ID is already stored gives None and changes nothing. Otherwise the
    reply is stored; an automatic acknowledgement never becomes the answer; whether it is late
    and which attempt it answers is :func:`reply_timing`'s rule, and an answer in time is
    counted by :func:`count_answer` (``answered_attempt`` ≥ 2: answered only at the second
    attempt). ``attempt`` is the attempt the mail was matched to; the timing follows the
    sending times, not the match.
    """
    received_at = as_utc(received_at)
    if message_id is not None:
        known = session.scalar(select(InquiryReply.id).where(InquiryReply.message_id == message_id))
        if known is not None:
            return None
    acknowledgement = is_automatic_acknowledgement(headers, subject, body_text)
    timing = reply_timing(inquiry, received_at)
    late = not acknowledgement and timing.late
    reply = InquiryReply(
        inquiry_id=inquiry.id,
        received_at=received_at,
        sender=sender[:300],
        subject=subject[:500],
        body_text=body_text,
        is_auto_acknowledgement=acknowledgement,
        is_late=late,
        message_id=message_id,
        source="mailbox",
    )
    try:
        with session.begin_nested():
            session.add(reply)
    except IntegrityError:
        return None  # another process stored the same mail a moment ago
    if not acknowledgement and not late:
        count_answer(session, inquiry, received_at, timing.attempt_number)
    return reply


# The mailbox ---------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"'
)
_UID = re.compile(rb"\bUID (\d+)")


def parse_internaldate(response: bytes) -> dt.datetime | None:
    """The INTERNALDATE of a FETCH response line as an aware UTC datetime."""
    match = _INTERNALDATE.search(response)
    if not match:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = dt.timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == b"+" else -1)
    local = dt.datetime(
        int(year),
        _MONTHS[month.decode().lower()],
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=dt.timezone(offset),
    )
    return local.astimezone(dt.UTC)


def _internal_dates(box: MailBox | MailBoxUnencrypted, uids: list[str]) -> dict[str, dt.datetime]:
    dates: dict[str, dt.datetime] = {}
    for start in range(0, len(uids), _UID_CHUNK):
        result = box.client.uid(
            "FETCH", ",".join(uids[start : start + _UID_CHUNK]), "(UID INTERNALDATE)"
        )
        check_command_status(result, MailboxFetchError)
        for line in result[1]:
            raw = line[0] if isinstance(line, tuple) else line
            if not isinstance(raw, bytes):
                continue
            uid, moment = _UID.search(raw), parse_internaldate(raw)
            if uid and moment:
                dates[uid.group(1).decode()] = moment
    return dates


def _mark_seen(box: MailBox | MailBoxUnencrypted, uid: str) -> None:
    # a plain STORE: imap_tools' flag() would also EXPUNGE the folder
    result = box.client.uid("STORE", uid, "+FLAGS", r"(\Seen)")
    check_command_status(result, MailboxFlagError)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _open_mailbox(config: Mapping[str, Any]) -> MailBox | MailBoxUnencrypted:
    host = config["AUDIT_IMAP_HOST"]
    use_ssl = _flag(config.get("AUDIT_IMAP_SSL"))
    port = int(config.get("AUDIT_IMAP_PORT") or (993 if use_ssl else 143))
    timeout = float(config.get("AUDIT_IMAP_TIMEOUT") or DEFAULT_IMAP_TIMEOUT)
    if use_ssl:
        box: MailBox | MailBoxUnencrypted = MailBox(
            host, port, timeout=timeout, ssl_context=ssl.create_default_context()
        )
    else:
        box = MailBoxUnencrypted(host, port, timeout=timeout)
    try:
        box.login(
            str(config.get("AUDIT_IMAP_USER") or ""),
            str(config.get("AUDIT_IMAP_PASSWORD") or ""),
            initial_folder=config.get("AUDIT_IMAP_FOLDER") or "INBOX",
        )
    except BaseException:
        box.client.shutdown()
        raise
    return box


def _store(session: Session, mail: IncomingMail) -> bool:
    """Match and record one mail in a transaction of its own; whether a reply was stored."""
    if mail.is_report:
        log.warning(
            "bounce or receipt in the audit mailbox, not a reply, from %s: %s",
            mail.sender,
            mail.subject,
        )
        return False
    match = match_reply(session, mail)
    if match is None:
        session.rollback()
        log.info("mail from %s matches no inquiry: %s", mail.sender, mail.subject)
        return False
    inquiry, attempt = match
    reply = record_reply(
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
    session.commit()
    if reply is None:
        log.info("mail %s from %s is already stored", mail.message_id, mail.sender)
        return False
    log.info(
        "reply from %s stored for inquiry %s, attempt %s%s%s",
        mail.sender,
        inquiry.id,
        attempt.number,
        " (automatic acknowledgement)" if reply.is_auto_acknowledgement else "",
        " (late)" if reply.is_late else "",
    )
    return True


def fetch_replies(config: Mapping[str, Any], now: dt.datetime) -> int:
    """Read the unseen mails of the audit mailbox and record those that reply to inquiries.

    Settings: ``AUDIT_IMAP_HOST`` (unset: nothing to do, 0), ``AUDIT_IMAP_PORT`` (default 993
    with SSL, else 143), ``AUDIT_IMAP_SSL`` (IMAP over TLS; else plain, for local servers only),
    ``AUDIT_IMAP_USER``, ``AUDIT_IMAP_PASSWORD``, ``AUDIT_IMAP_FOLDER`` (default INBOX) and
    ``AUDIT_IMAP_TIMEOUT`` (seconds, default 30).

    Mails are read without being marked; each is matched and recorded in its own committed
    transaction and only then flagged ``\\Seen``, so a crash in between reads it again (and its
    Message-ID keeps it from being stored twice). Mails matching no inquiry are logged and
    flagged seen too. A mail whose processing fails is logged and left unseen, to be tried
    again; connection and IMAP errors propagate to the caller. Received-at is the server's
    INTERNALDATE, else the Date header, else ``now``.

    Call it inside an application context with no transaction of the caller's open (it works
    in its own session; on SQLite an open transaction holds the write lock). Returns how many
    replies were stored.
    """
    if not config.get("AUDIT_IMAP_HOST"):
        return 0
    stored = 0
    with _open_mailbox(config) as box, Session(db.engine) as session:
        uids = box.uids("UNSEEN")
        if not uids:  # an empty uid_list would make imap_tools fetch the whole folder
            return 0
        internal_dates = _internal_dates(box, uids)
        for message in box.fetch(uid_list=uids, mark_seen=False):
            uid = message.uid
            try:
                mail = IncomingMail.from_imap(message, internal_dates.get(uid or ""), now)
                stored += _store(session, mail)
            except Exception:
                session.rollback()
                log.exception(
                    "mail %s in the audit mailbox could not be recorded",
                    uid,
                    extra={"mailbox": config.get("AUDIT_IMAP_FOLDER"), "mail_uid": uid},
                )
                continue
            if uid:
                _mark_seen(box, uid)
    return stored
