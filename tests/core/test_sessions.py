"""Login sessions live on the server: logout ends them for every copy of the cookie, they time
out after inactivity and after an absolute lifetime, and "log out everywhere" ends them all."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import func, select

from qcrm.extensions import db
from qcrm.models import UserSession
from tests.conftest import PASSWORD

START = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)


def _log_in(client, email="manager@qcrm.example", remember=False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.data
    return response


def _copy_cookies(source, target) -> None:
    """What a thief with the cookie jar of ``source`` has."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _logged_in(client) -> bool:
    return client.get("/home").status_code == 200


def test_a_session_cookie_copied_before_logout_does_not_work_after_it(app, world):
    browser, thief = app.test_client(), app.test_client()
    _log_in(browser)
    _copy_cookies(browser, thief)
    assert _logged_in(thief)
    assert browser.post("/logout").status_code == 302
    assert not _logged_in(thief)


def test_a_copied_stay_logged_in_cookie_does_not_work_after_logout(app, world):
    browser, thief = app.test_client(), app.test_client()
    _log_in(browser, remember=True)
    _copy_cookies(browser, thief)
    browser.post("/logout")
    thief.delete_cookie("session")  # only the long-lived cookie is left
    assert not _logged_in(thief)


def test_an_old_cookie_does_not_come_back_to_life_with_a_new_login(app, world):
    browser, thief = app.test_client(), app.test_client()
    _log_in(browser)
    _copy_cookies(browser, thief)
    browser.post("/logout")
    _log_in(browser)
    assert _logged_in(browser)
    assert not _logged_in(thief)


def test_logging_out_on_one_device_keeps_the_other_devices_logged_in(app, world):
    laptop, phone = app.test_client(), app.test_client()
    _log_in(laptop)
    _log_in(phone)
    laptop.post("/logout")
    assert not _logged_in(laptop)
    assert _logged_in(phone)


def test_log_out_everywhere_ends_every_session_of_the_user_only(app, world):
    laptop, phone, admin = app.test_client(), app.test_client(), app.test_client()
    _log_in(laptop)
    _log_in(phone)
    _log_in(admin, "admin@qcrm.example")
    response = laptop.post("/profile/sessions/end", follow_redirects=True)
    assert "You are logged out on all your devices." in response.get_data(as_text=True)
    assert not _logged_in(laptop)
    assert not _logged_in(phone)
    assert _logged_in(admin)
    with app.app_context():
        rows = db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == world.manager.id)
        )
        assert rows == 0


def test_log_out_everywhere_is_on_the_profile_and_needs_a_csrf_token(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post(
        "/login", data={"email": "manager@qcrm.example", "password": PASSWORD, "csrf_token": token}
    )
    profile = client.get("/profile").get_data(as_text=True)
    assert 'action="/profile/sessions/end"' in profile
    assert "Log out everywhere" in profile
    client.post("/profile/sessions/end")  # forged: no token
    assert _logged_in(client)


def test_a_session_ends_after_the_inactivity_timeout_with_a_message(app, world):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        _log_in(client)
        clock.shift(dt.timedelta(minutes=29))
        assert _logged_in(client)  # activity: the 30 minutes start again
        clock.shift(dt.timedelta(minutes=29))
        assert _logged_in(client)
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/home")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired. Please log in again." in page


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, world):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        _log_in(client, remember=True)
        for _ in range(12 * 3 - 1):  # a request every 20 minutes for nearly 12 hours
            clock.shift(dt.timedelta(minutes=20))
            assert _logged_in(client)
        clock.shift(dt.timedelta(minutes=20))
        assert not _logged_in(client)


def test_session_limits_are_settings(make_app, world):
    app = make_app(SESSION_IDLE_TIMEOUT=5 * 60, SESSION_ABSOLUTE_LIFETIME=60 * 60)
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        _log_in(client)
        clock.shift(dt.timedelta(minutes=6))
        assert not _logged_in(client)
        _log_in(client)
        for _ in range(14):
            clock.shift(dt.timedelta(minutes=4))
            assert _logged_in(client)
        clock.shift(dt.timedelta(minutes=4))  # 60 minutes after the login
        assert not _logged_in(client)


def test_session_limits_can_be_set_from_the_environment(monkeypatch, tmp_path):
    from qcrm import create_app

    monkeypatch.setenv("QCRM_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("QCRM_SESSION_IDLE_TIMEOUT", "900")
    monkeypatch.setenv("QCRM_SESSION_ABSOLUTE_LIFETIME", "28800")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SESSION_IDLE_TIMEOUT"] == 900
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == 28800


def test_activity_is_written_at_most_once_a_minute(app, world):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        _log_in(client)
        with app.app_context():
            seen = db.session.scalar(select(UserSession.last_seen_at))
        clock.shift(dt.timedelta(seconds=30))
        _logged_in(client)
        with app.app_context():
            assert db.session.scalar(select(UserSession.last_seen_at)) == seen
        clock.shift(dt.timedelta(seconds=31))
        _logged_in(client)
        with app.app_context():
            assert db.session.scalar(select(UserSession.last_seen_at)) == START + dt.timedelta(
                seconds=61
            )


def test_abandoned_sessions_are_dropped_when_anyone_logs_in(app, world):
    with time_machine.travel(START, tick=False) as clock:
        _log_in(app.test_client())  # never logs out
        clock.shift(dt.timedelta(minutes=31))
        _log_in(app.test_client(), "admin@qcrm.example")
    with app.app_context():
        owners = db.session.scalars(select(UserSession.user_id)).all()
    assert owners == [world.admin.id]
