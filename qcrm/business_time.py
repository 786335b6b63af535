"""Business time: how much of a span falls inside a channel's business hours.

Pure functions over plain data (no database, no app context). Business hours are given as a
channel stores them: weekday code ("mon" … "sun") → list of "HH:MM-HH:MM" ranges in the
channel's local time ("00:00-24:00" = all day, a missing or empty day is closed), plus the
channel's IANA time zone.

How local opening times become instants. The spans are worked out day by day in local calendar
days: each open range of a day becomes the real interval from the moment the local clock first
shows its start to the moment it first shows its end (24:00 = the next day's 00:00). So a
day counts as long as it really is: an all-day channel is open 23 hours on the day clocks go
forward and 25 hours on the day they go back, and all-day hours give exactly the calendar time.
A wall-clock time skipped by a spring-forward gap (02:30 in Berlin on the last Sunday of March)
maps to the moment of the switch, so "02:00-03:00" is empty that day and "02:30-04:00" is open
one real hour (03:00-04:00 CEST). When clocks go back, a range over the repeated hour is open
through both passes (its start and end are each taken at their first occurrence); the usual
business hours (nothing opening or closing between 02:00 and 03:00) are not affected.

Results are exact to the microsecond: the intervals are summed as ``timedelta`` before turning
into float seconds, so business time is additive and ``add_business_time`` inverts
``business_seconds``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAY = dt.timedelta(days=1)
_ZERO = dt.timedelta(0)

#: Per weekday index (Monday = 0): sorted, non-overlapping [start, end) minutes of the day.
WeekHours = tuple[tuple[tuple[int, int], ...], ...]


def parse_business_hours(hours: Mapping[str, list[str]]) -> WeekHours:
    """Validate business hours and turn them into minute ranges per weekday (Monday first).

    Ranges of a day are sorted; overlapping or touching ranges are merged, so nothing is
    counted twice. Raises ValueError for an unknown weekday code or a malformed range.
    """
    unknown = set(hours) - set(WEEKDAY_CODES)
    if unknown:
        raise ValueError(f"Unknown weekday code(s): {', '.join(sorted(map(str, unknown)))}")
    week: list[tuple[tuple[int, int], ...]] = []
    for code in WEEKDAY_CODES:
        ranges = hours.get(code) or []
        if isinstance(ranges, str):
            raise ValueError(f"Business hours for {code} must be a list of ranges, not a string")
        parsed = sorted(_parse_range(text) for text in ranges)
        merged: list[tuple[int, int]] = []
        for start, end in parsed:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return tuple(week)


def _parse_range(text: str) -> tuple[int, int]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time range like 08:00-18:00")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or end > 24 * 60:
        raise ValueError(f"{text!r} is not a valid time of day")
    if end <= start:
        raise ValueError(f"In {text!r} the end must come after the start")
    return start, end


@lru_cache(maxsize=64)
def _zone(time_zone: str) -> ZoneInfo:
    return ZoneInfo(time_zone)  # raises ZoneInfoNotFoundError (a KeyError) for unknown names


def _utc(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(dt.UTC)


def _first_instant(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first UTC instant at which the local clock shows ``local`` (naive) or later."""
    early = local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    late = local.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    if early == late:
        return early
    if early.astimezone(zone).replace(tzinfo=None) == local:
        return min(early, late)  # shown twice (clocks went back): the first time
    # Skipped (clocks went forward): ``late`` lies before the switch, ``early`` after it.
    # The local clock reaches ``local`` at the switch itself; find it to the second.
    before = late.astimezone(zone).utcoffset()
    low, high = int(late.timestamp()), int(early.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def _open_intervals(
    week: WeekHours, zone: ZoneInfo, first_day: dt.date
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Open intervals in UTC, day by day from ``first_day`` (local date) on, without end."""
    day = first_day
    while True:
        midnight = dt.datetime.combine(day, dt.time())
        for start, end in week[day.weekday()]:
            opens = _first_instant(midnight + dt.timedelta(minutes=start), zone)
            closes = _first_instant(midnight + dt.timedelta(minutes=end), zone)
            if closes > opens:
                yield opens, closes
        day += _DAY


def _first_local_day(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    # One day of margin: around a switch at midnight, the previous local day's range
    # can reach past the instant's local midnight.
    return instant.astimezone(zone).date() - _DAY


def business_delta(
    start: dt.datetime, end: dt.datetime, hours: Mapping[str, list[str]], time_zone: str
) -> dt.timedelta:
    """Business time between ``start`` and ``end`` as an exact ``timedelta``.

    See :func:`business_seconds`.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if end < start:
        raise ValueError("end must not be before start")
    week = parse_business_hours(hours)
    zone = _zone(time_zone)
    if not any(week) or end == start:
        return _ZERO
    total = _ZERO
    for opens, closes in _open_intervals(week, zone, _first_local_day(start, zone)):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > _ZERO:
            total += overlap
    return total


def business_seconds(
    start: dt.datetime, end: dt.datetime, hours: Mapping[str, list[str]], time_zone: str
) -> float:
    """Seconds between two aware datetimes that fall inside the business hours.

    ``hours`` are weekday code → ["HH:MM-HH:MM", …] in ``time_zone`` (IANA name), as a channel
    stores them; empty hours (never open) give 0.0. ``end`` before ``start`` raises ValueError,
    and so do naive datetimes or malformed hours. Works day by day, so a span of months costs a
    few hundred steps.
    """
    return business_delta(start, end, hours, time_zone).total_seconds()


def add_business_time(
    start: dt.datetime, seconds: float, hours: Mapping[str, list[str]], time_zone: str
) -> dt.datetime | None:
    """The first moment (UTC) at which ``seconds`` of business time have passed since ``start``.

    E.g. the deadline "within 2 business days" of an inquiry sent at ``start`` on a channel open
    10 hours a day is ``add_business_time(start, 2 * 10 * 3600, …)``. Zero seconds give
    ``start`` itself; when the time runs out exactly at a closing time, that closing time is
    returned (not the next opening). ``seconds`` are rounded to the microsecond. Returns None
    when the channel is never open; raises ValueError for negative seconds.
    """
    start = _utc(start, "start")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    remaining = dt.timedelta(seconds=seconds)
    if remaining == _ZERO:
        return start
    week = parse_business_hours(hours)
    if not any(week):
        return None
    zone = _zone(time_zone)
    for opens, closes in _open_intervals(week, zone, _first_local_day(start, zone)):
        begin = max(opens, start)
        if closes <= begin:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise AssertionError("unreachable: the open intervals never end")  # pragma: no cover
