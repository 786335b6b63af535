"""Survey anonymity against a join of everything a manager can read (issue 11, point 1).

The attack: a manager reads the invitations (page and API), the counts, the results (page and
API, every channel filter), the responses API and the raw-answer export after EVERY single
submission, and tries to tie each response to an invitee's address — by the addresses that
change when a response appears, by answered or reminded days, by channel, by arrival order.
The rules under test are in ``surveys.anonymity``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine

from qcrm.extensions import db
from qcrm.models import Channel, ChannelType
from surveys import invitations as invitation_service
from surveys.anonymity import DateGrain, disclosure_from_counts
from surveys.models import Delivery, Invitation, InvitationState, ResponseSource, Survey
from tests.conftest import bearer, login
from tests.surveys.respond_helpers import field, make_invitation, valid_answers

INV, PUB = ResponseSource.INVITATION, ResponseSource.PUBLIC_LINK
MON, TUE, WED = dt.date(2030, 1, 7), dt.date(2030, 1, 8), dt.date(2030, 1, 9)
FEB = dt.date(2030, 2, 4)


# --- the rules on counts computed by hand ---------------------------------------------------


def test_cells_below_the_minimum_hide_their_channel_and_the_next_smallest_too():
    # invitation responses: channel 1 has 5, channel 2 has 1, channel 3 has 2 (minimum 3):
    # 2 and 3 are hidden (1 + 2 = 3 together, enough); public link: 4 without channel.
    counts = {(INV, 1, MON): 5, (INV, 2, MON): 1, (INV, 3, MON): 2, (PUB, None, MON): 4}
    told = disclosure_from_counts(counts, 3)
    assert told.sources == {INV, PUB}
    assert told.cells == {(INV, 1), (PUB, None)}
    assert told.cell(INV, 2) == (INV, None) and told.cell(INV, 1) == (INV, 1)
    assert told.channel_shown(1) and not told.channel_shown(2) and not told.channel_shown(3)
    # one day, every cell (Mon, INV, 1) 5, (Mon, INV, hidden) 3, (Mon, PUB, None) 4: days told
    assert told.grain is DateGrain.DAY and told.date(MON) == MON


def test_a_lone_hidden_cell_takes_the_smallest_told_one_with_it():
    # channel 2 alone (1) is below 3: the smallest told cell (channel 3, 3) is hidden with it
    counts = {(INV, 1, MON): 5, (INV, 2, MON): 1, (INV, 3, MON): 3}
    told = disclosure_from_counts(counts, 3)
    assert told.cells == {(INV, 1)}
    assert told.hidden_channels == {2, 3}


def test_a_source_below_the_minimum_is_not_told_and_nor_is_its_channel():
    # 2 invitation responses beside 9 from the public link: "came by invitation" is not told
    # (the total minus 9 would tell it), and the public link is hidden with it
    counts = {(INV, 1, MON): 2, (PUB, 1, MON): 9}
    told = disclosure_from_counts(counts, 3)
    assert told.sources == set()
    assert told.cell(INV, 1) == (None, None) and told.cell(PUB, 1) == (None, None)
    assert not told.channel_shown(1)


def test_a_channel_is_told_apart_only_when_every_source_of_it_is():
    # channel 1: 4 by invitation (told), 1 by the public link (hidden, with "no channel" 2)
    counts = {(INV, 1, MON): 4, (PUB, 1, MON): 1, (PUB, None, MON): 2}
    told = disclosure_from_counts(counts, 3)
    assert told.cell(INV, 1) == (INV, 1)
    assert not told.channel_shown(1)


def test_dates_are_told_at_the_finest_grain_every_cell_fills():
    # days Mon 3 / Tue 1 / Wed 2 of one cell: too thin per day; the ISO week holds all 6
    week = {(INV, 1, MON): 3, (INV, 1, TUE): 1, (INV, 1, WED): 2}
    told = disclosure_from_counts(week, 3)
    assert told.grain is DateGrain.WEEK and told.date(WED) == MON
    # a February response alone: January holds 6 but February 1, so no date at all
    told = disclosure_from_counts({**week, (INV, 1, FEB): 1}, 3)
    assert told.grain is None and told.date(MON) is None
    # with 2 more in the next week of February the months fill (its weeks do not: 1 and 2)
    told = disclosure_from_counts({**week, (INV, 1, FEB): 1, (INV, 1, dt.date(2030, 2, 11)): 2}, 3)
    assert told.grain is DateGrain.MONTH and told.date(WED) == dt.date(2030, 1, 1)


# --- the attack -------------------------------------------------------------------------------

#: Who answers, in this order: the channel of each invitee; "lone" is a channel with a single
#: invitee, the one a channel would give away.
ANSWERING = ["a", "lone", "a", "none", "a", "a", "none", "a"]
WAITING = ["a", "a", "none"]
NOW = dt.datetime(2030, 1, 21, 8, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def attacked(app, world):
    """The world's survey with a second channel of one invitee, reminders after 3 days, and
    eleven delivered invitations sent a week ago."""
    with app.app_context():
        lone = Channel(
            client_id=world.client_a.id,
            name="Filiale Nord",
            type=ChannelType.EMAIL,
            address="nord@example.org",
        )
        db.session.add(lone)
        survey = db.session.get_one(Survey, world.survey_a.id)
        survey.channels.append(lone)
        survey.reminder_after_days = 3
        db.session.commit()
        channel_ids = {"a": world.channel_a.id, "lone": lone.id, "none": None}
    invitees = []
    for number, channel in enumerate([*ANSWERING, *WAITING], 1):
        email = f"kunde{number}@example.org"
        token = make_invitation(
            app, world.survey_a.id, email=email, channel_id=channel_ids[channel]
        )
        invitees.append((email, token, channel_ids[channel]))
    with app.app_context():
        db.session.execute(
            db.update(Invitation).values(
                delivery=Delivery.DELIVERED, invited_at=NOW - dt.timedelta(days=7)
            )
        )
        db.session.commit()
    return world, invitees, channel_ids


def _per_address(client, world) -> dict[str, object]:
    """Everything the manager can read about each address: the API list (every page) and
    the rows of the invitations page."""
    seen: dict[str, list] = {}
    page = 1
    while True:
        listed = client.get(
            f"/api/v1/surveys/{world.survey_a.id}/invitations",
            headers=bearer(world.tokens["manager"]),
            query_string={"page": page, "page_size": 5},
        )
        assert listed.status_code == 200
        for item in listed.get_json():
            seen.setdefault(item["email"], []).append(sorted(item.items()))
        if not listed.get_json():
            break
        page += 1
    html = client.get(f"/surveys/{world.survey_a.id}/invitations?page=1").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td class=\"text-nowrap\">(.*?)</tr>", html, re.S)
    for row in rows:
        email = re.sub(r"<.*?>", "", row.split("</td>", 1)[0]).strip()
        seen.setdefault(email, []).append(" ".join(row.split()))
    return seen


def _responses(client, world) -> list[dict]:
    listed = client.get(
        f"/api/v1/surveys/{world.survey_a.id}/responses",
        headers=bearer(world.tokens["manager"]),
        query_string={"page_size": 100},
    )
    return listed.get_json() if listed.status_code == 200 else []


def _export(client, world) -> list[list[str]]:
    got = client.get(f"/surveys/{world.survey_a.id}/export/answers.csv")
    if got.status_code != 200:
        return []
    return list(csv.reader(io.StringIO(got.get_data().decode("utf-8-sig"))))


def _results(client, world, channel_id=None):
    query = {} if channel_id is None else {"channel_id": channel_id}
    return client.get(
        f"/api/v1/surveys/{world.survey_a.id}/results",
        headers=bearer(world.tokens["manager"]),
        query_string=query,
    )


def _marker(response: dict, text_question_id: int) -> str:
    return next(a["text"] for a in response["answers"] if a["question_id"] == text_question_id)


def test_no_response_can_be_tied_to_an_address_by_what_a_manager_reads(app, client, attacked):
    world, invitees, channel_ids = attacked
    with app.app_context():
        questions = list(db.session.get_one(Survey, world.survey_a.id).questions)
    text_question = questions[6]
    polls = []
    with time_machine.travel(NOW, tick=False) as clock:
        login(client, world.manager)  # in the travelled time, or the cookie would be stale
        before = _per_address(client, world)
        assert len(before) == len(invitees)
        assert all(len(rows) == 2 for rows in before.values())  # in the API and on the page
        for step, (email, token, _channel) in enumerate(invitees[: len(ANSWERING)]):
            if step == 3:  # the reminder job runs while some have answered and some not
                with app.app_context():
                    assert invitation_service.send_reminders(dt.datetime.now(dt.UTC)) > 0
            answers = {**valid_answers(questions), field(questions, 7): [f"Marke {email}"]}
            assert client.post(f"/s/i/{token}", data=answers).status_code == 303
            clock.shift(dt.timedelta(minutes=20))  # within the idle timeout
            polls.append(
                {
                    "per_address": _per_address(client, world),
                    "responses": _responses(client, world),
                    "export": _export(client, world),
                    "results": _results(client, world).get_json(),
                    "filters": {
                        name: _results(client, world, channel_id).status_code
                        for name, channel_id in channel_ids.items()
                        if channel_id is not None
                    },
                }
            )

    # 1. Nothing about an address changes when it answers or is reminded: differencing two
    #    polls ties no address to the response that appeared between them.
    for poll in polls:
        assert poll["per_address"] == before
    states = {str(item) for rows in before.values() for item in rows}
    assert "answered" not in " ".join(states) and "reminded" not in " ".join(states).lower()
    with app.app_context():
        stored = {i.email: i.state for i in db.session.scalars(db.select(Invitation))}
    assert InvitationState.ANSWERED in stored.values()  # the attack had something to find
    assert InvitationState.REMINDED in stored.values()

    # 2. A response's channel narrows it to at least the minimum of answered invitations;
    #    the lone invitee's channel is never told, nor can it be filtered on.
    final = polls[-1]
    minimum = 3
    by_marker = {_marker(r, text_question.id): r for r in final["responses"]}
    assert len(by_marker) == len(ANSWERING)
    for email, _token, _channel in invitees[: len(ANSWERING)]:
        response = by_marker[f"Marke {email}"]
        if response["channel_id"] is not None:
            same_channel = [e for e, _t, c in invitees if c == response["channel_id"]]
            assert email in same_channel and len(same_channel) >= minimum
        assert response["channel_id"] != channel_ids["lone"]
    for poll in polls:
        assert all(r["channel_id"] != channel_ids["lone"] for r in poll["responses"])
        assert channel_ids["lone"] not in [g["channel_id"] for g in poll["results"]["by_channel"]]
        assert poll["filters"]["lone"] == 422
        lone_name = "Filiale Nord"
        assert all(lone_name not in row for row in poll["export"])

    # 3. No order of arrival: keys are random, lists come in key order, the export has no
    #    running number, and the date only where every cell fills (here: all on one day)
    keys = [r["key"] for r in final["responses"]]
    assert keys == sorted(keys) and all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    _header, *rows = final["export"]
    assert [row[0] for row in rows] == sorted(keys)
    arrival = [f"Marke {email}" for email, _t, _c in invitees[: len(ANSWERING)]]
    listed = [_marker(r, text_question.id) for r in final["responses"]]
    assert sorted(listed) == sorted(arrival)
    # the chance that random keys list 8 responses in arrival order is 1 in 40,320
    assert listed != arrival
    assert {(r["dated"], r["date_grain"]) for r in final["responses"]} == {("2030-01-21", "day")}


def test_the_invitation_filter_does_not_find_who_answered(app, client, attacked):
    world, invitees, _channels = attacked
    with app.app_context():
        questions = list(db.session.get_one(Survey, world.survey_a.id).questions)
    with time_machine.travel(NOW, tick=False):
        assert (
            client.post(f"/s/i/{invitees[0][1]}", data=valid_answers(questions)).status_code == 303
        )
    api = f"/api/v1/surveys/{world.survey_a.id}/invitations"
    for state in ("answered", "reminded"):
        refused = client.get(
            api, headers=bearer(world.tokens["manager"]), query_string={"state": state}
        )
        assert refused.status_code == 422
        assert "state" in str(refused.get_json()["errors"])
    invited = client.get(
        api, headers=bearer(world.tokens["manager"]), query_string={"state": "invited"}
    )
    assert len(invited.get_json()) == len(invitees)  # the answered one among them
    with time_machine.travel(NOW, tick=False):
        login(client, world.manager)
        page = client.get(f"/surveys/{world.survey_a.id}/invitations?state=answered")
    page = page.get_data(as_text=True)
    assert page.count("@example.org</td>") == len(invitees)  # the filter is ignored
    assert 'value="answered"' not in page
