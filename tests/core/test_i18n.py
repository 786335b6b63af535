"""German and English: browser language, switcher, the user's preference."""

from __future__ import annotations

from flask import render_template_string

from qcrm.extensions import db
from qcrm.models import User
from tests.conftest import login


def test_browser_language_decides_for_visitors(client):
    german = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert b'<html lang="de">' in german.data
    assert b"Anmelden" in german.data
    english = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert b'<html lang="en">' in english.data
    assert b"Log in" in english.data


def test_german_is_the_default_when_the_browser_says_nothing(app):
    client = app.test_client()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    assert b'<html lang="de">' in client.get("/login").data


def test_switcher_changes_the_language_for_the_session(client):
    response = client.post("/language", data={"language": "de", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert b'<html lang="de">' in client.get("/login").data


def test_switcher_ignores_foreign_next_urls(client):
    response = client.post("/language", data={"language": "de", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/home"


def test_switching_while_logged_in_is_remembered_in_the_profile(app, client, world):
    login(client, world.manager)
    client.post("/language", data={"language": "de"})
    with app.app_context():
        assert db.session.get(User, world.manager.id).language == "de"
    other_device = app.test_client()
    login(other_device, world.manager)
    assert b'<html lang="de">' in other_device.get("/home").data


def test_profile_language_preference_overrides_the_browser(app, client, world):
    login(client, world.tester)
    client.post("/profile/language", data={"language": "de"})
    page = client.get("/profile", headers={"Accept-Language": "en"})
    assert b'<html lang="de">' in page.data
    client.post("/profile/language", data={"language": ""})
    assert b'<html lang="en">' in client.get("/profile", headers={"Accept-Language": "en"}).data


def test_invalid_language_is_refused(client, world):
    login(client, world.tester)
    assert client.post("/profile/language", data={"language": "xx"}).status_code == 400


def test_numbers_and_shares_in_templates_follow_the_language(app):
    template = "{{ 2.25|decimal(1) }} | {{ 0.255|percent }} | {{ none|percent }}"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string(template) == "2,2 | 26\xa0% | –"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(template) == "2.2 | 26% | –"
