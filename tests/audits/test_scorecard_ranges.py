"""Scorecard numbers: weights in (0, 100], thresholds finite and not negative (durations up to a
year), target shares 0–1; names and criteria on one line."""

from __future__ import annotations

import pytest

from tests.audits.test_scorecards import ITEM_FORM
from tests.conftest import bearer, login
from tests.hostile import HOSTILE_NUMBERS_FORM, HOSTILE_NUMBERS_RAW_JSON, raw_json

DURATION_ITEM = {
    "method_dimension": "transaction",
    "quality_dimension": "responsiveness",
    "text": "Waiting time",
    "item_type": "duration",
    "threshold": 90,
    "comparison": "at_most",
    "target_pass_rate": 0.75,
}


@pytest.mark.parametrize("literal", [*HOSTILE_NUMBERS_RAW_JSON, "-1", "31536001"])
@pytest.mark.parametrize("field", ["weight", "threshold", "target_pass_rate"])
def test_api_refuses_absurd_item_numbers_naming_the_field(client, world, field, literal):
    response = client.post(
        f"/api/v1/scorecards/versions/{world.version.id}/items",
        data=raw_json(DURATION_ITEM, field, literal),
        headers={**bearer(world.tokens["manager"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.json
    assert field in {e["field"] for e in response.json["errors"]}


def test_a_number_threshold_may_not_be_negative(client, world):
    response = client.post(
        f"/api/v1/scorecards/versions/{world.version.id}/items",
        json={**DURATION_ITEM, "item_type": "number", "threshold": -3},
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"threshold"}


@pytest.mark.parametrize("value", HOSTILE_NUMBERS_FORM)
@pytest.mark.parametrize("field", ["weight", "threshold", "target_pass_rate"])
def test_item_form_refuses_absurd_numbers(client, world, field, value):
    login(client, world.manager)
    response = client.post(
        f"/audits/scorecards/versions/{world.version.id}/items/new",
        data={**ITEM_FORM, field: value},
    )
    assert response.status_code == 400, response.status_code


def test_names_and_criteria_refuse_line_breaks(client, world):
    headers = bearer(world.tokens["manager"])
    card = client.post("/api/v1/scorecards", json={"name": "Karte\r\nX"}, headers=headers)
    assert card.status_code == 422
    assert {e["field"] for e in card.json["errors"]} == {"name"}
    item = client.post(
        f"/api/v1/scorecards/versions/{world.version.id}/items",
        json={**DURATION_ITEM, "text": "Warten\nBcc: x"},
        headers=headers,
    )
    assert item.status_code == 422
    assert {e["field"] for e in item.json["errors"]} == {"text"}
