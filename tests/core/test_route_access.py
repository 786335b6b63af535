"""Every route of the application, tried as every role, anonymously and without an API token.

The rules come from the views' own declarations (``allow``/``public``); this test proves the app
enforces them: allowed → served, wrong role → 403, anonymous → login redirect (pages) or 401
(API), another client's or another user's object → 404. Routes added later are covered
automatically; a route without a declared rule, or with a URL parameter this file cannot fill,
fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from qcrm import create_app
from qcrm.models import ApiToken
from qcrm.permissions import rule_for
from tests.conftest import PRINCIPALS, World, base_config, bearer, login

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Param:
    """How to fill one URL parameter: an object the principal may reach, and one it may not.

    ``foreign`` returns None when there is no such object; ``scoped`` says which principals are
    refused the foreign one (None: everybody).
    """

    own: Callable[[World, str], object]
    foreign: Callable[[World, str], object] | None = None
    scoped: frozenset[str] | None = None


def _token_id(world: World, owner: str) -> int:
    from qcrm.extensions import db

    return db.session.query(ApiToken.id).filter_by(user_id=world.user(owner).id).scalar()


def _first_finding_id(report_id: int) -> int:
    from qcrm.extensions import db
    from reports.models import ReportFinding

    return db.session.query(ReportFinding.id).filter_by(report_id=report_id).scalar()


def _subscription_id(world: World, owner: str) -> int:
    """The owner's report subscription (the world has none: made on first use)."""
    from qcrm.extensions import db
    from reports.models import DeliveryFrequency, ReportSubscription

    user_id = world.user(owner).id
    found = db.session.query(ReportSubscription.id).filter_by(user_id=user_id).scalar()
    if found is not None:
        return found
    subscription = ReportSubscription(
        user_id=user_id, client_id=world.client_a.id, frequency=DeliveryFrequency.MONTHLY
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription.id


def _first_question_id(survey_id: int) -> int:
    from qcrm.extensions import db
    from surveys.models import Question

    return (
        db.session.query(Question.id)
        .filter_by(survey_id=survey_id)
        .order_by(Question.position)
        .limit(1)
        .scalar()
    )


CLIENT_SCOPED = frozenset({"client_manager", "executive", "tester"})

PARAMS: dict[str, Param] = {
    "client_id": Param(
        own=lambda w, p: w.client_a.id, foreign=lambda w, p: w.client_b.id, scoped=CLIENT_SCOPED
    ),
    "channel_id": Param(
        own=lambda w, p: w.channel_a.id, foreign=lambda w, p: w.channel_b.id, scoped=CLIENT_SCOPED
    ),
    "user_id": Param(own=lambda w, p: w.tester.id),
    "token_id": Param(
        own=lambda w, p: _token_id(w, p if p != "anonymous" else "admin"),
        foreign=lambda w, p: _token_id(w, "tester" if p != "tester" else "admin"),
        scoped=None,
    ),
    "token": Param(own=lambda w, p: "not-a-valid-token"),
    "scenario_id": Param(own=lambda w, p: w.scenario.id),
    "persona_id": Param(own=lambda w, p: w.persona.id),
    "scorecard_id": Param(own=lambda w, p: w.scorecard.id),
    "version_id": Param(own=lambda w, p: w.version.id),
    "item_id": Param(own=lambda w, p: w.item.id),
    "wave_id": Param(
        own=lambda w, p: w.wave_a.id, foreign=lambda w, p: w.wave_b.id, scoped=CLIENT_SCOPED
    ),
    # a tester reaches only their own inquiries; others only those of clients they see
    "inquiry_id": Param(
        own=lambda w, p: w.inquiry_a.id,
        foreign=lambda w, p: w.inquiry_other.id if p == "tester" else None,
        scoped=frozenset({"tester"}),
    ),
    "filename": Param(own=lambda w, p: "app.css"),
    "number": Param(own=lambda w, p: 1),
    "evidence_id": Param(
        own=lambda w, p: w.evidence_a.id,
        foreign=lambda w, p: w.evidence_other.id if p == "tester" else None,
        scoped=frozenset({"tester"}),
    ),
    "survey_id": Param(
        own=lambda w, p: w.survey_a.id, foreign=lambda w, p: w.survey_b.id, scoped=CLIENT_SCOPED
    ),
    "public_token": Param(own=lambda w, p: "not-a-valid-token"),
    "report_id": Param(
        own=lambda w, p: w.report_a.id, foreign=lambda w, p: w.report_b.id, scoped=CLIENT_SCOPED
    ),
    "finding_id": Param(
        own=lambda w, p: _first_finding_id(w.report_a.id),
        foreign=lambda w, p: _first_finding_id(w.report_b.id),
        scoped=CLIENT_SCOPED,
    ),
    "language": Param(own=lambda w, p: "de"),
    # a user's own report subscription; anyone else's is not found
    "subscription_id": Param(
        own=lambda w, p: _subscription_id(w, p if p != "anonymous" else "admin"),
        foreign=lambda w, p: _subscription_id(w, "manager" if p == "executive" else "executive"),
        scoped=None,
    ),
    # exports of a survey: /export/<what>.<fmt> (raw answers are refused to readers in the view)
    "what": Param(own=lambda w, p: "results"),
    "fmt": Param(own=lambda w, p: "csv"),
    # a question of survey_a, and one of survey_b (only ever reached through survey_b)
    "question_id": Param(
        own=lambda w, p: _first_question_id(w.survey_a.id),
        foreign=lambda w, p: _first_question_id(w.survey_b.id),
        scoped=CLIENT_SCOPED,
    ),
}
FOREIGN_PARAMS = [name for name, param in PARAMS.items() if param.foreign is not None]
STATIC_FILES = {"bootstrap.static": "bootstrap5/css/bootstrap.min.css"}


def _collect_routes() -> list[tuple[str, str, str]]:
    app = create_app(base_config("sqlite://"))
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - SKIPPED_METHODS
    )


ROUTES = _collect_routes()


def test_every_route_declares_its_access_rule(app):
    missing = [
        f"{method} {rule} ({endpoint})"
        for endpoint, rule, method in ROUTES
        if rule_for(app, endpoint, method) is None
    ]
    assert not missing, "routes without allow()/public: " + ", ".join(missing)


def _cases():
    for endpoint, rule, method in ROUTES:
        for principal in ("anonymous", *PRINCIPALS):
            yield pytest.param(
                endpoint, rule, method, principal, "own", id=f"{method} {rule} {principal}"
            )
            if any(f":{name}>" in rule or f"<{name}>" in rule for name in FOREIGN_PARAMS):
                yield pytest.param(
                    endpoint,
                    rule,
                    method,
                    principal,
                    "foreign",
                    id=f"{method} {rule} {principal} foreign",
                )


def _url(app, endpoint: str, world: World, principal: str, variant: str) -> tuple[str, bool]:
    """Build the URL; returns it and whether it names an object the principal must not reach."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values: dict[str, object] = {}
    refused = False
    for name in rule.arguments:
        if endpoint in STATIC_FILES and name == "filename":
            values[name] = STATIC_FILES[endpoint]
            continue
        assert name in PARAMS, f"add URL parameter <{name}> of {rule.rule} to PARAMS in this test"
        param = PARAMS[name]
        foreign = (
            param.foreign(world, principal) if variant == "foreign" and param.foreign else None
        )
        if foreign is not None:
            values[name] = foreign
            refused = refused or param.scoped is None or principal in param.scoped
        else:
            values[name] = param.own(world, principal)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values), refused


@pytest.mark.parametrize(("endpoint", "rule", "method", "principal", "variant"), list(_cases()))
def test_route_access(app, client, world, endpoint, rule, method, principal, variant):
    with app.app_context():
        url, refused = _url(app, endpoint, world, principal, variant)
        access = rule_for(app, endpoint, method)
    assert access is not None
    is_api = rule.startswith("/api/")
    headers = {}
    if principal != "anonymous":
        if is_api:
            headers = bearer(world.tokens[principal])
        else:
            login(client, world.user(principal))

    response = client.open(
        url, method=method, headers=headers, json={} if is_api and method != "GET" else None
    )
    status = response.status_code
    response.close()
    user = None if principal == "anonymous" else world.user(principal)

    if access.public:
        assert status < 500 and status not in (401, 403, 405), (status, url)
    elif principal == "anonymous":
        if is_api:
            assert status == 401, (status, url)
            assert response.mimetype == "application/problem+json"
        else:
            assert status == 302, (status, url)
            assert response.headers["Location"].startswith("/login?next=")
    elif not access.permits(user):
        assert status == 403, (status, url)
    elif refused:
        assert status == 404, (status, url)
    else:
        assert status < 500 and status not in (401, 403, 404, 405), (status, url)
