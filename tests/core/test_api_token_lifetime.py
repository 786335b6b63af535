"""API tokens may expire on a chosen day; an expired token is refused, and the profile shows
when each token was last used (written at most once a minute)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import select

from qcrm.extensions import db
from qcrm.models import ApiToken
from tests.conftest import bearer, login

#: 10:00 in Berlin (CET) on 4 March 2030.
NOW = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)


def _create(client, name="nightly export", expires_on=""):
    return client.post("/profile/tokens", data={"name": name, "expires_on": expires_on})


def _plaintext(page) -> str:
    return re.search(r'id="new-token">(qcrm_[^<]+)<', page.get_data(as_text=True)).group(1)


def test_a_token_valid_through_a_day_works_that_day_and_is_refused_after_it(app, client, world):
    with time_machine.travel(NOW, tick=False) as clock:
        login(client, world.manager)
        page = _create(client, expires_on="2030-03-10")
        assert page.status_code == 200
        token = _plaintext(page)
        # the end of 10 March in Berlin is 23:00 UTC
        with app.app_context():
            stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "nightly export"))
            assert stored.expires_at == dt.datetime(2030, 3, 10, 23, 0, tzinfo=dt.UTC)
        clock.move_to(dt.datetime(2030, 3, 10, 22, 59, tzinfo=dt.UTC))
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        clock.move_to(dt.datetime(2030, 3, 10, 23, 0, tzinfo=dt.UTC))
        refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"


def test_a_token_without_expiry_date_stays_valid(app, client, world):
    with time_machine.travel(NOW, tick=False) as clock:
        login(client, world.manager)
        page = _create(client)
        token = _plaintext(page)
        row = next(line for line in page.get_data(as_text=True).split("<tr>") if "nightly" in line)
        assert "until revoked" in row
        clock.shift(dt.timedelta(days=3 * 365))
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("expires_on", ["2030-03-03", "2032-03-04", "9999-12-31"])
def test_an_expiry_date_in_the_past_or_over_two_years_ahead_is_refused_on_its_field(
    app, client, world, expires_on
):
    with time_machine.travel(NOW, tick=False):
        login(client, world.manager)
        page = _create(client, expires_on=expires_on)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Choose a day from today to 2032-03-03, or none for a token without expiry." in html
    assert 'id="expires_on-error"' in html
    assert 'id="new-token"' not in html
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.name == "nightly export")) is None


def test_a_malformed_expiry_date_is_refused_on_its_field(app, client, world):
    login(client, world.manager)
    page = _create(client, expires_on="31.02.2030")
    assert page.status_code == 400
    assert 'id="expires_on-error"' in page.get_data(as_text=True)


def test_the_profile_shows_each_tokens_expiry_and_last_use(app, client, world):
    with time_machine.travel(NOW, tick=False) as clock:
        login(client, world.manager)
        token = _plaintext(_create(client, expires_on="2030-03-10"))
        clock.shift(dt.timedelta(minutes=20))
        client.get("/api/v1/me", headers=bearer(token))
        html = client.get("/profile").get_data(as_text=True)
    row = next(line for line in html.split("<tr>") if "nightly export" in line)
    assert "never" not in row
    assert "Mar 10, 2030" in row  # valid through the day chosen
    assert "3/4/30, 10:20" in row  # last used at 9:20 UTC, 10:20 in Berlin


def test_the_last_use_is_written_at_most_once_a_minute(app, client, world):
    headers = bearer(world.tokens["manager"])

    def last_used():
        with app.app_context():
            return db.session.scalar(
                select(ApiToken.last_used_at).where(ApiToken.user_id == world.manager.id)
            )

    with time_machine.travel(NOW, tick=False) as clock:
        client.get("/api/v1/me", headers=headers)
        assert last_used() == NOW
        clock.shift(dt.timedelta(seconds=59))
        client.get("/api/v1/me", headers=headers)
        assert last_used() == NOW
        clock.shift(dt.timedelta(seconds=1))
        client.get("/api/v1/me", headers=headers)
        assert last_used() == NOW + dt.timedelta(minutes=1)
