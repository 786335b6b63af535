"""Measure a report over one wave of 10,000 approved contacts and a survey of 50,000 responses:
its JSON figures (``build_snapshot``) and its PDF (``report_pdf``, German).

Run: .venv/bin/python -m bench.report_bench            (SQLite in a temporary folder)
     DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.report_bench
The PostgreSQL database must be empty or disposable: the script builds its schema by migration.
CONTACTS=… and RESPONSES=… change the sizes (defaults 10,000 and 50,000).

The data: one client with 20 e-mail channels (business hours Mon–Fri 8–18), 10 scenarios, the
German standard scorecard, one closed wave with targets; every contact sent, approved and
evaluated (a primary evaluation with an answer per scored item), about 80 % answered with
log-normal first response times, a few late replies and automatic acknowledgements, 3 % not
contactable; a published survey of the client (CSAT, NPS, CES) with its responses spread over
the wave's period. Rows are bulk-inserted with explicit ids.
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

from audits.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind
from audits.mystery.models import (
    ContactLog,
    HourBand,
    Inquiry,
    InquiryReply,
    InquiryStatus,
    ReviewStatus,
    Scenario,
    ScenarioCategory,
    Wave,
    WaveStatus,
)
from audits.scorecards.models import ItemType, ScorecardItem
from audits.scorecards.standard import load_standard_scorecard
from qcrm import create_app
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User
from reports import services
from reports.documents import report_pdf
from reports.snapshot import build_snapshot
from surveys.models import Answer, Question, QuestionKind, Response, ResponseSource, Survey

CONTACTS = int(os.environ.get("CONTACTS", "10000"))
RESPONSES = int(os.environ.get("RESPONSES", "50000"))
CHANNELS, SCENARIOS = 20, 10
START = dt.date(2031, 3, 3)  # a Monday
DAYS = 28
BATCH = 10_000
HOURS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
BANDS = {8: HourBand.MORNING, 11: HourBand.NOON, 14: HourBand.AFTERNOON, 18: HourBand.EVENING}


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


def _timed(function, runs: int) -> tuple[float, float, float]:
    """(first, median of the following runs, median CPU time of this process in them) in
    milliseconds; for SQLite the CPU time includes the database's work."""
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
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        ids = _world()
        answers = _contacts(ids)
        responses = _responses(ids)
        _analyze()
        print(
            f"{dialect}: inserted {CONTACTS} contacts ({answers} item answers) and "
            f"{RESPONSES} survey responses ({responses} answers) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        manager = db.session.get(User, ids["manager"])
        now = dt.datetime(2031, 4, 15, tzinfo=dt.UTC)
        report = services.create_report(
            services.ReportData("Bench", ids["client"], wave_ids=(ids["wave"],)), manager, now
        )
        services.publish_report(report, manager, now)
        scope = services.report_scope(report)

        def snapshot():
            db.session.expire_all()
            return build_snapshot(scope, now)

        first, warm, cpu = _timed(snapshot, runs=5)
        print(
            f"{dialect}: build_snapshot() (the JSON figures): first {first:.0f} ms, "
            f"warm median {warm:.0f} ms (CPU {cpu:.0f} ms)"
        )
        figures = snapshot()
        rate, total = figures["mystery"]["answer_rate"], figures["mystery"]["total_score"]
        csat = figures["survey"]["csat"]
        print(
            f"  answer rate {rate['value']:.4f} (n {rate['n']}), total score "
            f"{total['value']:.2f} (n {total['n']}), CSAT {csat['value']:.4f} (n {csat['n']}), "
            f"{sum(len(items) for items in figures['swot'].values())} SWOT findings"
        )
        size = 0

        def pdf():
            nonlocal size
            db.session.expire_all()
            size = len(report_pdf(db.session.get(type(report), report.id), "de"))

        first, warm, cpu = _timed(pdf, runs=3)
        print(
            f"{dialect}: report_pdf(de) ({size / 1024:.0f} KiB): first {first:.0f} ms, "
            f"warm median {warm:.0f} ms (CPU {cpu:.0f} ms)"
        )
        db.session.remove()
        db.engine.dispose()


def _world() -> dict[str, int]:
    client = Client(name="Bench GmbH")
    channels = [
        Channel(
            client=client,
            type=ChannelType.EMAIL,
            name=f"Kanal {n}",
            address=f"k{n}@bench.example",
            business_hours=HOURS,
        )
        for n in range(CHANNELS)
    ]
    scenarios = [
        Scenario(title=f"Szenario {n}", category=ScenarioCategory.QUESTION, script="…")
        for n in range(SCENARIOS)
    ]
    tester = User(email="tester@bench.example", name="Tester", role=Role.TESTER)
    manager = User(email="manager@bench.example", name="Manager", role=Role.MANAGER)
    manager.all_clients = True
    db.session.add_all([client, *channels, *scenarios, tester, manager])
    db.session.flush()
    [scorecard] = load_standard_scorecard(("de",))
    version = scorecard.versions[0]
    wave = Wave(
        name="Bench",
        client=client,
        scorecard_version=version,
        status=WaveStatus.CLOSED,
        period_start=START,
        period_end=START + dt.timedelta(days=DAYS - 1),
        closed_at=dt.datetime.combine(START + dt.timedelta(days=DAYS), dt.time(), dt.UTC),
        seed=1,
        contacts_per_cell=CONTACTS // (CHANNELS * SCENARIOS),
        weekdays=["mon", "tue", "wed", "thu", "fri"],
        hour_bands=["morning", "noon", "afternoon", "evening"],
        channels=channels,
        scenarios=scenarios,
        testers=[tester],
        target_answer_rate=0.85,
        target_frt_median_minutes=240,
        target_frt_within_hours=24,
        target_frt_within_share=0.9,
        target_dimension_scores={"transaction": 80, "communication": 75, "handling": 75},
        target_total_score=75,
    )
    survey = Survey(
        client=client,
        title="Kundenzufriedenheit",
        language="de",
        target_csat=0.8,
        target_nps=20,
        target_ces=5.5,
        min_responses=10,
        published_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
        questions=[
            Question(position=1, kind=QuestionKind.CSAT, text="Zufrieden?"),
            Question(position=2, kind=QuestionKind.NPS, text="Empfehlen?"),
            Question(position=3, kind=QuestionKind.CES, text="Leicht gemacht?"),
        ],
    )
    db.session.add_all([wave, survey])
    db.session.commit()
    return {
        "client": client.id,
        "wave": wave.id,
        "version": version.id,
        "tester": tester.id,
        "manager": manager.id,
        "survey": survey.id,
        "channels": [c.id for c in channels],
        "scenarios": [s.id for s in scenarios],
        "questions": [q.id for q in survey.questions],
    }


def _earned(item: ScorecardItem, value: float) -> float | None:
    if item.item_type is ItemType.YES_NO:
        return value
    if item.item_type is ItemType.SCALE:
        return (value - 1) / 4
    if item.threshold is None:
        return None
    return 1.0 if value <= item.threshold else 0.0


def _answer_value(rng: random.Random, item: ScorecardItem, answered: bool) -> float:
    if item.item_type is ItemType.YES_NO:
        return float(answered and rng.random() < 0.8)
    if item.item_type is ItemType.SCALE:
        return float(rng.choices(range(1, 6), weights=(1, 2, 3, 5, 4))[0])
    if item.threshold is None:
        return float(rng.randint(0, 10))
    return rng.random() * item.threshold * 2


def _contacts(ids: dict) -> int:
    """Inquiries with their approved contact log, replies and primary evaluation."""
    rng = random.Random(6)
    items = list(
        db.session.scalars(
            db.select(ScorecardItem).where(ScorecardItem.version_id == ids["version"])
        )
    )
    rows: dict[type, list[dict]] = {
        Inquiry: [],
        ContactLog: [],
        InquiryReply: [],
        Evaluation: [],
        EvaluationAnswer: [],
    }
    answer_id = reply_id = total_answers = 0

    def flush() -> None:
        for model, values in rows.items():
            if values:
                db.session.execute(insert(model), values)
                values.clear()

    for number in range(1, CONTACTS + 1):
        day = START + dt.timedelta(days=(number * DAYS // CONTACTS))
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        hour = rng.choice(list(BANDS))
        planned = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), dt.UTC)
        not_contactable = rng.random() < 0.03
        answered = not not_contactable and rng.random() < 0.8
        frt = min(rng.lognormvariate(9, 1.2), 5 * 86400) if answered else None
        status = (
            InquiryStatus.NOT_CONTACTABLE
            if not_contactable
            else InquiryStatus.ANSWERED
            if answered
            else InquiryStatus.UNANSWERED
        )
        rows[Inquiry].append(
            {
                "id": number,
                "wave_id": ids["wave"],
                "channel_id": ids["channels"][number % CHANNELS],
                "scenario_id": ids["scenarios"][(number // CHANNELS) % SCENARIOS],
                "tester_id": ids["tester"],
                "planned_at": planned,
                "planned_local_date": day,
                "planned_weekday": day.weekday(),
                "planned_hour_band": BANDS[hour],
                "status": status,
                "first_answer_at": planned + dt.timedelta(seconds=frt) if frt else None,
                "answered_attempt": (2 if rng.random() < 0.05 else 1) if answered else None,
            }
        )
        rows[ContactLog].append(
            {
                "id": number,
                "inquiry_id": number,
                "status": ReviewStatus.APPROVED,
                "solved": (rng.random() < 0.7) if answered else None,
                "first_response_seconds": frt,
                "first_response_business_seconds": frt * 0.4 if frt else None,
            }
        )
        if not answered and not not_contactable and rng.random() < 0.3:
            reply_id += 1
            rows[InquiryReply].append(
                {
                    "id": reply_id,
                    "inquiry_id": number,
                    "received_at": planned + dt.timedelta(hours=1),
                    "is_auto_acknowledgement": rng.random() < 0.5,
                    "is_late": rng.random() < 0.5,
                }
            )
        if not_contactable:
            continue
        scores = [rng.uniform(40, 100) if answered else rng.uniform(0, 40) for _ in range(3)]
        rows[Evaluation].append(
            {
                "id": number,
                "inquiry_id": number,
                "evaluator_id": ids["tester"],
                "kind": EvaluationKind.PRIMARY,
                "scorecard_version_id": ids["version"],
                "transaction_score": scores[0],
                "communication_score": scores[1],
                "handling_score": scores[2],
                "total_score": sum(scores) / 3,
                "knocked_out": rng.random() < 0.02,
                "updated_at": planned,
            }
        )
        for item in items:
            answer_id += 1
            value = _answer_value(rng, item, answered)
            earned = _earned(item, value)
            rows[EvaluationAnswer].append(
                {
                    "id": answer_id,
                    "evaluation_id": number,
                    "item_id": item.id,
                    "value": value,
                    "earned": earned,
                    "final": earned,
                }
            )
        total_answers += len(items)
        if len(rows[Inquiry]) >= BATCH:
            flush()
    flush()
    db.session.commit()
    return total_answers


def _responses(ids: dict) -> int:
    """Survey responses over the wave's period, each answering CSAT, NPS and CES."""
    rng = random.Random(7)
    csat, nps, ces = ids["questions"]
    responses: list[dict] = []
    answers: list[dict] = []
    answer_id = 0

    def flush() -> None:
        if responses:
            db.session.execute(insert(Response), responses)
            db.session.execute(insert(Answer), answers)
            responses.clear()
            answers.clear()

    for number in range(1, RESPONSES + 1):
        responses.append(
            {
                "id": number,
                "survey_id": ids["survey"],
                "channel_id": rng.choice([*ids["channels"], None]),
                "source": ResponseSource.PUBLIC_LINK,
                "submitted_on": START + dt.timedelta(days=number * DAYS // (RESPONSES + 1)),
            }
        )
        for question, value in (
            (csat, rng.choices(range(1, 6), weights=(1, 1, 2, 5, 4))[0]),
            (nps, rng.choices(range(11), weights=(1,) * 7 + (2, 3, 4, 4))[0]),
            (ces, rng.choices(range(1, 8), weights=(1, 1, 1, 2, 3, 4, 3))[0]),
        ):
            answer_id += 1
            answers.append(
                {"id": answer_id, "response_id": number, "question_id": question, "number": value}
            )
        if len(responses) >= BATCH:
            flush()
    flush()
    db.session.commit()
    return answer_id


def _analyze() -> None:
    """What autovacuum does soon after a bulk load on PostgreSQL: statistics and the visibility
    map. (SQLite gets no ANALYZE: the app never runs one, so neither does the bench.)"""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
