"""The contact page as tester and manager: log a two-step conversation, answer the scorecard,
submit; return, correct, resubmit, approve — and the trail shows every step."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from sqlalchemy import func, select

from audits.evaluations.models import Evaluation
from audits.mystery.models import ContactLog, Evidence, Inquiry
from qcrm.extensions import db
from qcrm.models import ChannelType
from tests.audits.helpers import answered_item, make_inquiry_a_due
from tests.conftest import login

PLANNED = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)  # 10:30 in Berlin


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(PLANNED + dt.timedelta(days=2), tick=False):
        yield


@pytest.fixture
def due(app, world):
    items = make_inquiry_a_due(app, world, PLANNED, answered_item())
    world.greeting_id = items["Persönliche Anrede"]
    return world


def test_tester_logs_and_manager_reviews_a_contact(app, due):
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    tester = app.test_client()
    login(tester, due.tester)
    assert (
        tester.post(f"{url}/sent", data={"attempt": "1", "sent_at": "2030-01-07T10:30"}).status_code
        == 302
    )
    replies = [
        ("2030-01-07T10:31", "Wir haben Ihre Nachricht erhalten.", "y"),
        ("2030-01-07T14:00", "Welchen Tarif haben Sie heute?", ""),
        ("2030-01-07T16:00", "Der Wechsel geht online, zum Monatsersten.", ""),
    ]
    for received, text, ack in replies:
        data = {"received_at": received, "sender": "service@aue.example", "text": text}
        if ack:
            data["is_auto_acknowledgement"] = "y"
        assert tester.post(f"{url}/replies", data=data).status_code == 302
    log = tester.post(
        f"{url}/log", data={"outcome": "open", "solved": "yes", "transcript": "…", "version": "1"}
    )
    assert log.status_code == 302
    page = tester.post(
        f"{url}/evaluation", data={f"item_{due.greeting_id}": "no"}, follow_redirects=True
    )
    assert b"The scorecard is saved and scored." in page.data
    # transaction: answered (derived) 1/1 = 100; communication: greeting "no" = 0; total 1/2 = 50
    with app.app_context():
        evaluation = db.session.query(Evaluation).one()
        assert (evaluation.transaction_score, evaluation.communication_score) == (100, 0)
        assert evaluation.total_score == 50
        assert db.session.get(Inquiry, due.inquiry_a.id).first_answer_at == dt.datetime(
            2030, 1, 7, 13, 0, tzinfo=dt.UTC
        )
    assert tester.post(f"{url}/submit").status_code == 302

    manager = app.test_client()
    login(manager, due.manager)
    refused = manager.post(f"{url}/review", data={"decision": "return", "comment": ""})
    assert refused.status_code == 400
    manager.post(f"{url}/review", data={"decision": "return", "comment": "Anrede prüfen"})
    returned = tester.get(url)
    assert b"Anrede pr\xc3\xbcfen" in returned.data
    version = re.search(rb'name="evaluation-version" type="hidden" value="(\d+)"', returned.data)
    corrected = tester.post(
        f"{url}/evaluation",
        data={f"item_{due.greeting_id}": "yes", "evaluation-version": version.group(1).decode()},
    )
    assert corrected.status_code == 302
    tester.post(f"{url}/submit")
    manager.post(f"{url}/review", data={"decision": "approve", "comment": ""})
    page = manager.get(url)
    assert b"approved" in page.data
    with app.app_context():
        assert db.session.query(Evaluation).one().total_score == 100
    trail = page.data.decode()
    for step in (
        "attempt attempt_1.sent_at",
        "reply received_at",
        "evaluation total_score",
        "review status",
    ):
        assert step in trail, step
    assert trail.count("review status") == 4  # submitted, returned, submitted, approved


def test_invalid_scorecard_answers_are_marked_on_their_item(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    client.post(f"{url}/sent", data={"attempt": "1", "sent_at": "2030-01-07T10:30"})
    response = client.post(f"{url}/evaluation", data={f"item_{due.greeting_id}": "maybe"})
    assert response.status_code == 400
    assert b"Please answer yes or no." in response.data
    assert f'id="item_{due.greeting_id}-error"'.encode() in response.data


def test_a_reply_dated_before_sending_is_refused_on_its_field(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    client.post(f"{url}/sent", data={"attempt": "1", "sent_at": "2030-01-07T10:30"})
    response = client.post(
        f"{url}/replies", data={"received_at": "2030-01-07T10:00", "sender": "x", "text": "?"}
    )
    assert response.status_code == 400
    assert b"The reply cannot have come before the inquiry was sent." in response.data


def test_a_stale_contact_log_form_is_refused(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    assert (
        client.post(
            f"{url}/log", data={"outcome": "open", "transcript": "a", "version": "1"}
        ).status_code
        == 302
    )
    stale = client.post(f"{url}/log", data={"outcome": "open", "transcript": "b", "version": "1"})
    assert stale.status_code == 400
    assert b"Someone else saved this contact in the meantime." in stale.data


def test_an_email_contact_neither_shows_nor_checks_waiting_time_and_tries(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    assert 'name="wait_minutes"' not in client.get(url).get_data(as_text=True)
    saved = client.post(
        f"{url}/log",
        data={"outcome": "open", "wait_minutes": "99999", "tries": "-1", "version": "1"},
    )
    assert saved.status_code == 302  # nothing the page does not show can refuse the form
    with app.app_context():
        log = db.session.scalars(select(ContactLog).filter_by(inquiry_id=due.inquiry_a.id)).one()
        assert (log.wait_seconds, log.tries) == (None, None)


def test_a_phone_contact_shows_its_refused_waiting_time_on_the_field(app, due):
    with app.app_context():
        db.session.get(Inquiry, due.inquiry_a.id).channel.type = ChannelType.PHONE
        db.session.commit()
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    assert 'name="wait_minutes"' in client.get(url).get_data(as_text=True)
    refused = client.post(
        f"{url}/log",
        data={"outcome": "open", "wait_minutes": "99999", "tries": "3", "version": "1"},
    )
    assert refused.status_code == 400
    assert 'id="wait_minutes-error"' in refused.get_data(as_text=True)
    saved = client.post(
        f"{url}/log", data={"outcome": "open", "wait_minutes": "12", "tries": "3", "version": "1"}
    )
    assert saved.status_code == 302
    with app.app_context():
        log = db.session.scalars(select(ContactLog).filter_by(inquiry_id=due.inquiry_a.id)).one()
        assert (log.wait_seconds, log.tries) == (720, 3)


def test_another_testers_contact_is_not_found(app, due):
    client = app.test_client()
    login(client, due.tester)
    assert client.get(f"/audits/inquiries/{due.inquiry_other.id}").status_code == 404


def test_a_stale_scorecard_form_is_refused_with_a_clear_message(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    client.post(f"{url}/sent", data={"attempt": "1", "sent_at": "2030-01-07T10:30"})
    client.post(f"{url}/evaluation", data={f"item_{due.greeting_id}": "no"})
    stale = client.post(
        f"{url}/evaluation", data={f"item_{due.greeting_id}": "yes", "evaluation-version": "1"}
    )
    assert stale.status_code == 400
    assert b"Someone else saved this contact in the meantime." in stale.data


def test_a_refused_upload_shows_the_reason_on_the_file_field(app, due):
    client = app.test_client()
    login(client, due.tester)
    url = f"/audits/inquiries/{due.inquiry_a.id}"
    refused = client.post(
        f"{url}/evidence",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "anruf.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="file-error"' in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Evidence.id))) == 2  # the world's two
