"""Testers' calendar: an iCalendar feed of their upcoming inquiries behind a secret URL."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from icalendar import Calendar, Event
from sqlalchemy import delete, select

from audits.mystery.models import CalendarFeed, Inquiry, InquiryStatus, Wave, WaveStatus
from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.models import User

#: How long an inquiry blocks the tester's calendar.
EVENT_LENGTH = dt.timedelta(minutes=30)
OPEN = (InquiryStatus.PLANNED, InquiryStatus.DUE)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feed_token(user: User) -> str:
    """Create the tester's feed URL token, replacing (and so revoking) any earlier one."""
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_digest(token)))
    db.session.commit()
    return token


def revoke_feed(user: User) -> None:
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.commit()


def has_feed(user: User) -> bool:
    return db.session.get(CalendarFeed, user.id) is not None


def tester_for_token(token: str) -> User | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token)))
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def feed_for(tester: User, now: dt.datetime | None = None) -> bytes:
    """The tester's open inquiries from a week ago on, as an iCalendar document."""
    now = now or utcnow()
    inquiries = db.session.scalars(
        select(Inquiry)
        .join(Wave, Inquiry.wave_id == Wave.id)
        .where(
            Inquiry.tester_id == tester.id,
            Inquiry.status.in_(OPEN),
            Wave.status.in_([WaveStatus.SCHEDULED, WaveStatus.RUNNING]),
            Inquiry.planned_at >= now - dt.timedelta(days=7),
        )
        .order_by(Inquiry.planned_at)
        .limit(500)
    ).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Q-CRM//test inquiries//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Q-CRM")
    for inquiry in inquiries:
        event = Event()
        event.add("uid", f"inquiry-{inquiry.id}@q-crm")
        event.add("dtstamp", now)
        event.add("dtstart", inquiry.planned_at)
        event.add("dtend", inquiry.planned_at + EVENT_LENGTH)
        event.add("summary", f"{inquiry.scenario.title} – {inquiry.channel.name}")
        persona = inquiry.persona.display_name if inquiry.persona else "–"
        event.add(
            "description",
            f"{inquiry.channel.address}\n{persona}\n\n{inquiry.scenario.script}",
        )
        calendar.add_component(event)
    return calendar.to_ical()
