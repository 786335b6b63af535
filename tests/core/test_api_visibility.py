"""What a page hides from a role, that role's API responses leave out too.

Every free-text value of the test world gets a marker of its own; then every page and every
API read (GET) is fetched as every role. A marker that some role's pages show, but this role's
pages do not, is hidden from this role by a page: it must not appear in this role's API
responses either. The declared rules (qcrm.visibility) are checked by field name as well.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from audits.mystery.models import ContactLog, InquiryReply, ReviewStatus
from qcrm.extensions import db
from qcrm.models import Role
from qcrm.visibility import FIELD_ROLES, may_see
from surveys.models import Answer, Question, QuestionKind, Response, ResponseSource
from tests.conftest import PRINCIPALS, World, bearer, login
from tests.core.test_route_access import ROUTES, _url

#: String columns that hold names and free text (besides every Text column).
NAMED_TEXT_COLUMNS = {
    "name",
    "title",
    "display_name",
    "text",
    "sender",
    "original_name",
    "address",
    "phone",
    "low_label",
    "high_label",
}
#: Routes whose answers carry no text to search (files) or that need a form's data.
#: Not walked: static files, and the public survey form, which shows anyone with the link what the
#: respondents' page shows them (no role sees more or less; tests/surveys/test_respond_pages.py).
SKIPPED_ENDPOINTS = {"bootstrap.static", "static", "api_public_surveys.PublicFormResource"}


def _free_text_columns() -> Iterator[tuple[sa.Table, sa.Column]]:
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.primary_key or column.foreign_keys:
                continue
            if isinstance(column.type, sa.Text) or (
                isinstance(column.type, sa.String)
                and not isinstance(column.type, sa.Enum)
                and column.name in NAMED_TEXT_COLUMNS
            ):
                yield table, column


def mark_free_text(app, world: World) -> dict[str, str]:
    """Give every free-text value in the database a marker of its own: marker → table.column."""
    markers: dict[str, str] = {}
    with app.app_context():
        db.session.add(
            ContactLog(
                inquiry_id=world.inquiry_a.id,
                status=ReviewStatus.DRAFT,
                transcript="-",
                review_comment="-",
            )
        )
        db.session.add(
            InquiryReply(
                inquiry_id=world.inquiry_a.id,
                received_at=dt.datetime(2030, 1, 7, 11, tzinfo=dt.UTC),
                sender="-",
                body_text="-",
                source="tester",
            )
        )
        db.session.execute(sa.update(sa.table("clients", sa.column("notes"))).values(notes="-"))
        free_text = db.session.scalars(
            sa.select(Question).filter_by(survey_id=world.survey_a.id, kind=QuestionKind.FREE_TEXT)
        ).one()
        for _ in range(world.survey_a.min_responses):
            db.session.add(
                Response(
                    survey_id=world.survey_a.id,
                    source=ResponseSource.PUBLIC_LINK,
                    submitted_on=dt.date(2030, 1, 8),
                    answers=[Answer(question_id=free_text.id, text="-")],
                )
            )
        db.session.flush()
        for table, column in _free_text_columns():
            key = list(table.primary_key.columns)
            rows = db.session.execute(sa.select(*key).where(column.is_not(None))).all()
            for row in rows:
                marker = f"zq{len(markers)}qz"
                markers[marker] = f"{table.name}.{column.name}"
                condition = sa.and_(*(k == value for k, value in zip(key, row, strict=True)))
                db.session.execute(sa.update(table).where(condition).values({column: marker}))
        db.session.commit()
    return markers


def _fetch_all(app, client, world: World, principal: str) -> tuple[str, str, dict[str, int]]:
    """Every page's and every API read's text as one principal, and each API read's status."""
    pages, api, statuses = [], [], {}
    for endpoint, rule, method in ROUTES:
        if method != "GET" or endpoint in SKIPPED_ENDPOINTS:
            continue
        with app.app_context():
            url, _refused = _url(app, endpoint, world, principal, "own")
        is_api = rule.startswith("/api/")
        client.delete_cookie("session")
        headers = {}
        if is_api:
            headers = bearer(world.tokens[principal])
        else:
            login(client, world.user(principal))
        response = client.get(url, headers=headers)
        text = response.get_data().decode("utf-8", "replace")
        response.close()
        if is_api:
            statuses[rule] = response.status_code
            api.append(text)
        elif response.status_code == 200:
            pages.append(text)
    return "\n".join(pages), "\n".join(api), statuses


@pytest.fixture
def seen(app, client, world):
    """Markers by principal: those its pages show, and those its API responses carry."""
    markers = mark_free_text(app, world)
    pages, api, statuses = {}, {}, {}
    for principal in PRINCIPALS:
        page_text, api_text, statuses[principal] = _fetch_all(app, client, world, principal)
        pages[principal] = {m for m in markers if m in page_text}
        api[principal] = {m for m in markers if m in api_text}
    return markers, pages, api, statuses


def test_every_api_read_was_answered_for_some_role(seen):
    """The walk reaches every GET operation with data (else the comparison proves nothing)."""
    _markers, _pages, _api, statuses = seen
    rules = set().union(*(by_rule.keys() for by_rule in statuses.values()))
    unanswered = sorted(
        rule for rule in rules if not any(statuses[p].get(rule) == 200 for p in PRINCIPALS)
    )
    assert not unanswered, unanswered
    assert len(rules) > 30


def test_no_role_reads_through_the_api_what_its_pages_hide(seen):
    markers, pages, api, _statuses = seen
    shown_on_some_page = set().union(*pages.values())
    leaks = {
        principal: sorted(
            markers[m] for m in api[principal] - pages[principal] if m in shown_on_some_page
        )
        for principal in PRINCIPALS
    }
    assert all(not fields for fields in leaks.values()), leaks


def test_executive_page_and_api_leave_out_client_notes(seen):
    markers, pages, api, _statuses = seen
    notes = {m for m, where in markers.items() if where == "clients.notes"}
    assert notes & pages["manager"], "the manager's client page shows the notes"
    assert not notes & pages["executive"]
    assert not notes & api["executive"]
    assert notes & api["manager"]


def _objects(body: object) -> Iterator[dict]:
    if isinstance(body, list):
        for item in body:
            yield from _objects(item)
    elif isinstance(body, dict):
        yield body


def _response_component(operation: dict) -> str | None:
    schema = (
        operation.get("responses", {})
        .get("200", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    schema = schema.get("items", schema)
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def test_declared_hidden_fields_are_absent_from_other_roles_responses(app, client, world):
    """Every field the document marks ``x-visible-to`` is left out for the other roles."""
    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    hidden = {
        name: {
            prop: set(spec["x-visible-to"])
            for prop, spec in schema.get("properties", {}).items()
            if "x-visible-to" in spec
        }
        for name, schema in components.items()
    }
    assert hidden["Client"] == {"notes": {"admin", "manager"}}
    checked = 0
    for endpoint, rule, method in ROUTES:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
        operation = document["paths"].get(path, {}).get(method.lower())
        component = _response_component(operation or {})
        if not hidden.get(component):
            continue
        for principal in PRINCIPALS:
            with app.app_context():
                url, _refused = _url(app, endpoint, world, principal, "own")
            response = client.get(url, headers=bearer(world.tokens[principal]))
            if response.status_code != 200:
                continue
            role = world.user(principal).role.value
            for obj in _objects(response.json):
                for prop, roles in hidden[component].items():
                    assert (prop in obj) == (role in roles), (url, principal, prop)
                    checked += 1
    assert checked


@pytest.mark.parametrize("rule", sorted(FIELD_ROLES))
def test_a_visibility_rule_names_only_known_roles(rule):
    assert FIELD_ROLES[rule] <= set(Role)
    assert not may_see(None, rule)


def test_client_notes_are_in_the_schema_but_left_out_for_executives(app, client, world):
    with app.app_context():
        db.session.execute(
            sa.update(sa.table("clients", sa.column("notes"))).values(notes="Vertrag bis 2031")
        )
        db.session.commit()
    url = f"/api/v1/clients/{world.client_a.id}"
    manager = client.get(url, headers=bearer(world.tokens["manager"])).json
    executive = client.get(url, headers=bearer(world.tokens["executive"])).json
    assert manager["notes"] == "Vertrag bis 2031"
    assert "notes" not in executive
    assert "Vertrag bis 2031" not in json.dumps(executive)
