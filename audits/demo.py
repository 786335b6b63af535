"""Demo data for audits: the standard scorecard, starter scenarios, testers, personas, a wave."""

from __future__ import annotations

import datetime as dt
import math
import random

from sqlalchemy import select

from audits.mystery import contact_logs, waves
from audits.mystery.models import (
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    Persona,
    Scenario,
    Wave,
    WaveStatus,
)
from audits.mystery.starter_scenarios import load_starter_scenarios
from audits.scorecards.models import ItemType, Scorecard
from audits.scorecards.scoring import Answer
from audits.scorecards.standard import load_standard_scorecard
from qcrm.db import utcnow
from qcrm.demo import DemoContext
from qcrm.extensions import db
from qcrm.models import ChannelType, Role, User

DEMO_WAVE = "Servicecheck Stadtwerke Elbtal (demo)"
#: The closed wave before it, on the same scorecard: the demo report's previous comparable wave.
DEMO_PREVIOUS_WAVE = "Servicecheck Stadtwerke Elbtal, Vorwelle (demo)"
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
    today = utcnow().date()
    if db.session.scalar(select(Wave.id).where(Wave.name == DEMO_PREVIOUS_WAVE)) is None:
        _demo_wave(context, testers, DEMO_PREVIOUS_WAVE, today - dt.timedelta(days=45), closed=True)
    if db.session.scalar(select(Wave.id).where(Wave.name == DEMO_WAVE)) is None:
        _demo_wave(context, testers, DEMO_WAVE, today - dt.timedelta(days=10), closed=False)


def _demo_wave(
    context: DemoContext, testers: list[User], name: str, start: dt.date, closed: bool
) -> None:
    """A wave of 20 days from ``start``: running (started ten days ago, so part of its schedule
    lies in the past), or closed with every contact logged and approved."""
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
    wave = Wave(
        name=name,
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
    _log_past_contacts(wave, context.users[Role.MANAGER], approve_share=1.0 if closed else 0.5)
    if closed:
        wave.status, wave.closed_at = WaveStatus.CLOSED, utcnow()
        db.session.commit()


#: Share of inquiries answered at all, and the answer time in hours (log-normal around ~4 h)
ANSWER_SHARE = 0.78
ANSWER_HOURS_MU, ANSWER_HOURS_SIGMA = math.log(4), 1.1
TRANSCRIPTS = {
    True: "Freundliche, persönliche Antwort; Tarifempfehlung passend zum Verbrauch genannt.",
    False: "Antwort mit Textbaustein, die eigentliche Frage blieb offen.",
}


def _log_past_contacts(wave: Wave, manager: User, approve_share: float) -> None:
    """Contacts planned more than a day ago are logged as testers would: sent, answered or not,
    the scorecard answered from plausible distributions, submitted, and that share approved."""
    rng = random.Random(wave.seed)  # noqa: S311 (reproducible demo data, not secrets)
    cutoff = utcnow() - dt.timedelta(days=1)
    inquiries = db.session.scalars(
        select(Inquiry)
        .where(Inquiry.wave_id == wave.id, Inquiry.planned_at < cutoff)
        .order_by(Inquiry.planned_at)
    ).all()
    for inquiry in inquiries:
        tester = inquiry.tester
        sent_at = inquiry.planned_at + dt.timedelta(minutes=rng.randint(0, 25))
        inquiry.status = InquiryStatus.DUE
        db.session.add(InquiryAttempt(inquiry_id=inquiry.id, number=1, due_at=inquiry.planned_at))
        db.session.commit()
        contact_logs.record_sent(inquiry, tester, 1, sent_at)
        live = inquiry.channel.type in (ChannelType.PHONE, ChannelType.IN_PERSON)
        hours = (
            rng.uniform(0.01, 0.2)
            if live
            else rng.lognormvariate(ANSWER_HOURS_MU, ANSWER_HOURS_SIGMA)
        )
        answered_at = sent_at + dt.timedelta(hours=hours)
        answered = rng.random() < ANSWER_SHARE and answered_at < utcnow()
        solved = answered and rng.random() < 0.65
        if answered:
            if not live and rng.random() < 0.5:
                contact_logs.add_reply(
                    inquiry,
                    tester,
                    received_at=sent_at + dt.timedelta(minutes=1),
                    sender=inquiry.channel.address,
                    text="Vielen Dank für Ihre Nachricht. Wir melden uns so schnell wie möglich.",
                    is_auto_acknowledgement=True,
                )
            contact_logs.add_reply(
                inquiry,
                tester,
                received_at=answered_at,
                sender=inquiry.channel.name,
                text=TRANSCRIPTS[solved],
                is_auto_acknowledgement=False,
            )
        data = contact_logs.ContactLogData(
            no_answer=not answered,
            solved=solved if answered else None,
            transcript=TRANSCRIPTS[solved] if answered else "Keine Antwort erhalten.",
        )
        contact_logs.save_contact_log(inquiry, tester, data, expected_version=None)
        contact_logs.save_evaluation(
            inquiry, tester, _plausible_answers(rng, inquiry, solved), expected_version=None
        )
        contact_logs.submit(inquiry, tester)
        if rng.random() < approve_share:
            contact_logs.approve(inquiry, manager)


def _plausible_answers(rng: random.Random, inquiry: Inquiry, solved: bool) -> dict[int, Answer]:
    answers = {}
    for item in inquiry.wave.scorecard_version.items:
        if item.derived is not None:
            continue
        if item.allows_not_applicable and rng.random() < 0.5:
            answers[item.id] = Answer(item.id, None, not_applicable=True)
        elif item.item_type is ItemType.YES_NO:
            answers[item.id] = Answer(item.id, rng.random() < (0.9 if solved else 0.6))
        elif item.item_type is ItemType.SCALE:
            answers[item.id] = Answer(item.id, rng.choices([1, 2, 3, 4, 5], [1, 2, 5, 7, 5])[0])
        elif item.item_type is ItemType.DURATION:
            answers[item.id] = Answer(item.id, float(rng.randint(20, 400)))
        else:
            answers[item.id] = Answer(item.id, float(rng.choice([1, 1, 1, 2, 3])))
    return answers
