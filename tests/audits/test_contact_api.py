"""The contact log through the API: a tester logs, answers and submits with a bearer token, a
manager returns and approves; scores are checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine

from audits.scorecards.models import (
    Comparison,
    ItemType,
    MethodDimension,
    QualityDimension,
    ScorecardItem,
)
from tests.audits.helpers import answered_item, make_inquiry_a_due
from tests.conftest import PNG, bearer

PLANNED = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # 10:30 in Berlin


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(PLANNED + dt.timedelta(days=2), tick=False):
        yield


@pytest.fixture
def due(app, world):
    """Wave A running, inquiry A due with its first attempt; the scorecard gains a derived
    transaction item, a scale item (weight 2) and a duration item (at most 300 s)."""
    scale = ScorecardItem(
        method_dimension=MethodDimension.HANDLING,
        quality_dimension=QualityDimension.COMPETENCE,
        text="Fachlich richtig",
        item_type=ItemType.SCALE,
        weight=2,
    )
    duration = ScorecardItem(
        method_dimension=MethodDimension.HANDLING,
        quality_dimension=QualityDimension.PROCESS,
        text="Wartezeit",
        item_type=ItemType.DURATION,
        threshold=300,
        comparison=Comparison.AT_MOST,
    )
    items = make_inquiry_a_due(app, world, PLANNED, answered_item(), scale, duration)
    world.greeting_id = items["Persönliche Anrede"]
    world.answered_id = items["Beantwortet"]
    world.scale_id = items["Fachlich richtig"]
    world.duration_id = items["Wartezeit"]
    return world


def _url(world, suffix: str = "contact-log") -> str:
    return f"/api/v1/inquiries/{world.inquiry_a.id}/{suffix}"


def _answers(world, greeting: bool) -> list[dict]:
    return [
        {"item_id": world.greeting_id, "value": greeting},
        {"item_id": world.scale_id, "value": 4},
        {"item_id": world.duration_id, "value": 240},
    ]


def _fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    return {error["field"]: error["message"] for error in response.json["errors"]}


def _sent_and_answered(client, world, headers) -> None:
    sent = client.post(
        _url(world, "attempts/1/sent"),
        json={"sent_at": "2030-01-07T10:30:00+01:00"},
        headers=headers,
    )
    assert sent.status_code == 200, sent.json
    reply = client.post(
        _url(world, "replies"),
        json={"received_at": "2030-01-07T14:00:00+01:00", "sender": "x", "text": "Online."},
        headers=headers,
    )
    assert reply.status_code == 201, reply.json


def test_tester_logs_and_manager_reviews_a_contact_by_api(client, due):
    tester, manager = bearer(due.tokens["tester"]), bearer(due.tokens["manager"])
    log = client.get(_url(due), headers=tester).json
    assert (log["status"], log["version"], log["evaluation"]) == ("draft", 1, None)
    assert log["attempts"] == [
        {
            "number": 1,
            "due_at": "2030-01-07T09:30:00+00:00",
            "sent_at": None,
            "state": "pending",
            "automatic": False,
        }
    ]
    assert [e["id"] for e in log["evidence"]] == [due.evidence_a.id]

    sent = client.post(
        _url(due, "attempts/1/sent"), json={"sent_at": "2030-01-07T10:30:00+01:00"}, headers=tester
    )
    assert sent.status_code == 200
    assert (sent.json["sent_at"], sent.json["state"]) == ("2030-01-07T09:30:00+00:00", "sent")
    for received, text, ack in (
        ("2030-01-07T10:31:00+01:00", "Wir haben Ihre Nachricht erhalten.", True),
        ("2030-01-07T14:00:00+01:00", "Der Wechsel geht online, zum Monatsersten.", False),
    ):
        reply = client.post(
            _url(due, "replies"),
            json={
                "received_at": received,
                "sender": "service@aue.example",
                "text": text,
                "is_auto_acknowledgement": ack,
            },
            headers=tester,
        )
        assert reply.status_code == 201
        assert (reply.json["text"], reply.json["source"], reply.json["is_late"]) == (
            text,
            "tester",
            False,
        )

    saved = client.put(
        _url(due), json={"version": 1, "solved": True, "transcript": "Tarif"}, headers=tester
    )
    assert saved.status_code == 200, saved.json
    assert (saved.json["solved"], saved.json["version"]) == (True, 2)
    assert saved.json["inquiry_status"] == "answered"
    assert saved.json["first_answer_at"] == "2030-01-07T13:00:00+00:00"
    assert len(saved.json["replies"]) == 2
    stale = client.put(_url(due), json={"version": 1, "transcript": "old"}, headers=tester)
    assert "Someone else saved this contact" in _fields(stale)["version"]

    evaluation = client.put(
        _url(due, "evaluation"),
        json={"version": None, "answers": _answers(due, greeting=False)},
        headers=tester,
    )
    assert evaluation.status_code == 200, evaluation.json
    scores = evaluation.json
    # transaction: answered (derived) 1/1; communication: greeting "no" 0/1;
    # handling: scale 4 → (4-1)/4 × 2 = 1.5 and 240 s ≤ 300 s → 1, so 2.5/3; total 3.5/5
    assert scores["transaction_score"] == 100
    assert scores["communication_score"] == 0
    assert scores["handling_score"] == pytest.approx(250 / 3)
    assert scores["total_score"] == pytest.approx(70)
    assert scores["knocked_out"] is False
    answers = {a["item_id"]: a for a in scores["answers"]}
    assert answers[due.greeting_id]["value"] is False
    assert answers[due.answered_id] == {
        "item_id": due.answered_id,
        "value": True,
        "not_applicable": False,
        "derived": True,
        "earned": 1.0,
        "final": 1.0,
    }
    assert (answers[due.scale_id]["value"], answers[due.scale_id]["earned"]) == (4, 0.75)
    assert answers[due.duration_id]["value"] == 240
    again = client.put(
        _url(due, "evaluation"),
        json={"version": None, "answers": _answers(due, greeting=True)},
        headers=tester,
    )
    assert "version" in _fields(again)
    log = client.get(_url(due), headers=tester).json
    assert log["first_response_seconds"] == log["first_response_business_seconds"] == 3.5 * 3600
    assert log["evaluation"]["total_score"] == pytest.approx(70)

    assert client.post(_url(due, "submit"), headers=tester).json["status"] == "submitted"
    refused = client.post(_url(due, "review"), json={"decision": "return"}, headers=manager)
    assert "comment" in _fields(refused)
    returned = client.post(
        _url(due, "review"),
        json={"decision": "return", "comment": "Anrede prüfen"},
        headers=manager,
    )
    assert (returned.json["status"], returned.json["review_comment"]) == (
        "returned",
        "Anrede prüfen",
    )
    corrected = client.put(
        _url(due, "evaluation"),
        json={"version": scores["version"], "answers": _answers(due, greeting=True)},
        headers=tester,
    )
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["total_score"] == pytest.approx(90)  # 4.5/5
    assert corrected.json["version"] > scores["version"]
    assert client.post(_url(due, "submit"), headers=tester).status_code == 200
    approved = client.post(_url(due, "review"), json={"decision": "approve"}, headers=manager)
    assert approved.json["status"] == "approved"
    assert approved.json["reviewed_by_id"] == due.manager.id

    assert client.get(_url(due, "audit-trail"), headers=tester).status_code == 403
    trail = client.get(_url(due, "audit-trail"), headers=manager).json
    steps = [f"{entry['subject']} {entry['field']}" for entry in trail]
    for step in (
        "attempt attempt_1.sent_at",
        "reply received_at",
        "contact_log solved",
        f"evaluation item_{due.greeting_id}",
        "evaluation total_score",
    ):
        assert step in steps, step
    assert steps.count("review status") == 4  # submitted, returned, submitted, approved
    review = [entry for entry in trail if entry["subject"] == "review"]
    assert (review[1]["new_value"], review[1]["reason"]) == ("returned", "Anrede prüfen")
    assert review[1]["user_id"] == due.manager.id


def test_invalid_answers_are_refused_on_their_item(client, due):
    tester = bearer(due.tokens["tester"])
    _sent_and_answered(client, due, tester)
    response = client.put(
        _url(due, "evaluation"),
        json={
            "version": None,
            "answers": [
                {"item_id": due.greeting_id, "value": "yes"},
                {"item_id": due.duration_id, "value": -1},
                {"item_id": due.scale_id, "value": None, "not_applicable": True},
            ],
        },
        headers=tester,
    )
    errors = _fields(response)
    assert errors == {
        f"item_{due.greeting_id}": "Please answer yes or no.",
        f"item_{due.duration_id}": "Please enter a duration in seconds of at least 0.",
        f"item_{due.scale_id}": "This item cannot be answered with “not applicable”.",
    }
    unknown = client.put(
        _url(due, "evaluation"),
        json={
            "version": None,
            "answers": [*_answers(due, True), {"item_id": 999999, "value": True}],
        },
        headers=tester,
    )
    assert _fields(unknown) == {"item_999999": "This item is not part of the scorecard."}
    missing = client.put(
        _url(due, "evaluation"), json={"version": None, "answers": []}, headers=tester
    )
    assert _fields(missing)[f"item_{due.scale_id}"] == "Please answer this item."


def test_a_reply_before_sending_is_refused(client, due):
    tester = bearer(due.tokens["tester"])
    client.post(
        _url(due, "attempts/1/sent"), json={"sent_at": "2030-01-07T10:30:00+01:00"}, headers=tester
    )
    early = client.post(
        _url(due, "replies"),
        json={"received_at": "2030-01-07T10:00:00+01:00", "text": "?"},
        headers=tester,
    )
    assert _fields(early) == {
        "received_at": "The reply cannot have come before the inquiry was sent."
    }
    naive = client.post(
        _url(due, "attempts/1/sent"), json={"sent_at": "2030-01-07T10:30:00"}, headers=tester
    )
    assert "sent_at" in _fields(naive)
    changed = client.post(
        _url(due, "attempts/1/sent"), json={"sent_at": "2030-01-07T10:40:00+01:00"}, headers=tester
    )
    assert "reason" in _fields(changed)


def test_another_testers_contact_is_not_found(client, due):
    tester = bearer(due.tokens["tester"])
    other = f"/api/v1/inquiries/{due.inquiry_other.id}"
    assert client.get(f"{other}/contact-log", headers=tester).status_code == 404
    assert (
        client.put(f"{other}/contact-log", json={"version": 1}, headers=tester).status_code == 404
    )
    evidence = f"/api/v1/inquiries/evidence/{due.evidence_other.id}"
    assert client.get(evidence, headers=tester).status_code == 404
    assert client.delete(evidence, headers=tester).status_code == 404


def test_executives_and_reviewers_are_refused_where_they_have_no_role(client, due):
    executive = bearer(due.tokens["executive"])
    assert client.get(_url(due), headers=executive).status_code == 403
    evidence = f"/api/v1/inquiries/evidence/{due.evidence_a.id}"
    assert client.get(evidence, headers=executive).status_code == 403
    manager = bearer(due.tokens["manager"])
    assert client.put(_url(due), json={"version": 1}, headers=manager).status_code == 403
    assert client.get(_url(due), headers=manager).status_code == 200


def test_evidence_is_uploaded_downloaded_and_removed(client, due):
    tester, manager = bearer(due.tokens["tester"]), bearer(due.tokens["manager"])
    upload = client.post(
        _url(due, "evidence"),
        data={"file": (io.BytesIO(PNG), "../Bildschirm foto.png")},
        content_type="multipart/form-data",
        headers=tester,
    )
    assert upload.status_code == 201, upload.json
    assert upload.json["original_name"] == "Bildschirm foto.png"
    assert (upload.json["content_type"], upload.json["size"]) == ("image/png", len(PNG))
    url = f"/api/v1/inquiries/evidence/{upload.json['id']}"

    download = client.get(url, headers=manager)
    assert download.status_code == 200
    assert download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    names = [e["original_name"] for e in client.get(_url(due), headers=manager).json["evidence"]]
    assert names == ["screenshot.png", "Bildschirm foto.png"]

    disguised = client.post(
        _url(due, "evidence"),
        data={"file": (io.BytesIO(b"MZ\x90\x00" + bytes(60)), "photo.png")},
        content_type="multipart/form-data",
        headers=tester,
    )
    assert _fields(disguised) == {
        "file": "“photo.png” is a program, not an image, PDF or audio file."
    }
    without_file = client.post(
        _url(due, "evidence"), data={}, content_type="multipart/form-data", headers=tester
    )
    assert "file" in _fields(without_file)

    assert client.delete(url, headers=manager).status_code == 403
    removed = client.delete(url, headers=tester)
    assert removed.status_code == 204
    assert client.get(url, headers=manager).status_code == 404
    trail = client.get(_url(due, "audit-trail"), headers=manager).json
    assert [(e["old_value"], e["new_value"]) for e in trail if e["subject"] == "evidence"] == [
        (None, "Bildschirm foto.png"),
        ("Bildschirm foto.png", None),
    ]


def test_openapi_document_describes_the_contact_api(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    base = "/api/v1/inquiries/{inquiry_id}"
    assert set(paths[f"{base}/contact-log"]) >= {"get", "put"}
    for path in (
        f"{base}/attempts/{{number}}/sent",
        f"{base}/replies",
        f"{base}/evaluation",
        f"{base}/submit",
        f"{base}/review",
        f"{base}/audit-trail",
        f"{base}/evidence",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/inquiries/evidence/{evidence_id}"]) >= {"get", "delete"}
    upload = paths[f"{base}/evidence"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert {"ContactLog", "Evaluation", "Reply", "Evidence", "AuditTrailEntry"} <= set(
        spec["components"]["schemas"]
    )


def test_absurd_contact_figures_and_control_characters_are_refused(client, due):
    tester = bearer(due.tokens["tester"])
    response = client.put(
        _url(due),
        json={"version": 1, "wait_seconds": 2**40, "tries": 10**6, "transcript": "a\x1b[2Jb"},
        headers=tester,
    )
    assert set(_fields(response)) == {"wait_seconds", "tries", "transcript"}
    kept = client.put(
        _url(due), json={"version": 1, "transcript": "Zeile 1\r\nZeile 2\tTab"}, headers=tester
    )
    assert kept.status_code == 200, kept.json


def test_an_answer_beyond_a_year_is_refused_on_its_item(client, due):
    tester = bearer(due.tokens["tester"])
    _sent_and_answered(client, due, tester)
    response = client.put(
        _url(due, "evaluation"),
        json={"version": None, "answers": [{"item_id": due.duration_id, "value": 1e21}]},
        headers=tester,
    )
    assert f"item_{due.duration_id}" in _fields(response)


def test_a_reply_with_a_control_character_in_its_sender_is_refused(client, due):
    tester = bearer(due.tokens["tester"])
    client.post(
        _url(due, "attempts/1/sent"), json={"sent_at": "2030-01-07T10:30:00+01:00"}, headers=tester
    )
    response = client.post(
        _url(due, "replies"),
        json={
            "received_at": "2030-01-07T11:00:00+01:00",
            "sender": "service@aue.example\r\nBcc: x@y",
            "text": "Zeile\x1b",
        },
        headers=tester,
    )
    assert set(_fields(response)) == {"sender", "text"}
