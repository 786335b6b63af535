"""Survey targets and counts are finite and on their scale (CSAT 0–1, NPS −100…100, CES 1–7)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qcrm.extensions import db
from surveys.models import Survey
from tests.conftest import bearer, login
from tests.hostile import HOSTILE_NUMBERS_FORM, HOSTILE_NUMBERS_RAW_JSON, raw_json
from tests.surveys.test_builder import _form
from tests.surveys.test_survey_api import SURVEY

FIELDS = ("target_csat", "target_nps", "target_ces", "min_responses", "reminder_after_days")


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Survey.id)))


@pytest.mark.parametrize("literal", HOSTILE_NUMBERS_RAW_JSON)
@pytest.mark.parametrize("field", FIELDS)
def test_api_refuses_absurd_numbers_naming_the_field(app, client, world, field, literal):
    before = _count(app)
    response = client.post(
        "/api/v1/surveys",
        data=raw_json({**SURVEY, "client_id": world.client_a.id}, field, literal),
        headers={**bearer(world.tokens["manager"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.json
    assert field in {e["field"] for e in response.json["errors"]}
    assert _count(app) == before


@pytest.mark.parametrize("value", HOSTILE_NUMBERS_FORM)
@pytest.mark.parametrize("field", FIELDS)
def test_form_refuses_absurd_numbers(app, client, world, field, value):
    login(client, world.manager)
    before = _count(app)
    response = client.post("/surveys/new", data=_form(world, **{field: value}))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _count(app) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("scale_max", 2**63), ("scale_max", 1), ("options", ["x" * 100_000])],
    ids=["huge scale", "scale of one", "long option"],
)
def test_a_question_refuses_values_its_kind_ignores_when_out_of_range(client, world, field, value):
    """A CSAT question has no scale to set and no options, but an absurd value is still a
    mistake the sender hears about (not stored silently, not overflowing a column)."""
    questions = f"/api/v1/surveys/{world.survey_b.id}/questions"
    survey = client.get(
        f"/api/v1/surveys/{world.survey_b.id}", headers=bearer(world.tokens["manager"])
    )
    first = survey.json["questions"][0]["id"]
    response = client.patch(
        f"{questions}/{first}",
        json={"kind": "csat", field: value},
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 422, response.json
    assert field in {e["field"] for e in response.json["errors"]}
