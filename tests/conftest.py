"""Shared fixtures: a migrated database (SQLite, or PostgreSQL through TEST_DATABASE_URL), a real
local SMTP server, the app and its test client, and a small world of users and clients."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from audits.mystery.evidence import evidence_path
from audits.mystery.models import (
    Evidence,
    HourBand,
    Inquiry,
    Persona,
    Scenario,
    ScenarioCategory,
    Wave,
)
from audits.scorecards.models import (
    ItemType,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from qcrm import create_app
from qcrm.extensions import db, limiter
from qcrm.models import ApiToken, Channel, ChannelType, Client, Role, User
from reports.models import Report, ReportFinding, ReportStatus
from reports.swot import Quadrant
from surveys.models import Question, QuestionKind, Survey

PASSWORD = "correct horse battery"
#: A valid 1×1 PNG, for evidence files.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000185d3a7e60000000049454e44ae426082"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """aiosmtpd handler that keeps every received message. It refuses the ``refused`` addresses
    for good (550 at RCPT TO, as for a mailbox that does not exist) and the ``deferred`` ones
    for now (450, as a greylisting or full server does)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.deferred: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return "550 5.1.1 Mailbox does not exist"
        if address.lower() in self.deferred:
            return "450 4.2.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Controller]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: Controller) -> list[EmailMessage]:
    """The messages the local SMTP server received during this test (it refuses no one until
    the test adds addresses to ``smtp_server.handler.refused`` or ``.deferred``)."""
    smtp_server.handler.messages.clear()
    smtp_server.handler.refused.clear()
    smtp_server.handler.deferred.clear()
    return smtp_server.handler.messages


class EnglishClient(FlaskClient):
    """A test client whose browser asks for English (the app's default locale is German)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


def base_config(database_url: str, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 64,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": None,
        "PUBLIC_BASE_URL": "http://qcrm.test",
        # tests log in through the session; tests of two-factor login require it themselves
        "TWO_FACTOR_REQUIRED_ROLES": (),
    }
    config.update(overrides)
    return config


def _reachable(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.exit(f"TEST_DATABASE_URL is set but the database is unreachable: {error}", 3)
    finally:
        engine.dispose()


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (test_gw0, test_gw1 …).

    The suite empties and refills tables per test, so two processes cannot share one database.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = sa.engine.make_url(url)
    name = f"{given.database}_{worker}"
    engine = sa.create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Drop everything, so the migrations build the schema from zero."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database, built once per run by the migrations."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        _reachable(url)
        url = worker_database(url)
        reset_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def clear_tables() -> None:
    """Empty every table, children first, and start the ids at 1 again.

    On PostgreSQL one batch of DELETEs and one setval over the sequences: TRUNCATE of the ~40
    tables cost 0.4 s per test (most of the PostgreSQL run), DELETE of the few rows a test
    leaves about 10 ms.
    """
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = [table.name for table in reversed(tables)]  # our own metadata, not input
        deletes = "; ".join(f'DELETE FROM "{name}"' for name in names)  # noqa: S608
        db.session.execute(sa.text(deletes))
        db.session.execute(
            sa.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def shared_app(database_url: str, smtp_server: Controller, tmp_path_factory) -> Iterator[Flask]:
    """One app with the default test settings for the whole run: building an app costs ~0.2 s
    (mostly routing), which a thousand route-access cases would pay each."""
    config = base_config(database_url, MAIL_SERVER=smtp_server.hostname, MAIL_PORT=smtp_server.port)
    app = create_app(config, instance_path=str(tmp_path_factory.mktemp("instance")))
    app.test_client_class = EnglishClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def clean_database(shared_app: Flask) -> None:
    """Every test starts from empty tables (the schema stays, built once by the migrations)."""
    with shared_app.app_context():
        clear_tables()
        db.session.remove()


@pytest.fixture
def make_app(database_url: str, smtp_server: Controller, tmp_path: Path, clean_database):
    """Build apps of their own on the test database, for tests that change settings."""
    apps: list[Flask] = []

    def factory(**overrides: object) -> Flask:
        mail_settings = {"MAIL_SERVER": smtp_server.hostname, "MAIL_PORT": smtp_server.port}
        config = base_config(database_url, **{**mail_settings, **overrides})
        app = create_app(config, instance_path=str(tmp_path / "instance"))
        app.test_client_class = EnglishClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(shared_app: Flask, tmp_path: Path, clean_database) -> Iterator[Flask]:
    """The shared app, with its settings and jobs restored after the test."""
    config = dict(shared_app.config)
    extensions = {
        key: list(value) if isinstance(value, list) else value
        for key, value in shared_app.extensions.items()
    }
    shared_app.instance_path = str(tmp_path / "instance")
    limiter.reset()
    yield shared_app
    with shared_app.app_context():
        db.session.remove()
    shared_app.config.clear()
    shared_app.config.update(config)
    shared_app.extensions.update(extensions)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class World:
    """A small fixed data set: one user per role, a client-side manager, two clients."""

    admin: User
    manager: User
    client_manager: User
    tester: User
    executive: User
    client_a: Client
    client_b: Client
    channel_a: Channel
    channel_b: Channel
    tokens: dict[str, str]
    other_tester: User
    scenario: Scenario
    persona: Persona
    scorecard: Scorecard
    version: ScorecardVersion
    item: ScorecardItem
    wave_a: Wave
    wave_b: Wave
    inquiry_a: Inquiry
    inquiry_other: Inquiry
    evidence_a: Evidence
    evidence_other: Evidence
    survey_a: Survey
    survey_b: Survey
    report_a: Report
    report_b: Report

    def user(self, name: str) -> User:
        return getattr(self, name)


PRINCIPALS = ("admin", "manager", "client_manager", "tester", "executive")


@pytest.fixture
def world(app: Flask) -> World:
    from qcrm import accounts

    with app.app_context():
        client_a = Client(name="Stadtwerke Aue")
        client_b = Client(name="Energie Nord")
        channel_a = Channel(
            client=client_a,
            type=ChannelType.EMAIL,
            name="Service mail",
            address="service@aue.example",
            business_hours={"mon": ["08:00-18:00"]},
        )
        channel_b = Channel(
            client=client_b,
            type=ChannelType.PHONE,
            name="Hotline",
            address="+49 30 123456",
            business_hours={},
        )
        password_hash = accounts.hash_password(PASSWORD)

        def user(name: str, role: Role, **extra: object) -> User:
            return User(
                email=f"{name}@qcrm.example",
                name=name.replace("_", " ").title(),
                role=role,
                password_hash=password_hash,
                **extra,
            )

        users = {
            "admin": user("admin", Role.ADMIN),
            "manager": user("manager", Role.MANAGER, all_clients=True),
            "client_manager": user("client_manager", Role.MANAGER, clients=[client_a]),
            "tester": user("tester", Role.TESTER),
            "executive": user("executive", Role.EXECUTIVE, clients=[client_a]),
        }
        other_tester = user("other_tester", Role.TESTER)
        db.session.add_all(
            [client_a, client_b, channel_a, channel_b, other_tester, *users.values()]
        )
        db.session.flush()
        audit = _audit_world(
            client_a, client_b, channel_a, channel_b, users["tester"], other_tester
        )
        audit.update(_survey_world(client_a, client_b, channel_a))
        audit.update(_report_world(client_a, client_b, audit["wave_a"], audit["wave_b"]))
        tokens = {}
        for name, account in users.items():
            plaintext = f"qcrm_test_{name}_token"
            db.session.add(
                ApiToken(
                    user=account,
                    name="tests",
                    token_hash=accounts._token_digest(plaintext),
                    prefix=plaintext[:12],
                )
            )
            tokens[name] = plaintext
        # Kept loaded through the commit, so that tests read the world's attributes after the
        # app context ends; refreshing its 26 entities instead cost a third of every test's set-up.
        session = db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        world = World(
            client_a=client_a,
            client_b=client_b,
            channel_a=channel_a,
            channel_b=channel_b,
            tokens=tokens,
            other_tester=other_tester,
            **users,
            **audit,
        )
        db.session.expunge_all()
    return world


def _audit_world(client_a, client_b, channel_a, channel_b, tester, other_tester) -> dict:
    """A scenario, persona, scorecard, a wave per client and an inquiry per tester."""
    scenario = Scenario(
        title="Tarifwechsel",
        category=ScenarioCategory.QUESTION,
        script="Ich möchte in den Ökostrom-Tarif wechseln. Was muss ich tun?",
        expected_answer="Online-Formular oder Anruf; Wechsel zum Monatsersten.",
        solved_criteria="Weg und Termin des Wechsels genannt.",
        channel_types=[],
    )
    persona = Persona(display_name="Jana Berger", email="jana.berger@mail.example")
    scorecard = Scorecard(name="Standard")
    version = ScorecardVersion(scorecard=scorecard, number=1)
    item = ScorecardItem(
        version=version,
        position=1,
        method_dimension=MethodDimension.COMMUNICATION,
        quality_dimension=QualityDimension.INDIVIDUALITY,
        text="Persönliche Anrede",
        item_type=ItemType.YES_NO,
    )

    def wave(client, channel, name) -> Wave:
        return Wave(
            name=name,
            client=client,
            scorecard_version=version,
            period_start=dt.date(2030, 1, 7),
            period_end=dt.date(2030, 1, 18),
            seed=1,
            contacts_per_cell=1,
            weekdays=["mon", "tue", "wed", "thu", "fri"],
            hour_bands=["morning", "noon", "afternoon"],
            channels=[channel],
            scenarios=[scenario],
            testers=[tester],
        )

    wave_a, wave_b = wave(client_a, channel_a, "Welle A"), wave(client_b, channel_b, "Welle B")

    def inquiry(wave_, channel, who) -> Inquiry:
        return Inquiry(
            wave=wave_,
            channel=channel,
            scenario=scenario,
            tester=who,
            persona=persona,
            planned_at=dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC),
            planned_local_date=dt.date(2030, 1, 7),
            planned_weekday=0,
            planned_hour_band=HourBand.MORNING,
        )

    objects = {
        "scenario": scenario,
        "persona": persona,
        "scorecard": scorecard,
        "version": version,
        "item": item,
        "wave_a": wave_a,
        "wave_b": wave_b,
        "inquiry_a": inquiry(wave_a, channel_a, tester),
        "inquiry_other": inquiry(wave_a, channel_a, other_tester),
    }
    db.session.add_all(objects.values())
    db.session.flush()
    for name, inquiry_name in (("evidence_a", "inquiry_a"), ("evidence_other", "inquiry_other")):
        evidence = Evidence(
            inquiry_id=objects[inquiry_name].id,
            original_name="screenshot.png",
            stored_name=secrets.token_hex(16),
            content_type="image/png",
            size=len(PNG),
            sha256=hashlib.sha256(PNG).hexdigest(),
            uploaded_by_id=tester.id,
        )
        evidence_path(evidence).write_bytes(PNG)
        db.session.add(evidence)
        objects[name] = evidence
    db.session.flush()
    return objects


def _survey_world(client_a: Client, client_b: Client, channel_a: Channel) -> dict:
    """A published, open survey per client: CSAT, NPS, CES, rating, choices and free text."""

    def survey(client: Client, title: str, channels: list[Channel]) -> Survey:
        return Survey(
            client=client,
            title=title,
            introduction="Wie zufrieden waren Sie mit unserem Service?",
            thank_you_text="Vielen Dank für Ihre Antworten!",
            language="de",
            target_csat=0.8,
            target_nps=20,
            target_ces=5.5,
            min_responses=3,
            public_token=secrets.token_urlsafe(24),
            published_at=dt.datetime(2029, 12, 1, tzinfo=dt.UTC),
            channels=channels,
            questions=[
                Question(position=1, kind=QuestionKind.CSAT, text="Wie zufrieden waren Sie?"),
                Question(
                    position=2,
                    kind=QuestionKind.NPS,
                    text="Wie wahrscheinlich empfehlen Sie uns weiter?",
                ),
                Question(
                    position=3,
                    kind=QuestionKind.CES,
                    text="Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen.",
                ),
                Question(
                    position=4,
                    kind=QuestionKind.RATING,
                    text="Wie freundlich war die Beratung?",
                    scale_max=10,
                    required=False,
                ),
                Question(
                    position=5,
                    kind=QuestionKind.SINGLE_CHOICE,
                    text="Wie haben Sie uns kontaktiert?",
                    options=["Telefon", "E-Mail", "Chat"],
                    required=False,
                ),
                Question(
                    position=6,
                    kind=QuestionKind.MULTIPLE_CHOICE,
                    text="Was hat Ihnen gefallen?",
                    options=["Schnelligkeit", "Freundlichkeit", "Kompetenz"],
                    required=False,
                ),
                Question(
                    position=7,
                    kind=QuestionKind.FREE_TEXT,
                    text="Was können wir besser machen?",
                    required=False,
                ),
            ],
        )

    objects = {
        "survey_a": survey(client_a, "Kundenzufriedenheit 2030", [channel_a]),
        "survey_b": survey(client_b, "Zufriedenheit Energie Nord", []),
    }
    db.session.add_all(objects.values())
    db.session.flush()
    return objects


def _report_world(client_a: Client, client_b: Client, wave_a: Wave, wave_b: Wave) -> dict:
    """A published report per client with one SWOT item (figures as an empty snapshot)."""

    def report(client: Client, wave: Wave) -> Report:
        return Report(
            client=client,
            title=f"Bericht {wave.name}",
            wave_ids=[wave.id],
            status=ReportStatus.PUBLISHED,
            figures={},
            published_at=dt.datetime(2030, 2, 1, tzinfo=dt.UTC),
            findings=[
                ReportFinding(
                    quadrant=Quadrant.OPPORTUNITY,
                    position=1,
                    text="Der Chat könnte Anfragen am Abend auffangen.",
                    edited=True,
                )
            ],
        )

    objects = {"report_a": report(client_a, wave_a), "report_b": report(client_b, wave_b)}
    db.session.add_all(objects.values())
    db.session.flush()
    return objects


def login(client: FlaskClient, user: User) -> None:
    """Log a user in through the session (fast; the login form has its own tests): a
    server-side session is opened for them, as the login form does."""
    from flask import current_app, has_app_context

    from qcrm import accounts

    # in the caller's app context if it has one: a second context's session would wait for
    # the first one's write lock on SQLite (every transaction begins immediately)
    inside = has_app_context() and current_app._get_current_object() is client.application
    with nullcontext() if inside else client.application.app_context():
        account = db.session.get_one(User, user.id)
        account.session_secret = accounts.start_session(account)
        session_id = account.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def run_outbox_job(app: Flask) -> None:
    """Run the scheduler's outbox job once, as the scheduler process would."""
    from qcrm import scheduler

    job = next(job for job in app.extensions[scheduler.JOBS_KEY] if job.name == "outbox")
    assert scheduler.run_job(app, job, worker="tests:outbox")
