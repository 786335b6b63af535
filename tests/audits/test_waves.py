"""Waves: planned by managers, drawn into a schedule, confirmed, closed; honest about rules."""

from __future__ import annotations

import datetime as dt

import pytest

from audits.mystery import waves as service
from audits.mystery.models import Inquiry, InquiryStatus, Wave, WaveStatus
from audits.scorecards.models import ScorecardVersion
from qcrm.extensions import db
from qcrm.models import Role, User
from tests.conftest import bearer, login

START = dt.date.today() + dt.timedelta(days=14)


def _monday_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def wave_form(world, **overrides) -> dict:
    start = _monday_after(START)
    data = {
        "name": "Frühjahrswelle",
        "client_id": world.client_a.id,
        "scorecard_version_id": world.version.id,
        "period_start": start.isoformat(),
        "period_end": (start + dt.timedelta(days=13)).isoformat(),
        "channel_ids": [world.channel_a.id],
        "scenario_ids": [world.scenario.id],
        "tester_ids": [world.tester.id, world.other_tester.id],
        "contacts_per_cell": 3,
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "hour_bands": ["morning", "noon", "afternoon"],
        "within_business_hours": "",
        "timeout_written": "72",
        "timeout_social": "24",
        "timeout_live": "1",
        "target_answer_rate": "90",
        "target_frt_median_minutes": "30",
        "target_frt_within_hours": "6",
        "target_frt_within_share": "90",
        "lockout_days": "0",
        "persona_reuse_days": "0",
        "daily_cap_per_tester": "4",
    }
    data.update(overrides)
    return data


def test_manager_plans_a_wave_and_draws_its_schedule(app, client, world):
    login(client, world.manager)
    response = client.post("/audits/waves/new", data=wave_form(world))
    assert response.status_code == 302, response.data
    wave_id = int(response.headers["Location"].rsplit("/", 1)[1])
    drawn = client.post(f"/audits/waves/{wave_id}/schedule", follow_redirects=True)
    assert b"3 inquiries are drawn." in drawn.data
    assert b"Inquiries per channel and day" in drawn.data
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        assert wave.target_answer_rate == pytest.approx(0.9)
        assert wave.answer_timeouts["email"] == 72
        inquiries = db.session.query(Inquiry).filter_by(wave_id=wave_id).all()
        assert len(inquiries) == 3
        assert {i.tester_id for i in inquiries} <= {world.tester.id, world.other_tester.id}
        assert all(i.status is InquiryStatus.PLANNED for i in inquiries)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "period_start",
            (dt.date.today() - dt.timedelta(days=3)).isoformat(),
            b"must not start in the past",
        ),
        (
            "period_end",
            (START - dt.timedelta(days=30)).isoformat(),
            b"must end on or after its start",
        ),
        ("channel_ids", [], b"Choose at least one channel."),
        ("hour_bands", ["night"], b"is closed on every chosen weekday and time of day"),
        ("lockout_days", "7", b"needs 30 contacts, but 2 testers with a lockout of 7 days"),
        ("timeout_written", "-4", b"Number must be between 0.1 and 8760."),
        ("daily_cap_per_tester", "0", b"Number must be between 1 and 100."),
    ],
)
def test_impossible_waves_are_refused_naming_the_field(client, world, field, value, message):
    login(client, world.manager)
    overrides = {field: value}
    if field == "hour_bands":
        overrides["within_business_hours"] = "y"
    if field == "lockout_days":
        overrides["contacts_per_cell"] = "30"
    response = client.post("/audits/waves/new", data=wave_form(world, **overrides))
    assert response.status_code == 400
    assert message in response.data
    assert b'aria-invalid="true"' in response.data or b"invalid-feedback d-block" in response.data


def test_confirming_freezes_the_scorecard_version_and_fixes_the_draw(app, client, world):
    login(client, world.manager)
    wave_id = int(
        client.post("/audits/waves/new", data=wave_form(world))
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    client.post(f"/audits/waves/{wave_id}/schedule")
    client.post(f"/audits/waves/{wave_id}/confirm")
    with app.app_context():
        wave = db.session.get(Wave, wave_id)
        assert wave.status is WaveStatus.SCHEDULED
        assert db.session.get(ScorecardVersion, world.version.id).is_frozen
    edit = client.post(f"/audits/waves/{wave_id}/edit", data=wave_form(world, name="X"))
    assert edit.status_code == 400
    assert b"Only a draft wave can be changed." in edit.data


def test_a_schedule_that_breaks_rules_cannot_be_confirmed(app, client, world):
    login(client, world.manager)
    form = wave_form(world, tester_ids=[world.tester.id], contacts_per_cell="2", lockout_days="13")
    wave_id = int(client.post("/audits/waves/new", data=form).headers["Location"].rsplit("/", 1)[1])
    page = client.post(f"/audits/waves/{wave_id}/schedule", follow_redirects=True)
    assert b"1 of them break a rule" in page.data or b"break a rule" in page.data
    assert b"contacted this channel within the lockout period" in page.data
    confirmed = client.post(f"/audits/waves/{wave_id}/confirm", follow_redirects=True)
    assert b"have no tester or persona" in confirmed.data
    with app.app_context():
        assert db.session.get(Wave, wave_id).status is WaveStatus.DRAFT


def test_redrawing_with_the_same_seed_gives_the_same_schedule(app, client, world):
    login(client, world.manager)
    wave_id = int(
        client.post("/audits/waves/new", data=wave_form(world))
        .headers["Location"]
        .rsplit("/", 1)[1]
    )

    def schedule():
        client.post(f"/audits/waves/{wave_id}/schedule")
        with app.app_context():
            return [
                (i.channel_id, i.scenario_id, i.tester_id, i.planned_at)
                for i in db.session.query(Inquiry)
                .filter_by(wave_id=wave_id)
                .order_by(Inquiry.planned_at)
            ]

    first = schedule()
    assert schedule() == first
    client.post(f"/audits/waves/{wave_id}/schedule", data={"new_seed": "y"})
    with app.app_context():
        assert db.session.query(Inquiry).filter_by(wave_id=wave_id).count() == len(first)


def test_closing_cancels_open_inquiries(app, world):
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.RUNNING
        db.session.commit()
        assert service.close_wave(wave) == 2
        assert {i.status for i in db.session.query(Inquiry).filter_by(wave_id=wave.id)} == {
            InquiryStatus.CANCELLED
        }
        assert wave.status is WaveStatus.CLOSED


def test_previous_comparable_wave_is_the_latest_closed_one_with_the_same_scorecard(app, world):
    with app.app_context():
        current = db.session.get(Wave, world.wave_a.id)
        older = Wave(
            name="Herbst",
            client_id=world.client_a.id,
            scorecard_version_id=world.version.id,
            period_start=current.period_start - dt.timedelta(days=120),
            period_end=current.period_start - dt.timedelta(days=100),
            seed=1,
            contacts_per_cell=1,
            weekdays=["mon"],
            hour_bands=["morning"],
            status=WaveStatus.CLOSED,
        )
        still_running = Wave(
            name="Winter",
            client_id=world.client_a.id,
            scorecard_version_id=world.version.id,
            period_start=current.period_start - dt.timedelta(days=40),
            period_end=current.period_start - dt.timedelta(days=20),
            seed=1,
            contacts_per_cell=1,
            weekdays=["mon"],
            hour_bands=["morning"],
            status=WaveStatus.RUNNING,
        )
        db.session.add_all([older, still_running])
        db.session.commit()
        assert service.previous_comparable_wave(current).name == "Herbst"


def test_executive_and_tester_cannot_open_waves(client, world):
    for user in (world.executive, world.tester):
        login(client, user)
        assert client.get("/audits/waves").status_code == 403


def test_wave_page_lists_inquiries_in_the_channels_time_zone(client, world):
    login(client, world.manager)
    page = client.get(f"/audits/waves/{world.wave_a.id}")
    assert page.status_code == 200
    assert b"10:30" in page.data  # 09:30 UTC is 10:30 in Berlin in January


def _api_wave(world) -> dict:
    start = _monday_after(START)
    return {
        "name": "API-Welle",
        "client_id": world.client_a.id,
        "scorecard_version_id": world.version.id,
        "period_start": start.isoformat(),
        "period_end": (start + dt.timedelta(days=13)).isoformat(),
        "channel_ids": [world.channel_a.id],
        "scenario_ids": [world.scenario.id],
        "tester_ids": [world.tester.id, world.other_tester.id],
        "contacts_per_cell": 2,
        "within_business_hours": False,
        "persona_reuse_days": 0,
    }


def test_api_creates_draws_and_confirms_a_wave(client, world):
    headers = bearer(world.tokens["manager"])
    created = client.post("/api/v1/waves", json=_api_wave(world), headers=headers)
    assert created.status_code == 201, created.json
    wave_id = created.json["id"]
    assert created.json["status"] == "draft"
    plan = client.post(f"/api/v1/waves/{wave_id}/schedule", json={}, headers=headers)
    assert plan.status_code == 200
    assert plan.json["total"] == 2
    assert plan.json["problems"] == {}
    confirmed = client.post(f"/api/v1/waves/{wave_id}/confirm", headers=headers)
    assert confirmed.json["status"] == "scheduled"
    patch = client.patch(f"/api/v1/waves/{wave_id}", json={"name": "Neu"}, headers=headers)
    assert patch.status_code == 422
    assert patch.json["errors"][0]["field"] == "status"


def test_api_names_the_field_of_an_impossible_wave(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.post(
        "/api/v1/waves",
        json={**_api_wave(world), "answer_timeouts": {"email": -1}, "tester_ids": [world.admin.id]},
        headers=headers,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert {"answer_timeouts.email", "tester_ids"} <= fields


def test_api_lists_inquiries_testers_see_only_their_own(client, world):
    mine = client.get("/api/v1/inquiries", headers=bearer(world.tokens["tester"]))
    assert [i["id"] for i in mine.json] == [world.inquiry_a.id]
    manager = client.get(
        f"/api/v1/inquiries?wave_id={world.wave_a.id}&tester_id={world.other_tester.id}",
        headers=bearer(world.tokens["manager"]),
    )
    assert [i["id"] for i in manager.json] == [world.inquiry_other.id]
    scoped = client.get("/api/v1/inquiries", headers=bearer(world.tokens["client_manager"]))
    assert {i["wave_id"] for i in scoped.json} == {world.wave_a.id}
    other = client.get(
        f"/api/v1/inquiries/{world.inquiry_other.id}", headers=bearer(world.tokens["tester"])
    )
    assert other.status_code == 404


@pytest.mark.parametrize("name", ["wave_id", "tester_id", "channel_id"])
@pytest.mark.parametrize("value", [2**31, 2**64, 0])
def test_api_inquiry_filters_refuse_ids_beyond_the_database_integer(client, world, name, value):
    """Found by make fuzz: such an id overflowed in the database (500)."""
    response = client.get(
        f"/api/v1/inquiries?{name}={value}", headers=bearer(world.tokens["manager"])
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [name]


def test_inactive_or_non_tester_users_are_not_accepted_into_the_pool(app, world):
    with app.app_context():
        db.session.get(User, world.other_tester.id).active = False
        db.session.commit()
        manager = db.session.get(User, world.manager.id)
        data = service.WaveData(
            name="X",
            client_id=world.client_a.id,
            scorecard_version_id=world.version.id,
            period_start=START,
            period_end=START + dt.timedelta(days=5),
            channel_ids=(world.channel_a.id,),
            scenario_ids=(world.scenario.id,),
            tester_ids=(world.other_tester.id,),
            contacts_per_cell=1,
            weekdays=("mon", "tue", "wed", "thu", "fri"),
            hour_bands=("morning",),
        )
        with pytest.raises(service.ServiceError) as error:
            service.create_wave(data, acting=manager)
        assert "tester_ids" in error.value.errors
        assert db.session.query(User).filter_by(role=Role.TESTER, active=True).count() == 1
