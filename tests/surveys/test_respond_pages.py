"""The respondents' pages and the public API: the survey's language, accessible markup, answers
kept when a check fails, polite pages for closed, unknown and used links, and the rate limit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from qcrm.extensions import db, limiter
from surveys import tokens
from surveys.models import InvitationState, Response, Survey
from tests.surveys.respond_helpers import (
    counts,
    field,
    invitation_state,
    issued_public_key,
    make_invitation,
    questions_of,
    valid_answers,
)


@pytest.fixture
def questions(app, world):
    return questions_of(app, world.survey_a.id)


def _public_url(world) -> str:
    return f"/s/{world.survey_a.public_token}"


def _key(html: str) -> str:
    return re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)


def _set(app, survey_id: int, **values) -> None:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        for name, value in values.items():
            setattr(survey, name, value)
        db.session.commit()


def test_the_form_speaks_the_surveys_language_whatever_the_browser_asks(app, client, world):
    page = client.get(_public_url(world), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert '<html lang="de">' in html
    assert "Kundenzufriedenheit 2030" in html and "Stadtwerke Aue" in html
    assert page.headers["Cache-Control"] == "no-store"

    _set(app, world.survey_a.id, language="en")
    html = client.get(_public_url(world), headers={"Accept-Language": "de"}).text
    assert '<html lang="en">' in html


def test_every_scale_and_choice_is_a_fieldset_with_a_legend_and_labelled_inputs(
    client, world, questions
):
    html = client.get(_public_url(world)).text
    assert html.count("<fieldset") == 6 and html.count("<legend") == 6
    csat = field(questions, 1)
    for value in range(1, 6):
        assert f'id="{csat}-{value}"' in html and f'for="{csat}-{value}"' in html
    # the scale ends are read out with the first and the last value
    assert '<span class="visually-hidden"> – Sehr unzufrieden</span>' in html
    assert '<span class="visually-hidden"> – Äußerst wahrscheinlich</span>' in html
    # the free text has a real label, and "required" is said in words
    text = field(questions, 7)
    assert f'<label class="qcrm-question-text" for="{text}">' in html
    assert html.count('<span class="qcrm-required">(erforderlich)</span>') == 3
    # no scripts, no styles, nothing from other sites
    assert "<script" not in html and "style=" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_missing_answers_are_listed_and_the_given_ones_kept(client, world, questions):
    page = client.get(_public_url(world))
    key = _key(page.text)
    sent = {
        "key": key,
        field(questions, 1): "4",
        field(questions, 5): "1",
        field(questions, 6): ["0", "2"],
        field(questions, 7): "Bitte <b>schneller</b>",
    }
    answer = client.post(_public_url(world), data=sent)
    assert answer.status_code == 400
    html = answer.text
    assert "Bitte prüfen Sie 2 Antworten" in html
    nps, ces = field(questions, 2), field(questions, 3)
    assert f'href="#{nps}">Frage 2</a>: Bitte beantworten Sie diese Frage.' in html
    assert f'href="#{ces}">Frage 3</a>: Bitte beantworten Sie diese Frage.' in html
    assert f'id="{nps}" aria-describedby="{nps}-error"' in html
    assert f'id="{nps}-error"' in html
    # the answers given are still there, the text escaped, the one-time key the same
    assert re.search(rf'id="{field(questions, 1)}-4" value="4" autocomplete="off" checked', html)
    assert re.search(rf'id="{field(questions, 5)}-1" value="1" checked', html)
    assert re.search(rf'id="{field(questions, 6)}-0" value="0" checked', html)
    assert re.search(rf'id="{field(questions, 6)}-2" value="2" checked', html)
    assert not re.search(rf'id="{field(questions, 6)}-1" value="1" checked', html)
    assert "Bitte &lt;b&gt;schneller&lt;/b&gt;</textarea>" in html
    assert _key(html) == key
    assert counts(client.application)["Response"] == 0


def test_a_sent_form_thanks_and_the_same_form_again_is_refused(client, world, questions):
    key = _key(client.get(_public_url(world)).text)
    data = {"key": key, **valid_answers(questions)}
    sent = client.post(_public_url(world) + f"?channel={world.channel_a.id}", data=data)
    assert sent.status_code == 303
    assert sent.headers["Location"] == _public_url(world) + "/thanks"
    thanks = client.get(sent.headers["Location"])
    assert "Vielen Dank für Ihre Antworten!" in thanks.text

    again = client.post(_public_url(world), data=data)
    assert again.status_code == 409
    assert "Ihre Antworten sind bereits bei uns eingegangen" in again.text
    with client.application.app_context():
        assert db.session.scalars(select(Response.channel_id)).all() == [world.channel_a.id]


@pytest.mark.parametrize(
    "key",
    [None, "", "a" * 24, "forged.key-without-a-signature"],
    ids=["omitted", "empty", "made up", "forged"],
)
def test_a_public_form_without_a_key_issued_by_the_server_stores_nothing(
    client, world, questions, key
):
    data = valid_answers(questions)
    if key is not None:
        data["key"] = key
    refused = client.post(_public_url(world), data=data)
    assert refused.status_code == 400
    html = refused.text
    assert "Dieses Formular wurde nicht von der Umfrage ausgegeben" in html
    # the answers are kept, with a key of the server's to send them once
    assert re.search(rf'id="{field(questions, 1)}-4" value="4" autocomplete="off" checked', html)
    assert counts(client.application)["Response"] == 0
    again = client.post(_public_url(world), data={**data, "key": _key(html)})
    assert again.status_code == 303
    assert counts(client.application)["Response"] == 1


def test_a_key_issued_for_another_surveys_form_is_refused(app, client, world, questions):
    _set(app, world.survey_b.id, published_at=dt.datetime(2029, 12, 1, tzinfo=dt.UTC))
    other = client.get(f"/s/{world.survey_b.public_token}")
    assert other.status_code == 200
    data = {"key": _key(other.text), **valid_answers(questions)}
    refused = client.post(_public_url(world), data=data)
    assert refused.status_code == 400
    assert counts(client.application)["Response"] == 0


def test_an_invitation_is_answered_once(app, client, world, questions):
    token = make_invitation(app, world.survey_a.id)
    url = f"/s/i/{token}"
    assert client.get(url).status_code == 200
    sent = client.post(url, data=valid_answers(questions))
    assert sent.status_code == 303 and sent.headers["Location"] == url + "/thanks"
    assert "Vielen Dank" in client.get(url + "/thanks").text
    assert invitation_state(app, token) is InvitationState.ANSWERED

    page = client.get(url)
    assert page.status_code == 200
    already = "Sie haben an dieser Umfrage bereits teilgenommen"
    assert already in page.text and "<form" not in page.text
    again = client.post(url, data=valid_answers(questions))
    assert again.status_code == 409 and already in again.text
    assert counts(app)["Response"] == 1


def test_the_thanks_page_of_an_unanswered_invitation_leads_to_the_form(app, client, world):
    token = make_invitation(app, world.survey_a.id)
    answer = client.get(f"/s/i/{token}/thanks")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/s/i/{token}"


@pytest.mark.parametrize("url", ["/s/no-such-survey", "/s/i/forged-token", "/s/i/x/thanks"])
def test_an_unknown_link_says_so_politely(client, url):
    for answer in (client.get(url), client.post(url, data={"q1": "4"})):
        if answer.request.method == "POST" and url.endswith("/thanks"):
            continue
        assert answer.status_code == 404
        assert "Survey not found" in answer.text
        assert "Traceback" not in answer.text


def test_a_closed_survey_says_so_politely(app, client, world, questions):
    token = make_invitation(app, world.survey_a.id)
    _set(app, world.survey_a.id, closed_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    for url in (_public_url(world), f"/s/i/{token}"):
        for answer in (client.get(url), client.post(url, data=valid_answers(questions))):
            assert answer.status_code == 410
            assert "Diese Umfrage ist beendet" in answer.text and "<form" not in answer.text
    assert counts(app)["Response"] == 0


def test_a_survey_not_open_yet_names_its_start(app, client, world):
    _set(app, world.survey_a.id, opens_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    answer = client.get(_public_url(world))
    assert answer.status_code == 200
    assert "Diese Umfrage ist noch nicht geöffnet" in answer.text


def test_a_draft_is_not_shown(app, client, world):
    _set(app, world.survey_a.id, published_at=None)
    assert client.get(_public_url(world)).status_code == 404


def test_an_expired_csrf_token_keeps_the_answers(make_app, world, questions):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get(_public_url(world)).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"key": _key(page), **valid_answers(questions)}

    expired = client.post(_public_url(world), data={**data, "csrf_token": "stale"})
    assert expired.status_code == 400
    assert "Das Formular war abgelaufen" in expired.text
    assert re.search(
        rf'id="{field(questions, 2)}-9" value="9" autocomplete="off" checked', expired.text
    )

    sent = client.post(_public_url(world), data={**data, "csrf_token": token})
    assert sent.status_code == 303
    assert counts(app)["Response"] == 1


def test_too_many_submissions_from_one_address_get_a_polite_429(make_app, world, questions):
    app = make_app(SURVEY_SUBMIT_RATE_LIMIT="2 per minute")
    limiter.reset()
    client = app.test_client()
    token = make_invitation(app, world.survey_a.id)
    incomplete = {field(questions, 1): "5"}
    assert client.post(_public_url(world), data=incomplete).status_code == 400
    assert client.post(f"/s/i/{token}", data=incomplete).status_code == 400
    limited = client.post(f"/s/i/{token}", data=valid_answers(questions))
    assert limited.status_code == 429
    assert "Aus Ihrem Netzwerk kamen in kurzer Zeit zu viele Antworten" in limited.text
    assert '<html lang="de">' in limited.text
    assert re.search(
        rf'id="{field(questions, 2)}-9" value="9" autocomplete="off" checked', limited.text
    )
    # the public API shares the budget; reading the form does not count
    api = client.post(
        f"/api/v1/public/surveys/{world.survey_a.public_token}/responses", json={"answers": {}}
    )
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
    assert client.get(f"/s/i/{token}").status_code == 200
    assert invitation_state(app, token) is InvitationState.INVITED
    limiter.reset()


# The public API ------------------------------------------------------------------------------


def _api_form_url(world) -> str:
    return f"/api/v1/public/surveys/{world.survey_a.public_token}"


def _api_url(world) -> str:
    return f"{_api_form_url(world)}/responses"


def _api_key(client, world) -> str:
    return client.get(_api_form_url(world)).json["key"]


def test_reading_the_survey_through_the_api_gives_its_questions_and_a_signed_key(
    client, world, questions
):
    form = client.get(_api_form_url(world))
    assert form.status_code == 200
    assert form.json["title"] == world.survey_a.title
    assert [question["id"] for question in form.json["questions"]] == [q.id for q in questions]
    assert form.json["questions"][0]["kind"] == "csat"
    assert form.json["questions"][0]["scale"] == [1, 5]
    # each reading issues another key, bound to this survey
    assert form.json["key"] != _api_key(client, world)
    with client.application.test_request_context():
        assert tokens.public_form_nonce(form.json["key"], world.survey_a.id)
        assert tokens.public_form_nonce(form.json["key"], world.survey_a.id + 1) is None
    assert counts(client.application)["PublicSubmission"] == 0


def test_the_api_refuses_a_response_without_a_key_it_issued(client, world, questions):
    answers = {str(questions[0].id): 5, str(questions[1].id): 9, str(questions[2].id): 6}
    other_survey_key = issued_public_key(client.application, world.survey_a.id + 1)
    signed = _api_key(client, world)
    forged = signed[:-4] + ("AAAA" if not signed.endswith("AAAA") else "BBBB")
    for key, why in (
        (None, "Missing data for required field."),
        ("a" * 24, "This key was not issued for this survey: read the survey for a new one."),
        (forged, "This key was not issued for this survey: read the survey for a new one."),
        (
            other_survey_key,
            "This key was not issued for this survey: read the survey for a new one.",
        ),
    ):
        body = {"answers": answers} if key is None else {"answers": answers, "key": key}
        answer = client.post(_api_url(world), json=body, headers={"Accept-Language": "en"})
        assert answer.status_code == 422, key
        assert answer.mimetype == "application/problem+json"
        assert [(e["field"], e["message"]) for e in answer.json["errors"]] == [("key", why)], key
    assert counts(client.application)["Response"] == 0
    assert counts(client.application)["PublicSubmission"] == 0


def test_the_api_takes_a_response_without_a_token_and_says_nothing_identifying(
    client, world, questions
):
    ids = [question.id for question in questions]
    body = {
        "answers": {
            str(ids[0]): 5,
            str(ids[1]): 10,
            str(ids[2]): 7,
            str(ids[4]): 0,
            str(ids[5]): [1, 2],
            str(ids[6]): "Alles gut",
        },
        "key": _api_key(client, world),
        "channel_id": world.channel_a.id,
    }
    answer = client.post(_api_url(world), json=body)
    assert answer.status_code == 201
    assert answer.json == {
        "status": "received",
        "thank_you_text": "Vielen Dank für Ihre Antworten!",
    }
    assert counts(client.application) == {
        "Response": 1,
        "Answer": 7,
        "InvitationEvent": 0,
        "PublicSubmission": 1,
    }
    repeat = client.post(_api_url(world), json=body)
    assert repeat.status_code == 409 and repeat.mimetype == "application/problem+json"
    assert counts(client.application)["Response"] == 1


def test_the_api_names_each_wrong_answer(client, world, questions):
    ids = [question.id for question in questions]
    body = {
        "answers": {str(ids[0]): 9, str(ids[1]): True, str(ids[5]): [0, 7], "123456": 1},
        "key": _api_key(client, world),
    }
    answer = client.post(_api_url(world), json=body)
    assert answer.status_code == 422
    fields = {error["field"] for error in answer.json["errors"]}
    assert fields == {f"answers.{ids[1]}", "answers.123456"}
    answer = client.post(
        _api_url(world),
        json={"answers": {str(ids[0]): 9, str(ids[5]): [0, 7]}, "key": _api_key(client, world)},
    )
    fields = {error["field"] for error in answer.json["errors"]}
    assert fields == {
        f"answers.{ids[0]}",
        f"answers.{ids[2]}",
        f"answers.{ids[5]}",
        f"answers.{ids[1]}",
    }
    assert client.post(_api_url(world), json={"answers": []}).status_code == 422
    assert counts(client.application)["Response"] == 0


def test_the_api_answers_404_for_unknown_and_410_for_closed_surveys(app, client, world, questions):
    answers = {"answers": {str(questions[0].id): 4}, "key": _api_key(client, world)}
    unknown = client.post("/api/v1/public/surveys/nope/responses", json=answers)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert client.get("/api/v1/public/surveys/nope").status_code == 404
    _set(app, world.survey_a.id, closed_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert client.post(_api_url(world), json=answers).status_code == 410
    assert client.get(_api_form_url(world)).status_code == 410


def test_the_public_endpoint_is_in_the_openapi_document_without_a_token(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/public/surveys/{public_token}/responses"]["post"]
    assert operation["security"] == []
    assert {"201", "404", "409", "410", "422", "429"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    body = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(body["required"]) == {"answers", "key"}
    reading = spec["paths"]["/api/v1/public/surveys/{public_token}"]["get"]
    assert reading["security"] == []
    assert {"200", "404", "410"} <= set(reading["responses"])
