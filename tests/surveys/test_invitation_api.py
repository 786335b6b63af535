"""The invitations API: listing (addresses for managers only), adding all or none, figures."""

from __future__ import annotations

from sqlalchemy import func, select

from qcrm.extensions import db
from surveys.models import Invitation, InvitationState
from tests.conftest import bearer


def _url(world, suffix: str = "") -> str:
    return f"/api/v1/surveys/{world.survey_a.id}/invitations{suffix}"


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Invitation.id)))


def test_a_manager_adds_recipients_and_lists_them_with_addresses(app, client, world):
    response = client.post(
        _url(world),
        json=[
            {"email": "anna@example.de", "channel_id": world.channel_a.id},
            {"email": " Bernd@Example.DE "},
        ],
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 201, response.json
    assert response.json["added"] == 2
    assert response.json["counts"]["pending"] == 2

    listed = client.get(_url(world), headers=bearer(world.tokens["manager"]))
    assert listed.status_code == 200
    assert [(i["email"], i["channel_id"], i["state"]) for i in listed.json] == [
        ("anna@example.de", world.channel_a.id, "pending"),
        ("Bernd@example.de", None, "pending"),
    ]
    assert "X-Pagination" in listed.headers
    filtered = client.get(
        _url(world, f"?state=pending&channel_id={world.channel_a.id}"),
        headers=bearer(world.tokens["manager"]),
    )
    assert [i["email"] for i in filtered.json] == ["anna@example.de"]


def test_executives_see_the_figures_but_not_the_invitations_as_on_the_pages(app, client, world):
    client.post(
        _url(world), json=[{"email": "anna@example.de"}], headers=bearer(world.tokens["admin"])
    )
    listed = client.get(_url(world), headers=bearer(world.tokens["executive"]))
    assert listed.status_code == 403  # the invitations page is the editors' too
    counts = client.get(_url(world, "/counts"), headers=bearer(world.tokens["executive"]))
    assert counts.json["total"] == 1 and counts.json["delivered"] == 0
    refused = client.post(
        _url(world), json=[{"email": "x@example.de"}], headers=bearer(world.tokens["executive"])
    )
    assert refused.status_code == 403
    assert client.get(_url(world), headers=bearer(world.tokens["tester"])).status_code == 403


def test_bad_entries_are_named_by_index_and_nothing_is_stored(app, client, world):
    client.post(
        _url(world), json=[{"email": "old@example.de"}], headers=bearer(world.tokens["manager"])
    )
    response = client.post(
        _url(world),
        json=[
            {"email": "fine@example.de"},
            {"email": "not an address"},
            {"email": "fine@example.de"},
            {"email": "x@example.de", "channel_id": world.channel_b.id},
            {"email": "OLD@example.de"},
        ],
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {(e["field"], e["message"]) for e in response.json["errors"]} == {
        ("1.email", "This is not a valid e-mail address."),
        ("2.email", "The address appears already as entry 0."),
        ("3.channel_id", f"“{world.channel_b.id}” is not one of this survey's channels."),
        ("4.email", "This address is already invited to this survey."),
    }
    assert _count(app) == 1


def test_malformed_bodies_are_problems_not_errors(app, client, world):
    headers = bearer(world.tokens["manager"])
    for body in ({}, [{"channel_id": 1}], [], "text"):
        response = client.post(_url(world), json=body, headers=headers)
        assert response.status_code == 422, body
    assert _count(app) == 0


def test_another_clients_survey_answers_404(app, client, world):
    url = f"/api/v1/surveys/{world.survey_b.id}/invitations"
    assert client.get(url, headers=bearer(world.tokens["client_manager"])).status_code == 404
    headers = bearer(world.tokens["executive"])
    assert client.get(url + "/counts", headers=headers).status_code == 404


def test_an_answered_invitation_reads_as_invited_without_any_day(app, client, world):
    client.post(
        _url(world), json=[{"email": "anna@example.de"}], headers=bearer(world.tokens["manager"])
    )
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        invitation.state = InvitationState.ANSWERED
        invitation.invited_at = invitation.created_at
        invitation.answered_on = invitation.created_at.date()
        db.session.commit()
    listed = client.get(_url(world), headers=bearer(world.tokens["manager"]))
    assert listed.json[0]["state"] == "invited"
    assert not {"answered_on", "reminded_at", "send_count"} & set(listed.json[0])
    counts = client.get(_url(world) + "/counts", headers=bearer(world.tokens["manager"]))
    assert counts.json["answered"] == 1  # the survey's count says it; the address does not
