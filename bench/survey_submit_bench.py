"""Measure survey submissions per second against gunicorn on loopback.

Run: .venv/bin/python -m bench.survey_submit_bench            (SQLite in a temporary folder)
     DATABASE_URL=postgresql://postgres@127.0.0.1:5432/NAME \
         .venv/bin/python -m bench.survey_submit_bench
Options: --responses N (per phase, default 2000), --clients N (sending threads, default 16),
--workers N and --threads N (gunicorn, default 4 × 4), --seconds S (limit per phase, default 60).

The script migrates the database (PostgreSQL: use a disposable one; existing rows are left
alone), creates a survey of CSAT, NPS, CES and free text with one invitation per invitation
submission, starts gunicorn on 127.0.0.1 with the submission rate limit raised, and sends:
  1. public-link responses through the JSON API, each with its own signed one-time key (issued
     before the phase with the app's secret key, as reading the survey through the API would);
  2. invitation responses through the form page (POST with the CSRF token of the client's
     session, as a browser sends it after loading the form once).
It reports responses per second and latency percentiles of each phase, then checks that the
database holds exactly one response per accepted submission and every invitation answered.
Traffic goes to loopback only, and every loop is bounded by count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_migrate import upgrade

from qcrm import create_app
from qcrm.config import normalize_database_url
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client
from surveys.models import Invitation, InvitationState, Question, QuestionKind, Response, Survey
from surveys.tokens import email_hash, new_public_token, new_salt, public_form_key, token_hash

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "survey-bench-secret-key-0123456789abcdef"  # noqa: S105 (a throwaway bench app)


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, latency: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.latencies.append(latency)

    def report(self) -> str:
        accepted = sum(n for status, n in self.statuses.items() if status in (201, 303))
        ordered = sorted(self.latencies) or [0.0]

        def percentile(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        return (
            f"{self.name}: {accepted} responses in {self.seconds:.1f} s = "
            f"{accepted / self.seconds:.0f} responses/s; latency p50 {percentile(0.5):.0f} ms, "
            f"p90 {percentile(0.9):.0f} ms, p99 {percentile(0.99):.0f} ms, "
            f"mean {statistics.fmean(ordered) * 1000:.0f} ms; "
            f"statuses {dict(sorted(self.statuses.items()))}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="qcrm-survey-bench-")
    url = normalize_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    )
    app = create_app(
        {"TESTING": True, "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url},
        instance_path=folder,
    )
    try:
        with app.app_context():
            upgrade()
            survey_id, public_token, question_ids, tokens = _world(args.responses)
            keys = [public_form_key(survey_id) for _ in range(args.responses)]
            db.engine.dispose()
        port = _free_port()
        server = _start_gunicorn(url, port, args.workers, args.threads, Path(folder))
        try:
            print(
                f"{sa.make_url(url).get_backend_name()}: gunicorn {args.workers} workers × "
                f"{args.threads} threads, {args.clients} client threads on 127.0.0.1:{port}"
            )
            public = _run_phase(
                "public link, JSON API",
                args,
                _public_sender(port, public_token, question_ids, keys),
                range(args.responses),
            )
            print(public.report())
            invited = _run_phase(
                "invitation, form page",
                args,
                _invitation_sender(port, question_ids),
                tokens,
            )
            print(invited.report())
        finally:
            _stop(server)
        with app.app_context():
            _verify(survey_id, public, invited)
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _world(invitations: int) -> tuple[int, str, list[int], list[str]]:
    """A survey of CSAT, NPS, CES and free text, open now, with ``invitations`` invitations."""
    client = Client(name=f"Bench {secrets.token_hex(3)}")
    channel = Channel(
        client=client, type=ChannelType.EMAIL, name="Service", address="s@bench.example"
    )
    survey = Survey(
        client=client,
        title="Zufriedenheit (Bench)",
        language="de",
        thank_you_text="Danke!",
        public_token=new_public_token(),
        published_at=sa.func.now(),
        channels=[channel],
        questions=[
            Question(position=1, kind=QuestionKind.CSAT, text="Wie zufrieden waren Sie?"),
            Question(position=2, kind=QuestionKind.NPS, text="Würden Sie uns empfehlen?"),
            Question(position=3, kind=QuestionKind.CES, text="Es war leicht."),
            Question(position=4, kind=QuestionKind.FREE_TEXT, text="Was fehlt?", required=False),
        ],
    )
    db.session.add(survey)
    db.session.commit()
    db.session.refresh(survey)
    tokens = [secrets.token_urlsafe(32) for _ in range(invitations)]
    db.session.execute(
        sa.insert(Invitation),
        [
            {
                "survey_id": survey.id,
                "email": f"kunde{n}@bench.example",
                "email_hash": email_hash(f"kunde{n}@bench.example"),
                "token_hash": token_hash(token),
                "token_salt": new_salt(),
                "channel_id": channel.id,
                "state": InvitationState.INVITED,
            }
            for n, token in enumerate(tokens)
        ],
    )
    db.session.commit()
    question_ids = [question.id for question in survey.questions]
    return survey.id, survey.public_token, question_ids, tokens


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(url: str, port: int, workers: int, threads: int, folder: Path):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "QCRM_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "QCRM_SURVEY_SUBMIT_RATE_LIMIT": "1000000 per minute",
    }
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115  (the child keeps writing to it)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            f"--workers={workers}",
            f"--threads={threads}",
            "--preload",
            "--log-level=warning",
            f"--bind=127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped:\n" + (folder / "gunicorn.log").read_text())
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                time.sleep(1)
                return process
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    _stop(process)
    raise SystemExit("gunicorn did not start within 60 s")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Connections(threading.local):
    """One keep-alive connection per client thread (as a browser keeps one per site)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.cookie: str | None = None
        self.csrf_token: str | None = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read()
                return response, text
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _answers(question_ids: list[int], n: int) -> dict[str, object]:
    csat, nps, ces, text = question_ids
    answers: dict[str, object] = {str(csat): 1 + n % 5, str(nps): n % 11, str(ces): 1 + n % 7}
    if n % 4 == 0:
        answers[str(text)] = "Schnellere Antworten per E-Mail, bitte."
    return answers


def _public_sender(port: int, public_token: str, question_ids: list[int], keys: list[str]):
    connections = _Connections(port)
    path = f"/api/v1/public/surveys/{public_token}/responses"

    def send(n: int) -> int:
        body = json.dumps({"answers": _answers(question_ids, n), "key": keys[n]}).encode()
        response, _text = connections.request(
            "POST", path, body, {"Content-Type": "application/json"}
        )
        return response.status

    return send


def _invitation_sender(port: int, question_ids: list[int]):
    connections = _Connections(port)

    def send(token: str) -> int:
        path = f"/s/i/{token}"
        if connections.csrf_token is None:
            # the client's browser loads one form first: a session cookie and its CSRF token
            response, text = connections.request("GET", path, None, {})
            connections.cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
            found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', text)
            connections.csrf_token = found.group(1).decode() if found else ""
        answers = {
            f"q{qid}": str(value) for qid, value in _answers(question_ids, len(token)).items()
        }
        body = urlencode({"csrf_token": connections.csrf_token, **answers}).encode()
        response, _text = connections.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": connections.cookie},
        )
        return response.status

    return send


def _run_phase(name: str, args, send: Callable[[object], int], items) -> Phase:
    phase = Phase(name)
    deadline = time.monotonic() + args.seconds

    def one(item) -> None:
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        try:
            status = send(item)
        except (http.client.HTTPException, OSError):
            status = 0
        phase.record(status, time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        list(pool.map(one, items))
    phase.seconds = time.perf_counter() - started
    return phase


def _verify(survey_id: int, public: Phase, invited: Phase) -> None:
    """One stored response per accepted submission, and every answered invitation marked so."""
    responses = db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.survey_id == survey_id)
    )
    answered = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Invitation)
        .where(Invitation.survey_id == survey_id, Invitation.state == InvitationState.ANSWERED)
    )
    accepted_public = public.statuses.get(201, 0)
    accepted_invited = invited.statuses.get(303, 0)
    ok = responses == accepted_public + accepted_invited and answered == accepted_invited
    print(
        f"verified: {responses} responses stored = {accepted_public} public + "
        f"{accepted_invited} invitation submissions accepted; {answered} invitations answered"
        + ("" if ok else "  ✗ MISMATCH")
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())
