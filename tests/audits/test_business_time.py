"""Business time within a channel's business hours: hand-computed cases and properties."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcrm.business_time import (
    WEEKDAY_CODES,
    add_business_time,
    business_delta,
    business_seconds,
    parse_business_hours,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
HOUR = 3600.0

OFFICE = {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
SPLIT = {day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
ALL_DAY = {day: ["00:00-24:00"] for day in WEEKDAY_CODES}


def local(zone: str, *args: int, fold: int = 0) -> dt.datetime:
    """A local wall-clock time in ``zone``, as an aware UTC datetime."""
    return dt.datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(dt.UTC)


def berlin(*args: int, fold: int = 0) -> dt.datetime:
    return local(BERLIN, *args, fold=fold)


# --- hand-computed examples ---------------------------------------------------------------


def test_friday_evening_to_monday_morning_counts_two_hours() -> None:
    # Fri 5 June 2026 17:00 → 18:00 (1 h), weekend closed, Mon 8 June 08:00 → 09:00 (1 h).
    sent, answered = berlin(2026, 6, 5, 17, 0), berlin(2026, 6, 8, 9, 0)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 2 * HOUR
    assert (answered - sent).total_seconds() == 64 * HOUR  # on the calendar


def test_sent_on_saturday_answered_monday_half_past_eight() -> None:
    sent, answered = berlin(2026, 6, 6, 11, 15), berlin(2026, 6, 8, 8, 30)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 30 * 60


def test_within_one_open_range_equals_calendar_time() -> None:
    sent, answered = berlin(2026, 6, 9, 9, 5), berlin(2026, 6, 9, 9, 47, 30)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 42 * 60 + 30


def test_before_opening_and_after_closing_are_not_counted() -> None:
    # Tue 06:00 → Tue 20:00: only 08:00-18:00 counts.
    sent, answered = berlin(2026, 6, 9, 6, 0), berlin(2026, 6, 9, 20, 0)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 10 * HOUR


def test_split_hours_skip_the_lunch_break() -> None:
    # Tue 11:00 → 12:00 (1 h), lunch closed, 13:00 → 14:30 (1.5 h).
    sent, answered = berlin(2026, 6, 9, 11, 0), berlin(2026, 6, 9, 14, 30)
    assert business_seconds(sent, answered, SPLIT, BERLIN) == 2.5 * HOUR
    # Sent during lunch, answered ten minutes after reopening.
    sent, answered = berlin(2026, 6, 9, 12, 30), berlin(2026, 6, 9, 13, 10)
    assert business_seconds(sent, answered, SPLIT, BERLIN) == 10 * 60
    # Fri 16:00 → Mon 12:30: Fri 1 h + Mon 4 h (08:00-12:00), lunch not counted.
    sent, answered = berlin(2026, 6, 5, 16, 0), berlin(2026, 6, 8, 12, 30)
    assert business_seconds(sent, answered, SPLIT, BERLIN) == 5 * HOUR


def test_all_day_hours_count_the_whole_weekend() -> None:
    sent, answered = berlin(2026, 6, 5, 17, 0), berlin(2026, 6, 8, 9, 0)
    assert business_seconds(sent, answered, ALL_DAY, BERLIN) == 64 * HOUR


def test_weekend_only_channel() -> None:
    hours = {"sat": ["10:00-14:00"], "sun": ["10:00-12:00"]}
    sent, answered = berlin(2026, 6, 5, 9, 0), berlin(2026, 6, 9, 9, 0)
    assert business_seconds(sent, answered, hours, BERLIN) == 6 * HOUR


def test_empty_hours_never_count() -> None:
    sent, answered = berlin(2026, 6, 5, 9, 0), berlin(2026, 6, 19, 9, 0)
    assert business_seconds(sent, answered, {}, BERLIN) == 0.0
    assert business_seconds(sent, answered, {"mon": []}, BERLIN) == 0.0


def test_zero_length_span() -> None:
    moment = berlin(2026, 6, 9, 10, 0)
    assert business_seconds(moment, moment, OFFICE, BERLIN) == 0.0


def test_a_whole_year_of_office_hours() -> None:
    # 2026 starts on a Thursday: 52 full weeks plus one Thursday = 261 working days of 10 h.
    # The DST switches happen at night and do not change the 08:00-18:00 days.
    start, end = berlin(2026, 1, 1, 0, 0), berlin(2027, 1, 1, 0, 0)
    assert business_seconds(start, end, OFFICE, BERLIN) == 261 * 10 * HOUR


def test_overlapping_ranges_are_not_counted_twice() -> None:
    hours = {"tue": ["08:00-12:00", "10:00-14:00", "14:00-15:00"]}
    sent, answered = berlin(2026, 6, 9, 0, 0), berlin(2026, 6, 10, 0, 0)
    assert business_seconds(sent, answered, hours, BERLIN) == 7 * HOUR


def test_input_in_another_offset_is_the_same_instant() -> None:
    sent = dt.datetime(2026, 6, 5, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    answered = dt.datetime(2026, 6, 8, 7, 0, tzinfo=dt.UTC)  # 09:00 CEST
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 2 * HOUR


# --- daylight saving time, Europe/Berlin 2026: 29 March 02:00 → 03:00, 25 October 03:00 → 02:00


def test_spring_forward_sunday_has_23_hours() -> None:
    start, end = berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)
    assert (end - start).total_seconds() == 23 * HOUR
    assert business_seconds(start, end, ALL_DAY, BERLIN) == 23 * HOUR
    # Open 01:00-04:00 local that Sunday: 00:00 → 02:00 UTC, two real hours.
    assert business_seconds(start, end, {"sun": ["01:00-04:00"]}, BERLIN) == 2 * HOUR


def test_fall_back_sunday_has_25_hours() -> None:
    start, end = berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)
    assert (end - start).total_seconds() == 25 * HOUR
    assert business_seconds(start, end, ALL_DAY, BERLIN) == 25 * HOUR
    # Open 01:00-04:00 local that Sunday: 23:00 UTC (Sat) → 03:00 UTC, four real hours.
    assert business_seconds(start, end, {"sun": ["01:00-04:00"]}, BERLIN) == 4 * HOUR


def test_office_hours_across_the_switch_weekends() -> None:
    # Fri 27 March 17:00 CET → Mon 30 March 09:00 CEST: 1 h + 1 h of business time,
    # 63 h on the calendar (the weekend lost an hour).
    sent, answered = berlin(2026, 3, 27, 17, 0), berlin(2026, 3, 30, 9, 0)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 2 * HOUR
    assert business_seconds(sent, answered, ALL_DAY, BERLIN) == 63 * HOUR
    # Fri 23 October 17:00 CEST → Mon 26 October 09:00 CET: 2 h, and 65 h on the calendar.
    sent, answered = berlin(2026, 10, 23, 17, 0), berlin(2026, 10, 26, 9, 0)
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 2 * HOUR
    assert business_seconds(sent, answered, ALL_DAY, BERLIN) == 65 * HOUR


def test_opening_time_skipped_by_the_spring_gap_opens_at_the_switch() -> None:
    start, end = berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)
    # 02:00-03:00 does not exist that night.
    assert business_seconds(start, end, {"sun": ["02:00-03:00"]}, BERLIN) == 0.0
    # 02:30-04:00 opens at the switch (03:00 CEST) and is open one real hour.
    assert business_seconds(start, end, {"sun": ["02:30-04:00"]}, BERLIN) == HOUR


def test_repeated_hour_in_autumn_is_counted_through_both_passes() -> None:
    start, end = berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)
    # 02:00-03:00 local: from 02:00 CEST (00:00 UTC) to 03:00 CET (02:00 UTC).
    assert business_seconds(start, end, {"sun": ["02:00-03:00"]}, BERLIN) == 2 * HOUR
    # A span inside the second pass of the repeated hour.
    second_pass = berlin(2026, 10, 25, 2, 10, fold=1), berlin(2026, 10, 25, 2, 40, fold=1)
    assert business_seconds(*second_pass, ALL_DAY, BERLIN) == 30 * 60


# --- a channel in America/New_York (DST 2026: 8 March, 1 November) --------------------------

NY_OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_new_york_friday_to_monday() -> None:
    sent, answered = local(NEW_YORK, 2026, 6, 5, 16, 0), local(NEW_YORK, 2026, 6, 8, 10, 0)
    assert business_seconds(sent, answered, NY_OFFICE, NEW_YORK) == 2 * HOUR


def test_new_york_hours_follow_local_time_across_its_own_switch() -> None:
    # The same UTC times 13:30 → 15:00 on two Mondays:
    # 2 March (EST, UTC-5) is 08:30 → 10:00 local: open from 09:00, 1 h.
    sent = dt.datetime(2026, 3, 2, 13, 30, tzinfo=dt.UTC)
    answered = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    assert business_seconds(sent, answered, NY_OFFICE, NEW_YORK) == HOUR
    # 9 March (EDT, UTC-4, a day after the switch) is 09:30 → 11:00 local: 1.5 h.
    sent = dt.datetime(2026, 3, 9, 13, 30, tzinfo=dt.UTC)
    answered = dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)
    assert business_seconds(sent, answered, NY_OFFICE, NEW_YORK) == 1.5 * HOUR
    # Berlin is still on CET then (14:30 → 16:00 local), all inside its office hours.
    assert business_seconds(sent, answered, OFFICE, BERLIN) == 1.5 * HOUR


def test_new_york_all_day_weekend_of_the_november_switch() -> None:
    start, end = local(NEW_YORK, 2026, 10, 31, 0, 0), local(NEW_YORK, 2026, 11, 2, 0, 0)
    assert business_seconds(start, end, ALL_DAY, NEW_YORK) == 49 * HOUR


# --- add_business_time ----------------------------------------------------------------------


def test_two_business_days_after_friday_afternoon() -> None:
    # 2 business days of a 10 h channel = 20 h: Fri 1 h, Mon 10 h, Tue 9 h → Tue 17:00.
    sent = berlin(2026, 6, 5, 17, 0)
    deadline = add_business_time(sent, 2 * 10 * HOUR, OFFICE, BERLIN)
    assert deadline == berlin(2026, 6, 9, 17, 0)
    assert business_seconds(sent, deadline, OFFICE, BERLIN) == 20 * HOUR


def test_add_from_a_closed_time_starts_at_the_next_opening() -> None:
    sent = berlin(2026, 6, 6, 10, 0)  # Saturday
    assert add_business_time(sent, HOUR, OFFICE, BERLIN) == berlin(2026, 6, 8, 9, 0)
    assert add_business_time(sent, 90 * 60, SPLIT, BERLIN) == berlin(2026, 6, 8, 9, 30)
    assert add_business_time(sent, 4.5 * HOUR, SPLIT, BERLIN) == berlin(2026, 6, 8, 13, 30)


def test_add_ending_exactly_at_closing_returns_the_closing_time() -> None:
    sent = berlin(2026, 6, 5, 17, 0)
    assert add_business_time(sent, HOUR, OFFICE, BERLIN) == berlin(2026, 6, 5, 18, 0)


def test_add_zero_returns_start_and_never_open_returns_none() -> None:
    sent = berlin(2026, 6, 6, 10, 0)
    assert add_business_time(sent, 0, OFFICE, BERLIN) == sent
    assert add_business_time(sent, HOUR, {}, BERLIN) is None
    assert add_business_time(sent, HOUR, {"mon": []}, BERLIN) is None


def test_add_across_the_spring_switch() -> None:
    # All-day channel: 24 h after Sat 28 March 12:00 CET is Sun 29 March 13:00 CEST.
    sent = berlin(2026, 3, 28, 12, 0)
    assert add_business_time(sent, 24 * HOUR, ALL_DAY, BERLIN) == berlin(2026, 3, 29, 13, 0)


# --- errors ---------------------------------------------------------------------------------


def test_end_before_start_is_an_error() -> None:
    with pytest.raises(ValueError, match="before start"):
        business_seconds(berlin(2026, 6, 9, 10, 0), berlin(2026, 6, 9, 9, 0), OFFICE, BERLIN)


def test_naive_datetimes_are_an_error() -> None:
    naive = dt.datetime(2026, 6, 9, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        business_seconds(naive, berlin(2026, 6, 9, 11, 0), OFFICE, BERLIN)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(naive, HOUR, OFFICE, BERLIN)


def test_negative_seconds_are_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(berlin(2026, 6, 9, 10, 0), -1, OFFICE, BERLIN)


@pytest.mark.parametrize(
    "hours",
    [
        {"monday": ["08:00-18:00"]},
        {"mon": ["8-18"]},
        {"mon": ["18:00-08:00"]},
        {"mon": ["08:00-24:30"]},
        {"mon": ["25:00-26:00"]},
        {"mon": "08:00-18:00"},
    ],
)
def test_malformed_hours_are_an_error(hours: dict) -> None:
    with pytest.raises(ValueError):
        parse_business_hours(hours)


def test_unknown_time_zone_is_an_error() -> None:
    with pytest.raises(KeyError):
        business_seconds(berlin(2026, 6, 9, 9, 0), berlin(2026, 6, 9, 10, 0), OFFICE, "Mars/Base")


# --- properties -----------------------------------------------------------------------------

# Zones with DST at night (Berlin, New York), at midnight (Santiago, and São Paulo before
# 2019), by half an hour (Lord Howe), none (Kolkata, UTC), and a skipped day (Apia, 2011).
ZONES = st.sampled_from(
    [
        BERLIN,
        NEW_YORK,
        "UTC",
        "America/Santiago",
        "America/Sao_Paulo",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
    ]
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(2010, 1, 1),
    max_value=dt.datetime(2030, 12, 31),
    timezones=st.just(dt.UTC),
)
SPANS = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=40))


def _format(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def business_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    hours = {}
    for day in WEEKDAY_CODES:
        points = sorted(draw(st.lists(st.integers(0, 24 * 60), unique=True, max_size=6)))
        pairs = list(zip(points[0::2], points[1::2], strict=False))
        if pairs:
            hours[day] = [f"{_format(start)}-{_format(end)}" for start, end in pairs]
    return hours


@given(INSTANTS, SPANS, business_hours(), ZONES)
def test_business_time_lies_between_zero_and_calendar_time(
    start: dt.datetime, span: dt.timedelta, hours: dict, zone: str
) -> None:
    result = business_seconds(start, start + span, hours, zone)
    assert 0.0 <= result <= span.total_seconds()


@given(INSTANTS, SPANS, SPANS, business_hours(), ZONES)
def test_business_time_is_additive(
    a: dt.datetime, first: dt.timedelta, second: dt.timedelta, hours: dict, zone: str
) -> None:
    b, c = a + first, a + first + second
    whole = business_delta(a, c, hours, zone)
    assert whole == business_delta(a, b, hours, zone) + business_delta(b, c, hours, zone)
    assert business_seconds(a, c, hours, zone) == whole.total_seconds()


@given(INSTANTS, SPANS, ZONES)
def test_all_day_hours_give_calendar_time(
    start: dt.datetime, span: dt.timedelta, zone: str
) -> None:
    assert business_seconds(start, start + span, ALL_DAY, zone) == span.total_seconds()


@settings(max_examples=200)
@given(INSTANTS, SPANS, st.floats(0, 1), business_hours(), ZONES)
def test_add_business_time_inverts_business_seconds(
    start: dt.datetime, span: dt.timedelta, share: float, hours: dict, zone: str
) -> None:
    available = business_delta(start, start + span, hours, zone)
    seconds = (available * share).total_seconds()
    moment = add_business_time(start, seconds, hours, zone)
    if not any(parse_business_hours(hours)):  # never open
        assert moment is None if seconds > 0 else moment == start
        return
    assert moment is not None
    assert start <= moment <= start + span
    assert business_seconds(start, moment, hours, zone) == seconds
    if seconds > 0:  # the first such moment: a microsecond earlier is not enough
        tick = dt.timedelta(microseconds=1)
        assert business_seconds(start, moment - tick, hours, zone) < seconds


@given(INSTANTS, SPANS, business_hours(), ZONES)
def test_add_business_time_of_elapsed_time_is_no_later(
    start: dt.datetime, span: dt.timedelta, hours: dict, zone: str
) -> None:
    end = start + span
    elapsed = business_seconds(start, end, hours, zone)
    moment = add_business_time(start, elapsed, hours, zone)
    if elapsed == 0:
        assert moment == start
        return
    assert moment is not None
    assert moment <= end
    assert business_seconds(start, moment, hours, zone) == elapsed
