"""Measure the results of a survey with 100,000 responses: the service and the results page.

Run: .venv/bin/python -m bench.survey_results_bench            (SQLite in a temporary folder)
     DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.survey_results_bench
The PostgreSQL database must be empty or disposable: the script builds its schema by migration.
RESPONSES=… changes the number of responses (default 100,000).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import insert

from qcrm import accounts, create_app
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User
from surveys.models import Answer, Question, QuestionKind, Response, ResponseSource, Survey
from surveys.results import Grain, survey_results

RESPONSES = int(os.environ.get("RESPONSES", "100000"))
CHANNELS = 3
DAYS = 365
BATCH = 20_000
RUNS = 5


def main() -> int:
    folder = tempfile.mkdtemp(prefix="qcrm-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url},
        instance_path=folder,
    )
    try:
        _run(app)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _timed(function, runs: int = RUNS) -> tuple[float, float, float]:
    """(first, median of the following runs, median CPU time of this process in them) in
    milliseconds; the CPU time shows the cost on a busy machine, and for SQLite it includes
    the database's work."""
    times, cpu = [], []
    for _ in range(runs + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times[0], statistics.median(times[1:]), statistics.median(cpu[1:])


def _run(app) -> None:
    with app.app_context():
        upgrade()
        survey_id, user_id = _world()
        started = time.perf_counter()
        answers = _responses(survey_id)
        seconds = time.perf_counter() - started
        dialect = db.engine.dialect.name
        print(f"{dialect}: inserted {RESPONSES} responses, {answers} answers in {seconds:.1f} s")

        def service(grain: Grain = Grain.MONTH):
            db.session.expire_all()
            return survey_results(db.session.get(Survey, survey_id), grain=grain)

        first, warm, cpu = _timed(service)
        print(
            f"{dialect}: survey_results(): first {first:.0f} ms, "
            f"warm median {warm:.0f} ms (CPU {cpu:.0f} ms)"
        )
        results = service()
        head = results.headline
        for name, figure in (("CSAT", head.csat), ("NPS", head.nps), ("CES", head.ces)):
            print(
                f"  {name} {figure.value:.4f} (n {figure.n}, 95 % "
                f"{figure.interval.low:.4f}–{figure.interval.high:.4f}, target {figure.target}, "
                f"{'meets' if figure.meets_target else 'misses'})"
            )
        print(
            f"  {len(results.by_channel)} channel rows, {len(results.over_time)} months, "
            f"{results.verbatims.total} verbatims"
        )
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    for label, url in (
        ("results page (monthly)", f"/surveys/{survey_id}/results"),
        ("results page (weekly)", f"/surveys/{survey_id}/results?grain=week"),
        ("results page (one channel)", f"/surveys/{survey_id}/results?channel=1&grain=week"),
        ("results export XLSX", f"/surveys/{survey_id}/export/results.xlsx"),
    ):

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code  # noqa: S101
            response.get_data()

        first, warm, cpu = _timed(get)
        print(
            f"{dialect}: {label}: first {first:.0f} ms, "
            f"warm median {warm:.0f} ms (CPU {cpu:.0f} ms)"
        )
    started = time.perf_counter()
    size = len(client.get(f"/surveys/{survey_id}/export/answers.csv").data)
    seconds = time.perf_counter() - started
    print(f"{dialect}: raw answers export CSV ({size / 1e6:.1f} MB): {seconds:.1f} s")
    with app.app_context():
        db.engine.dispose()


def _world() -> tuple[int, str]:
    client = Client(name="Bench GmbH")
    channels = [
        Channel(
            client=client,
            type=ChannelType.EMAIL,
            name=f"Kanal {n}",
            address=f"k{n}@bench.example",
            business_hours={},
        )
        for n in range(CHANNELS)
    ]
    survey = Survey(
        client=client,
        title="Bench",
        language="de",
        target_csat=0.8,
        target_nps=20,
        target_ces=5.5,
        min_responses=10,
        published_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        channels=channels,
        questions=[
            Question(position=1, kind=QuestionKind.CSAT, text="Zufrieden?"),
            Question(position=2, kind=QuestionKind.NPS, text="Empfehlen?"),
            Question(position=3, kind=QuestionKind.CES, text="Leicht gemacht?"),
            Question(position=4, kind=QuestionKind.RATING, text="Freundlich?", scale_max=10),
            Question(
                position=5,
                kind=QuestionKind.SINGLE_CHOICE,
                text="Wie?",
                options=["Telefon", "E-Mail", "Chat"],
            ),
            Question(
                position=6,
                kind=QuestionKind.MULTIPLE_CHOICE,
                text="Was gefiel?",
                options=["Schnelligkeit", "Freundlichkeit", "Kompetenz"],
            ),
            Question(position=7, kind=QuestionKind.FREE_TEXT, text="Verbesserungen?"),
        ],
    )
    user = User(email="admin@bench.example", name="Admin", role=Role.ADMIN)
    db.session.add_all([survey, user])
    db.session.commit()
    user.session_secret = accounts.start_session(user)  # pages need a server-side session
    return survey.id, user.get_id()


def _responses(survey_id: int) -> int:
    """Bulk-insert the responses and their answers with explicit ids (no RETURNING needed)."""
    rng = random.Random(5)
    survey = db.session.get(Survey, survey_id)
    questions = {q.position: q.id for q in survey.questions}
    channel_ids = [c.id for c in survey.channels]
    start = dt.date(2030, 1, 1)
    responses: list[dict] = []
    answers: list[dict] = []
    answer_id = 0
    total_answers = 0

    def flush() -> None:
        if not responses:
            return
        db.session.execute(insert(Response), responses)
        db.session.execute(insert(Answer), answers)
        responses.clear()
        answers.clear()

    for response_id in range(1, RESPONSES + 1):
        channel = rng.choice([*channel_ids, None])
        responses.append(
            {
                "id": response_id,
                "survey_id": survey_id,
                "channel_id": channel,
                "source": rng.choice(list(ResponseSource)),
                # in order of arrival, as real submissions are
                "submitted_on": start + dt.timedelta(days=response_id * DAYS // RESPONSES),
            }
        )
        values = [
            (1, rng.choices(range(1, 6), weights=(1, 1, 2, 5, 4))[0], None),
            (2, rng.choices(range(11), weights=(1,) * 7 + (2, 3, 4, 4))[0], None),
            (3, rng.choices(range(1, 8), weights=(1, 1, 1, 2, 3, 4, 3))[0], None),
            (4, rng.randint(1, 10), None),
            (5, rng.randrange(3), None),
        ]
        values += [(6, option, None) for option in range(3) if rng.random() < 0.4]
        if rng.random() < 0.1:
            values.append((7, None, f"Antwort {response_id}: bitte schneller antworten."))
        for position, number, text in values:
            answer_id += 1
            answers.append(
                {
                    "id": answer_id,
                    "response_id": response_id,
                    "question_id": questions[position],
                    "number": number,
                    "text": text,
                }
            )
        total_answers += len(values)
        if len(responses) >= BATCH:
            flush()
    flush()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # what autovacuum does soon after a bulk load: statistics and the visibility map
        # (without it an index-only scan still reads the table)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return total_answers


if __name__ == "__main__":
    sys.exit(main())
