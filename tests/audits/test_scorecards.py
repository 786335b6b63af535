"""Scorecards: versioned criteria, frozen once a wave uses them; pages and API for managers."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from audits.scorecards import versions as service
from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from audits.scorecards.standard import STANDARD_ITEMS, STANDARD_NAMES, load_standard_scorecard
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from tests.conftest import bearer, count_queries, login

T, C, H = MethodDimension.TRANSACTION, MethodDimension.COMMUNICATION, MethodDimension.HANDLING

ITEM = service.ItemData(
    method_dimension=C,
    quality_dimension=QualityDimension.COMPETENCE,
    text="Answer is complete",
    item_type=ItemType.YES_NO,
)
ITEM_FORM = {
    "text": "Waiting time on the hotline",
    "help_text": "Until a person answers.",
    "method_dimension": "transaction",
    "quality_dimension": "responsiveness",
    "item_type": "duration",
    "allows_not_applicable": "y",
    "weight": "1,5",
    "knockout": "",
    "threshold": "2.5",
    "comparison": "at_most",
    "target_pass_rate": "80",
    "derived": "",
}


def item(**changes) -> service.ItemData:
    return dataclasses.replace(ITEM, **changes)


def freeze(version: ScorecardVersion) -> None:
    """What scheduling a wave does (the wave code sets frozen_at)."""
    version.frozen_at = utcnow()
    db.session.commit()


def texts(version: ScorecardVersion) -> list[tuple[int, str]]:
    return [(i.position, i.text) for i in sorted(version.items, key=lambda i: i.position)]


@pytest.fixture
def ctx(app):
    """An application context for tests that call the services directly."""
    with app.app_context():
        yield


@pytest.fixture
def draft(ctx) -> ScorecardVersion:
    """Version 1 of a new scorecard with T1, C1, C2, C3, H1 (positions 1–5)."""
    scorecard = service.create_scorecard(service.ScorecardData("Mystery 2030"))
    version = service.latest_version(scorecard)
    for method, text in [(C, "C1"), (H, "H1"), (T, "T1"), (C, "C2"), (C, "C3")]:
        service.add_item(version, item(method_dimension=method, text=text))
    return version


# Versions and freezing ------------------------------------------------------------------------


def test_a_new_scorecard_has_an_empty_draft_version_1(ctx):
    scorecard = service.create_scorecard(service.ScorecardData("  Hotline audit  ", "For Q1"))
    assert scorecard.name == "Hotline audit"
    [version] = scorecard.versions
    assert (version.number, version.is_frozen, version.items) == (1, False, [])


def test_scorecard_names_are_required_and_unique(ctx, world):
    with pytest.raises(ServiceError) as empty:
        service.create_scorecard(service.ScorecardData("  "))
    assert set(empty.value.errors) == {"name"}
    with pytest.raises(ServiceError) as duplicate:
        service.create_scorecard(service.ScorecardData("standard"))
    assert duplicate.value.errors == {"name": ["A scorecard with this name already exists."]}


def test_a_frozen_version_is_never_changed(draft):
    freeze(draft)
    first = draft.items[0]
    attempts = [
        lambda: service.add_item(draft, item(text="New")),
        lambda: service.update_item(first, item(text="Changed")),
        lambda: service.remove_item(first),
        lambda: service.move_item(first, 1),
    ]
    for attempt in attempts:
        with pytest.raises(ServiceError) as refused:
            attempt()
        db.session.rollback()
        assert refused.value.errors == {
            "version": [
                "Version 1 is frozen because a scheduled wave uses it. Create a new version to "
                "change the criteria."
            ]
        }
    db.session.expire_all()
    assert texts(draft) == [(1, "T1"), (2, "C1"), (3, "C2"), (4, "C3"), (5, "H1")]


def test_a_new_version_copies_every_item_of_the_latest(draft):
    service.update_item(
        draft.items[0],
        item(
            method_dimension=T,
            quality_dimension=QualityDimension.RESPONSIVENESS,
            text="Waiting time",
            item_type=ItemType.DURATION,
            threshold=120,
            comparison=Comparison.AT_MOST,
            knockout=KnockoutScope.CONTACT,
            target_pass_rate=0.8,
            weight=2.5,
            help_text="Seconds in the queue",
            allows_not_applicable=True,
        ),
    )
    freeze(draft)
    version = service.new_version(draft.scorecard)
    assert (version.number, version.is_frozen) == (2, False)
    assert [v.number for v in draft.scorecard.versions] == [1, 2]
    columns = [c.key for c in ScorecardItem.__table__.columns if c.key not in ("id", "version_id")]
    assert [[getattr(i, c) for c in columns] for i in version.items] == [
        [getattr(i, c) for c in columns] for i in draft.items
    ]
    assert not {i.id for i in version.items} & {i.id for i in draft.items}
    # editing the copy leaves the frozen original alone
    service.remove_item(version.items[0])
    assert len(version.items) == 4
    assert len(draft.items) == 5


def test_only_the_newest_version_can_be_a_draft(draft):
    assert service.new_version(draft.scorecard) is draft
    freeze(draft)
    second = service.new_version(draft.scorecard)
    assert service.new_version(draft.scorecard) is second
    assert [v.number for v in draft.scorecard.versions] == [1, 2]
    assert service.draft_version(draft.scorecard) is second


def test_an_archived_scorecard_is_not_changed(draft):
    service.archive_scorecard(draft.scorecard)
    with pytest.raises(ServiceError) as refused:
        service.add_item(draft, item())
    assert set(refused.value.errors) == {"scorecard"}
    db.session.rollback()
    with pytest.raises(ServiceError):
        service.new_version(draft.scorecard)
    db.session.rollback()
    service.restore_scorecard(draft.scorecard)
    assert service.add_item(draft, item(text="C4")).position == 5


# Validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": "   "}, "text", "Please enter the criterion."),
        ({"text": "x" * 301}, "text", "At most 300 characters."),
        ({"weight": 0}, "weight", "The weight must be greater than 0."),
        ({"weight": -1.5}, "weight", "The weight must be greater than 0."),
        ({"weight": float("nan")}, "weight", "The weight must be greater than 0."),
        (
            {"item_type": ItemType.SCALE, "threshold": 3},
            "threshold",
            "Only number and duration items have a threshold.",
        ),
        (
            {"item_type": ItemType.SCALE, "comparison": Comparison.AT_LEAST},
            "comparison",
            "Only number and duration items have a comparison.",
        ),
        (
            {"item_type": ItemType.NUMBER, "threshold": 2},
            "comparison",
            "Say whether answers must be at most or at least the threshold.",
        ),
        (
            {"item_type": ItemType.DURATION, "comparison": Comparison.AT_MOST},
            "threshold",
            "Enter the threshold the comparison refers to.",
        ),
        (
            {"item_type": ItemType.DURATION, "threshold": -1, "comparison": Comparison.AT_MOST},
            "threshold",
            "A duration cannot be negative.",
        ),
        (
            {"item_type": ItemType.NUMBER, "knockout": KnockoutScope.CONTACT},
            "knockout",
            "Without a threshold the item is not scored, so it cannot knock out anything.",
        ),
        (
            {"derived": DerivedMeasure.ANSWERED},
            "derived",
            "Only transaction items are derived from the timestamps.",
        ),
        (
            {
                "method_dimension": T,
                "item_type": ItemType.SCALE,
                "derived": DerivedMeasure.SOLVED_AT_FIRST_ANSWER,
            },
            "derived",
            "Only yes/no items are derived from the timestamps.",
        ),
        ({"target_pass_rate": 1.2}, "target_pass_rate", "A share lies between 0 and 100 %."),
        ({"target_pass_rate": -0.1}, "target_pass_rate", "A share lies between 0 and 100 %."),
    ],
)
def test_invalid_items_are_refused_on_their_field(draft, changes, field, message):
    with pytest.raises(ServiceError) as refused:
        service.add_item(draft, item(**changes))
    assert refused.value.errors == {field: [message]}


@pytest.mark.parametrize(
    "changes",
    [
        {"knockout": KnockoutScope.DIMENSION},
        {"item_type": ItemType.SCALE, "knockout": KnockoutScope.CONTACT},
        {
            "item_type": ItemType.NUMBER,
            "threshold": 1,
            "comparison": Comparison.AT_MOST,
            "knockout": KnockoutScope.DIMENSION,
        },
        {"item_type": ItemType.NUMBER},  # recorded, not scored
        {"method_dimension": T, "derived": DerivedMeasure.FIRST_RESPONSE_WITHIN_TARGET},
        {"target_pass_rate": 0.0},
        {"target_pass_rate": 1.0},
    ],
)
def test_valid_items_are_accepted(draft, changes):
    added = service.add_item(draft, item(**changes))
    assert added.id is not None


def test_a_measure_is_derived_once_per_version(draft):
    answered = item(method_dimension=T, derived=DerivedMeasure.ANSWERED)
    first = service.add_item(draft, answered)
    with pytest.raises(ServiceError) as refused:
        service.add_item(draft, answered)
    assert set(refused.value.errors) == {"derived"}
    db.session.rollback()
    assert service.update_item(first, answered).derived is DerivedMeasure.ANSWERED


# Positions ------------------------------------------------------------------------------------


def test_items_are_grouped_by_method_dimension_in_contiguous_positions(draft):
    assert texts(draft) == [(1, "T1"), (2, "C1"), (3, "C2"), (4, "C3"), (5, "H1")]
    assert [i.text for i in service.items_by_method(draft)[C]] == ["C1", "C2", "C3"]


def test_moving_stays_inside_the_method_dimension(draft):
    c3 = next(i for i in draft.items if i.text == "C3")
    service.move_item(c3, -1)
    assert texts(draft) == [(1, "T1"), (2, "C1"), (3, "C3"), (4, "C2"), (5, "H1")]
    service.move_item(c3, -1)
    service.move_item(c3, -1)  # already first of its group: stays
    assert texts(draft) == [(1, "T1"), (2, "C3"), (3, "C1"), (4, "C2"), (5, "H1")]
    service.move_item(c3, 1)
    assert texts(draft) == [(1, "T1"), (2, "C1"), (3, "C3"), (4, "C2"), (5, "H1")]
    with pytest.raises(ServiceError) as refused:
        service.move_item_to(c3, 5)
    assert refused.value.errors == {
        "position": [
            "Choose a position between 2 and 4: criteria stay grouped by method dimension."
        ]
    }


def test_removing_and_changing_the_dimension_keep_positions_contiguous(draft):
    c1 = next(i for i in draft.items if i.text == "C1")
    service.remove_item(c1)
    assert texts(draft) == [(1, "T1"), (2, "C2"), (3, "C3"), (4, "H1")]
    c2 = next(i for i in draft.items if i.text == "C2")
    service.update_item(c2, item(method_dimension=H, text="C2"))
    assert texts(draft) == [(1, "T1"), (2, "C3"), (3, "H1"), (4, "C2")]
    service.add_item(draft, item(method_dimension=T, text="T2"), position=1)
    assert texts(draft) == [(1, "T2"), (2, "T1"), (3, "C3"), (4, "H1"), (5, "C2")]


def test_summary_counts_items_and_weights_per_dimension(draft):
    service.add_item(
        draft,
        item(
            method_dimension=H,
            quality_dimension=QualityDimension.PROCESS,
            text="Call-back kept",
            weight=2.5,
            knockout=KnockoutScope.CONTACT,
        ),
    )
    summary = service.scorecard_summary(draft)
    assert (summary.item_count, summary.total_weight, summary.knockout_count) == (6, 7.5, 1)
    handling = summary.method(H)
    assert (handling.item_count, handling.total_weight, handling.knockout_count) == (2, 3.5, 1)
    assert handling.weight_share == pytest.approx(3.5 / 7.5)
    assert summary.method(C).item_count == 3
    assert summary.quality_counts[QualityDimension.COMPETENCE] == 5
    assert summary.quality_counts[QualityDimension.PROCESS] == 1
    assert summary.quality_counts[QualityDimension.SATISFACTION] == 0


# The standard scorecard -----------------------------------------------------------------------


def test_standard_scorecard_loads_once_and_is_valid(ctx):
    first = load_standard_scorecard()
    again = load_standard_scorecard()
    assert [s.id for s in first] == [s.id for s in again]
    assert [s.name for s in first] == [STANDARD_NAMES["de"], STANDARD_NAMES["en"]]
    assert db.session.scalar(select(func.count(Scorecard.id))) == 2
    for scorecard in first:
        [version] = scorecard.versions
        assert not version.is_frozen
        assert len(version.items) == len(STANDARD_ITEMS)
        assert [i.position for i in version.items] == list(range(1, len(STANDARD_ITEMS) + 1))
        for each in version.items:  # every item passes the service's own checks
            data = service.ItemData(
                **{f.name: getattr(each, f.name) for f in dataclasses.fields(service.ItemData)}
            )
            assert service._check_item(data, version, each) == {}, each.text
        summary = service.scorecard_summary(version)
        assert all(method.item_count >= 5 for method in summary.methods)
        assert {i.knockout for i in version.items} == {
            None,
            KnockoutScope.DIMENSION,
            KnockoutScope.CONTACT,
        }
        assert {i.derived for i in version.items if i.derived} == set(DerivedMeasure)
        assert {i.item_type for i in version.items} == set(ItemType)
    german, english = (s.versions[0].items for s in first)
    assert german[0].text != english[0].text
    assert [i.weight for i in german] == [i.weight for i in english]


def test_standard_scorecard_is_not_loaded_again_after_archiving(ctx):
    [german] = load_standard_scorecard(("de",))
    service.archive_scorecard(german)
    assert load_standard_scorecard(("de",))[0].id == german.id


# Pages ----------------------------------------------------------------------------------------


def test_manager_creates_a_scorecard_and_lands_on_its_draft(app, client, world):
    login(client, world.manager)
    response = client.post(
        "/audits/scorecards/new", data={"name": "Social media audit", "description": "2030"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b"Social media audit" in page.data
    assert b"draft" in page.data
    assert b"Add criterion" in page.data
    listing = client.get("/audits/scorecards/?q=social")
    assert b"Social media audit" in listing.data
    assert b">Standard<" not in listing.data


def test_scorecard_form_shows_a_duplicate_name_on_its_field(client, world):
    login(client, world.manager)
    response = client.post("/audits/scorecards/new", data={"name": "STANDARD"})
    assert response.status_code == 400
    assert b"A scorecard with this name already exists." in response.data
    assert b'aria-invalid="true"' in response.data


def test_duration_threshold_is_entered_in_minutes_and_stored_in_seconds(app, client, world):
    login(client, world.manager)
    response = client.post(
        f"/audits/scorecards/versions/{world.version.id}/items/new", data=ITEM_FORM
    )
    assert response.status_code == 302, response.data
    with app.app_context():
        added = db.session.scalars(
            select(ScorecardItem).where(ScorecardItem.text == "Waiting time on the hotline")
        ).one()
        assert (added.threshold, added.comparison) == (150.0, Comparison.AT_MOST)
        assert (added.weight, added.target_pass_rate) == (1.5, 0.8)
        assert added.item_type is ItemType.DURATION and added.allows_not_applicable
        assert added.position == 1  # transaction comes before the world's communication item
    edit = client.get(f"/audits/scorecards/items/{added.id}/edit")
    assert b'value="2.5"' in edit.data
    assert b'value="80"' in edit.data
    page = client.get(f"/audits/scorecards/versions/{world.version.id}")
    assert "≤ 2.5 min".encode() in page.data
    assert b"80%" in page.data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", "0", b"The weight must be greater than 0."),
        ("weight", "", b"This field is required."),
        ("item_type", "scale", b"Only number and duration items have a threshold."),
        ("derived", "answered", b"Only yes/no items are derived from the timestamps."),
        ("target_pass_rate", "120", b"A share lies between 0 and 100 %."),
        ("text", "", b"This field is required."),
        ("knockout", "everything", b"Invalid Choice"),
    ],
)
def test_invalid_item_input_is_shown_on_its_field(client, world, field, value, message):
    login(client, world.manager)
    response = client.post(
        f"/audits/scorecards/versions/{world.version.id}/items/new",
        data={**ITEM_FORM, field: value},
    )
    assert response.status_code == 400
    assert message in response.data
    assert f'id="{field}"'.encode() in response.data
    assert b'aria-invalid="true"' in response.data


def test_item_form_shows_rule_problems_together_with_missing_fields(client, world):
    login(client, world.manager)
    response = client.post(
        f"/audits/scorecards/versions/{world.version.id}/items/new",
        data={**ITEM_FORM, "text": "", "weight": "0", "item_type": "scale"},
    )
    assert response.status_code == 400
    assert b"This field is required." in response.data
    assert b"The weight must be greater than 0." in response.data
    assert b"Only number and duration items have a threshold." in response.data


def test_frozen_version_page_offers_a_new_version_instead_of_editing(app, client, world):
    with app.app_context():
        freeze(db.session.get(ScorecardVersion, world.version.id))
    login(client, world.manager)
    page = client.get(f"/audits/scorecards/versions/{world.version.id}")
    assert page.status_code == 200
    assert b"frozen" in page.data
    assert b"Add criterion" not in page.data
    assert f"/audits/scorecards/items/{world.item.id}/edit".encode() not in page.data
    assert b"New version" in page.data
    refused = client.get(f"/audits/scorecards/items/{world.item.id}/edit")
    assert refused.status_code == 302
    assert b"is frozen" in client.get(refused.headers["Location"]).data

    created = client.post(f"/audits/scorecards/{world.scorecard.id}/versions")
    assert created.status_code == 302
    second = client.get(created.headers["Location"])
    assert b"Version 2 is created as a copy of version 1" in second.data
    assert "Persönliche Anrede".encode() in second.data
    assert b"Add criterion" in second.data
    # the frozen version now points to the draft
    assert b"Go to version 2" in client.get(f"/audits/scorecards/versions/{world.version.id}").data


def test_buttons_move_and_remove_items(app, client, world):
    with app.app_context():
        version = db.session.get(ScorecardVersion, world.version.id)
        second = service.add_item(version, item(text="Second"))
        second_id = second.id
    login(client, world.manager)
    page = client.get(f"/audits/scorecards/versions/{world.version.id}")
    assert f"/audits/scorecards/items/{second_id}/up".encode() in page.data
    assert f"/audits/scorecards/items/{second_id}/down".encode() not in page.data
    assert client.post(f"/audits/scorecards/items/{second_id}/up").status_code == 302
    response = client.post(f"/audits/scorecards/items/{world.item.id}/remove")
    assert response.status_code == 302
    with app.app_context():
        version = db.session.get(ScorecardVersion, world.version.id)
        assert texts(version) == [(1, "Second")]


def test_version_page_shows_the_summary_in_german(app, client, world):
    with app.app_context():
        load_standard_scorecard(("de",))
        version_id = db.session.scalar(
            select(ScorecardVersion.id)
            .join(Scorecard)
            .where(Scorecard.name == STANDARD_NAMES["de"])
        )
    login(client, world.manager)
    page = client.get(
        f"/audits/scorecards/versions/{version_id}", headers={"Accept-Language": "de"}
    )
    assert page.status_code == 200
    assert b'lang="de"' in page.data
    assert b"Antwort ist sachlich richtig" in page.data
    assert "≤ 2".encode() in page.data  # 120 s shown in minutes
    assert "90\u00a0%".encode() in page.data  # German percent format


def test_scorecard_list_needs_a_fixed_number_of_queries(app, client, world):
    login(client, world.manager)
    client.get("/audits/scorecards/")
    with count_queries(app) as few:
        client.get("/audits/scorecards/")
    with app.app_context():
        load_standard_scorecard()
    with count_queries(app) as more:
        response = client.get("/audits/scorecards/")
    assert STANDARD_NAMES["en"].encode() in response.data
    assert len(more) == len(few)


def test_testers_and_executives_do_not_see_scorecards(client, world):
    for user in (world.tester, world.executive):
        login(client, user)
        assert client.get("/audits/scorecards/").status_code == 403


# API ------------------------------------------------------------------------------------------


def test_api_builds_a_scorecard_version(client, world):
    headers = bearer(world.tokens["manager"])
    created = client.post(
        "/api/v1/scorecards", json={"name": "API card", "description": "x"}, headers=headers
    )
    assert created.status_code == 201, created.json
    [version] = created.json["versions"]
    assert (version["number"], version["frozen"]) == (1, False)
    added = client.post(
        f"/api/v1/scorecards/versions/{version['id']}/items",
        json={
            "method_dimension": "transaction",
            "quality_dimension": "responsiveness",
            "text": "Waiting time",
            "item_type": "duration",
            "threshold": 90,
            "comparison": "at_most",
            "target_pass_rate": 0.75,
            "knockout": "dimension",
        },
        headers=headers,
    )
    assert added.status_code == 201, added.json
    assert added.json["threshold"] == 90
    assert (added.json["position"], added.json["weight"]) == (1, 1.0)
    patched = client.patch(
        f"/api/v1/scorecards/items/{added.json['id']}",
        json={"weight": 3, "help_text": "Seconds"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["weight"], patched.json["text"]) == (3.0, "Waiting time")
    shown = client.get(f"/api/v1/scorecards/versions/{version['id']}", headers=headers)
    assert [i["text"] for i in shown.json["items"]] == ["Waiting time"]
    assert shown.json["summary"]["methods"][0] == {
        "method_dimension": "transaction",
        "item_count": 1,
        "total_weight": 3.0,
        "weight_share": 1.0,
        "knockout_count": 1,
    }
    assert shown.json["summary"]["quality_counts"]["responsiveness"] == 1
    renamed = client.patch(
        f"/api/v1/scorecards/{created.json['id']}", json={"name": "API card 2"}, headers=headers
    )
    assert (renamed.json["name"], renamed.json["description"]) == ("API card 2", "x")
    deleted = client.delete(f"/api/v1/scorecards/items/{added.json['id']}", headers=headers)
    assert deleted.status_code == 204


def test_api_names_invalid_fields_in_a_problem_document(client, world):
    headers = bearer(world.tokens["manager"])
    missing = client.post(
        f"/api/v1/scorecards/versions/{world.version.id}/items",
        json={"item_type": "maybe", "weight": "heavy"},
        headers=headers,
    )
    assert missing.status_code == 422
    assert missing.mimetype == "application/problem+json"
    fields = {error["field"] for error in missing.json["errors"]}
    assert {"method_dimension", "quality_dimension", "text", "item_type", "weight"} <= fields

    rules = client.patch(
        f"/api/v1/scorecards/items/{world.item.id}",
        json={"item_type": "scale", "threshold": 3, "weight": 0, "derived": "answered"},
        headers=headers,
    )
    assert rules.status_code == 422
    assert {e["field"] for e in rules.json["errors"]} == {"threshold", "weight", "derived"}

    duplicate = client.post("/api/v1/scorecards", json={"name": "Standard"}, headers=headers)
    assert duplicate.status_code == 422
    assert duplicate.json["errors"] == [
        {"field": "name", "message": "A scorecard with this name already exists."}
    ]


def test_api_refuses_to_change_a_frozen_version_and_makes_a_new_one(app, client, world):
    with app.app_context():
        freeze(db.session.get(ScorecardVersion, world.version.id))
    headers = bearer(world.tokens["manager"])
    refused = client.patch(
        f"/api/v1/scorecards/items/{world.item.id}", json={"text": "Changed"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "version"
    assert "frozen" in refused.json["errors"][0]["message"]
    assert (
        client.delete(f"/api/v1/scorecards/items/{world.item.id}", headers=headers).status_code
        == 422
    )

    created = client.post(f"/api/v1/scorecards/{world.scorecard.id}/versions", headers=headers)
    assert created.status_code == 201
    assert (created.json["number"], created.json["frozen"]) == (2, False)
    assert [i["text"] for i in created.json["items"]] == ["Persönliche Anrede"]
    again = client.post(f"/api/v1/scorecards/{world.scorecard.id}/versions", headers=headers)
    assert (again.status_code, again.json["id"]) == (200, created.json["id"])
    card = client.get(f"/api/v1/scorecards/{world.scorecard.id}", headers=headers)
    assert [(v["number"], v["frozen"]) for v in card.json["versions"]] == [(1, True), (2, False)]


def test_api_lists_scorecards_paginated_and_archives(app, client, world):
    with app.app_context():
        load_standard_scorecard()
    headers = bearer(world.tokens["admin"])
    first = client.get("/api/v1/scorecards?page_size=2", headers=headers)
    assert json.loads(first.headers["X-Pagination"])["total"] == 3
    assert [s["name"] for s in first.json] == [STANDARD_NAMES["de"], STANDARD_NAMES["en"]]
    archived = client.post(f"/api/v1/scorecards/{world.scorecard.id}/archive", headers=headers)
    assert archived.json["archived"] is True
    listed = client.get("/api/v1/scorecards", headers=headers)
    assert "Standard" not in [s["name"] for s in listed.json]
    restored = client.post(f"/api/v1/scorecards/{world.scorecard.id}/restore", headers=headers)
    assert restored.json["archived"] is False
    executive = client.get("/api/v1/scorecards", headers=bearer(world.tokens["executive"]))
    assert executive.status_code == 403
