"""Measure drawing and storing a wave schedule of 10,000 inquiries.

Run: .venv/bin/python -m bench.schedule_bench            (SQLite in a temporary folder)
     DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.schedule_bench
The PostgreSQL database must be empty or disposable: the script builds its schema by migration.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time

from flask_migrate import upgrade

from audits.mystery import waves
from audits.mystery.models import Difficulty, Persona, Scenario, ScenarioCategory, Wave, WaveStatus
from audits.scorecards.models import Scorecard, ScorecardVersion
from qcrm import create_app
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User

CHANNELS, SCENARIOS, TESTERS, PERSONAS, PER_CELL = 20, 10, 50, 40, 50


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


def _run(app) -> None:
    with app.app_context():
        upgrade()
        wave = _world()
        started = time.perf_counter()
        plan = waves.generate_schedule(wave, today=wave.period_start)
        seconds = time.perf_counter() - started
        stored = db.session.query(waves.Inquiry).filter_by(wave_id=wave.id).count()
        print(
            f"{db.engine.dialect.name}: drew and stored {stored} inquiries "
            f"({sum(plan.problems.values())} breaking a rule) in {seconds:.2f} s"
        )
        db.engine.dispose()


def _world() -> Wave:
    hours = {d: ["08:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    client = Client(name="Bench GmbH")
    channels = [
        Channel(
            client=client,
            type=ChannelType.EMAIL,
            name=f"Kanal {n}",
            address=f"k{n}@bench.example",
            business_hours=hours,
        )
        for n in range(CHANNELS)
    ]
    scenarios = [
        Scenario(
            title=f"Szenario {n}",
            category=ScenarioCategory.QUESTION,
            script="…",
            difficulty=Difficulty.MEDIUM,
        )
        for n in range(SCENARIOS)
    ]
    testers = [
        User(email=f"t{n}@bench.example", name=f"Tester {n}", role=Role.TESTER)
        for n in range(TESTERS)
    ]
    personas = [
        Persona(display_name=f"Persona {n}", email=f"p{n}@mail.example") for n in range(PERSONAS)
    ]
    version = ScorecardVersion(scorecard=Scorecard(name="Bench"), number=1)
    start = dt.date(2031, 1, 6)
    wave = Wave(
        name="Bench",
        client=client,
        scorecard_version=version,
        status=WaveStatus.DRAFT,
        period_start=start,
        period_end=start + dt.timedelta(days=90),
        seed=7,
        contacts_per_cell=PER_CELL,
        weekdays=["mon", "tue", "wed", "thu", "fri", "sat"],
        hour_bands=["morning", "noon", "afternoon", "evening"],
        lockout_days=3,
        persona_reuse_days=3,
        daily_cap_per_tester=8,
        channels=channels,
        scenarios=scenarios,
        testers=testers,
    )
    db.session.add_all([wave, *personas])
    db.session.commit()
    return wave


if __name__ == "__main__":
    sys.exit(main())
