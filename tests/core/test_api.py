"""The JSON API: tokens, the same rules as the pages, problem documents, pagination, OpenAPI."""

from __future__ import annotations

import json

from qcrm.extensions import db
from qcrm.models import ApiToken, Client
from tests.conftest import bearer, login


def test_api_without_token_answers_401_problem(client, world):
    response = client.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_ignores_the_session_cookie(client, world):
    login(client, world.manager)
    assert client.get("/api/v1/clients").status_code == 401


def test_api_with_revoked_or_unknown_token_answers_401(app, client, world):
    assert client.get("/api/v1/me", headers=bearer("qcrm_nonsense")).status_code == 401
    with app.app_context():
        from qcrm.db import utcnow

        token = db.session.query(ApiToken).filter_by(user_id=world.manager.id).one()
        token.revoked_at = utcnow()
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(world.tokens["manager"])).status_code == 401


def test_me_tells_who_the_token_belongs_to(client, world):
    response = client.get("/api/v1/me", headers=bearer(world.tokens["executive"]))
    assert response.status_code == 200
    assert response.json["role"] == "executive"
    assert response.json["client_ids"] == [world.client_a.id]


def test_create_client_and_channel_through_the_api(app, client, world):
    headers = bearer(world.tokens["manager"])
    created = client.post("/api/v1/clients", json={"name": "Nordlicht AG"}, headers=headers)
    assert created.status_code == 201
    assert created.json["kind"] == "own"
    client_id = created.json["id"]
    channel = client.post(
        f"/api/v1/clients/{client_id}/channels",
        json={
            "type": "whatsapp",
            "name": "WhatsApp",
            "address": "+49 151 000",
            "business_hours": {"mon": ["08:00-12:00", "13:00-17:00"], "sat": ["24h"]},
        },
        headers=headers,
    )
    assert channel.status_code == 201, channel.json
    assert channel.json["business_hours"] == {
        "mon": ["08:00-12:00", "13:00-17:00"],
        "sat": ["00:00-24:00"],
    }
    listed = client.get(f"/api/v1/clients/{client_id}/channels", headers=headers)
    assert [c["name"] for c in listed.json] == ["WhatsApp"]


def test_missing_and_invalid_fields_are_named_in_a_problem_document(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.post(
        f"/api/v1/clients/{world.client_a.id}/channels",
        json={"type": "pigeon", "address": ""},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.json["errors"]}
    assert {"type", "name", "address"} <= fields


def test_business_rule_errors_are_named_in_a_problem_document(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.patch(
        f"/api/v1/channels/{world.channel_a.id}",
        json={"business_hours": {"tue": ["18:00-08:00"]}, "time_zone": "Nowhere/City"},
        headers=headers,
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"business_hours.tue", "time_zone"}


def test_malformed_json_is_a_400_problem_not_a_500(client, world):
    response = client.post(
        "/api/v1/clients",
        data="{not json",
        headers={**bearer(world.tokens["manager"]), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_executive_may_read_but_not_write(client, world):
    headers = bearer(world.tokens["executive"])
    assert client.get(f"/api/v1/clients/{world.client_a.id}", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/clients/{world.client_a.id}", json={"name": "X"}, headers=headers
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_other_clients_answer_404_for_scoped_users(client, world):
    headers = bearer(world.tokens["executive"])
    assert client.get(f"/api/v1/clients/{world.client_b.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/channels/{world.channel_b.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/clients", headers=headers)
    assert [c["name"] for c in listed.json] == ["Stadtwerke Aue"]


def test_patch_changes_only_the_given_fields(client, world):
    headers = bearer(world.tokens["manager"])
    response = client.patch(
        f"/api/v1/clients/{world.client_a.id}", json={"notes": "Audit 2027"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["name"] == "Stadtwerke Aue"
    assert response.json["notes"] == "Audit 2027"


def test_lists_are_paginated(app, client, world):
    with app.app_context():
        db.session.add_all(Client(name=f"Kunde {index:02d}") for index in range(30))
        db.session.commit()
    headers = bearer(world.tokens["manager"])
    first = client.get("/api/v1/clients?page_size=10", headers=headers)
    pagination = json.loads(first.headers["X-Pagination"])
    assert pagination["total"] == 32
    assert pagination["total_pages"] == 4
    assert len(first.json) == 10
    last = client.get("/api/v1/clients?page_size=10&page=4", headers=headers)
    assert len(last.json) == 2
    too_big = client.get("/api/v1/clients?page_size=100000", headers=headers)
    assert too_big.status_code == 422


def test_archive_and_restore_through_the_api(client, world):
    headers = bearer(world.tokens["manager"])
    archived = client.post(f"/api/v1/clients/{world.client_b.id}/archive", headers=headers)
    assert archived.json["archived"] is True
    listed = client.get("/api/v1/clients", headers=headers)
    assert "Energie Nord" not in [c["name"] for c in listed.json]
    with_archived = client.get("/api/v1/clients?archived=true", headers=headers)
    assert "Energie Nord" in [c["name"] for c in with_archived.json]
    restored = client.post(f"/api/v1/clients/{world.client_b.id}/restore", headers=headers)
    assert restored.json["archived"] is False


def test_openapi_document_describes_clients_and_channels(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/clients" in spec["paths"]
    assert "/api/v1/channels/{channel_id}" in spec["paths"]
    assert {"Client", "ClientPatch", "Channel", "ChannelPatch"} <= set(
        spec["components"]["schemas"]
    )
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_token_created_on_the_profile_page_works_once_shown(app, client, world):
    login(client, world.tester)
    page = client.post("/profile/tokens", data={"name": "my script"})
    assert page.status_code == 200
    import re

    token = re.search(rb'id="new-token">(qcrm_[^<]+)<', page.data).group(1).decode()
    assert client.get("/api/v1/me", headers=bearer(token)).json["role"] == "tester"
    assert token.encode() not in client.get("/profile").data
    with app.app_context():
        token_id = (
            db.session.query(ApiToken.id)
            .filter_by(user_id=world.tester.id, name="my script")
            .scalar()
        )
    client.post(f"/profile/tokens/{token_id}/revoke")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, client, world):
    with app.app_context():
        token_id = db.session.query(ApiToken.id).filter_by(user_id=world.admin.id).scalar()
    login(client, world.tester)
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404
