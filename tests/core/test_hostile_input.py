"""Hostile values answer 4xx, never 500, and store nothing: NUL bytes anywhere in a request,
ids beyond the database's integers, huge page numbers, ids of objects that do not exist; and
characters XML forbids never reach an XLSX (security review, point 4)."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from qcrm.extensions import db
from qcrm.models import Client
from qcrm.spreadsheets import workbook_bytes
from reports.models import ReportSubscription
from surveys.models import Answer, Response, Survey
from tests.conftest import bearer, login
from tests.hostile import (
    HUGE_IDS,
    LONE_SURROGATE,
    MISSING_ID,
    NUL,
    OVERFLOWING_PAGE,
    XML_NONCHARACTERS,
)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Client, Response, Answer, ReportSubscription)
        }


def _public_api(world) -> str:
    return f"/api/v1/public/surveys/{world.survey_a.public_token}/responses"


def _json_post(path: str, body: dict) -> dict:
    return {"method": "POST", "path": path, "data": json.dumps(body), "api": True}


# Each case: who calls (None: anonymous) and a function of the world giving the request.
NUL_CASES = {
    "login form": (
        None,
        lambda w: {
            "method": "POST",
            "path": "/login",
            "data": {"email": f"a{NUL}@x.example", "password": "x"},
        },
    ),
    "survey link": (None, lambda w: {"method": "GET", "path": "/s/%00"}),
    "survey link query": (
        None,
        lambda w: {"method": "GET", "path": f"/s/{w.survey_a.public_token}?channel=%00"},
    ),
    "survey form": (
        None,
        lambda w: {
            "method": "POST",
            "path": f"/s/{w.survey_a.public_token}",
            "data": {"key": "k" * 20, "q1": f"4{NUL}"},
        },
    ),
    "public survey api": (
        None,
        lambda w: _json_post(_public_api(w), {"answers": {"1": f"gut{NUL}"}}),
    ),
    "public survey api key": (
        None,
        lambda w: _json_post(_public_api(w), {"answers": {f"1{NUL}": 4}}),
    ),
    "client search": ("manager", lambda w: {"method": "GET", "path": "/clients/?q=a%00"}),
    "client form": (
        "manager",
        lambda w: {
            "method": "POST",
            "path": "/clients/new",
            "data": {"name": f"Neu{NUL}", "kind": "own"},
        },
    ),
    "file name": (
        "tester",
        lambda w: {
            "method": "POST",
            "path": f"/audits/inquiries/{w.inquiry_a.id}/evidence",
            "data": {"file": (io.BytesIO(b"png"), f"shot{NUL}.png")},
        },
    ),
    "api client search": (
        "manager",
        lambda w: {"method": "GET", "path": "/api/v1/clients?q=%00", "api": True},
    ),
    "api client body": ("manager", lambda w: _json_post("/api/v1/clients", {"name": f"A{NUL}"})),
    "api nested list": (
        "manager",
        lambda w: _json_post(
            f"/api/v1/clients/{w.client_a.id}/channels",
            {
                "type": "email",
                "name": "x",
                "address": "a@b.example",
                "business_hours": {"mon": [f"08:00{NUL}"]},
            },
        ),
    ),
    "api survey body": (
        "manager",
        lambda w: _json_post(
            "/api/v1/surveys", {"client_id": w.client_a.id, "title": f"T{NUL}", "language": "de"}
        ),
    ),
    "api subscription": (
        "manager",
        lambda w: _json_post(
            "/api/v1/reports/subscriptions",
            {"client_id": w.client_a.id, "frequency": f"monthly{NUL}"},
        ),
    ),
}


def _send(client, world, who, request: dict):
    request = dict(request)
    api = request.pop("api", False)
    headers = {}
    if who is not None and api:
        headers = bearer(world.tokens[who])
    elif who is not None:
        login(client, world.user(who))
    if api:
        headers["Content-Type"] = "application/json"
    return client.open(
        request["path"], method=request["method"], data=request.get("data"), headers=headers
    )


@pytest.mark.parametrize("case", NUL_CASES, ids=list(NUL_CASES))
def test_a_nul_byte_anywhere_is_a_400_and_stores_nothing(app, client, world, case):
    who, make = NUL_CASES[case]
    before = _counts(app)
    request = make(world)
    response = _send(client, world, who, request)
    assert response.status_code == 400, response.text[:300]
    if request.get("api") or request["path"].startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 400 and problem["errors"][0]["field"]
    else:
        assert "NUL" in response.text
    assert _counts(app) == before


def test_the_problem_names_the_field_with_the_nul(client, world):
    response = client.post(
        "/api/v1/clients",
        json={"name": "ok", "notes": f"a{NUL}b"},
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["notes"]


def test_a_lone_surrogate_in_a_json_body_is_a_400(app, client, world):
    before = _counts(app)
    body = json.dumps({"name": f"A{LONE_SURROGATE}", "notes": "ok"}, ensure_ascii=True)
    response = client.post(
        "/api/v1/clients",
        data=body,
        content_type="application/json",
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.get_json()["errors"]] == ["name"]
    assert _counts(app) == before


# Ids beyond the database's integers --------------------------------------------------------

ID_PATHS = (
    "/clients/{}",
    "/audits/waves/{}",
    "/reports/{}",
    "/surveys/{}/results",
    "/api/v1/clients/{}",
    "/api/v1/waves/{}",
    "/api/v1/reports/{}",
    "/api/v1/surveys/{}/results",
)


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize("path", ID_PATHS)
def test_a_huge_id_in_a_path_is_a_404(client, world, path, number):
    login(client, world.admin)
    response = client.get(path.format(number), headers=bearer(world.tokens["admin"]))
    assert response.status_code == 404


@pytest.mark.parametrize("number", HUGE_IDS)
def test_huge_ids_in_api_bodies_are_field_errors(app, client, world, number):
    before = _counts(app)
    headers = bearer(world.tokens["admin"])
    wave = {
        "name": "W",
        "client_id": number,
        "scorecard_version_id": number,
        "period_start": "2031-01-06",
        "period_end": "2031-01-17",
        "contacts_per_cell": 1,
        "channel_ids": [number],
        "scenario_ids": [number],
        "tester_ids": [number],
    }
    calls = [
        ("/api/v1/waves", wave, {"client_id", "scorecard_version_id", "channel_ids.0"}),
        (
            "/api/v1/reports/subscriptions",
            {"client_id": number, "frequency": "monthly"},
            {"client_id"},
        ),
        (
            "/api/v1/surveys",
            {"client_id": number, "title": "T", "channel_ids": [number]},
            {"client_id", "channel_ids.0"},
        ),
        (_public_api(world), {"answers": {}, "channel_id": number}, {"channel_id"}),
    ]
    for path, body, fields in calls:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.text[:300])
        named = {error["field"] for error in response.get_json()["errors"]}
        assert fields <= named, (path, named)
    assert _counts(app) == before


@pytest.mark.parametrize("number", HUGE_IDS)
def test_huge_ids_in_queries_and_forms_are_ignored_or_refused(app, client, world, number):
    login(client, world.admin)
    before = _counts(app)
    assert client.get(f"/reports/new?wave_id={number}").status_code == 200
    assert client.get(f"/surveys/{world.survey_a.id}/results?channel={number}").status_code < 500
    report = client.post(
        "/reports/new",
        data={
            "title": "R",
            "client_id": str(number),
            "wave_ids": [str(number)],
            "channel_ids": [str(number)],
        },
    )
    assert report.status_code == 400  # the form again, with field errors
    assert "Choose one of the entries shown." in report.text
    subscription = client.post(
        "/reports/subscriptions",
        data={"client_id": str(number), "frequency": "monthly", "subscribe": "1"},
    )
    assert subscription.status_code < 500
    token = world.survey_a.public_token
    sent = client.post(f"/s/{token}?channel={number}", data={"q1": "4"})
    assert sent.status_code < 500
    assert _counts(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients?page={}",
        "/api/v1/reports?page={}",
        "/audits/waves/{wave}?page={}",
        "/surveys/{survey}/invitations?page={}",
    ],
)
def test_a_huge_page_is_clamped_or_refused(client, world, path):
    login(client, world.admin)
    url = path.format(OVERFLOWING_PAGE, wave=world.wave_a.id, survey=world.survey_a.id)
    response = client.get(url, headers=bearer(world.tokens["admin"]))
    assert response.status_code in (200, 400, 422), response.text[:300]


# Objects that do not exist -----------------------------------------------------------------


def test_a_subscription_to_a_missing_client_is_a_field_error(app, client, world):
    response = client.post(
        "/api/v1/reports/subscriptions",
        json={"client_id": MISSING_ID, "frequency": "monthly"},
        headers=bearer(world.tokens["admin"]),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "client_id"
    login(client, world.admin)
    page = client.post(
        "/reports/subscriptions",
        data={"client_id": str(MISSING_ID), "frequency": "monthly", "subscribe": "1"},
    )
    assert page.status_code < 500
    assert _counts(app)["ReportSubscription"] == 0


MISSING_ID_CALLS = {
    "wave": lambda w: (
        "/api/v1/waves",
        {
            "name": "W",
            "client_id": w.client_a.id,
            "scorecard_version_id": w.version.id,
            "period_start": "2031-01-06",
            "period_end": "2031-01-17",
            "contacts_per_cell": 1,
            "channel_ids": [MISSING_ID],
            "scenario_ids": [MISSING_ID],
            "tester_ids": [MISSING_ID],
        },
    ),
    "wave client": lambda w: (
        "/api/v1/waves",
        {
            "name": "W",
            "client_id": MISSING_ID,
            "scorecard_version_id": MISSING_ID,
            "period_start": "2031-01-06",
            "period_end": "2031-01-17",
            "contacts_per_cell": 1,
            "channel_ids": [w.channel_a.id],
            "scenario_ids": [w.scenario.id],
            "tester_ids": [w.tester.id],
        },
    ),
    "survey": lambda w: (
        "/api/v1/surveys",
        {"client_id": w.client_a.id, "title": "T", "channel_ids": [MISSING_ID]},
    ),
    "survey client": lambda w: ("/api/v1/surveys", {"client_id": MISSING_ID, "title": "T"}),
    "invitation": lambda w: (
        f"/api/v1/surveys/{w.survey_a.id}/invitations",
        {"recipients": [{"email": "k@example.org", "channel_id": MISSING_ID}]},
    ),
    "persona": lambda w: (
        "/api/v1/personas",
        {"display_name": "P", "email": "p@mail.example", "tester_ids": [MISSING_ID]},
    ),
    "public channel": lambda w: (_public_api(w), {"answers": {}, "channel_id": MISSING_ID}),
}


@pytest.mark.parametrize("case", MISSING_ID_CALLS, ids=list(MISSING_ID_CALLS))
def test_ids_of_missing_objects_in_bodies_are_4xx(app, client, world, case):
    path, body = MISSING_ID_CALLS[case](world)
    response = client.post(path, json=body, headers=bearer(world.tokens["admin"]))
    assert 400 <= response.status_code < 500, response.text[:300]


# Characters XML forbids --------------------------------------------------------------------


def test_free_text_is_stored_without_characters_xml_forbids_and_exports(app, client, world):
    from tests.surveys.respond_helpers import issued_public_key, questions_of

    questions = questions_of(app, world.survey_a.id)
    by_position = {q.position: str(q.id) for q in questions}
    dirty = f"Schnell{XML_NONCHARACTERS}er{LONE_SURROGATE}!"
    body = json.dumps(
        {
            "answers": {
                by_position[1]: 4,
                by_position[2]: 9,
                by_position[3]: 6,
                by_position[7]: dirty,
            },
            "key": issued_public_key(app, world.survey_a.id),
        },
        ensure_ascii=True,
    )
    response = client.post(_public_api(world), data=body, content_type="application/json")
    assert response.status_code == 201, response.text[:300]
    with app.app_context():
        assert db.session.scalars(select(Answer.text).where(Answer.text.is_not(None))).all() == [
            "Schneller!"
        ]
        survey = db.session.get(Survey, world.survey_a.id)
        survey.min_responses = 1
        db.session.commit()
    login(client, world.admin)
    export = client.get(f"/surveys/{world.survey_a.id}/export/answers.xlsx")
    assert export.status_code == 200
    load_workbook(io.BytesIO(export.data))


def test_an_xlsx_cell_with_old_forbidden_characters_still_opens():
    title = f"S{XML_NONCHARACTERS}{LONE_SURROGATE}"
    data = workbook_bytes([(title, [[f"a{XML_NONCHARACTERS}b{LONE_SURROGATE}c\x01", 1]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "S"
    assert sheet["A1"].value == "abc"
