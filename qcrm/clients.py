"""Clients and their channels: the audited companies and their contact points."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, ClientKind, User
from qcrm.permissions import visible_clients
from qcrm.validation import refuse_control_characters, text_error

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
WEEKDAY_SHORT_LABELS = {
    "mon": _l("Mon"),
    "tue": _l("Tue"),
    "wed": _l("Wed"),
    "thu": _l("Thu"),
    "fri": _l("Fri"),
    "sat": _l("Sat"),
    "sun": _l("Sun"),
}
CLIENT_KIND_LABELS = {
    ClientKind.OWN: _l("Own company"),
    ClientKind.BRANCH: _l("Branch"),
    ClientKind.COMPETITOR: _l("Competitor (benchmark)"),
}
CHANNEL_TYPE_LABELS = {
    ChannelType.PHONE: _l("Phone / hotline"),
    ChannelType.EMAIL: _l("E-mail"),
    ChannelType.WEB_FORM: _l("Web form"),
    ChannelType.LIVE_CHAT: _l("Live chat"),
    ChannelType.FACEBOOK: _l("Facebook"),
    ChannelType.X: _l("X (Twitter)"),
    ChannelType.INSTAGRAM: _l("Instagram"),
    ChannelType.LINKEDIN: _l("LinkedIn"),
    ChannelType.WHATSAPP: _l("WhatsApp"),
    ChannelType.SMS: _l("SMS"),
    ChannelType.IN_PERSON: _l("In person"),
    ChannelType.OTHER: _l("Other"),
}

_INTERVAL = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})$")


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse_intervals(text: str) -> list[str]:
    """Parse "08:00-12:00, 13:00-17:00" (or "24h", or "" for closed) into canonical intervals.

    Raises ValueError with a translated message naming the problem.
    """
    text = text.strip()
    if not text:
        return []
    if text.lower() in {"24h", "24 h", "0-24", "00:00-24:00"}:
        return ["00:00-24:00"]
    intervals: list[tuple[int, int]] = []
    for part in (p.strip() for p in text.split(",")):
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(_('"%(part)s" is not a time range like 08:00-18:00.', part=part))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or end > 24 * 60:
            raise ValueError(_('"%(part)s" is not a valid time of day.', part=part))
        if end <= start:
            raise ValueError(_('In "%(part)s" the end must come after the start.', part=part))
        intervals.append((start, end))
    intervals.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(intervals):
        if s2 < e1:
            raise ValueError(_("The time ranges overlap."))
    return [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in intervals]


def normalize_business_hours(hours: Mapping[str, object]) -> dict[str, list[str]]:
    """Validate business hours given per weekday as text or a list of ranges."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ServiceError.on(
            "business_hours", _("Unknown weekday: %(days)s.", days=", ".join(sorted(unknown)))
        )
    result: dict[str, list[str]] = {}
    for day in WEEKDAYS:
        value = hours.get(day) or ""
        text = ", ".join(value) if isinstance(value, list | tuple) else str(value)
        try:
            intervals = parse_intervals(text)
        except ValueError as error:
            raise ServiceError.on(f"business_hours.{day}", str(error)) from None
        if intervals:
            result[day] = intervals
    return result


def summarize_business_hours(hours: Mapping[str, list[str]]) -> list[tuple[list[str], str]]:
    """Group consecutive days with the same hours: [(["mon", …, "fri"], "08:00-18:00"), …]."""
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        text = ", ".join(hours.get(day, []))
        if (
            text
            and groups
            and groups[-1][1] == text
            and WEEKDAYS.index(groups[-1][0][-1]) + 1 == WEEKDAYS.index(day)
        ):
            groups[-1][0].append(day)
        elif text:
            groups.append(([day], text))
    return groups


def format_business_hours(hours: Mapping[str, list[str]]) -> dict[str, str]:
    return {day: ", ".join(hours.get(day, [])) for day in WEEKDAYS}


# Clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientData:
    name: str
    kind: ClientKind = ClientKind.OWN
    notes: str = ""


def _apply_client_data(client: Client, data: ClientData) -> None:
    name = data.name.strip()
    # a client's name ends up in mail subjects: CR/LF there makes the mail unbuildable
    refuse_control_characters({"name": name, "notes": data.notes}, multi_line=("notes",))
    if not name:
        raise ServiceError.on("name", _("Please enter a name."))
    if len(name) > 160:
        raise ServiceError.on("name", _("At most %(n)d characters.", n=160))
    duplicate = db.session.scalar(
        select(Client.id).where(
            func.lower(Client.name) == name.lower(),
            Client.id != client.id,
            Client.archived_at.is_(None),
        )
    )
    if duplicate is not None:
        raise ServiceError.on("name", _("A client with this name already exists."))
    client.name = name
    client.kind = data.kind
    client.notes = data.notes.strip()


def create_client(data: ClientData, acting: User) -> Client:
    """Create a client; a user limited to given clients is given the new one too."""
    client = Client()
    _apply_client_data(client, data)
    db.session.add(client)
    if not acting.sees_all_clients:
        acting.clients.append(client)
    db.session.commit()
    return client


def update_client(client: Client, data: ClientData) -> Client:
    _apply_client_data(client, data)
    db.session.commit()
    return client


def archive_client(client: Client) -> None:
    if client.archived_at is None:
        client.archived_at = utcnow()
        db.session.commit()


def restore_client(client: Client) -> None:
    if client.archived_at is not None:
        _apply_client_data(client, ClientData(client.name, client.kind, client.notes))
        client.archived_at = None
        db.session.commit()


def client_list(
    user: User, *, include_archived: bool = False, search: str = ""
) -> Select[tuple[Client, int]]:
    """Visible clients with their number of active channels, in one query."""
    channel_count = (
        select(func.count(Channel.id))
        .where(Channel.client_id == Client.id, Channel.archived_at.is_(None))
        .correlate(Client)
        .scalar_subquery()
    )
    query = visible_clients(user).add_columns(channel_count).order_by(func.lower(Client.name))
    if not include_archived:
        query = query.where(Client.archived_at.is_(None))
    if search.strip():
        query = query.where(Client.name.ilike(f"%{search.strip()}%"))
    return query


# Channels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelData:
    type: ChannelType
    name: str
    address: str
    business_hours: Mapping[str, object]
    time_zone: str = "Europe/Berlin"
    active: bool = True


def _apply_channel_data(channel: Channel, data: ChannelData) -> None:
    errors: dict[str, str] = {}
    name, address = data.name.strip(), data.address.strip()
    if not name:
        errors["name"] = _("Please enter a name.")
    elif len(name) > 160:
        errors["name"] = _("At most %(n)d characters.", n=160)
    if not address:
        errors["address"] = _("Please enter the address, number or handle.")
    elif len(address) > 300:
        errors["address"] = _("At most %(n)d characters.", n=300)
    elif data.type is ChannelType.EMAIL and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
        errors["address"] = _("An e-mail channel needs an e-mail address.")
    if data.time_zone not in time_zones():
        errors["time_zone"] = _("Unknown time zone; use a name like Europe/Berlin.")
    for field_name, text in (("name", name), ("address", address)):
        message = text_error(text)
        if message is not None:  # before the other rules: those messages would mislead
            errors[field_name] = message
    try:
        hours = normalize_business_hours(data.business_hours)
    except ServiceError as error:
        for field_name, messages in error.errors.items():
            errors[field_name] = messages[0]
        hours = {}
    if errors:
        raise ServiceError(errors)
    channel.type = data.type
    channel.name = name
    channel.address = address
    channel.business_hours = hours
    channel.time_zone = data.time_zone
    channel.active = data.active


def create_channel(client: Client, data: ChannelData) -> Channel:
    if client.is_archived:
        raise ServiceError.on("client", _("The client is archived."))
    channel = Channel(client=client)
    _apply_channel_data(channel, data)
    db.session.add(channel)
    db.session.commit()
    return channel


def update_channel(channel: Channel, data: ChannelData) -> Channel:
    _apply_channel_data(channel, data)
    db.session.commit()
    return channel


def archive_channel(channel: Channel) -> None:
    if channel.archived_at is None:
        channel.archived_at = utcnow()
        channel.active = False
        db.session.commit()


def restore_channel(channel: Channel) -> None:
    if channel.archived_at is not None:
        channel.archived_at = None
        db.session.commit()


def channels_of(client: Client, *, include_archived: bool = False) -> Select[tuple[Channel]]:
    query = select(Channel).where(Channel.client_id == client.id).order_by(Channel.name)
    if not include_archived:
        query = query.where(Channel.archived_at.is_(None))
    return query
