"""Scenarios: managers write them on pages and through the API; a starter set ships with Q-CRM."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from audits.mystery.models import Difficulty, Scenario, ScenarioCategory
from audits.mystery.scenarios import ScenarioData, create_scenario
from audits.mystery.starter_scenarios import STARTER_SCENARIOS, load_starter_scenarios
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import ChannelType
from tests.conftest import bearer, login

SCENARIO_FORM = {
    "title": "Falsche Abschlagszahlung",
    "category": "complaint",
    "language": "de",
    "difficulty": "hard",
    "channel_types": ["email", "facebook"],
    "script": "Mein Abschlag wurde doppelt abgebucht.\nBitte erstatten Sie ihn.",
    "expected_answer": "Entschuldigung.\nErstattung innerhalb von fünf Tagen.",
    "solved_criteria": "Erstattung und Termin genannt.",
}


def _field_error(html: bytes, field_id: str) -> str:
    """The text of the invalid-feedback element that belongs to a field."""
    marker = f'id="{field_id}-error" class="invalid-feedback'.encode()
    start = html.index(marker)
    return html[html.index(b">", start) + 1 : html.index(b"</div>", start)].decode()


def _checkbox(html: str, name: str, value: str) -> str:
    """The <input> tag of one checkbox."""
    tags = re.findall(r"<input [^>]*>", html)
    return next(t for t in tags if f'name="{name}"' in t and f'value="{value}"' in t)


def test_manager_creates_a_scenario_and_reads_it_readably(app, client, world):
    login(client, world.manager)
    response = client.post("/audits/scenarios/new", data=SCENARIO_FORM)
    assert response.status_code == 302
    with app.app_context():
        scenario = db.session.scalar(select(Scenario).filter_by(title="Falsche Abschlagszahlung"))
        assert scenario.category is ScenarioCategory.COMPLAINT
        assert scenario.difficulty is Difficulty.HARD
        assert scenario.channel_types == ["email", "facebook"]
        assert scenario.script == SCENARIO_FORM["script"]
    assert response.headers["Location"] == f"/audits/scenarios/{scenario.id}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'class="qcrm-notes mb-0" lang="de">Mein Abschlag wurde doppelt abgebucht.\nBitte' in text
    assert "Erstattung innerhalb von fünf Tagen." in text
    assert "Erstattung und Termin genannt." in text
    assert "Facebook" in text and "E-mail" in text


def test_edit_form_shows_the_chosen_channel_types_and_saves_changes(app, client, world):
    login(client, world.manager)
    with app.app_context():
        scenario = db.session.get(Scenario, world.scenario.id)
        scenario.channel_types = ["phone"]
        db.session.commit()
    form = client.get(f"/audits/scenarios/{world.scenario.id}/edit")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert " checked" in _checkbox(html, "channel_types", "phone")
    assert " checked" not in _checkbox(html, "channel_types", "email")
    response = client.post(
        f"/audits/scenarios/{world.scenario.id}/edit",
        data={**SCENARIO_FORM, "title": "Tarifwechsel neu", "channel_types": []},
    )
    assert response.status_code == 302
    with app.app_context():
        scenario = db.session.get(Scenario, world.scenario.id)
        assert scenario.title == "Tarifwechsel neu"
        assert scenario.channel_types == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("script", "", "This field is required."),
        ("category", "gossip", "Invalid Choice"),
        ("difficulty", "impossible", "Invalid Choice"),
        ("language", "fr", "Not a valid choice."),
        ("channel_types", ["email", "pigeon"], "not a valid choice"),
    ],
)
def test_invalid_scenario_input_is_shown_on_its_field(client, world, field, value, message):
    login(client, world.manager)
    response = client.post("/audits/scenarios/new", data={**SCENARIO_FORM, field: value})
    assert response.status_code == 400
    assert message.lower() in _field_error(response.data, field).lower()


def test_duplicate_title_in_the_same_language_is_refused_on_the_title(client, world):
    login(client, world.manager)
    response = client.post("/audits/scenarios/new", data={**SCENARIO_FORM, "title": "tarifwechsel"})
    assert response.status_code == 400
    assert "already exists in this language" in _field_error(response.data, "title")
    english = client.post(
        "/audits/scenarios/new", data={**SCENARIO_FORM, "title": "Tarifwechsel", "language": "en"}
    )
    assert english.status_code == 302


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"script": " \n "}, "script"),
        ({"category": "gossip"}, "category"),
        ({"difficulty": "impossible"}, "difficulty"),
        ({"language": "fr"}, "language"),
        ({"channel_types": ("email", "pigeon")}, "channel_types"),
    ],
)
def test_service_names_the_wrong_field(app, changes, field):
    data = ScenarioData(
        **{
            "title": "Frage",
            "category": ScenarioCategory.QUESTION,
            "script": "Wie?",
            **changes,
        }
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ServiceError) as raised:
            create_scenario(data)
        assert set(raised.value.errors) == {field}
        assert db.session.scalar(select(func.count(Scenario.id))) == 0


def test_service_accepts_channel_types_as_members_or_values_in_enum_order(app):
    with app.test_request_context():
        scenario = create_scenario(
            ScenarioData(
                title="Frage",
                category="question",
                script="Wie?",
                channel_types=("x", ChannelType.PHONE, "x"),
            )
        )
        assert scenario.channel_types == ["phone", "x"]
        assert scenario.difficulty is Difficulty.MEDIUM


def test_list_searches_and_filters(app, client, world):
    with app.app_context():
        load_starter_scenarios()
    login(client, world.manager)
    everything = client.get("/audits/scenarios").get_data(as_text=True)
    assert "Tarifwechsel" in everything and "Complaint about a wrong bill" in everything
    english = client.get("/audits/scenarios?language=en").get_data(as_text=True)
    assert "Complaint about a wrong bill" in english
    assert "Beschwerde über eine falsche Rechnung" not in english
    complaints = client.get("/audits/scenarios?category=complaint").get_data(as_text=True)
    assert "Beschwerde über eine falsche Rechnung" in complaints
    assert "Status of an order" not in complaints
    searched = client.get("/audits/scenarios?q=WOHNUNG").get_data(as_text=True)
    assert "Umzug: Vertrag mitnehmen" in searched  # found in the script
    assert "Stand einer Bestellung" not in searched
    hard = client.get("/audits/scenarios?difficulty=hard&language=de").get_data(as_text=True)
    assert "Kundenportal: Anmeldung schlägt fehl" in hard
    assert "Frage zum Tarifwechsel" not in hard
    nonsense = client.get("/audits/scenarios?category=gossip&language=xx")
    assert nonsense.status_code == 200
    assert "Frage zum Tarifwechsel" in nonsense.get_data(as_text=True)


def test_archived_scenario_leaves_the_list_and_can_be_restored(app, client, world):
    login(client, world.manager)
    response = client.post(f"/audits/scenarios/{world.scenario.id}/archive")
    assert response.status_code == 302
    assert "Tarifwechsel" not in client.get("/audits/scenarios").get_data(as_text=True)
    assert "Tarifwechsel" in client.get("/audits/scenarios?archived=y").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Scenario, world.scenario.id).is_archived
    client.post(f"/audits/scenarios/{world.scenario.id}/restore")
    assert "Tarifwechsel" in client.get("/audits/scenarios").get_data(as_text=True)


def test_restore_is_refused_when_an_active_scenario_took_the_title(app, client, world):
    login(client, world.manager)
    client.post(f"/audits/scenarios/{world.scenario.id}/archive")
    client.post("/audits/scenarios/new", data={**SCENARIO_FORM, "title": "Tarifwechsel"})
    page = client.post(f"/audits/scenarios/{world.scenario.id}/restore", follow_redirects=True)
    assert "already exists in this language" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Scenario, world.scenario.id).is_archived


def test_archive_needs_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world.manager)
    client.post(f"/audits/scenarios/{world.scenario.id}/archive")
    with app.app_context():
        assert not db.session.get(Scenario, world.scenario.id).is_archived


@pytest.mark.parametrize("principal", ["tester", "executive"])
def test_testers_and_executives_cannot_reach_scenarios(client, world, principal):
    login(client, world.user(principal))
    assert client.get("/audits/scenarios").status_code == 403
    assert client.get(f"/audits/scenarios/{world.scenario.id}").status_code == 403
    assert client.post("/audits/scenarios/new", data=SCENARIO_FORM).status_code == 403
    headers = bearer(world.tokens[principal])
    assert client.get("/api/v1/scenarios", headers=headers).status_code == 403


# Starter scenarios ------------------------------------------------------------------------


def test_starter_set_has_eight_complete_scenarios_per_language():
    for language in ("de", "en"):
        shipped = [s for s in STARTER_SCENARIOS if s.language == language]
        assert len(shipped) == 8
        assert len({s.title for s in shipped}) == 8
        assert len({s.category for s in shipped}) >= 6
        for scenario in shipped:
            assert scenario.script and scenario.expected_answer and scenario.solved_criteria
            assert all(isinstance(t, ChannelType) for t in scenario.channel_types)


def test_starter_scenarios_load_once_and_respect_archived_ones(app):
    with app.app_context():
        assert load_starter_scenarios() == 16
        assert load_starter_scenarios() == 0
        scenario = db.session.scalar(
            select(Scenario).filter_by(title="Öffnungszeiten des Kundencenters")
        )
        scenario.archived_at = func.now()
        db.session.commit()
        assert load_starter_scenarios() == 0
        assert db.session.scalar(select(func.count(Scenario.id))) == 16


def test_starter_scenarios_keep_a_scenario_already_there(app, world):
    with app.app_context():
        db.session.add(
            Scenario(
                title="STATUS OF AN ORDER",
                category=ScenarioCategory.ORDER,
                script="Mine.",
                language="en",
            )
        )
        db.session.commit()
        assert load_starter_scenarios() == 15
        assert (
            db.session.scalar(
                select(func.count(Scenario.id)).where(
                    func.lower(Scenario.title) == "status of an order"
                )
            )
            == 1
        )


# API --------------------------------------------------------------------------------------


def test_create_get_and_patch_a_scenario_through_the_api(client, world):
    headers = bearer(world.tokens["manager"])
    created = client.post(
        "/api/v1/scenarios",
        json={
            "title": "Order status",
            "category": "order",
            "script": "Where is my parcel?",
            "channel_types": ["email", "live_chat"],
            "language": "en",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["difficulty"] == "medium"
    assert created.json["channel_types"] == ["email", "live_chat"]
    assert created.json["archived"] is False
    scenario_id = created.json["id"]
    patched = client.patch(
        f"/api/v1/scenarios/{scenario_id}",
        json={"difficulty": "hard", "expected_answer": "Tracking number."},
        headers=headers,
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["title"] == "Order status"
    assert patched.json["difficulty"] == "hard"
    assert patched.json["channel_types"] == ["email", "live_chat"]
    got = client.get(f"/api/v1/scenarios/{scenario_id}", headers=headers)
    assert got.json["expected_answer"] == "Tracking number."


def test_api_names_invalid_fields_in_a_problem_document(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.post(
        "/api/v1/scenarios",
        json={"category": "gossip", "channel_types": ["pigeon"], "language": "fr"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.json["errors"]}
    assert {"title", "script", "category", "language"} <= fields
    assert any(field.startswith("channel_types") for field in fields)
    blank = client.post(
        "/api/v1/scenarios",
        json={"title": "  ", "category": "order", "script": "x"},
        headers=headers,
    )
    assert blank.status_code == 422
    assert blank.json["errors"] == [{"field": "title", "message": "Please enter a title."}]


def test_api_lists_filter_and_paginate(app, client, world):
    with app.app_context():
        load_starter_scenarios()
    headers = bearer(world.tokens["manager"])
    first = client.get("/api/v1/scenarios?page_size=5", headers=headers)
    assert json.loads(first.headers["X-Pagination"])["total"] == 17
    assert len(first.json) == 5
    english = client.get("/api/v1/scenarios?language=en&category=complaint", headers=headers)
    assert [s["title"] for s in english.json] == ["Complaint about a wrong bill"]
    assert client.get("/api/v1/scenarios?category=gossip", headers=headers).status_code == 422


def test_archive_and_restore_through_the_api(client, world):
    headers = bearer(world.tokens["manager"])
    archived = client.post(f"/api/v1/scenarios/{world.scenario.id}/archive", headers=headers)
    assert archived.json["archived"] is True
    assert client.get("/api/v1/scenarios", headers=headers).json == []
    assert len(client.get("/api/v1/scenarios?archived=true", headers=headers).json) == 1
    restored = client.post(f"/api/v1/scenarios/{world.scenario.id}/restore", headers=headers)
    assert restored.json["archived"] is False


def test_openapi_document_describes_scenarios(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/scenarios/{scenario_id}/archive" in spec["paths"]
    assert {"Scenario", "ScenarioPatch"} <= set(spec["components"]["schemas"])
