"""The `flask qcrm` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import time_machine
from sqlalchemy import select

from qcrm.extensions import db
from qcrm.models import ApiToken, Channel, Client, Role, User
from tests.conftest import bearer


def test_init_creates_the_first_admin_from_options(app):
    result = app.test_cli_runner().invoke(
        args=[
            "qcrm",
            "init",
            "--admin-email",
            "Chefin@Firma.example",
            "--admin-name",
            "Chefin",
            "--admin-password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.query(User).filter_by(email="chefin@firma.example").one()
        assert admin.role is Role.ADMIN


def test_init_asks_for_the_admin_interactively(app):
    result = app.test_cli_runner().invoke(
        args=["qcrm", "init"], input="boss@firma.example\nsecret password\nsecret password\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(User).filter_by(email="boss@firma.example").count() == 1


def test_init_refuses_a_too_short_password_with_a_clear_message(app):
    result = app.test_cli_runner().invoke(
        args=["qcrm", "init", "--admin-email", "a@firma.example", "--admin-password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_create_user_with_password_and_clients(app, world):
    result = app.test_cli_runner().invoke(
        args=[
            "qcrm",
            "create-user",
            "ceo@firma.example",
            "--name",
            "CEO",
            "--role",
            "executive",
            "--password",
            "long enough pw",
            "--client",
            str(world.client_a.id),
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.query(User).filter_by(email="ceo@firma.example").one()
        assert [c.name for c in user.clients] == ["Stadtwerke Aue"]


def test_create_user_without_password_sends_an_invitation(app, mailbox):
    result = app.test_cli_runner().invoke(
        args=["qcrm", "create-user", "neu@firma.example", "--name", "Neu", "--role", "tester"]
    )
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in mailbox] == ["neu@firma.example"]
    assert "Invitation e-mailed." in result.output


def test_create_user_says_when_the_invitation_could_not_be_sent(make_app):
    app = make_app(MAIL_SERVER=None)
    result = app.test_cli_runner().invoke(
        args=["qcrm", "create-user", "neu@firma.example", "--name", "Neu", "--role", "tester"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "Invitation not sent yet (RuntimeError: MAIL_SERVER is not configured); "
        "it is retried automatically." in result.output
    )


def test_token_create_prints_a_working_token(app, world):
    result = app.test_cli_runner().invoke(
        args=["qcrm", "token", "create", "manager@qcrm.example", "--name", "import script"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert response.json["email"] == "manager@qcrm.example"


def test_token_create_with_a_last_day_makes_a_token_that_expires(app, world):
    with time_machine.travel(dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        args = ["qcrm", "token", "create", "manager@qcrm.example", "--name", "nightly"]
        result = app.test_cli_runner().invoke(args=[*args, "--valid-through", "2030-03-10"])
        assert result.exit_code == 0, result.output
        too_far = app.test_cli_runner().invoke(args=[*args, "--valid-through", "2033-01-01"])
    assert too_far.exit_code != 0
    assert "Choose a day from today to 2032-03-03" in too_far.output
    with app.app_context():
        (token,) = db.session.scalars(select(ApiToken).where(ApiToken.name == "nightly")).all()
        assert token.expires_at == dt.datetime(2030, 3, 10, 23, 0, tzinfo=dt.UTC)


def test_token_create_for_unknown_user_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["qcrm", "token", "create", "x@firma.example"])
    assert result.exit_code != 0
    assert "No user with the e-mail address" in result.output


def test_demo_loads_once_and_prints_working_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["qcrm", "demo"])
    second = runner.invoke(args=["qcrm", "demo"])
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    with app.app_context():
        assert db.session.query(Client).count() == 4
        assert db.session.query(Channel).count() == 15
        assert {u.role for u in db.session.query(User)} == set(Role)
    assert (Path(app.instance_path) / "demo-logins.txt").exists()
    _role, email, password = next(
        line.split() for line in first.output.splitlines() if "manager@" in line
    )
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.headers["Location"] == "/home"


def test_outbox_send_retries_due_mail(app, mailbox):
    from qcrm import mail

    with app.app_context():
        mail.queue_mail("k@example.com", "S", "T")
        db.session.info.pop("qcrm_outbox_pending")  # as if the process died before sending
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["qcrm", "outbox", "send"])
    assert "1 mail(s) sent." in result.output
    assert len(mailbox) == 1
