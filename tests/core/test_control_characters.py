"""Single-line fields refuse control characters (CR/LF in a name or title reached mail headers
and made the mail unbuildable); multi-line texts keep line breaks and tabs, nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qcrm.extensions import db
from qcrm.models import Channel, Client
from qcrm.validation import control_characters, text_error
from surveys.models import Survey
from tests.conftest import bearer, login
from tests.core.test_clients import CHANNEL_FORM
from tests.hostile import CONTROL_TEXTS, MULTI_LINE_ALLOWED_TEXT, MULTI_LINE_CONTROL_TEXTS
from tests.surveys.test_builder import _form as survey_form
from tests.surveys.test_survey_api import SURVEY

#: Without NUL: the request hooks refuse that byte before any field sees it.
SINGLE_LINE = tuple(t for t in CONTROL_TEXTS if "\x00" not in t)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _fields(response) -> set[str]:
    assert response.status_code == 422, response.get_json()
    return {error["field"] for error in response.get_json()["errors"]}


def test_the_rule():
    assert text_error("Stadtwerke Aue – Kundenservice") is None
    assert text_error(MULTI_LINE_ALLOWED_TEXT, multi_line=True) is None
    for text in CONTROL_TEXTS:
        assert text_error(text) is not None, repr(text)
    for text in MULTI_LINE_CONTROL_TEXTS:
        assert control_characters(text, multi_line=True), repr(text)


@pytest.mark.parametrize("name", SINGLE_LINE)
def test_client_form_refuses_a_name_with_control_characters(app, client, world, name):
    login(client, world.manager)
    before = _count(app, Client)
    response = client.post("/clients/new", data={"name": name, "kind": "own"})
    assert response.status_code == 400
    assert b"without control characters" in response.data
    assert b'aria-invalid="true"' in response.data
    assert _count(app, Client) == before


def test_client_api_refuses_a_name_with_cr_lf_and_keeps_multi_line_notes(app, client, world):
    headers = bearer(world.tokens["admin"])
    before = _count(app, Client)
    refused = client.post("/api/v1/clients", json={"name": "Aue\r\nBcc: x@y"}, headers=headers)
    assert "name" in _fields(refused)
    assert _count(app, Client) == before
    notes = client.post(
        "/api/v1/clients", json={"name": "Nordlicht", "notes": "a\x1bb"}, headers=headers
    )
    assert "notes" in _fields(notes)
    kept = client.post(
        "/api/v1/clients",
        json={"name": "Nordlicht", "notes": MULTI_LINE_ALLOWED_TEXT},
        headers=headers,
    )
    assert kept.status_code == 201, kept.get_json()


@pytest.mark.parametrize("field", ["name", "address"])
def test_channel_form_refuses_control_characters(app, client, world, field):
    login(client, world.manager)
    before = _count(app, Channel)
    response = client.post(
        f"/clients/{world.client_a.id}/channels/new",
        data={**CHANNEL_FORM, field: "beschwerde@aue.example\r\nBcc: x@y.example"},
    )
    assert response.status_code == 400
    assert b"without control characters" in response.data
    assert _count(app, Channel) == before


@pytest.mark.parametrize("title", SINGLE_LINE)
def test_survey_form_refuses_a_title_with_control_characters(app, client, world, title):
    login(client, world.manager)
    before = _count(app, Survey)
    response = client.post("/surveys/new", data=survey_form(world, title=title))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="title-error"' in text and "without control characters" in text
    assert _count(app, Survey) == before


def test_survey_api_refuses_a_title_with_cr_lf_and_an_escape_in_the_introduction(
    app, client, world
):
    headers = bearer(world.tokens["manager"])
    before = _count(app, Survey)
    body = {**SURVEY, "client_id": world.client_a.id}
    refused = client.post(
        "/api/v1/surveys", json={**body, "title": "Umfrage\r\nBcc: x@y"}, headers=headers
    )
    assert "title" in _fields(refused)
    escape = client.post(
        "/api/v1/surveys", json={**body, "introduction": "Hallo\x1b[31m"}, headers=headers
    )
    assert "introduction" in _fields(escape)
    assert _count(app, Survey) == before
    kept = client.post(
        "/api/v1/surveys", json={**body, "introduction": MULTI_LINE_ALLOWED_TEXT}, headers=headers
    )
    assert kept.status_code == 201, kept.get_json()


def test_persona_api_refuses_control_characters_naming_each_field(client, world):
    response = client.post(
        "/api/v1/personas",
        json={
            "display_name": "Anna\r\nBerg",
            "phone": "0170\x1b1",
            "social_handles": {"x": "anna\x7f"},
            "notes": "a\x07b",
        },
        headers=bearer(world.tokens["manager"]),
    )
    assert {"display_name", "phone", "social_handles.x", "notes"} <= _fields(response)


def test_scenario_api_refuses_a_title_with_a_line_break_and_keeps_a_multi_line_script(
    client, world
):
    headers = bearer(world.tokens["manager"])
    body = {"title": "Bestellung", "category": "order", "script": MULTI_LINE_ALLOWED_TEXT}
    refused = client.post(
        "/api/v1/scenarios", json={**body, "title": "Bestellung\nX"}, headers=headers
    )
    assert _fields(refused) == {"title"}
    escape = client.post("/api/v1/scenarios", json={**body, "script": "a\x1bb"}, headers=headers)
    assert _fields(escape) == {"script"}
    assert client.post("/api/v1/scenarios", json=body, headers=headers).status_code == 201


def test_user_and_token_names_refuse_line_breaks(app, client, world, mailbox):
    from qcrm import accounts
    from qcrm.errors import ServiceError
    from qcrm.models import User

    login(client, world.admin)
    before = _count(app, User)
    response = client.post(
        "/admin/users/new",
        data={"email": "neu@qcrm.example", "name": "Neu\r\nBcc: x@y", "role": "tester"},
    )
    assert response.status_code == 400
    assert b"without control characters" in response.data
    assert _count(app, User) == before and mailbox == []
    with app.app_context():
        user = db.session.get(User, world.manager.id)
        with pytest.raises(ServiceError) as raised:
            accounts.create_api_token(user, "Skript\x1b")
    assert set(raised.value.errors) == {"name"}
