"""Drawing a wave's schedule: spread, reproducible, and honest about rules it cannot meet."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.mystery.models import HourBand
from audits.mystery.schedule import (
    PlanChannel,
    PlanPersona,
    PlanProblem,
    PlanSettings,
    PlanTester,
    channel_slots,
    draw_schedule,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {day: ["08:00-18:00"] for day in WEEKDAYS}
ALL_BANDS = tuple(HourBand)


def plan_settings(**overrides) -> PlanSettings:
    values = {
        "period_start": dt.date(2026, 3, 2),  # a Monday
        "period_end": dt.date(2026, 3, 15),
        "weekdays": WEEKDAYS,
        "hour_bands": (HourBand.MORNING, HourBand.NOON, HourBand.AFTERNOON),
        "within_business_hours": True,
        "contacts_per_cell": 4,
        "lockout_days": 3,
        "persona_reuse_days": 3,
        "daily_cap_per_tester": 4,
        "seed": 42,
    }
    values.update(overrides)
    return PlanSettings(**values)


CHANNELS = [
    PlanChannel(id=1, client_id=10, time_zone="Europe/Berlin", business_hours=OFFICE),
    PlanChannel(id=2, client_id=10, time_zone="Europe/Berlin", business_hours=OFFICE),
]
TESTERS = [PlanTester(id=t) for t in range(100, 108)]
PERSONAS = [PlanPersona(id=p) for p in range(200, 210)]


def draw(**overrides):
    channels = overrides.pop("channels", CHANNELS)
    testers = overrides.pop("testers", TESTERS)
    personas = overrides.pop("personas", PERSONAS)
    scenarios = overrides.pop("scenarios", [1, 2, 3])
    return draw_schedule(plan_settings(**overrides), channels, scenarios, testers, personas)


def test_every_channel_gets_contacts_per_cell_times_scenarios():
    plan = draw()
    cells = Counter((i.channel_id, i.scenario_id) for i in plan.inquiries)
    assert cells == {(c, s): 4 for c in (1, 2) for s in (1, 2, 3)}
    assert not plan.problems


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another():
    first, again, other = draw(), draw(), draw(seed=7)
    as_rows = lambda plan: [  # noqa: E731
        (i.channel_id, i.scenario_id, i.planned_at, i.tester_id, i.persona_id)
        for i in plan.inquiries
    ]
    assert as_rows(first) == as_rows(again)
    assert as_rows(first) != as_rows(other)


def test_inquiries_are_spread_evenly_over_weekdays_and_hour_bands():
    plan = draw(contacts_per_cell=5)  # 15 per channel over 5 weekdays x 3 bands
    for channel_id in (1, 2):
        strata = Counter(
            (i.local_date.weekday(), i.hour_band)
            for i in plan.inquiries
            if i.channel_id == channel_id
        )
        assert len(strata) == 15
        assert set(strata.values()) == {1}


def test_planned_times_lie_inside_band_and_business_hours_in_local_time():
    hours = {"mon": ["09:30-12:15"], "tue": ["13:00-16:00"]}
    channel = PlanChannel(id=1, client_id=10, time_zone="Europe/Berlin", business_hours=hours)
    plan = draw(channels=[channel], weekdays=("mon", "tue"), contacts_per_cell=6)
    for inquiry in plan.inquiries:
        local = inquiry.planned_at.astimezone(dt.timezone(dt.timedelta(hours=1)))  # CET in March
        minutes = local.hour * 60 + local.minute
        if local.weekday() == 0:
            assert 9 * 60 + 30 <= minutes < 12 * 60 + 15
        else:
            assert 13 * 60 <= minutes < 16 * 60
        assert local.date() == inquiry.local_date


def test_outside_business_hours_on_purpose_uses_the_whole_band():
    plan = draw(within_business_hours=False, hour_bands=(HourBand.EVENING,), contacts_per_cell=3)
    assert all(i.hour_band is HourBand.EVENING for i in plan.inquiries)
    assert all(
        i.planned_at.astimezone(dt.timezone(dt.timedelta(hours=1))).hour >= 18
        for i in plan.inquiries
    )


def test_a_channel_closed_in_every_allowed_band_is_reported():
    plan = draw(hour_bands=(HourBand.NIGHT,))
    assert plan.channels_without_slots == [1, 2]
    assert plan.inquiries == []


def test_testers_respect_lockout_daily_cap_and_are_balanced():
    plan = draw()
    by_tester_channel: dict[tuple[int, int], list[dt.datetime]] = {}
    per_day = Counter()
    for inquiry in plan.inquiries:
        by_tester_channel.setdefault((inquiry.tester_id, inquiry.channel_id), []).append(
            inquiry.planned_at
        )
        per_day[(inquiry.tester_id, inquiry.planned_at.date())] += 1
    for times in by_tester_channel.values():
        times.sort()
        assert all(b - a >= dt.timedelta(days=3) for a, b in itertools.pairwise(times))
    assert max(per_day.values()) <= 4
    load = Counter(i.tester_id for i in plan.inquiries)
    # the least-busy tester is sometimes locked out of the channel: loads differ by 2 at most
    assert max(load.values()) - min(load.values()) <= 2


def test_excluded_clients_are_never_assigned_to_the_tester():
    testers = [PlanTester(id=100, excluded_client_ids=frozenset({10})), *TESTERS[1:]]
    plan = draw(testers=testers)
    assert all(i.tester_id != 100 for i in plan.inquiries)


def test_rules_that_cannot_be_met_are_named_with_counts_and_nothing_is_dropped():
    plan = draw(testers=[PlanTester(id=100)], lockout_days=14)
    assert len(plan.inquiries) == 24
    assigned = [i for i in plan.inquiries if i.tester_id is not None]
    assert len(assigned) == 2  # one per channel in the whole period
    assert plan.problems == {PlanProblem.LOCKOUT: 22}
    assert all(i.problem == PlanProblem.LOCKOUT for i in plan.inquiries if i.tester_id is None)


def test_no_testers_at_all_is_a_problem_for_every_inquiry():
    plan = draw(testers=[])
    assert plan.problems == {PlanProblem.NO_TESTERS: 24}


def test_personas_are_limited_to_their_testers_and_not_reused_too_soon():
    personas = [PlanPersona(id=200, tester_ids=frozenset({100}))] + [
        PlanPersona(id=p) for p in range(201, 210)
    ]
    plan = draw(personas=personas)
    assert all(i.tester_id == 100 for i in plan.inquiries if i.persona_id == 200)
    uses: dict[tuple[int, int], list[dt.datetime]] = {}
    for inquiry in plan.inquiries:
        uses.setdefault((inquiry.persona_id, inquiry.channel_id), []).append(inquiry.planned_at)
    for times in uses.values():
        times.sort()
        assert all(b - a >= dt.timedelta(days=3) for a, b in itertools.pairwise(times))


def test_auto_sent_email_channels_need_personas_with_an_address():
    channel = PlanChannel(
        id=1,
        client_id=10,
        time_zone="Europe/Berlin",
        business_hours=OFFICE,
        needs_persona_email=True,
    )
    plan = draw(channels=[channel], personas=[PlanPersona(id=200, has_email=False)])
    assert plan.problems == {PlanProblem.PERSONA_WITHOUT_EMAIL: 12}


def test_slots_follow_daylight_saving_time():
    channel = PlanChannel(id=1, client_id=10, time_zone="Europe/Berlin", business_hours=OFFICE)
    settings_ = plan_settings(period_start=dt.date(2026, 3, 30), period_end=dt.date(2026, 3, 30))
    assert [s.band for s in channel_slots(channel, settings_)] == [
        HourBand.MORNING,
        HourBand.NOON,
        HourBand.AFTERNOON,
    ]
    plan = draw(
        channels=[channel],
        period_start=dt.date(2026, 3, 30),
        period_end=dt.date(2026, 3, 30),
        contacts_per_cell=1,
        scenarios=[1, 2, 3],
    )
    for inquiry in plan.inquiries:  # CEST: UTC+2 after 29 March 2026
        local_hour = (inquiry.planned_at + dt.timedelta(hours=2)).hour
        assert 8 <= local_hour < 18


@settings(max_examples=40, deadline=None)
@given(
    per_cell=st.integers(min_value=1, max_value=6),
    testers=st.integers(min_value=0, max_value=6),
    lockout=st.integers(min_value=0, max_value=10),
    cap=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_every_inquiry_is_planned_and_assigned_or_names_its_problem(
    per_cell, testers, lockout, cap, seed
):
    plan = draw(
        contacts_per_cell=per_cell,
        testers=[PlanTester(id=100 + t) for t in range(testers)],
        lockout_days=lockout,
        daily_cap_per_tester=cap,
        seed=seed,
    )
    assert len(plan.inquiries) == 2 * 3 * per_cell
    for inquiry in plan.inquiries:
        assert (inquiry.tester_id is not None and inquiry.persona_id is not None) or inquiry.problem
    assert sum(plan.problems.values()) == sum(1 for i in plan.inquiries if i.problem)


@pytest.mark.parametrize("count", [1, 7, 29])
def test_counts_that_do_not_divide_evenly_still_differ_by_at_most_one_per_stratum(count):
    plan = draw(channels=CHANNELS[:1], scenarios=[1], contacts_per_cell=count)
    strata = Counter((i.local_date.weekday(), i.hour_band) for i in plan.inquiries)
    values = [
        strata.get((d, b), 0)
        for d in range(5)
        for b in (HourBand.MORNING, HourBand.NOON, HourBand.AFTERNOON)
    ]
    assert max(values) - min(values) <= 1
