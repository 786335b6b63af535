"""Clients and channels: created, edited and archived by managers, scoped for everyone else."""

from __future__ import annotations

import pytest

from qcrm.clients import parse_intervals
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client
from tests.conftest import count_queries, login

CHANNEL_FORM = {
    "type": "email",
    "name": "Beschwerde-Postfach",
    "address": "beschwerde@aue.example",
    "time_zone": "Europe/Berlin",
    "active": "y",
    "hours_mon": "08:00-12:00, 13:00-17:00",
    "hours_sat": "24h",
}


def test_manager_creates_a_client_and_finds_it_in_the_list(client, world):
    login(client, world.manager)
    response = client.post("/clients/new", data={"name": "Hansewerk", "kind": "competitor"})
    assert response.status_code == 302
    listing = client.get("/clients/?q=hanse")
    assert b"Hansewerk" in listing.data
    assert b"Stadtwerke Aue" not in listing.data


def test_client_name_is_required_and_unique(client, world):
    login(client, world.manager)
    empty = client.post("/clients/new", data={"name": "", "kind": "own"})
    assert empty.status_code == 400
    assert b"This field is required." in empty.data
    duplicate = client.post("/clients/new", data={"name": "stadtwerke aue", "kind": "own"})
    assert duplicate.status_code == 400
    assert b"A client with this name already exists." in duplicate.data


def test_unknown_client_kind_is_refused_on_its_field(client, world):
    login(client, world.manager)
    response = client.post("/clients/new", data={"name": "X", "kind": "friend"})
    assert response.status_code == 400
    assert b"Invalid Choice" in response.data


def test_channel_with_split_business_hours_is_stored_canonically(app, client, world):
    login(client, world.manager)
    response = client.post(f"/clients/{world.client_a.id}/channels/new", data=CHANNEL_FORM)
    assert response.status_code == 302
    with app.app_context():
        channel = db.session.query(Channel).filter_by(name="Beschwerde-Postfach").one()
        assert channel.type is ChannelType.EMAIL
        assert channel.business_hours == {
            "mon": ["08:00-12:00", "13:00-17:00"],
            "sat": ["00:00-24:00"],
        }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours_tue", "18:00-08:00", b"the end must come after the start"),
        ("hours_tue", "9 to 5", b"is not a time range like 08:00-18:00"),
        ("hours_tue", "08:00-12:00, 11:00-14:00", b"The time ranges overlap."),
        ("time_zone", "Mars/Olympus", b"Unknown time zone"),
        ("address", "not-an-address", b"An e-mail channel needs an e-mail address."),
        ("type", "pigeon", b"Invalid Choice"),
    ],
)
def test_invalid_channel_input_is_shown_on_its_field(client, world, field, value, message):
    login(client, world.manager)
    response = client.post(
        f"/clients/{world.client_a.id}/channels/new", data={**CHANNEL_FORM, field: value}
    )
    assert response.status_code == 400
    assert message in response.data
    assert b'aria-invalid="true"' in response.data


def test_editing_a_channel_shows_its_hours_and_saves_changes(app, client, world):
    login(client, world.manager)
    form = client.get(f"/clients/channels/{world.channel_a.id}/edit")
    assert b'value="08:00-18:00"' in form.data
    response = client.post(
        f"/clients/channels/{world.channel_a.id}/edit",
        data={**CHANNEL_FORM, "name": "Service-Mail neu", "address": "neu@aue.example"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Channel, world.channel_a.id).name == "Service-Mail neu"


def test_archived_channel_leaves_the_list_but_stays_in_the_database(app, client, world):
    login(client, world.manager)
    client.post(f"/clients/channels/{world.channel_a.id}/archive")
    page = client.get(f"/clients/{world.client_a.id}")
    assert b"Service mail" not in page.data
    assert b"Service mail" in client.get(f"/clients/{world.client_a.id}?archived=1").data
    with app.app_context():
        channel = db.session.get(Channel, world.channel_a.id)
        assert channel.is_archived and not channel.active
    client.post(f"/clients/channels/{world.channel_a.id}/restore")
    assert b"Service mail" in client.get(f"/clients/{world.client_a.id}").data


def test_archived_client_is_hidden_from_the_list_and_can_be_restored(app, client, world):
    login(client, world.manager)
    client.post(f"/clients/{world.client_b.id}/archive")
    assert b"Energie Nord" not in client.get("/clients/").data
    assert b"Energie Nord" in client.get("/clients/?archived=1").data
    client.post(f"/clients/{world.client_b.id}/restore")
    assert b"Energie Nord" in client.get("/clients/").data


def test_executive_sees_only_given_clients_and_no_edit_buttons(client, world):
    login(client, world.executive)
    listing = client.get("/clients/")
    assert b"Stadtwerke Aue" in listing.data
    assert b"Energie Nord" not in listing.data
    page = client.get(f"/clients/{world.client_a.id}")
    assert b"New channel" not in page.data
    assert b"Archive" not in page.data
    assert client.get(f"/clients/{world.client_b.id}").status_code == 404


def test_client_side_manager_is_given_the_clients_they_create(app, client, world):
    login(client, world.client_manager)
    client.post("/clients/new", data={"name": "Wettbewerber GmbH", "kind": "competitor"})
    listing = client.get("/clients/")
    assert b"Wettbewerber GmbH" in listing.data
    assert b"Energie Nord" not in listing.data


def test_client_list_counts_active_channels_in_one_query(app, client, world):
    with app.app_context():
        for index in range(5):
            client_row = Client(name=f"Kunde {index}")
            db.session.add(client_row)
            for number in range(3):
                db.session.add(
                    Channel(
                        client=client_row,
                        type=ChannelType.PHONE,
                        name=f"Hotline {number}",
                        address="+49 1",
                        business_hours={},
                    )
                )
        db.session.commit()
    login(client, world.manager)
    with count_queries(app) as statements:
        response = client.get("/clients/")
    assert response.status_code == 200
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # the user (with clients) and the list: a constant number, not one per client
    assert len(selects) <= 4, selects


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("8:00-17:30", ["08:00-17:30"]),
        ("08.00 – 12.00, 13:00-16:00", ["08:00-12:00", "13:00-16:00"]),
        ("13:00-16:00, 08:00-12:00", ["08:00-12:00", "13:00-16:00"]),
        ("20:00-24:00", ["20:00-24:00"]),
        ("24h", ["00:00-24:00"]),
    ],
)
def test_business_hours_are_parsed_into_sorted_ranges(app, text, expected):
    with app.test_request_context():
        assert parse_intervals(text) == expected


@pytest.mark.parametrize("text", ["25:00-26:00", "08:60-09:00", "10:00-10:00", "24:30-25:00"])
def test_impossible_times_are_refused(app, text):
    with app.test_request_context(), pytest.raises(ValueError):
        parse_intervals(text)
