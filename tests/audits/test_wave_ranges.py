"""Wave numbers are finite and within a year (hours, minutes) or their scale (shares, scores):
one absurd value used to overflow the scheduler's timedeltas on every run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from audits.mystery import contact_logs, dispatch
from audits.mystery.models import Inquiry, InquiryAttempt, InquiryStatus, Wave, WaveStatus
from qcrm import scheduler
from qcrm.extensions import db
from tests.audits.test_waves import _api_wave, wave_form
from tests.conftest import bearer, login
from tests.hostile import HOSTILE_NUMBERS_FORM, HOSTILE_NUMBERS_RAW_JSON, raw_json

API_FIELDS = (
    "second_attempt_after_hours",
    "target_frt_median_minutes",
    "target_frt_within_hours",
    "target_frt_within_share",
    "target_answer_rate",
    "target_total_score",
    "contacts_per_cell",
    "lockout_days",
    "persona_reuse_days",
    "daily_cap_per_tester",
)
FORM_FIELDS = (
    "second_attempt_after_hours",
    "target_frt_median_minutes",
    "target_frt_within_hours",
    "target_frt_within_share",
    "timeout_written",
    "timeout_social",
    "timeout_live",
    "target_total_score",
    "contacts_per_cell",
    "lockout_days",
    "daily_cap_per_tester",
)


def _wave_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Wave.id)))


@pytest.mark.parametrize("literal", HOSTILE_NUMBERS_RAW_JSON)
@pytest.mark.parametrize("field", API_FIELDS)
def test_api_refuses_absurd_numbers_naming_the_field(app, client, world, field, literal):
    before = _wave_count(app)
    response = client.post(
        "/api/v1/waves",
        data=raw_json(_api_wave(world), field, literal),
        headers={**bearer(world.tokens["manager"]), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.data
    assert field in {e["field"] for e in response.json["errors"]}, response.json
    assert _wave_count(app) == before


@pytest.mark.parametrize("literal", HOSTILE_NUMBERS_RAW_JSON)
def test_api_refuses_absurd_answer_timeouts(app, client, world, literal):
    before = _wave_count(app)
    body = raw_json(_api_wave(world), "answer_timeouts", f'{{"email": {literal}}}')
    response = client.post(
        "/api/v1/waves",
        data=body,
        headers={**bearer(world.tokens["manager"]), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.data
    fields = {e["field"] for e in response.json["errors"]}
    assert any(f.startswith("answer_timeouts.email") for f in fields), response.json
    assert _wave_count(app) == before


def test_api_patch_refuses_an_overflowing_second_attempt(client, world):
    headers = bearer(world.tokens["manager"])
    wave_id = client.post("/api/v1/waves", json=_api_wave(world), headers=headers).json["id"]
    response = client.patch(
        f"/api/v1/waves/{wave_id}", json={"second_attempt_after_hours": 1e21}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "second_attempt_after_hours"


def test_the_service_refuses_a_year_and_more(app, world):
    from audits.mystery import waves as service
    from qcrm.errors import ServiceError
    from qcrm.models import User

    values = {**_api_wave(world)}
    for key in ("channel_ids", "scenario_ids", "tester_ids"):
        values[key] = tuple(values[key])
    values["period_start"] = dt.date.fromisoformat(values["period_start"])
    values["period_end"] = dt.date.fromisoformat(values["period_end"])
    with app.app_context():
        manager = db.session.get(User, world.manager.id)
        with pytest.raises(ServiceError) as raised:
            service.create_wave(
                service.WaveData(
                    **values,
                    weekdays=("mon",),
                    hour_bands=("morning",),
                    answer_timeouts={"email": 8761.0},
                    second_attempt_after_hours=float("inf"),
                    target_frt_median_minutes=525_601.0,
                    target_frt_within_hours=float("nan"),
                ),
                manager,
            )
    assert {
        "answer_timeouts.email",
        "second_attempt_after_hours",
        "target_frt_median_minutes",
        "target_frt_within_hours",
    } <= set(raised.value.errors)


@pytest.mark.parametrize("value", HOSTILE_NUMBERS_FORM)
@pytest.mark.parametrize("field", FORM_FIELDS)
def test_form_refuses_absurd_numbers_on_the_field(app, client, world, field, value):
    login(client, world.manager)
    before = _wave_count(app)
    response = client.post("/audits/waves/new", data=wave_form(world, **{field: value}))
    assert response.status_code == 400
    assert _wave_count(app) == before
    page = response.get_data(as_text=True)
    field_html = page[page.index(f'name="{field}"') - 400 : page.index(f'name="{field}"') + 600]
    assert "is-invalid" in field_html or 'aria-invalid="true"' in field_html


def test_a_stored_absurd_wave_stops_only_its_own_inquiries(app, world):
    """Old data may hold 1e21 hours: the jobs skip that wave's inquiries and do the others."""
    with app.app_context():
        broken = db.session.get(Wave, world.wave_b.id)
        good = db.session.get(Wave, world.wave_a.id)
        for wave in (good, broken):
            wave.status = WaveStatus.RUNNING
            wave.auto_send_email = False
            wave.answer_timeouts = {"email": 72}
        good.second_attempt_after_hours = 24
        broken.second_attempt_after_hours = 1e21
        inquiry_b = db.session.get(Inquiry, world.inquiry_other.id)
        inquiry_b.wave_id, inquiry_b.channel_id = broken.id, world.channel_b.id
        db.session.commit()
        broken_id = inquiry_b.id
    planned = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)
    with app.app_context(), time_machine.travel(planned, tick=False):
        dispatch.make_inquiries_due(planned)
        inquiries = db.session.scalars(
            select(Inquiry).where(Inquiry.id.in_([world.inquiry_a.id, broken_id]))
        ).all()
        for inquiry in inquiries:
            contact_logs.record_sent(inquiry, inquiry.tester, 1, planned)
    later = planned + dt.timedelta(hours=25)
    assert scheduler.run_once(app, worker="host:r", now=later) == 0
    with app.app_context():
        numbers = db.session.scalars(
            select(InquiryAttempt.number).where(InquiryAttempt.inquiry_id == world.inquiry_a.id)
        ).all()
        assert sorted(numbers) == [1, 2]
        assert db.session.get(Inquiry, world.inquiry_a.id).status is InquiryStatus.SENT
        other = db.session.get(Inquiry, world.inquiry_other.id)
        assert other.status is InquiryStatus.SENT
        assert len(other.attempts) == 1
        assert "OverflowError" in (other.dispatch_problem or "")


def test_api_refuses_an_unknown_channel_type_among_the_timeouts(app, client, world):
    response = client.post(
        "/api/v1/waves",
        json={**_api_wave(world), "answer_timeouts": {"pigeon\r\nX": 5}},
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 422
    assert "answer_timeouts" in {e["field"] for e in response.json["errors"]}


def test_form_refuses_a_wave_name_with_a_line_break(app, client, world):
    login(client, world.manager)
    before = _wave_count(app)
    response = client.post("/audits/waves/new", data=wave_form(world, name="Welle\r\nX"))
    assert response.status_code == 400
    assert b"without control characters" in response.data
    assert _wave_count(app) == before
