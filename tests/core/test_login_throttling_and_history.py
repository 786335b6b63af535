"""Failed logins are throttled per account and address, so an attacker elsewhere cannot lock an
account's owner out; every attempt on an account shows in its login history."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from qcrm.extensions import db
from qcrm.models import LoginAttempt, LoginResult, User
from tests.conftest import PASSWORD, login

ATTACKER = "203.0.113.66"
MANAGERS_OFFICE = "198.51.100.7"


def _login(client, email, password=PASSWORD, address="127.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _history(app, user: User) -> list[tuple[str, LoginResult]]:
    with app.app_context():
        return [
            (attempt.address, attempt.result)
            for attempt in db.session.scalars(
                select(LoginAttempt)
                .where(LoginAttempt.user_id == user.id)
                .order_by(LoginAttempt.id)
            )
        ]


def test_an_attacker_failing_from_elsewhere_cannot_lock_the_manager_out(app, world):
    attacker, manager = app.test_client(), app.test_client()
    for _ in range(5):
        assert _login(attacker, "manager@qcrm.example", "guess", ATTACKER).status_code == 200
    assert _login(attacker, "manager@qcrm.example", PASSWORD, ATTACKER).status_code == 429
    response = _login(manager, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert response.status_code == 302
    assert manager.get("/home").status_code == 200


def test_failures_on_one_account_from_many_addresses_meet_a_slower_brake(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="6 per hour")
    client = app.test_client()
    for index in range(6):
        _login(client, "manager@qcrm.example", "guess", f"203.0.113.{index + 1}")
    blocked = _login(client, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert blocked.status_code == 429
    assert b"Too many failed logins" in blocked.data


def test_the_pair_throttle_lifts_after_its_window(app, world):
    client = app.test_client()
    with time_machine.travel(dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            _login(client, "manager@qcrm.example", "guess", ATTACKER)
        assert _login(client, "manager@qcrm.example", PASSWORD, ATTACKER).status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        assert _login(client, "manager@qcrm.example", PASSWORD, ATTACKER).status_code == 302


def test_every_attempt_on_an_account_is_in_its_history_with_address_and_result(app, world):
    client = app.test_client()
    for _ in range(5):
        _login(client, "manager@qcrm.example", "guess", ATTACKER)
    _login(client, "manager@qcrm.example", PASSWORD, ATTACKER)  # throttled
    _login(client, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert _history(app, world.manager) == [
        *[(ATTACKER, LoginResult.WRONG_PASSWORD)] * 5,
        (ATTACKER, LoginResult.THROTTLED),
        (MANAGERS_OFFICE, LoginResult.SUCCESS),
    ]


def test_a_deactivated_accounts_attempt_is_recorded_as_refused(app, world):
    with app.app_context():
        db.session.get_one(User, world.tester.id).active = False
        db.session.commit()
    _login(app.test_client(), "tester@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert _history(app, world.tester) == [(MANAGERS_OFFICE, LoginResult.INACTIVE)]


def test_attempts_on_unknown_addresses_leave_no_row(app, world):
    _login(app.test_client(), "nobody@qcrm.example", "guess", ATTACKER)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_the_history_keeps_only_the_retention_period(make_app, world):
    app = make_app(LOGIN_HISTORY_DAYS=90)
    client = app.test_client()
    start = dt.datetime(2030, 1, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        _login(client, "manager@qcrm.example", "old guess", ATTACKER)
        clock.shift(dt.timedelta(days=89))
        _login(client, "manager@qcrm.example", "guess", ATTACKER)
        clock.shift(dt.timedelta(days=2))
        _login(app.test_client(), "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert _history(app, world.manager) == [
        (ATTACKER, LoginResult.WRONG_PASSWORD),
        (MANAGERS_OFFICE, LoginResult.SUCCESS),
    ]


def test_the_user_sees_their_own_recent_logins_on_the_profile(app, world):
    _login(app.test_client(), "manager@qcrm.example", "guess", ATTACKER)
    _login(app.test_client(), "admin@qcrm.example", "guess", "192.0.2.99")
    client = app.test_client()
    _login(client, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    html = client.get("/profile", environ_base={"REMOTE_ADDR": MANAGERS_OFFICE}).get_data(
        as_text=True
    )
    history = html.split('id="login-history"', 1)[1].split("</table>", 1)[0]
    assert history.index(MANAGERS_OFFICE) < history.index(ATTACKER)  # newest first
    assert "Wrong password" in history
    assert "Logged in" in history
    assert "192.0.2.99" not in history  # another user's attempt


def test_the_profile_shows_only_the_latest_attempts(make_app, world):
    app = make_app(LOGIN_HISTORY_SHOWN=3)
    for index in range(5):
        _login(app.test_client(), "manager@qcrm.example", "guess", f"203.0.113.{index + 1}")
    client = app.test_client()
    login(client, world.manager)
    history = client.get("/profile").get_data(as_text=True).split('id="login-history"', 1)[1]
    history = history.split("</table>", 1)[0]
    assert [f"203.0.113.{n}" in history for n in range(1, 6)] == [False, False, True, True, True]


def test_the_admin_sees_a_users_login_history_on_the_user_page(app, world):
    _login(app.test_client(), "tester@qcrm.example", "guess", ATTACKER)
    admin = app.test_client()
    login(admin, world.admin)
    html = admin.get(f"/admin/users/{world.tester.id}").get_data(as_text=True)
    assert "Recent logins" in html
    history = html.split('id="login-history"', 1)[1].split("</table>", 1)[0]
    assert ATTACKER in history
    assert "Wrong password" in history


def test_the_throttled_page_states_the_wait_of_the_limit_that_was_broken(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="6 per hour")
    client = app.test_client()
    for index in range(6):
        _login(client, "manager@qcrm.example", "guess", f"203.0.113.{index + 1}")
    client.post("/language", data={"language": "en"})
    account_brake = _login(client, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert account_brake.status_code == 429
    assert b"Please wait 1 hour, or reset your password." in account_brake.data
    client.post("/language", data={"language": "de"})
    german = _login(client, "manager@qcrm.example", PASSWORD, MANAGERS_OFFICE)
    assert "Bitte warten Sie 1 Stunde oder" in german.get_data(as_text=True)

    pair = app.test_client()
    pair.post("/language", data={"language": "en"})
    for _ in range(5):
        _login(pair, "admin@qcrm.example", "guess", ATTACKER)
    pair_brake = _login(pair, "admin@qcrm.example", PASSWORD, ATTACKER)
    assert pair_brake.status_code == 429
    assert b"Please wait 15 minutes, or reset your password." in pair_brake.data


def test_the_wait_follows_the_throttle_settings(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS="2 per 2 hours")
    client = app.test_client()
    client.post("/language", data={"language": "en"})
    for _ in range(2):
        _login(client, "manager@qcrm.example", "guess", ATTACKER)
    blocked = _login(client, "manager@qcrm.example", PASSWORD, ATTACKER)
    assert blocked.status_code == 429
    assert b"Please wait 2 hours, or reset your password." in blocked.data
