"""Demo data for audits: the standard scorecard, starter scenarios, testers, personas, a wave."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from audits import waves
from audits.models import Persona, Scenario, Scorecard, Wave, WaveStatus
from audits.standard_scorecard import load_standard_scorecard
from audits.starter_scenarios import load_starter_scenarios
from qcrm.demo import DemoContext
from qcrm.extensions import db
from qcrm.models import ChannelType, Role, User

DEMO_WAVE = "Servicecheck Stadtwerke Elbtal (demo)"
TESTERS = [
    ("tester2@demo.q-crm.example", "Jonas Albrecht"),
    ("tester3@demo.q-crm.example", "Mira Schulze"),
    ("tester4@demo.q-crm.example", "Deniz Kaya"),
    ("tester5@demo.q-crm.example", "Sophie Wagner"),
    ("tester6@demo.q-crm.example", "Paul Lehmann"),
]
PERSONAS = [
    (
        "Katrin Möller",
        "katrin.moeller84@mailbox.example",
        "+49 172 5550143",
        {"facebook": "katrin.moeller.84"},
    ),
    ("Stefan Brandl", "s.brandl@webpost.example", "+49 160 5550178", {"x": "@stefbrandl"}),
    ("Aylin Demir", "aylin.demir@mailbox.example", "+49 151 5550112", {"instagram": "@aylin.d"}),
    ("Thomas Richter", "t.richter1971@webpost.example", "+49 171 5550199", {}),
    (
        "Julia Neumann",
        "julia.neumann@freemail.example",
        "+49 176 5550131",
        {"facebook": "julia.neumann.dd"},
    ),
    ("Marco Weber", "marco.weber@freemail.example", "+49 157 5550164", {"x": "@marco_wbr"}),
    (
        "Hannah Krüger",
        "hannah.krueger@mailbox.example",
        "+49 162 5550120",
        {"instagram": "@hanna.kr"},
    ),
    ("Lukas Hoffmann", None, "+49 175 5550187", {"facebook": "lukas.hoffmann.88"}),
]
WAVE_CHANNEL_TYPES = (
    ChannelType.EMAIL,
    ChannelType.WEB_FORM,
    ChannelType.FACEBOOK,
    ChannelType.PHONE,
)


def load_audit_demo(context: DemoContext) -> None:
    """Idempotent: everything is looked up by name before it is created."""
    load_standard_scorecard()
    load_starter_scenarios()
    testers = [context.users[Role.TESTER]]
    for email, name in TESTERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=Role.TESTER)
            db.session.add(user)
        testers.append(user)
    for name, email, phone, handles in PERSONAS:
        if db.session.scalar(select(Persona.id).where(Persona.display_name == name)) is None:
            db.session.add(
                Persona(display_name=name, email=email, phone=phone, social_handles=handles)
            )
    db.session.commit()
    if db.session.scalar(select(Wave.id).where(Wave.name == DEMO_WAVE)) is None:
        _demo_wave(context, testers)


def _demo_wave(context: DemoContext, testers: list[User]) -> None:
    """A running wave that started ten days ago, so part of its schedule lies in the past."""
    client = context.clients["Stadtwerke Elbtal GmbH"]
    channels = [c for c in client.channels if c.type in WAVE_CHANNEL_TYPES]
    scorecard = db.session.scalar(
        select(Scorecard).where(Scorecard.name.like("%Standard (de)%")).order_by(Scorecard.id)
    )
    scenarios = db.session.scalars(
        select(Scenario).where(Scenario.language == "de").order_by(Scenario.id).limit(3)
    ).all()
    if scorecard is None or not scenarios or not channels:
        return
    start = dt.date.today() - dt.timedelta(days=10)
    wave = Wave(
        name=DEMO_WAVE,
        client=client,
        scorecard_version=scorecard.versions[-1],
        status=WaveStatus.DRAFT,
        period_start=start,
        period_end=start + dt.timedelta(days=20),
        seed=2026,
        contacts_per_cell=2,
        weekdays=["mon", "tue", "wed", "thu", "fri", "sat"],
        hour_bands=["morning", "noon", "afternoon", "evening"],
        within_business_hours=True,
        answer_timeouts=dict(waves.DEFAULT_ANSWER_TIMEOUTS),
        second_attempt_after_hours=48,
        target_answer_rate=0.9,
        target_frt_median_minutes=240,
        target_frt_within_hours=24,
        target_frt_within_share=0.9,
        target_dimension_scores={"transaction": 80, "communication": 75, "handling": 75},
        target_total_score=78,
        lockout_days=5,
        persona_reuse_days=7,
        daily_cap_per_tester=3,
        channels=channels,
        scenarios=list(scenarios),
        testers=testers,
    )
    db.session.add(wave)
    db.session.commit()
    waves.generate_schedule(wave, today=start)
    waves.confirm_schedule(wave)
    wave.status = WaveStatus.RUNNING
    db.session.commit()
