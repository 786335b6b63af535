"""Fuzz the JSON API from its own OpenAPI document with schemathesis, as every role.

Run: make fuzz                                   (builds .venv-fuzz with schemathesis first)
     .venv-fuzz/bin/python -m bench.fuzz_api     (EXAMPLES=… per operation, role and mode)

Not part of ``make test`` (it takes minutes). The app runs in-process (WSGI) on a fresh SQLite
database in a temporary folder with the demo data set and an API token per demo role. For every
operation of /api/v1/openapi.json, every role and both of schemathesis' modes (valid and
invalid input), EXAMPLES cases are drawn; half of them with random path ids, half with ids of
demo objects, so the requests get past the 404s. Every response goes through schemathesis'
checks (server errors, status codes, content types, response schemas and headers). The script
prints the number of requests, the 5xx answers and the other check failures by kind, and exits
with 1 if any request answered 5xx.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter

import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import Failure, FailureGroup
from sqlalchemy import func, select

from qcrm import create_app
from qcrm.accounts import create_api_token
from qcrm.demo import load_demo
from qcrm.extensions import db
from qcrm.models import User

EXAMPLES = int(os.environ.get("EXAMPLES", "10"))
PROBLEM_SAMPLES = 12


def _demo_ids() -> dict[str, int]:
    """The smallest id of each demo table, by the URL parameter names that refer to it."""
    from audits.mystery.models import Evidence, Inquiry, Persona, Scenario, Wave
    from audits.scorecards.models import Scorecard, ScorecardItem, ScorecardVersion
    from qcrm.models import Channel, Client
    from reports.models import Report, ReportSubscription
    from surveys.models import Question, Survey

    models = {
        "client_id": Client,
        "channel_id": Channel,
        "scenario_id": Scenario,
        "persona_id": Persona,
        "scorecard_id": Scorecard,
        "version_id": ScorecardVersion,
        "item_id": ScorecardItem,
        "wave_id": Wave,
        "inquiry_id": Inquiry,
        "evidence_id": Evidence,
        "survey_id": Survey,
        "question_id": Question,
        "report_id": Report,
        "subscription_id": ReportSubscription,
    }
    ids = {name: db.session.scalar(select(func.min(model.id))) for name, model in models.items()}
    return {name: value for name, value in ids.items() if value is not None} | {"number": 1}


def _prepare(folder: str):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "fuzz-secret-key-that-is-long-enough",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/fuzz.sqlite3",
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            "PUBLIC_BASE_URL": "http://qcrm.fuzz",
        },
        instance_path=folder,
    )
    with app.app_context():
        upgrade()
        load_demo(folder)
        tokens = {}
        for user in db.session.scalars(select(User).order_by(User.id)):
            if user.role.value not in tokens:
                tokens[user.role.value] = create_api_token(user, "fuzz")[1]
        ids = _demo_ids()
    return app, tokens, ids


class Tally:
    """Requests by role, 5xx answers and the other check failures by kind."""

    def __init__(self) -> None:
        self.requests: Counter = Counter()
        self.failures: Counter = Counter()
        self.server_errors: list[str] = []
        #: Operations and modes for which no case can be drawn (e.g. nothing of a GET whose only
        #: parameter is a free string can be made invalid): reported, not fuzzed.
        self.undrawable: list[str] = []

    def send(self, case, role: str, headers: dict[str, str]) -> None:
        self.requests[role] += 1
        try:
            response = case.call(headers=headers)
        except Exception as error:  # TESTING lets the app's errors through: a 500 in production
            where = f"{role} {case.method} {case.formatted_path} {case.query or ''}"
            self.server_errors.append(f"{where} raised {type(error).__name__}: {str(error)[:200]}")
            return
        if response.status_code >= 500:
            self.server_errors.append(
                f"{role} {case.method} {case.formatted_path} {case.query or ''} "
                f"{response.status_code}: {response.text[:200]!r}"
            )
        try:
            case.validate_response(response, headers=headers)
        except (FailureGroup, Failure) as error:
            for failure in getattr(error, "exceptions", [error]):
                title = getattr(failure, "title", type(failure).__name__)
                self.failures[(title, f"{case.method} {case.operation.path}")] += 1


def _draw(
    tally: Tally, strategy, examples: int, role: str, headers: dict[str, str], label: str
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case) -> None:
        tally.send(case, role, headers)

    try:
        run()
    except Unsatisfiable:
        tally.undrawable.append(label)


def _fuzz(app, tokens: dict[str, str], ids: dict[str, int]) -> Tally:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            real = {name: ids[name] for name in names if name in ids}
            variants = ({}, real) if names else ({},)
            for mode in schemathesis.GenerationMode:
                for path_parameters in variants:
                    strategy = operation.as_strategy(
                        generation_mode=mode, path_parameters=path_parameters or None
                    )
                    label = f"{operation.method.upper()} {operation.path} ({mode.value})"
                    examples = max(1, EXAMPLES // len(variants))
                    _draw(tally, strategy, examples, role, headers, label)
    return tally


def main() -> int:
    logging.disable(logging.CRITICAL)  # the app logs every refused request; the counts tell
    folder = tempfile.mkdtemp(prefix="qcrm-fuzz-")
    started = time.perf_counter()
    try:
        app, tokens, ids = _prepare(folder)
        tally = _fuzz(app, tokens, ids)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - started
    print(f"schemathesis {schemathesis.__version__}, {EXAMPLES} examples per operation and mode")
    by_role = ", ".join(f"{role} {n}" for role, n in tally.requests.items())
    print(f"requests: {sum(tally.requests.values())} ({by_role})")
    print(f"5xx answers: {len(tally.server_errors)}")
    for line in sorted(set(tally.server_errors))[:PROBLEM_SAMPLES]:
        print(f"  {line}")
    print(f"other check failures: {sum(tally.failures.values())}")
    kinds: Counter = Counter()
    for (title, _operation), count in tally.failures.items():
        kinds[title] += count
    for title, count in kinds.most_common():
        print(f"  {count:5d}  {title}")
    print("  most frequent:")
    for (title, operation), count in tally.failures.most_common(PROBLEM_SAMPLES):
        print(f"  {count:5d}  {title}: {operation}")
    for label in sorted(set(tally.undrawable)):
        print(f"  no case could be drawn: {label}")
    print(f"duration: {seconds:.0f} s")
    return 1 if tally.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
