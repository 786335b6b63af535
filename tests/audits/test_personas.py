"""Personas and tester exclusions: anonymous identities that must not give the audit away."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from audits.mystery.models import Persona, tester_excluded_clients
from audits.mystery.personas import (
    PersonaData,
    create_persona,
    excluded_client_ids,
    persona_warnings,
    set_excluded_clients,
)
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from tests.conftest import bearer, login

PERSONA_FORM = {
    "display_name": "Lena Hoffmann",
    "email": "Lena.Hoffmann@Mail.example",
    "phone": "+49 171 2345678",
    "social_x": "@lenahoff",
    "social_instagram": "lena.hoffmann",
    "notes": "Kundennummer 4711\nWohnt in der Gartenstraße 5",
}


def _field_error(html: bytes, field_id: str) -> str:
    marker = f'id="{field_id}-error" class="invalid-feedback'.encode()
    start = html.index(marker)
    return html[html.index(b">", start) + 1 : html.index(b"</div>", start)].decode()


def _checkbox(html: str, name: str, value: object) -> str:
    tags = re.findall(r"<input [^>]*>", html)
    return next(t for t in tags if f'name="{name}"' in t and f'value="{value}"' in t)


def _persona(app, name: str) -> Persona:
    with app.app_context():
        persona = db.session.scalar(select(Persona).filter_by(display_name=name))
        db.session.expunge(persona)
        return persona


def test_manager_creates_a_persona_for_chosen_testers(app, client, world):
    login(client, world.manager)
    response = client.post(
        "/audits/personas/new", data={**PERSONA_FORM, "tester_ids": [world.tester.id]}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Persona Lena Hoffmann is created." in page
    assert "alert-warning" not in page
    with app.app_context():
        persona = db.session.scalar(select(Persona).filter_by(display_name="Lena Hoffmann"))
        assert persona.email == "lena.hoffmann@mail.example"
        assert persona.social_handles == {"x": "@lenahoff", "instagram": "lena.hoffmann"}
        assert [t.id for t in persona.testers] == [world.tester.id]
    assert "lena.hoffmann@mail.example" in page
    assert "every tester" in page  # the world's persona is open to all testers


def test_revealing_persona_is_saved_with_a_warning_naming_each_field(app, client, world):
    login(client, world.manager)
    page = client.post(
        "/audits/personas/new",
        data={
            **PERSONA_FORM,
            "display_name": "Max Mystery",
            "email": "pruefer@qcrm.example",
            "social_facebook": "TestKaeufer",
        },
        follow_redirects=True,
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Persona Max Mystery is created." in text
    assert "The display name contains “mystery”" in text
    assert "The e-mail address contains “qcrm”" in text
    assert "The Facebook handle contains “test”" in text
    assert "may reveal the audit" in text  # the badge in the list
    persona = _persona(app, "Max Mystery")
    edit = client.get(f"/audits/personas/{persona.id}/edit").get_data(as_text=True)
    assert "The display name contains “mystery”" in edit


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (PersonaData("Anna MYSTERY-Shopper"), "The display name"),
        (PersonaData("Anna", email="a.testa@mail.example"), "The e-mail address"),
        (PersonaData("Anna", email="audit-team@mail.example"), "The e-mail address"),
        (PersonaData("Anna", phone="0800 QCRM"), "The phone number"),
        (PersonaData("Anna", social_handles={"x": "@Prüfstelle"}), "The X (Twitter) handle"),
        (PersonaData("Anna", social_handles={"linkedin": "anna-pruefer"}), "The LinkedIn handle"),
    ],
)
def test_persona_warnings_find_revealing_words_in_any_field(app, data, field):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        warnings = persona_warnings(data)
    assert len(warnings) == 1
    assert warnings[0].startswith(field + " contains")


def test_an_ordinary_persona_has_no_warnings(app):
    data = PersonaData(
        "Jana Berger",
        email="jana.berger@mail.example",
        phone="+49 30 1234567",
        social_handles={"x": "@janab", "facebook": "jana.berger.77"},
    )
    with app.test_request_context():
        assert persona_warnings(data) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "", "This field is required."),
        ("email", "lena@", "This is not a valid e-mail address."),
        ("phone", "call me maybe", "A phone number has digits"),
        ("social_x", "lena hoffmann", "A handle contains no spaces."),
    ],
)
def test_invalid_persona_input_is_shown_on_its_field(client, world, field, value, message):
    login(client, world.manager)
    response = client.post("/audits/personas/new", data={**PERSONA_FORM, field: value})
    assert response.status_code == 400
    assert message in _field_error(response.data, field)


@pytest.mark.parametrize("who", ["manager", "other_inactive"])
def test_only_active_testers_may_be_given_a_persona(app, world, who):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        if who == "other_inactive":
            other = db.session.get(User, world.other_tester.id)
            other.active = False
            db.session.commit()
        user_id = world.manager.id if who == "manager" else world.other_tester.id
        with pytest.raises(ServiceError) as raised:
            create_persona(PersonaData("Lena", tester_ids=(world.tester.id, user_id)))
        assert raised.value.errors == {
            "tester_ids": ["A chosen tester does not exist or is inactive."]
        }


def test_edit_form_shows_handles_and_testers_and_saves_changes(app, client, world):
    login(client, world.manager)
    client.post("/audits/personas/new", data={**PERSONA_FORM, "tester_ids": [world.tester.id]})
    persona = _persona(app, "Lena Hoffmann")
    form = client.get(f"/audits/personas/{persona.id}/edit").get_data(as_text=True)
    assert 'value="@lenahoff"' in form
    assert " checked" in _checkbox(form, "tester_ids", world.tester.id)
    assert " checked" not in _checkbox(form, "tester_ids", world.other_tester.id)
    response = client.post(
        f"/audits/personas/{persona.id}/edit",
        data={**PERSONA_FORM, "social_x": "", "phone": "", "tester_ids": []},
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Persona, persona.id)
        assert saved.social_handles == {"instagram": "lena.hoffmann"}
        assert saved.phone is None
        assert saved.testers == []


def test_archived_persona_leaves_the_list_and_can_be_restored(app, client, world):
    login(client, world.manager)
    client.post(f"/audits/personas/{world.persona.id}/archive")
    assert "Jana Berger" not in client.get("/audits/personas").get_data(as_text=True)
    assert "Jana Berger" in client.get("/audits/personas?archived=y").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Persona, world.persona.id).is_archived
    client.post(f"/audits/personas/{world.persona.id}/restore")
    assert "Jana Berger" in client.get("/audits/personas").get_data(as_text=True)


def test_persona_list_searches_name_email_and_phone(client, world):
    login(client, world.manager)
    client.post("/audits/personas/new", data=PERSONA_FORM, follow_redirects=True)
    by_email = client.get("/audits/personas?q=berger@").get_data(as_text=True)
    assert "Jana Berger" in by_email and "Lena Hoffmann" not in by_email
    by_phone = client.get("/audits/personas?q=2345678").get_data(as_text=True)
    assert "Lena Hoffmann" in by_phone and "Jana Berger" not in by_phone


@pytest.mark.parametrize("principal", ["tester", "executive"])
def test_testers_and_executives_cannot_reach_personas(client, world, principal):
    login(client, world.user(principal))
    assert client.get("/audits/personas").status_code == 403
    assert client.get(f"/audits/personas/{world.persona.id}/edit").status_code == 403
    assert client.get("/audits/tester-exclusions").status_code == 403
    assert client.get(f"/audits/tester-exclusions/{world.tester.id}").status_code == 403
    headers = bearer(world.tokens[principal])
    assert client.get("/api/v1/personas", headers=headers).status_code == 403


# API --------------------------------------------------------------------------------------


def test_api_creates_a_persona_and_returns_its_warnings(client, world):
    headers = bearer(world.tokens["manager"])
    created = client.post(
        "/api/v1/personas",
        json={
            "display_name": "Tom Tester",
            "email": "Tom@Mail.example",
            "social_handles": {"instagram": "tom.t"},
            "tester_ids": [world.tester.id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["email"] == "tom@mail.example"
    assert created.json["tester_ids"] == [world.tester.id]
    assert created.json["warnings"] == [
        "The display name contains “test”, which can reveal the audit to the audited company."
    ]
    persona_id = created.json["id"]
    patched = client.patch(
        f"/api/v1/personas/{persona_id}", json={"display_name": "Tom Berg"}, headers=headers
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["warnings"] == []
    assert patched.json["social_handles"] == {"instagram": "tom.t"}
    assert patched.json["tester_ids"] == [world.tester.id]
    got = client.get(f"/api/v1/personas/{world.persona.id}", headers=headers)
    assert got.json["display_name"] == "Jana Berger"
    assert got.json["tester_ids"] == []


def test_api_names_invalid_persona_fields(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.post(
        "/api/v1/personas",
        json={"email": "nope", "social_handles": {"myspace": "tom"}},
        headers=headers,
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert "display_name" in fields
    assert any(field.startswith("social_handles") for field in fields)
    service_errors = client.post(
        "/api/v1/personas",
        json={"display_name": "Tom", "email": "nope", "tester_ids": [world.manager.id]},
        headers=headers,
    )
    assert service_errors.status_code == 422
    assert {e["field"] for e in service_errors.json["errors"]} == {"email", "tester_ids"}


def test_api_lists_personas_a_tester_may_use(app, client, world):
    headers = bearer(world.tokens["manager"])
    client.post(
        "/api/v1/personas",
        json={"display_name": "Only Other", "tester_ids": [world.other_tester.id]},
        headers=headers,
    )
    everyone = client.get("/api/v1/personas", headers=headers)
    assert json.loads(everyone.headers["X-Pagination"])["total"] == 2
    for_tester = client.get(f"/api/v1/personas?tester_id={world.tester.id}", headers=headers)
    assert [p["display_name"] for p in for_tester.json] == ["Jana Berger"]
    for_other = client.get(f"/api/v1/personas?tester_id={world.other_tester.id}", headers=headers)
    assert [p["display_name"] for p in for_other.json] == ["Jana Berger", "Only Other"]


def test_archive_and_restore_a_persona_through_the_api(client, world):
    headers = bearer(world.tokens["manager"])
    archived = client.post(f"/api/v1/personas/{world.persona.id}/archive", headers=headers)
    assert archived.json["archived"] is True
    assert client.get("/api/v1/personas", headers=headers).json == []
    restored = client.post(f"/api/v1/personas/{world.persona.id}/restore", headers=headers)
    assert restored.json["archived"] is False


def test_openapi_document_describes_personas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/personas/{persona_id}" in spec["paths"]
    assert {"Persona", "PersonaPatch"} <= set(spec["components"]["schemas"])
    assert spec["components"]["schemas"]["Persona"]["properties"]["warnings"]["readOnly"]


# Tester exclusions ------------------------------------------------------------------------


def _excluded(app, user_id: int) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(tester_excluded_clients.c.client_id).where(
                    tester_excluded_clients.c.user_id == user_id
                )
            )
        )


def test_manager_sets_the_excluded_clients_of_a_tester(app, client, world):
    login(client, world.manager)
    listing = client.get("/audits/tester-exclusions").get_data(as_text=True)
    assert "Tester" in listing and "Other Tester" in listing
    form = client.get(f"/audits/tester-exclusions/{world.tester.id}")
    assert form.status_code == 200
    response = client.post(
        f"/audits/tester-exclusions/{world.tester.id}",
        data={"client_ids": [world.client_a.id, world.client_b.id]},
    )
    assert response.status_code == 302
    assert _excluded(app, world.tester.id) == {world.client_a.id, world.client_b.id}
    listing = client.get("/audits/tester-exclusions").get_data(as_text=True)
    assert "Stadtwerke Aue" in listing and "Energie Nord" in listing
    form = client.get(f"/audits/tester-exclusions/{world.tester.id}").get_data(as_text=True)
    assert " checked" in _checkbox(form, "client_ids", world.client_b.id)
    client.post(f"/audits/tester-exclusions/{world.tester.id}", data={"client_ids": []})
    assert _excluded(app, world.tester.id) == set()


def test_client_side_manager_changes_only_the_clients_they_see(app, client, world):
    with app.test_request_context():
        tester = db.session.get(User, world.tester.id)
        set_excluded_clients(tester, [world.client_b.id])
    login(client, world.client_manager)
    page = client.get(f"/audits/tester-exclusions/{world.tester.id}").get_data(as_text=True)
    assert "Energie Nord" not in page
    client.post(
        f"/audits/tester-exclusions/{world.tester.id}", data={"client_ids": [world.client_a.id]}
    )
    assert _excluded(app, world.tester.id) == {world.client_a.id, world.client_b.id}
    refused = client.post(
        f"/audits/tester-exclusions/{world.tester.id}", data={"client_ids": [world.client_b.id]}
    )
    assert refused.status_code == 400


def test_exclusions_belong_to_testers_only(app, client, world):
    login(client, world.manager)
    assert client.get(f"/audits/tester-exclusions/{world.executive.id}").status_code == 404
    assert client.get("/audits/tester-exclusions/99999").status_code == 404
    with app.test_request_context(headers={"Accept-Language": "en"}):
        manager = db.session.get(User, world.manager.id)
        with pytest.raises(ServiceError) as raised:
            set_excluded_clients(manager, [world.client_a.id])
        assert set(raised.value.errors) == {"user_id"}
        tester = db.session.get(User, world.tester.id)
        with pytest.raises(ServiceError) as raised:
            set_excluded_clients(tester, [99999])
        assert raised.value.errors == {"client_ids": ["Unknown client."]}
        set_excluded_clients(tester, [world.client_a.id, world.client_a.id])
        assert excluded_client_ids(tester) == {world.client_a.id}
        assert db.session.scalar(select(func.count()).select_from(tester_excluded_clients)) == 1
