"""A corpus of hostile values sent to every HTML form and every API operation (security review,
tests and measurement): no 5xx, a message on the field, and nothing stored from a refused request.

The operations come from the OpenAPI document (request bodies and query parameters) and the forms
from the app's POST routes with the WTForms form each view builds, so a new operation or form is
covered without touching this file. Each case starts from a valid request (the baseline, made
from the schema or the form, with the few values a generator cannot guess in ``API_BODIES`` and
``FORM_VALUES``), replaces one field by one hostile value of each class that fits the field, and
ends by sending the baseline itself, which must be accepted: so every refusal is the hostile
value's doing. One request per class and field keeps the run short.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, Response
from flask_wtf import FlaskForm
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from audits.mystery.models import ContactLog, InquiryAttempt, ReviewStatus
from qcrm import create_app
from qcrm.extensions import db, limiter
from qcrm.models import LoginAttempt, LoginResult
from qcrm.permissions import rule_for
from reports.models import Report, ReportStatus
from tests.audits.helpers import make_inquiry_a_due
from tests.conftest import PASSWORD, PNG, World, base_config, bearer, login
from tests.core.test_route_access import PARAMS
from tests.hostile import (
    CONTROL_CHARACTER,
    HUGE_INTEGER,
    IMPOSSIBLE_DATE,
    LONG_TEXT,
    NOT_A_CHOICE,
    NUL,
    TOLERATED_TEXT,
)
from tests.surveys.respond_helpers import issued_public_key

PLANNED = dt.datetime(2030, 1, 7, 9, 30, tzinfo=dt.UTC)
NOW = PLANNED + dt.timedelta(days=2)
#: Who sends each request: the first of these the endpoint admits.
PRINCIPAL_ORDER = ("manager", "admin", "tester", "executive", "client_manager")
REFUSED = (400, 422)


def _spec_and_routes() -> tuple[dict, list[tuple[str, str, str]]]:
    app = create_app(base_config("sqlite://"))
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    routes = sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH"}
        if not rule.rule.startswith("/api/")
    )
    return spec, routes


SPEC, FORM_ROUTES = _spec_and_routes()
COMPONENTS = SPEC["components"]["schemas"]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


# The world in the state the forms and operations can act on -----------------------------------


@pytest.fixture
def corpus_world(app, world) -> Iterator[World]:
    """The test world with a draft report, inquiry A due, and no rate limit in the way."""
    make_inquiry_a_due(app, world, PLANNED)
    with app.app_context():
        db.session.get(Report, world.report_a.id).status = ReportStatus.DRAFT
        attempt = db.session.scalars(
            sa.select(InquiryAttempt).filter_by(inquiry_id=world.inquiry_a.id)
        ).one()
        attempt.sent_at = PLANNED
        # the other tester's contact waits for review
        db.session.add(ContactLog(inquiry_id=world.inquiry_other.id, status=ReviewStatus.SUBMITTED))
        db.session.commit()
    limiter.enabled = False
    try:
        with time_machine.travel(NOW, tick=False):
            yield world
    finally:
        limiter.enabled = True


@functools.cache
def _count_query() -> sa.Select:
    return sa.select(
        *(
            sa.select(sa.func.count()).select_from(table).scalar_subquery().label(table.name)
            for table in db.metadata.sorted_tables
        )
    )


def row_counts(app: Flask) -> dict[str, int]:
    """Rows of every table, in one query (built once: building it costs more than running it)."""
    with app.app_context():
        return dict(db.session.execute(_count_query()).one()._mapping)


def judge_hostile_response(
    app: Flask,
    failures: list[str],
    label: str,
    response,
    *,
    refused: bool,
    before: dict[str, int],
    refusal_problem: Callable[[object], str | None],
    count_rows: bool = True,
) -> dict[str, int]:
    """The verdict on one hostile request, shared by the API and the form runs: never an
    exception or a 5xx; a value that must be refused passes ``refusal_problem`` (the run's own
    check of the refusal, None when fine) and stores no row. Appends to ``failures`` and returns
    the row counts the next request is compared with (a harmless value may store rows)."""
    if isinstance(response, Exception):
        failures.append(f"{label}: raised {response!r}"[:300])
        return before
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code}")
        return before
    if not refused:
        return row_counts(app) if count_rows and response.status_code < 400 else before
    problem = refusal_problem(response)
    if problem:
        failures.append(f"{label}: {problem}"[:400])
    if not count_rows:
        return before
    after = row_counts(app)
    if after != before:
        changed = [k for k in after if after[k] != before.get(k)]
        failures.append(f"{label}: stored rows in {changed} although refused")
    return after


def _principal(app: Flask, endpoint: str, method: str, world: World) -> str | None:
    rule = rule_for(app, endpoint, method)
    assert rule is not None, endpoint
    if rule.public:
        return None
    return next(name for name in PRINCIPAL_ORDER if rule.permits(world.user(name)))


def _path_values(app: Flask, world: World, names, principal: str | None) -> dict[str, object]:
    with app.app_context():
        return {name: PARAMS[name].own(world, principal or "anonymous") for name in names}


# The corpus -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One hostile value: what it is called, the value, and whether it must be refused."""

    name: str
    value: object
    refused: bool = True
    raw: str | None = None  # a JSON literal that json.dumps cannot write (1e309, NaN)


def json_corpus(schema: dict, required: bool) -> list[Hostile]:
    """The hostile values that fit a JSON schema property, one per class."""
    schema = _resolve(schema)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    values: list[Hostile] = []
    if required:
        values.append(Hostile("missing", None))
    if "enum" in schema:
        values.append(Hostile("not a choice", NOT_A_CHOICE))
    if "string" in kinds and "enum" not in schema:
        if schema.get("format") in ("date", "date-time"):
            values.append(Hostile("impossible date", IMPOSSIBLE_DATE))
        else:
            values += [
                Hostile("NUL", f"a{NUL}b"),
                Hostile("control character", f"a{CONTROL_CHARACTER}b"),
                Hostile("100k characters", LONG_TEXT),
            ]
        values.append(Hostile("wrong type", 12))
    if "integer" in kinds or "number" in kinds:
        values += [
            Hostile("1e309", None, raw="1e309"),
            Hostile("Infinity", None, raw="Infinity"),
            Hostile("NaN", None, raw="NaN"),
            Hostile("huge integer", HUGE_INTEGER),
            Hostile("negative", -1, refused=(schema.get("minimum", -1) >= 0)),
            Hostile("wrong type", "zwölf"),
        ]
    if "boolean" in kinds:
        values.append(Hostile("wrong type", "vielleicht"))
    if "array" in kinds:
        values.append(Hostile("wrong type", "keine Liste"))
        items = _resolve(schema.get("items", {}))
        if items.get("type") in ("integer", "number"):
            values.append(Hostile("huge item", [HUGE_INTEGER]))
        elif items.get("type") == "string":
            values.append(Hostile("long item", [LONG_TEXT]))
    if "object" in kinds and "properties" not in schema:
        values.append(Hostile("wrong type", "kein Objekt"))
    return values


def _dump(body: object, name: str | None, hostile: Hostile | None) -> str:
    """The body as JSON text, with field ``name`` set to (or missing for) the hostile value."""
    if hostile is None:
        return json.dumps(body)
    body = dict(body)
    if hostile.name == "missing":
        body.pop(name, None)
        return json.dumps(body)
    if hostile.raw is None:
        body[name] = hostile.value
        return json.dumps(body)
    marker = "__HOSTILE__"
    body[name] = marker
    return json.dumps(body).replace(f'"{marker}"', hostile.raw)


# API: the operations of the OpenAPI document ---------------------------------------------------


@dataclass
class Operation:
    method: str
    path: str
    body_schema: dict | None = None
    content_type: str | None = None
    query: list[dict] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _operations() -> list[Operation]:
    found = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [*item.get("parameters", []), *op.get("parameters", [])]
            query = [p for p in parameters if p["in"] == "query"]
            content = op.get("requestBody", {}).get("content", {})
            content_type = next(iter(content), None)
            schema = content[content_type]["schema"] if content_type else None
            found.append(Operation(method, path, schema, content_type, query))
    return found


OPERATIONS = _operations()
WITH_INPUT = [op for op in OPERATIONS if op.body_schema is not None or op.query]

#: Values a generator cannot guess, by property name (ids of the world's objects).
ID_VALUES: dict[str, Callable[[World], object]] = {
    "client_id": lambda w: w.client_a.id,
    "channel_id": lambda w: w.channel_a.id,
    "channel_ids": lambda w: [w.channel_a.id],
    "scenario_ids": lambda w: [w.scenario.id],
    "tester_ids": lambda w: [w.tester.id],
    "tester_id": lambda w: w.tester.id,
    "scorecard_version_id": lambda w: w.version.id,
    "wave_id": lambda w: w.wave_a.id,
}


def _question_answers(app: Flask, world: World) -> dict[str, object]:
    from tests.surveys.respond_helpers import questions_of

    ids = [q.id for q in questions_of(app, world.survey_a.id)]
    return {str(ids[0]): 4, str(ids[1]): 9, str(ids[2]): 6, str(ids[6]): TOLERATED_TEXT}


#: In API_BODIES: leave the generated property out of the valid body (it is still tried).
OMIT = object()


def _wave_b(app: Flask, w: World) -> dict:
    """A draft wave's changes (the world's wave A is running): its own client's objects."""
    return {
        "client_id": w.client_b.id,
        "channel_ids": [w.channel_b.id],
        "period_start": "2031-01-06",
        "period_end": "2031-01-17",
        "answer_timeouts": {"phone": 24},
        "target_dimension_scores": {"transaction": 80},
        "weekdays": ["mon"],
        "hour_bands": ["morning"],
    }


#: Whole bodies (merged over the generated one) where the rules need more than the types.
API_BODIES: dict[str, Callable[[Flask, World], dict]] = {
    "POST /api/v1/waves": lambda app, w: {
        "period_start": "2031-01-06",
        "period_end": "2031-01-17",
        "answer_timeouts": {"email": 24},
        "target_dimension_scores": {"transaction": 80},
        "weekdays": ["mon"],
        "hour_bands": ["morning"],
    },
    "PATCH /api/v1/waves/{wave_id}": _wave_b,
    "POST /api/v1/scorecards/versions/{version_id}/items": lambda app, w: {
        "item_type": "yes_no",
        **dict.fromkeys(("knockout", "threshold", "comparison", "target_pass_rate"), OMIT),
        "derived": OMIT,
    },
    "PATCH /api/v1/scorecards/items/{item_id}": lambda app, w: {
        "item_type": "yes_no",
        **dict.fromkeys(("knockout", "threshold", "comparison", "target_pass_rate"), OMIT),
        "derived": OMIT,
    },
    "PUT /api/v1/inquiries/{inquiry_id}/evaluation": lambda app, w: {
        "version": None,
        "answers": [{"item_id": w.item.id, "value": True}],
    },
    "POST /api/v1/inquiries/{inquiry_id}/review": lambda app, w: {"decision": "return"},
    "POST /api/v1/surveys": lambda app, w: {
        "language": "de",
        "opens_at": "2030-01-08T10:00:00+01:00",
        "closes_at": "2030-03-01T10:00:00+01:00",
    },
    "PATCH /api/v1/surveys/{survey_id}": lambda app, w: {
        "language": "de",
        "opens_at": "2030-01-08T10:00:00+01:00",
        "closes_at": "2030-03-01T10:00:00+01:00",
    },
    "POST /api/v1/surveys/{survey_id}/questions": lambda app, w: {
        "kind": "single_choice",
        "options": ["Ja 🙂", "Nein"],
        "scale_max": OMIT,
    },
    "PATCH /api/v1/surveys/{survey_id}/questions/{question_id}": lambda app, w: {
        "kind": "csat",
        "options": OMIT,
        "scale_max": OMIT,
    },
    "POST /api/v1/clients/{client_id}/channels": lambda app, w: {
        "type": "email",
        "address": "neu@aue.example",
        "business_hours": {"mon": ["08:00-18:00"]},
        "time_zone": "Europe/Berlin",
    },
    "PATCH /api/v1/channels/{channel_id}": lambda app, w: {
        "type": "email",
        "address": "neu@aue.example",
        "business_hours": {"mon": ["08:00-18:00"]},
        "time_zone": "Europe/Berlin",
    },
    "POST /api/v1/personas": lambda app, w: {
        "email": "neu@mail.example",
        "phone": "+49 30 1234567",
        "social_handles": {"x": "@neu"},
    },
    "PATCH /api/v1/personas/{persona_id}": lambda app, w: {
        "email": "neu@mail.example",
        "phone": "+49 30 1234567",
        "social_handles": {"x": "@neu"},
    },
    "PUT /api/v1/inquiries/{inquiry_id}/contact-log": lambda app, w: {
        "version": 1,
        "not_contactable": None,
        "no_answer": False,
        "solved": True,
    },
    "POST /api/v1/inquiries/{inquiry_id}/replies": lambda app, w: {
        "received_at": "2030-01-07T11:00:00+01:00",
        "sender": "service@aue.example",
    },
    "POST /api/v1/inquiries/{inquiry_id}/attempts/{number}/sent": lambda app, w: {
        "sent_at": "2030-01-07T10:30:00+01:00"
    },
    "POST /api/v1/public/surveys/{public_token}/responses": lambda app, w: {
        "answers": _question_answers(app, w),
        "key": issued_public_key(app, w.survey_a.id),
    },
    "POST /api/v1/surveys/{survey_id}/invitations": lambda app, w: [
        {"email": "kundin@example.org", "channel_id": w.channel_a.id}
    ],
}
#: Path parameters the route-access test fills with objects that do not serve here.
API_PATH_VALUES: dict[str, Callable[[World], object]] = {
    "public_token": lambda w: w.survey_a.public_token,
}
#: Path parameters of single operations: objects in the state the operation acts on.
OPERATION_PATH_VALUES: dict[str, dict[str, Callable[[World], object]]] = {
    "PATCH /api/v1/waves/{wave_id}": {"wave_id": lambda w: w.wave_b.id},
    "POST /api/v1/waves/{wave_id}/schedule": {"wave_id": lambda w: w.wave_b.id},
    "POST /api/v1/inquiries/{inquiry_id}/review": {"inquiry_id": lambda w: w.inquiry_other.id},
}


def example(schema: dict, name: str, world: World) -> object:
    """A valid value for a schema property (ids from the world, text with emoji and RTL marks)."""
    schema = _resolve(schema)
    if name in ID_VALUES:
        return ID_VALUES[name](world)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "string":
        if schema.get("format") == "date":
            return "2031-01-06"
        if schema.get("format") == "date-time":
            return "2030-01-08T10:00:00+01:00"
        if schema.get("format") == "email" or "email" in name:
            return "neu@example.org"
        return TOLERATED_TEXT[: schema.get("maxLength", len(TOLERATED_TEXT))]
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", 1), schema.get("maximum", 10**6)
        return max(low, min(1, high))
    if kind == "boolean":
        return False
    if kind == "array":
        return [example(schema.get("items", {}), name.removesuffix("s"), world)]
    if kind == "object":
        return {
            key: example(prop, key, world)
            for key, prop in schema.get("properties", {}).items()
            if not prop.get("readOnly")
        }
    return None


def _api_body(op: Operation, app: Flask, world: World) -> object:
    generated = example(op.body_schema, "", world) if op.body_schema else None
    special = API_BODIES.get(op.id)
    if special is None:
        return generated
    with app.app_context():
        given = special(app, world)
    if not isinstance(generated, dict):
        return given
    merged = {**generated, **given}
    return {key: value for key, value in merged.items() if value is not OMIT}


def _named(problem: dict, name: str) -> bool:
    fields = [error.get("field", "") for error in problem.get("errors", [])]
    return any(f == name or f.startswith(f"{name}.") or f.endswith(f".{name}") for f in fields)


def _api_url(app: Flask, op: Operation, world: World, principal: str | None) -> str:
    path = op.path
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    values = _path_values(app, world, [n for n in names if n not in API_PATH_VALUES], principal)
    values.update({n: API_PATH_VALUES[n](world) for n in names if n in API_PATH_VALUES})
    values.update({n: v(world) for n, v in OPERATION_PATH_VALUES.get(op.id, {}).items()})
    for key, value in values.items():
        path = path.replace("{" + key + "}", str(value))
    return path


def _endpoint(app: Flask, op: Operation) -> str:
    """The endpoint of an operation: its rule, written the OpenAPI way, is the path."""
    return next(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) == op.path
        and op.method.upper() in (rule.methods or ())
    )


def _send(client, url: str, method: str, **kwargs):
    """The response, or None when the app raised (a 500 outside of tests)."""
    try:
        return client.open(url, method=method, **kwargs)
    except Exception as error:
        return error


def _multipart_body(op: Operation) -> dict[str, object]:
    """A valid upload: a PNG in every file property."""
    return dict.fromkeys(_resolve(op.body_schema).get("properties", {}), (PNG, "anruf.png"))


def _post_with(client, url: str, data: dict[str, object], headers: dict[str, str]):
    form = MultiDict()
    for name, value in data.items():
        if value is not None:
            form.add(name, (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value)
    return _send(client, url, "POST", data=form, headers=headers)


def _api_cases(op: Operation) -> Iterator[tuple[str, str, Hostile, str]]:
    """(where, name, hostile, place) for every field of the operation: body or query."""
    if op.body_schema is not None and op.content_type == "application/json":
        schema = _resolve(op.body_schema)
        if schema.get("type") == "array":
            yield "body", "", Hostile("wrong type", {"kein": "Array"}), "body"
            schema = _resolve(schema["items"])
            place = "item"
        else:
            place = "body"
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            for hostile in json_corpus(prop, name in required):
                yield place, name, hostile, place
    if op.body_schema is not None and op.content_type == "multipart/form-data":
        schema = _resolve(op.body_schema)
        required = set(schema.get("required", []))
        for name in schema.get("properties", {}):
            if name in required:
                yield "multipart", name, Hostile("missing", None), "multipart"
            yield "multipart", name, Hostile("not a file", "kein Upload"), "multipart"
            yield (
                "multipart",
                name,
                Hostile("not an image", (b"MZ\x90\x00", "bild.png")),
                "multipart",
            )
            # a file's name is cleaned (shortened, control characters dropped), not refused
            long_name = Hostile("100k name", (PNG, f"{LONG_TEXT}.png"), refused=False)
            yield "multipart", name, long_name, "multipart"
    for parameter in op.query:
        for hostile in json_corpus(parameter.get("schema", {}), False):
            if hostile.raw is not None:
                hostile = Hostile(hostile.name, hostile.raw, hostile.refused)
            yield "query", parameter["name"], hostile, "query"


@pytest.mark.parametrize("op", WITH_INPUT, ids=[op.id for op in WITH_INPUT])
def test_hostile_values_in_an_api_operation_are_refused_on_their_field(
    app, client, corpus_world, op
):
    world = corpus_world
    endpoint = _endpoint(app, op)
    principal = _principal(app, endpoint, op.method.upper(), world)
    headers = bearer(world.tokens[principal]) if principal else {}
    url = _api_url(app, op, world, principal)
    body = _api_body(op, app, world)
    failures: list[str] = []
    before = row_counts(app)
    for where, name, hostile, place in _api_cases(op):
        if where == "query":
            response = _send(
                client, url, op.method, query_string={name: hostile.value}, headers=headers
            )
        elif where == "multipart":
            data = {**_multipart_body(op), name: hostile.value}
            response = _post_with(client, url, data, headers)
        elif op.content_type == "application/json":
            if place == "item":
                text = f"[{_dump(body[0], name, hostile)}]"
            elif name == "":
                text = json.dumps(hostile.value)
            else:
                text = _dump(body, name, hostile)
            response = _send(
                client, url, op.method, data=text, content_type="application/json", headers=headers
            )
        label = f"{name or where} = {hostile.name}"
        if where == "query":  # a refused parameter is named; nothing is stored on a read
            before = judge_hostile_response(
                app,
                failures,
                label,
                response,
                refused=True,
                before=before,
                refusal_problem=lambda r, name=name: (
                    f"{r.status_code} without naming the parameter"
                    if r.status_code in REFUSED and not _named(r.get_json(), name)
                    else None
                ),
                count_rows=False,
            )
            continue

        def refusal_problem(r, name=name):
            if r.status_code not in REFUSED:
                return f"accepted with {r.status_code}"
            if name and not _named(r.get_json(), name):
                return f"{r.status_code} naming {r.get_json().get('errors')}"
            return None

        before = judge_hostile_response(
            app,
            failures,
            label,
            response,
            refused=hostile.refused,
            before=before,
            refusal_problem=refusal_problem,
        )
    if op.content_type == "multipart/form-data":
        accepted = _post_with(client, url, _multipart_body(op), headers)
        if accepted.status_code != 201:
            failures.append(f"baseline upload: {accepted.status_code} {accepted.text[:300]}")
    if op.body_schema is not None and op.content_type == "application/json":
        accepted = client.open(url, method=op.method, json=body, headers=headers)
        if not 200 <= accepted.status_code < 300:
            failures.append(f"baseline {body!r}: {accepted.status_code} {accepted.text[:300]}")
        if isinstance(body, dict) and body:
            # every key twice (JSON allows it; the last one counts): taken or refused, no 5xx
            text = json.dumps(body)
            twice = "{" + text[1:-1] + ", " + text[1:]
            again = _send(
                client, url, op.method, data=twice, content_type="application/json", headers=headers
            )
            if isinstance(again, Exception) or again.status_code >= 500:
                failures.append(f"duplicated fields: {getattr(again, 'status_code', again)!r}")
    assert not failures, "\n".join(failures)


# HTML forms: the POST routes and the WTForms form each view builds ------------------------------

STRING_FIELDS = frozenset(
    {
        "StringField",
        "TextAreaField",
        "EmailField",
        "SearchField",
        "TelField",
        "URLField",
        "PasswordField",
    }
)
NUMBER_FIELDS = frozenset({"IntegerField", "DecimalField", "FloatField", "IntegerRangeField"})
DATE_FIELDS = {
    "DateField": "2031-02-30",
    "DateTimeLocalField": "2031-02-30T10:00",
    "DateTimeField": "2031-02-30 10:00:00",
    "TimeField": "25:61",
}
SKIPPED_FIELDS = frozenset({"CSRFTokenField", "SubmitField", "BooleanField"})
HIDDEN_FIELDS = frozenset({"HiddenField"})


def _public_answers(app: Flask, world: World) -> dict[str, object]:
    from tests.surveys.respond_helpers import questions_of, valid_answers

    return valid_answers(questions_of(app, world.survey_a.id))


#: Valid values a generator cannot guess, by endpoint and field (or request field).
FORM_VALUES: dict[str, Callable[[Flask, World], dict[str, object]]] = {
    "audits.record_sent": lambda app, w: {"attempt": "1", "reason": "Uhr ging falsch"},
    "audits.new_wave": lambda app, w: {
        "client_id": str(w.client_a.id),
        "channel_ids": [str(w.channel_a.id)],
        "tester_ids": [str(w.tester.id)],
        "period_start": "2031-01-06",
        "period_end": "2031-01-17",
        "contacts_per_cell": "1",
    },
    "audits.edit_wave": lambda app, w: {
        "period_start": "2031-01-06",
        "period_end": "2031-01-17",
        "within_business_hours": None,  # the hotline keeps no hours
    },
    "audits.save_evaluation": lambda app, w: {f"item_{w.item.id}": "yes"},
    "audits.calibrate": lambda app, w: {f"item_{w.item.id}": "yes"},
    "audits.upload_evidence": lambda app, w: {"file": (PNG, "anruf.png")},
    "surveys.upload_invitations": lambda app, w: {
        "file": (b"email\nkundin@example.org\n", "liste.csv")
    },
    "auth.login": lambda app, w: {"email": w.manager.email},
    "surveys.new_question": lambda app, w: {
        "kind": "single_choice",
        "text": "Wie war es?",
        "options": "Ja\nNein",
    },
    "respond.public": _public_answers,
    "respond.invitation": _public_answers,
    "reports.change_subscription": lambda app, w: {"client_id": str(w.client_a.id)},
}


def _password_token(purpose: str) -> Callable[[Flask, World], str]:
    def make(app: Flask, world: World) -> str:
        from qcrm import accounts
        from qcrm.models import User

        return accounts.make_password_token(db.session.get(User, world.executive.id), purpose)

    return make


def _invitation_token(app: Flask, world: World) -> str:
    from tests.surveys.respond_helpers import make_invitation

    return make_invitation(app, world.survey_a.id)


#: POST routes without a form to fill in, and why.
FORMLESS_ROUTES = {
    "auth.logout": "a button; logging out takes no input",
    "respond.opt_out": "a button; declining an invitation takes no input",
}
#: Request fields a view reads itself, beside its WTForms form: given valid values here, tried
#: with hostile ones by the tests named.
RAW_FIELDS = {
    "respond.public": "the answers q<id>: tests/surveys/test_responses.py",
    "respond.invitation": "the answers q<id>: tests/surveys/test_responses.py",
    "audits.save_evaluation": "the items item_<id>: tests/audits/test_contact_pages.py",
    "audits.calibrate": "the items item_<id>: tests/audits/test_contact_pages.py",
}
#: Forms whose every request needs a state no generic request can make (a pending login from
#: the password step, a set-up secret, a one-time code of the current time step): tried with
#: hostile values by the tests named.
STATEFUL_FORMS = {
    "auth.two_factor_login": "tests/core/test_two_factor.py::"
    "test_hostile_codes_are_refused_with_a_field_message",
    **dict.fromkeys(
        ("auth.two_factor_confirm", "auth.two_factor_recovery_codes", "auth.two_factor_off"),
        "tests/core/test_two_factor.py::"
        "test_hostile_codes_on_the_profile_forms_are_refused_on_their_field",
    ),
}
#: URL parameters of single endpoints: objects in the state the form acts on.
FORM_PATH_VALUES: dict[str, dict[str, Callable[[Flask, World], object]]] = {
    "auth.reset_password": {"token": _password_token("reset")},
    "auth.accept_invitation": {"token": _password_token("invite")},
    "respond.invitation": {"token": _invitation_token},
    "respond.public": {"public_token": lambda app, w: w.survey_a.public_token},
    "audits.edit_wave": {"wave_id": lambda app, w: w.wave_b.id},
    "audits.review": {"inquiry_id": lambda app, w: w.inquiry_other.id},
}


CHOICE_FIELDS = frozenset({"SelectField", "RadioField", "SelectMultipleField"})
FILE_FIELDS = frozenset({"FileField", "MultipleFileField"})
KNOWN_FIELDS = (
    STRING_FIELDS
    | NUMBER_FIELDS
    | set(DATE_FIELDS)
    | SKIPPED_FIELDS
    | HIDDEN_FIELDS
    | CHOICE_FIELDS
    | FILE_FIELDS
)


def _kind(form_field) -> str | None:
    """The WTForms field class a field is or derives from (the app has a few of its own)."""
    return next((c.__name__ for c in type(form_field).__mro__ if c.__name__ in KNOWN_FIELDS), None)


def _form_corpus(form_field) -> list[Hostile]:
    """The hostile form values that fit a WTForms field, one per class."""
    kind = _kind(form_field)
    required = bool(form_field.flags.required)
    # a field missing from the request keeps an edit form's object value (WTForms), so it
    # may be accepted; when refused, it is on the field
    values = [Hostile("missing", None, refused=False)] if required else []
    if kind in STRING_FIELDS:
        values += [
            Hostile("NUL", f"a{NUL}b"),
            # a password is hashed, never shown or sent: any character may be in it
            Hostile("control character", f"a{CONTROL_CHARACTER}b", refused=kind != "PasswordField"),
            Hostile("100k characters", LONG_TEXT),
        ]
    elif kind in NUMBER_FIELDS:
        low = next(
            (v.min for v in form_field.validators if getattr(v, "min", None) is not None), -1
        )
        values += [
            Hostile("1e309", "1e309"),
            Hostile("Infinity", "Infinity"),
            Hostile("NaN", "NaN"),
            Hostile("huge integer", str(HUGE_INTEGER)),
            Hostile("negative", "-1", refused=low >= 0),
            Hostile("wrong type", "zwölf"),
        ]
    elif kind in DATE_FIELDS:
        values += [Hostile("impossible date", DATE_FIELDS[kind]), Hostile("wrong type", "zwölf")]
    elif kind in ("SelectField", "RadioField"):
        values += [Hostile("not a choice", NOT_A_CHOICE), Hostile("huge id", str(HUGE_INTEGER))]
    elif kind == "SelectMultipleField":
        values += [Hostile("not a choice", [NOT_A_CHOICE]), Hostile("huge id", [str(HUGE_INTEGER)])]
    elif kind in HIDDEN_FIELDS:
        # no field to show a message on: the request must only not fail or store
        values = [
            Hostile("missing", None, refused=False),
            Hostile("100k characters", LONG_TEXT, refused=False),
            Hostile("wrong type", "zwölf", refused=False),
        ]
    elif kind in ("FileField", "MultipleFileField"):
        values += [Hostile("not a file", "kein Upload")]
    return values


def _choice(form_field) -> object:
    choices = list(form_field.iter_choices())
    values = [choice[0] for choice in choices if choice[0] not in ("", None)]
    return values[0] if values else ""


def _form_example(form_field, shown) -> object:
    """A valid form value: what the page showed (an edit form's object), else by the field."""
    kind = _kind(form_field)
    if shown is not None:
        if isinstance(shown.data, list | tuple | set):
            if shown.data:
                return [str(getattr(v, "value", v)) for v in shown.data]
        elif kind == "BooleanField":
            return "y" if shown.data else None
        elif kind not in ("FileField", "MultipleFileField", "PasswordField"):
            text = shown._value() if hasattr(shown, "_value") else shown.data
            text = getattr(text, "value", text)
            if text not in ("", None, "None"):
                return str(text)
    required = bool(form_field.flags.required)
    if kind in ("SelectField", "RadioField", "SelectMultipleField"):
        blank = any(choice[0] in ("", None) for choice in form_field.iter_choices())
        if blank and not required:
            return ""
        value = _choice(form_field)
        return [value] if kind == "SelectMultipleField" else value
    if not required and kind != "PasswordField":
        return None  # an optional field left empty, as a browser sends it
    if kind in NUMBER_FIELDS:
        low = next((v.min for v in form_field.validators if getattr(v, "min", None) is not None), 1)
        return str(max(low, 1))
    if kind == "DateField":
        return "2031-01-06"
    if kind == "DateTimeLocalField":
        return "2030-01-07T11:00"
    if kind == "EmailField":
        return "neu@example.org"
    if kind == "PasswordField":
        return PASSWORD
    if kind in STRING_FIELDS:
        limit = next((v.max for v in form_field.validators if getattr(v, "max", -1) > 0), None)
        return TOLERATED_TEXT[:limit]
    return None


@dataclass
class FormCase:
    endpoint: str
    rule: str

    @property
    def id(self) -> str:
        return f"POST {self.rule}"


FORM_CASES = [FormCase(endpoint, rule) for endpoint, rule, method in FORM_ROUTES]


@pytest.fixture
def built_forms(monkeypatch) -> list[FlaskForm]:
    """Every WTForms form the app builds, in order (the view's own form comes first)."""
    made: list[FlaskForm] = []
    original = FlaskForm.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(FlaskForm, "__init__", record)
    return made


def _form_url(app: Flask, case: FormCase, world: World, principal: str | None) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == case.endpoint)
    special = FORM_PATH_VALUES.get(case.endpoint, {})
    values = _path_values(app, world, [n for n in rule.arguments if n not in special], principal)
    with app.app_context():
        values.update({name: make(app, world) for name, make in special.items()})
    with app.test_request_context():
        from flask import url_for

        return url_for(case.endpoint, **values)


def _post(client, url: str, data: dict[str, object]):
    form = MultiDict()
    for name, value in data.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):  # a file: (content, name), read afresh each time
                item = (io.BytesIO(item[0]), item[1])
            form.add(name, item)
    return _send(client, url, "POST", data=form, content_type=_content_type(data))


def _content_type(data: dict[str, object]) -> str:
    has_file = any(isinstance(v, tuple) for v in data.values())
    return "multipart/form-data" if has_file else "application/x-www-form-urlencoded"


def _shown_on_field(response, form: FlaskForm, name: str) -> str | None:
    """Why the form's field ``name`` is not shown as refused, or None when it is."""
    if form is None:
        return "no form was built"
    messages = form.errors.get(name)
    if not messages:
        return f"no error on the field (errors: {form.errors}, {form.form_errors})"
    body = response.get_data(as_text=True)
    hidden = [m for m in messages if str(escape(str(m))) not in body]
    return f"messages not on the page: {hidden}" if hidden else None


#: Forms whose refusal is the page they came from again, with nothing changed, and why.
REDIRECTING_FORMS = {
    "auth.switch_language": "the language menu in the page header: an unknown language is "
    "ignored and the page the user was on comes back",
}


@pytest.mark.parametrize("case", FORM_CASES, ids=[case.id for case in FORM_CASES])
def test_hostile_values_in_a_form_are_refused_on_their_field(
    app, client, corpus_world, built_forms, case
):
    if case.endpoint in STATEFUL_FORMS:
        pytest.skip(f"needs a state of its own: {STATEFUL_FORMS[case.endpoint]}")
    world = corpus_world
    principal = _principal(app, case.endpoint, "POST", world)
    if principal is not None:
        login(client, world.user(principal))
    url = _form_url(app, case, world, principal)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == case.endpoint)
    shown_forms: list[FlaskForm] = []
    if "GET" in (rule.methods or ()):
        assert client.get(url).status_code < 500
        shown_forms = list(built_forms)
    built_forms.clear()
    empty = _send(client, url, "POST", data={})
    assert not isinstance(empty, Exception), empty
    assert empty.status_code < 500
    if not built_forms:
        assert case.endpoint in FORMLESS_ROUTES, f"{case.id} builds no form: add its URL values"
        return
    form = built_forms[0]
    kind = type(form)
    if not any(f.type not in ("CSRFTokenField", "SubmitField") for f in form):
        return  # a button: the empty request was all there is to send
    shown = next((f for f in shown_forms if type(f) is kind), None)
    baseline: dict[str, object] = {}
    for form_field in form:
        if form_field.type in ("CSRFTokenField", "SubmitField"):
            continue
        value = _form_example(form_field, shown[form_field.short_name] if shown else None)
        if value is not None:
            baseline[form_field.name] = value
    with app.app_context():
        baseline.update(FORM_VALUES.get(case.endpoint, lambda a, w: {})(app, world))
    failures: list[str] = []
    before = row_counts(app)
    for form_field in form:
        assert _kind(form_field) is not None, f"no hostile values for {form_field.type}: add some"
        if _kind(form_field) in SKIPPED_FIELDS:
            continue
        for hostile in _form_corpus(form_field):
            data = {**baseline, form_field.name: hostile.value}
            built_forms.clear()
            response = _post(client, url, data)
            label = f"{form_field.name} = {hostile.name}"

            def refusal_problem(r, hostile=hostile, form_field=form_field):
                if hostile.name == "NUL":
                    if r.status_code != 400 or "NUL" not in r.text:
                        return f"{r.status_code} without the NUL message"
                    return None
                if case.endpoint in REDIRECTING_FORMS:
                    if r.status_code not in (302, 303):
                        return f"answered {r.status_code}, not the page before"
                    return None
                if r.status_code not in (200, 400, 422):
                    return f"answered {r.status_code} {r.location or ''}"
                processed = next((f for f in built_forms if type(f) is kind), None)
                return _shown_on_field(r, processed, form_field.short_name)

            before = judge_hostile_response(
                app,
                failures,
                label,
                response,
                refused=hostile.refused,
                before=before,
                refusal_problem=refusal_problem,
            )
    built_forms.clear()
    accepted = _post(client, url, baseline)
    if isinstance(accepted, Exception) or accepted.status_code >= 400:
        errors = [(f.errors, f.form_errors) for f in built_forms if f.errors or f.form_errors]
        status = getattr(accepted, "status_code", accepted)
        failures.append(f"baseline {baseline!r}: {status} {errors}"[:900])
    else:
        processed = next((f for f in built_forms if type(f) is kind), None)
        if accepted.status_code == 200 and processed is not None and processed.errors:
            failures.append(f"baseline {baseline!r} refused: {processed.errors}"[:600])
    duplicated = _post(client, url, {k: [v, v] for k, v in baseline.items() if v is not None})
    assert not isinstance(duplicated, Exception) and duplicated.status_code < 500, duplicated
    assert not failures, "\n".join(failures)


# Coverage: a new operation or form the corpus cannot try fails here ------------------------------

SENT_CONTENT_TYPES = ("application/json", "multipart/form-data")


def test_every_api_operation_and_form_route_is_in_the_corpus(app):
    untried = []
    for op in OPERATIONS:
        if op.body_schema is not None and op.content_type not in SENT_CONTENT_TYPES:
            untried.append(f"{op.id}: body of type {op.content_type}")
            continue
        if op.body_schema is not None and op.content_type == "application/json":
            schema = _resolve(op.body_schema)
            schema = _resolve(schema["items"]) if schema.get("type") == "array" else schema
            required = set(schema.get("required", []))
            untried += [
                f"{op.id}: property {name} has no hostile values for {prop}"
                for name, prop in schema.get("properties", {}).items()
                if not prop.get("readOnly") and not json_corpus(prop, name in required)
            ]
        untried += [
            f"{op.id}: query parameter {p['name']} has no hostile values"
            for p in op.query
            if not json_corpus(p.get("schema", {}), False)
        ]
    tried = {op.id for op in WITH_INPUT}
    untried += [
        f"{op.id}: not tried"
        for op in OPERATIONS
        if (op.body_schema is not None or op.query) and op.id not in tried
    ]
    routes = {case.endpoint for case in FORM_CASES}
    posted = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and (rule.methods or set()) & {"POST", "PUT", "PATCH"}
    }
    untried += [f"form route {endpoint}: not tried" for endpoint in posted - routes]
    declared = {
        *FORMLESS_ROUTES,
        *RAW_FIELDS,
        *STATEFUL_FORMS,
        *FORM_VALUES,
        *FORM_PATH_VALUES,
        *REDIRECTING_FORMS,
    }
    untried += [f"{endpoint}: declared here but no route" for endpoint in declared - posted]
    declared_ops = {*API_BODIES, *OPERATION_PATH_VALUES}
    untried += [f"{op}: declared here but no operation" for op in declared_ops - tried]
    assert not untried, "\n".join(untried)


# The shared verdict must be able to fail ----------------------------------------------------------


def _never(_response) -> str | None:
    return None


def test_the_verdict_fails_an_exception_a_5xx_a_bad_refusal_and_stored_rows(app, world):
    failures: list[str] = []
    before = row_counts(app)
    judge = functools.partial(judge_hostile_response, app, failures, before=before)
    judge("raised", RuntimeError("boom"), refused=False, refusal_problem=_never)
    judge("server", Response(status=500), refused=False, refusal_problem=_never)
    judge("refusal", Response(status=200), refused=True, refusal_problem=lambda r: "accepted")
    assert judge("fine", Response(status=400), refused=True, refusal_problem=_never) == before
    with app.app_context():
        db.session.add(
            LoginAttempt(user_id=world.tester.id, address="192.0.2.1", result=LoginResult.INACTIVE)
        )
        db.session.commit()
    judge("stored", Response(status=400), refused=True, refusal_problem=_never)
    assert [failure.split(":")[0] for failure in failures] == [
        "raised",
        "server",
        "refusal",
        "stored",
    ]
    assert "login_attempts" in failures[-1]
