"""Real scheduler processes (`flask qcrm scheduler`) against one database and a real SMTP server:
two at once never send an attempt twice, and a process killed mid-batch loses nothing and
re-sends nothing under another Message-ID."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

from audits.mystery.models import (
    AttemptState,
    HourBand,
    Inquiry,
    InquiryAttempt,
    Persona,
    Scenario,
    ScenarioCategory,
    Wave,
    WaveStatus,
)
from audits.scorecards.models import Scorecard, ScorecardVersion
from qcrm import create_app
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User
from tests.conftest import base_config, free_port

ROOT = Path(__file__).resolve().parents[2]
INQUIRIES = 300


class SlowSink:
    """Keeps (Message-ID, recipient) of every mail; ``delay`` slows each delivery down."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(
            message_from_bytes(envelope.content, policy=policy.default)["Message-ID"]
        )
        return "250 OK"


@pytest.fixture
def own_database(database_url, tmp_path):
    """A database of the test database's kind for these processes alone, dropped afterwards."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'processes.sqlite3'}"
        return
    name = f"qcrm_processes_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url: str, tmp_path) -> None:
    """Migrate, then a running wave whose INQUIRIES e-mail inquiries are all due now."""
    app = create_app(base_config(url), instance_path=str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        client = Client(name="Prozess GmbH")
        channel = Channel(
            client=client,
            type=ChannelType.EMAIL,
            name="Service",
            address="service@prozess.example",
            business_hours={},
        )
        scenario = Scenario(title="Frage", category=ScenarioCategory.QUESTION, script="Hallo?")
        persona = Persona(display_name="Eva Beispiel", email="eva@mail.example")
        tester = User(email="t@prozess.example", name="T", role=Role.TESTER)
        wave = Wave(
            name="W",
            client=client,
            scorecard_version=ScorecardVersion(scorecard=Scorecard(name="S"), number=1),
            status=WaveStatus.RUNNING,
            period_start=dt.date.today(),
            period_end=dt.date.today() + dt.timedelta(days=7),
            seed=1,
            contacts_per_cell=INQUIRIES,
            weekdays=["mon"],
            hour_bands=["morning"],
            auto_send_email=True,
            answer_timeouts={"email": 72},
        )
        planned = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        db.session.add_all([wave, channel, scenario, persona, tester])
        db.session.flush()
        db.session.execute(
            sa.insert(Inquiry),
            [
                {
                    "wave_id": wave.id,
                    "channel_id": channel.id,
                    "scenario_id": scenario.id,
                    "tester_id": tester.id,
                    "persona_id": persona.id,
                    "planned_at": planned,
                    "planned_local_date": planned.date(),
                    "planned_weekday": planned.weekday(),
                    "planned_hour_band": HourBand.MORNING,
                }
                for _ in range(INQUIRIES)
            ],
        )
        db.session.commit()
        db.engine.dispose()


def _start_scheduler(url: str, smtp_port: int, tmp_path, lease: int = 30) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "QCRM_ENV": "development",
        "SECRET_KEY": "x" * 32,
        "QCRM_SCHEDULER_INTERVAL_SECONDS": "0.3",
        "QCRM_SCHEDULER_LEASE_SECONDS": str(lease),
        "QCRM_AUDIT_SMTP_SERVER": "127.0.0.1",
        "QCRM_AUDIT_SMTP_PORT": str(smtp_port),
        "QCRM_AUDIT_MAIL_DOMAIN": "audit.example",
    }
    # the child keeps its own copy of the log's file descriptor
    with open(tmp_path / f"scheduler-{time.monotonic_ns()}.log", "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "qcrm", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _attempts(url: str) -> list[tuple[str, str | None, str | None]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                InquiryAttempt.__table__.c.state,
                InquiryAttempt.__table__.c.message_id,
                InquiryAttempt.__table__.c.claimed_by,
            )
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def _wait_until_all_sent(url: str, seconds: float = 90) -> list[tuple]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        attempts = _attempts(url)
        if len(attempts) == INQUIRIES and all(a[0] is AttemptState.SENT for a in attempts):
            return attempts
        time.sleep(0.5)
    pytest.fail(f"not all attempts sent in {seconds} s: {len(_attempts(url))} attempts")


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_two_schedulers_at_once_send_every_attempt_exactly_once(own_database, tmp_path):
    _prepare(own_database, tmp_path)
    sink = SlowSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    first = _start_scheduler(own_database, smtp.port, tmp_path)
    second = _start_scheduler(own_database, smtp.port, tmp_path)
    try:
        attempts = _wait_until_all_sent(own_database)
    finally:
        _stop(first, second)
        smtp.stop()
    message_ids = {a[1] for a in attempts}
    assert len(message_ids) == INQUIRIES
    assert sorted(sink.received) == sorted(message_ids)  # every attempt once, none twice


def test_a_scheduler_killed_mid_batch_loses_nothing_and_resends_under_the_same_message_id(
    own_database, tmp_path
):
    _prepare(own_database, tmp_path)
    sink = SlowSink(delay=0.02)
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    victim = _start_scheduler(own_database, smtp.port, tmp_path, lease=2)
    try:
        deadline = time.monotonic() + 60
        while len(sink.received) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sink.received) >= 40, "the first scheduler did not start sending"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        sent_before_kill = len(sink.received)
        assert sent_before_kill < INQUIRIES, "killed too late to test anything"
        successor = _start_scheduler(own_database, smtp.port, tmp_path, lease=2)
        try:
            attempts = _wait_until_all_sent(own_database)
        finally:
            _stop(successor)
    finally:
        smtp.stop()
    message_ids = {a[1] for a in attempts}
    assert len(message_ids) == INQUIRIES
    # every attempt arrived, and only under its own recorded Message-ID; at most the one mail in
    # flight at the kill may have arrived twice (same ID, so the mailbox sees one message)
    assert set(sink.received) == message_ids
    assert len(sink.received) - len(set(sink.received)) <= 1
