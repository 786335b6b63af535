"""The survey API: build, publish, close and copy surveys; problems name the wrong field."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from qcrm.extensions import db
from surveys.models import Question, Response, ResponseSource, Survey
from tests.conftest import bearer

SURVEY = {
    "title": "Befragung Hotline",
    "language": "de",
    "introduction": "Zwei Minuten für Ihre Meinung.",
    "target_csat": 0.8,
    "target_nps": 20,
    "target_ces": 5.5,
    "min_responses": 30,
    "opens_at": "2030-05-01T08:00:00+02:00",
    "closes_at": "2030-05-31T18:00:00",
}


def _problems(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    return {error["field"]: error["message"] for error in response.get_json()["errors"]}


def _create(client, world, **overrides) -> dict:
    body = {**SURVEY, "client_id": world.client_a.id, "channel_ids": [world.channel_a.id]}
    response = client.post(
        "/api/v1/surveys", json={**body, **overrides}, headers=bearer(world.tokens["manager"])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_survey_is_built_published_copied_and_closed_through_the_api(app, client, world):
    auth = bearer(world.tokens["manager"])
    survey = _create(client, world)
    assert survey["status"] == "draft"
    assert survey["opens_at"] == "2030-05-01T06:00:00+00:00"
    assert survey["closes_at"] == "2030-05-31T18:00:00+00:00", "no offset: UTC"
    assert survey["channel_ids"] == [world.channel_a.id]
    assert survey["public_link"] is True and survey["questions"] == []
    base = f"/api/v1/surveys/{survey['id']}"

    questions = [
        {"kind": "csat", "text": "Wie zufrieden waren Sie?"},
        {"kind": "nps", "text": "Würden Sie uns empfehlen?"},
        {"kind": "ces"},
        {"kind": "multiple_choice", "text": "Was war gut?", "options": ["Tempo", "Ton"]},
    ]
    for body in questions:
        created = client.post(f"{base}/questions", json=body, headers=auth)
        assert created.status_code == 201, created.get_json()
    listed = client.get(f"{base}/questions", headers=auth).get_json()
    assert [(q["position"], q["kind"], q["scale"]) for q in listed] == [
        (1, "csat", [1, 5]),
        (2, "nps", [0, 10]),
        (3, "ces", [1, 7]),
        (4, "multiple_choice", None),
    ]
    assert listed[2]["text"].startswith("Das Unternehmen hat es mir leicht gemacht")

    moved = client.post(
        f"{base}/questions/{listed[3]['id']}/move", json={"direction": "up"}, headers=auth
    )
    assert [q["kind"] for q in moved.get_json()][2:] == ["multiple_choice", "ces"]
    changed = client.patch(
        f"{base}/questions/{listed[0]['id']}", json={"required": False}, headers=auth
    )
    assert changed.status_code == 200
    assert changed.get_json()["required"] is False
    assert changed.get_json()["text"] == "Wie zufrieden waren Sie?"
    assert client.delete(f"{base}/questions/{listed[1]['id']}", headers=auth).status_code == 204
    detail = client.get(base, headers=auth).get_json()
    assert [(q["position"], q["kind"]) for q in detail["questions"]] == [
        (1, "csat"),
        (2, "multiple_choice"),
        (3, "ces"),
    ]

    patched = client.patch(base, json={"title": "Befragung Hotline 2030"}, headers=auth)
    assert patched.get_json()["title"] == "Befragung Hotline 2030"
    assert patched.get_json()["target_nps"] == 20, "a partial change keeps the rest"

    published = client.post(f"{base}/publish", headers=auth)
    assert published.status_code == 200
    assert published.get_json()["status"] in ("scheduled", "open")
    copy = client.post(f"{base}/copy", headers=auth)
    assert copy.status_code == 201
    assert copy.get_json()["copied_from_id"] == survey["id"]
    assert copy.get_json()["status"] == "draft"
    assert len(copy.get_json()["questions"]) == 3
    closed = client.post(f"{base}/close", headers=auth)
    assert closed.get_json()["status"] == "closed"
    archived = client.post(f"{base}/archive", headers=auth)
    assert archived.get_json()["archived_at"] is not None


def test_the_list_is_paginated_and_shows_only_visible_clients(client, world):
    _create(client, world)
    everything = client.get("/api/v1/surveys?page_size=2", headers=bearer(world.tokens["manager"]))
    assert everything.status_code == 200
    assert len(everything.get_json()) == 2
    assert json.loads(everything.headers["X-Pagination"])["total"] == 3
    own = client.get("/api/v1/surveys", headers=bearer(world.tokens["client_manager"]))
    assert {s["client_id"] for s in own.get_json()} == {world.client_a.id}
    assert {s["response_count"] for s in own.get_json()} == {0}
    filtered = client.get(
        f"/api/v1/surveys?client_id={world.client_b.id}", headers=bearer(world.tokens["manager"])
    )
    assert [s["title"] for s in filtered.get_json()] == ["Zufriedenheit Energie Nord"]


def test_the_survey_shows_its_public_link_and_response_count(app, client, world):
    with app.app_context():
        db.session.add(
            Response(
                survey_id=world.survey_a.id,
                source=ResponseSource.PUBLIC_LINK,
                submitted_on=dt.date(2030, 1, 2),
            )
        )
        db.session.commit()
        token = db.session.get(Survey, world.survey_a.id).public_token
    body = client.get(
        f"/api/v1/surveys/{world.survey_a.id}", headers=bearer(world.tokens["executive"])
    ).get_json()
    assert body["response_count"] == 1
    assert body["status"] == "open"
    if "respond.public" in app.view_functions:
        assert body["public_url"] == f"http://qcrm.test/s/{token}"


def test_problems_name_the_wrong_fields(client, world):
    auth = bearer(world.tokens["manager"])
    missing = client.post("/api/v1/surveys", json={"language": "de"}, headers=auth)
    assert {"title", "client_id"} <= _problems(missing).keys()
    wrong = client.post(
        "/api/v1/surveys",
        json={
            **SURVEY,
            "client_id": world.client_a.id,
            "target_csat": 80,
            "target_ces": 9,
            "channel_ids": [world.channel_b.id],
        },
        headers=auth,
    )
    assert _problems(wrong).keys() == {"target_csat", "target_ces", "channel_ids"}
    survey = _create(client, world)
    base = f"/api/v1/surveys/{survey['id']}"
    bad_question = client.post(
        f"{base}/questions",
        json={"kind": "single_choice", "text": "?", "options": ["a"]},
        headers=auth,
    )
    assert "2 to 20 options" in _problems(bad_question)["options"]
    unknown_kind = client.post(f"{base}/questions", json={"kind": "smiley"}, headers=auth)
    assert "kind" in _problems(unknown_kind)
    empty = client.post(f"{base}/publish", headers=auth)
    assert "questions" in _problems(empty)
    bad_move = client.post(
        f"/api/v1/surveys/{world.survey_a.id}/questions/1/move",
        json={"direction": "left"},
        headers=auth,
    )
    assert "direction" in _problems(bad_move)


def test_answered_questions_are_refused_with_a_problem(app, client, world):
    with app.app_context():
        db.session.add(
            Response(
                survey_id=world.survey_a.id,
                source=ResponseSource.INVITATION,
                submitted_on=dt.date(2030, 1, 2),
            )
        )
        db.session.commit()
        question_id = db.session.scalar(
            select(Question.id).filter_by(survey_id=world.survey_a.id, position=1)
        )
    auth = bearer(world.tokens["manager"])
    base = f"/api/v1/surveys/{world.survey_a.id}/questions"
    patch = client.patch(f"{base}/{question_id}", json={"text": "Anders gefragt?"}, headers=auth)
    assert "Copy the survey" in _problems(patch)["questions"]
    assert "questions" in _problems(client.delete(f"{base}/{question_id}", headers=auth))
    assert "questions" in _problems(
        client.post(base, json={"kind": "free_text", "text": "?"}, headers=auth)
    )


def test_roles_and_clients_are_enforced(client, world):
    executive = bearer(world.tokens["executive"])
    assert client.get(f"/api/v1/surveys/{world.survey_a.id}", headers=executive).status_code == 200
    assert client.get(f"/api/v1/surveys/{world.survey_b.id}", headers=executive).status_code == 404
    assert (
        client.patch(
            f"/api/v1/surveys/{world.survey_a.id}", json={"title": "x"}, headers=executive
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/surveys/{world.survey_a.id}/close", headers=executive).status_code
        == 403
    )
    tester = bearer(world.tokens["tester"])
    assert client.get("/api/v1/surveys", headers=tester).status_code == 403
    manager = bearer(world.tokens["client_manager"])
    with client.application.app_context():
        foreign_question = db.session.scalar(
            select(Question.id).filter_by(survey_id=world.survey_b.id, position=1)
        )
    response = client.patch(
        f"/api/v1/surveys/{world.survey_a.id}/questions/{foreign_question}",
        json={"text": "x"},
        headers=manager,
    )
    assert response.status_code == 404, "a question of another survey"


def test_the_survey_resources_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/questions",
        "/api/v1/surveys/{survey_id}/questions/{question_id}",
        "/api/v1/surveys/{survey_id}/publish",
        "/api/v1/surveys/{survey_id}/close",
        "/api/v1/surveys/{survey_id}/copy",
    ):
        assert path in paths, path
