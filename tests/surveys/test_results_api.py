"""API: a survey's results (the page's numbers as JSON) and its responses (editors only)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.surveys.results_helpers import (
    FIXED,
    FIXED_TOLD,
    INVITATIONS,
    add_fixed_responses,
    add_invitations,
)


@pytest.fixture
def fixed(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id)
        add_invitations(world.survey_a.id, INVITATIONS)
    return world


def get(client, world, path, user="manager", **query):
    return client.get(
        f"/api/v1/surveys/{world.survey_a.id}/{path}",
        headers=bearer(world.tokens[user]),
        query_string=query,
    )


def test_results_carry_value_n_interval_target_and_meets(app, client, fixed):
    response = get(client, fixed, "results", user="executive")
    assert response.status_code == 200
    body = response.get_json()
    assert body["enough"] is True and body["total_responses"] == 12
    csat = body["headline"]["csat"]
    # hand values: see test_results.py
    assert csat["value"] == 0.75 and csat["n"] == 12
    assert csat["interval_low"] == pytest.approx(0.4677, abs=1e-4)
    assert csat["interval_high"] == pytest.approx(0.9111, abs=1e-4)
    assert (csat["target"], csat["meets"], csat["small_sample"]) == (0.8, False, True)
    nps = body["headline"]["nps"]
    assert nps["value"] == pytest.approx(16.6667, abs=1e-4)
    assert nps["interval_low"] == pytest.approx(-28.5575, abs=1e-3)
    split = body["headline"]["nps_split"]
    assert (split["promoters"], split["passives"], split["detractors"]) == (5, 4, 3)
    ces = body["headline"]["ces"]
    assert (ces["value"], ces["target"], ces["meets"]) == (5.5, 5.5, True)
    invitations = body["invitations"]
    assert (invitations["delivered"], invitations["responded"]) == (13, 6)
    assert invitations["response_rate"]["value"] == pytest.approx(6 / 13)
    single = next(q for q in body["questions"] if q["kind"] == "single_choice")
    assert [(bar["label"], bar["count"]) for bar in single["distribution"]] == [
        ("Telefon", 6),
        ("E-Mail", 3),
        ("Chat", 2),
    ]
    assert [g["suppressed"] for g in body["over_time"]] == [True, True]  # months, see the page
    assert body["verbatims"]["total"] == 5


def test_results_by_week_and_channel(app, client, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED_TOLD)
    body = get(client, world, "results", grain="week", channel_id=world.channel_a.id).get_json()
    assert body["total_responses"] == 9 and body["grain"] == "week"
    assert body["headline"]["nps"]["value"] == pytest.approx(55.5556, abs=1e-4)
    assert [g["start"] for g in body["over_time"]] == ["2030-01-07", "2030-01-14"]


def test_a_channel_too_small_to_tell_apart_is_refused_as_a_filter(app, client, fixed):
    refused = get(client, fixed, "results", channel_id=fixed.channel_a.id)
    assert refused.status_code == 422
    assert "Too few responses share this channel" in str(refused.get_json()["errors"])
    body = get(client, fixed, "results").get_json()
    assert [(g["channel_id"], g["n"], g["other"]) for g in body["by_channel"]] == [(None, 12, True)]


def test_results_with_a_period(app, client, fixed):
    body = get(client, fixed, "results", start="2030-01-07", end="2030-01-09").get_json()
    assert body["total_responses"] == 7 and body["invitations"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"channel_id": "x"}, "channel_id"),
        ({"start": "2030-01-07"}, "end"),
        ({"grain": "day"}, "grain"),
    ],
)
def test_bad_result_queries_are_problems(app, client, fixed, query, field):
    response = get(client, fixed, "results", **query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in {error["field"] for error in response.get_json()["errors"]}


def test_a_channel_of_another_client_is_a_problem(app, client, fixed):
    response = get(client, fixed, "results", channel_id=fixed.channel_b.id)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "channel"


def test_results_below_the_minimum_only_count(app, client, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED[:2])
    body = get(client, world, "results").get_json()
    assert body["enough"] is False and body["total_responses"] == 2 and body["min_responses"] == 3
    assert body["headline"] is None and body["questions"] == [] and body["verbatims"] is None


def test_responses_are_paginated_with_their_answers(app, client, fixed):
    response = get(client, fixed, "responses", page_size=5, page=1)
    assert response.status_code == 200
    items = response.get_json()
    assert len(items) == 5
    assert '"total": 12' in response.headers["X-Pagination"]
    rest = get(client, fixed, "responses", page_size=5, page=2).get_json()
    rest += get(client, fixed, "responses", page_size=5, page=3).get_json()
    every = items + rest
    keys = [item["key"] for item in every]
    assert len(set(keys)) == 12 and keys == sorted(keys)  # random keys, in their order
    first = next(
        item
        for item in every
        if any(a["text"] and a["text"].startswith("=HYPERLINK") for a in item["answers"])
    )
    # by invitation in channel A: 6 share that cell, so both are told; the date is not (the
    # two February responses fill no day, week or month of the minimum 3)
    assert (first["source"], first["channel_id"]) == ("invitation", fixed.channel_a.id)
    assert first["dated"] is None and first["date_grain"] is None
    numbers = sorted(a["number"] for a in first["answers"] if a["number"] is not None)
    assert numbers == sorted([5, 10, 7, 10, 0, 0, 1])  # csat, nps, ces, rating, single, multi
    # the public link's 2 in channel A are too few to tell the channel: no public-link
    # response carries one
    public = [item for item in every if item["source"] == "public_link"]
    assert len(public) == 6 and {item["channel_id"] for item in public} == {None}


def test_responses_are_for_editors_and_only_from_the_minimum(app, client, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED[:2])
    assert get(client, world, "responses", user="executive").status_code == 403
    response = get(client, world, "responses")
    assert response.status_code == 409
    assert "2 of 3" in response.get_json()["detail"]


def test_other_clients_surveys_are_not_found(app, client, fixed):
    response = client.get(
        f"/api/v1/surveys/{fixed.survey_b.id}/results", headers=bearer(fixed.tokens["executive"])
    )
    assert response.status_code == 404


def test_results_are_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/surveys/{survey_id}/results" in paths
    assert "/api/v1/surveys/{survey_id}/responses" in paths
