"""Truly simultaneous submissions against a running server: one invitation or one public form
yields exactly one response, and every other request is refused politely.

Each case runs against a multi-threaded werkzeug server in this process and against gunicorn
with several worker processes, on the test database (SQLite by default, PostgreSQL with
TEST_DATABASE_URL). The requests are sent over real sockets from threads released together by a
barrier, so they reach the database at the same moment; Flask's test client, which runs one
request after the other, would prove nothing here.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from qcrm.extensions import db
from surveys.models import Invitation, InvitationEvent, InvitationState, Response
from tests.browser.support import live_server
from tests.conftest import free_port
from tests.surveys.respond_helpers import counts, make_invitation, questions_of, valid_answers

ROOT = Path(__file__).resolve().parents[2]
SIMULTANEOUS = 16
SECRET_KEY = "concurrency-test-secret-key-0123456789"
RATE_LIMIT = "100000 per minute"


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str


@pytest.fixture(scope="module")
def gunicorn_url(database_url, tmp_path_factory) -> Iterator[str]:
    """gunicorn with three worker processes of four threads each, on the test database."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "QCRM_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "QCRM_SURVEY_SUBMIT_RATE_LIMIT": RATE_LIMIT,
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers=3",
                "--threads=4",
                "--preload",
                f"--bind=127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        _wait_for(port, process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=["threads", "processes"])
def server(request, make_app) -> Iterator[tuple[str, object]]:
    """The app served over HTTP with CSRF protection on: werkzeug threads or gunicorn workers.

    Yields the base URL and an app on the same database for looking at the outcome.
    """
    app = make_app(
        WTF_CSRF_ENABLED=True, SURVEY_SUBMIT_RATE_LIMIT=RATE_LIMIT, SECRET_KEY=SECRET_KEY
    )
    if request.param == "processes":
        yield request.getfixturevalue("gunicorn_url"), app
        return
    with live_server(app) as url:
        yield url, app


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Wait until all gunicorn workers answer (a worker that is still booting would skew timing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("gunicorn stopped:\n" + log.read_text())
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                time.sleep(0.5)  # let the other workers finish booting
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail("gunicorn did not start:\n" + log.read_text())


def _request(
    base: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[Reply, str | None]:
    parts = urlsplit(base)
    connection = connection or http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookie = response.getheader("Set-Cookie")
        reply = Reply(
            response.status,
            response.getheader("Location") or "",
            response.read().decode("utf-8", "replace"),
        )
        return reply, cookie
    finally:
        connection.close()


def _form(base: str, path: str) -> tuple[dict[str, str], str]:
    """GET the form: its hidden fields (CSRF token, one-time key) and the session cookie."""
    page, cookie = _request(base, "GET", path)
    assert page.status == 200, page.body
    hidden = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page.body))
    assert "csrf_token" in hidden and cookie
    return hidden, cookie.split(";", 1)[0]


def _all_at_once(base: str, path: str, body: bytes, headers: dict[str, str]) -> list[Reply]:
    """Send the same POST from SIMULTANEOUS threads, released together once all are connected."""
    barrier = threading.Barrier(SIMULTANEOUS)
    replies: list[Reply | BaseException] = [None] * SIMULTANEOUS  # type: ignore[list-item]
    parts = urlsplit(base)

    def send(index: int) -> None:
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            connection.connect()
            barrier.wait(timeout=30)
            replies[index] = _request(
                base, "POST", path, body=body, headers=headers, connection=connection
            )[0]
        except BaseException as error:  # reported by the assertion below
            replies[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(SIMULTANEOUS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    failures = [reply for reply in replies if not isinstance(reply, Reply)]
    assert not failures, failures
    return replies  # type: ignore[return-value]


def _form_body(hidden: dict[str, str], answers: dict[str, list[str]]) -> bytes:
    return urlencode({**hidden, **answers}, doseq=True).encode()


def test_one_invitation_sent_many_times_at_once_stores_one_response(server, world):
    base, app = server
    token = make_invitation(app, world.survey_a.id, channel_id=world.channel_a.id)
    path = f"/s/i/{token}"
    hidden, cookie = _form(base, path)
    body = _form_body(hidden, valid_answers(questions_of(app, world.survey_a.id)))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    replies = _all_at_once(base, path, body, headers)

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [303] + [409] * (SIMULTANEOUS - 1), statuses
    assert [r.location for r in replies if r.status == 303] == [f"{path}/thanks"]
    already = "Sie haben an dieser Umfrage bereits teilgenommen"
    assert all(already in r.body for r in replies if r.status == 409)
    with app.app_context():
        assert db.session.scalar(select(Invitation.state)) is InvitationState.ANSWERED
        assert db.session.scalars(select(InvitationEvent)).all() == []
        assert db.session.scalars(select(Response.channel_id)).all() == [world.channel_a.id]
    assert counts(app)["Answer"] == 3


def test_one_public_form_sent_many_times_at_once_stores_one_response(server, world):
    base, app = server
    path = f"/s/{world.survey_a.public_token}"
    hidden, cookie = _form(base, path)
    assert len(hidden["key"]) >= 16
    body = _form_body(hidden, valid_answers(questions_of(app, world.survey_a.id)))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    replies = _all_at_once(base, path, body, headers)

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [303] + [409] * (SIMULTANEOUS - 1), statuses
    received = "Ihre Antworten sind bereits bei uns eingegangen"
    assert all(received in r.body for r in replies if r.status == 409)
    assert counts(app) == {"Response": 1, "Answer": 3, "InvitationEvent": 0, "PublicSubmission": 1}


def test_one_api_key_sent_many_times_at_once_stores_one_response(server, world):
    base, app = server
    questions = questions_of(app, world.survey_a.id)
    form_path = f"/api/v1/public/surveys/{world.survey_a.public_token}"
    issued, _cookie = _request(base, "GET", form_path)
    assert issued.status == 200, issued.body
    body = json.dumps(
        {
            "answers": {str(q.id): v for q, v in zip(questions[:3], (5, 10, 7), strict=True)},
            "key": json.loads(issued.body)["key"],
        }
    ).encode()
    path = f"{form_path}/responses"

    replies = _all_at_once(base, path, body, {"Content-Type": "application/json"})

    statuses = sorted(reply.status for reply in replies)
    assert statuses == [201] + [409] * (SIMULTANEOUS - 1), statuses
    assert counts(app) == {"Response": 1, "Answer": 3, "InvitationEvent": 0, "PublicSubmission": 1}
