"""Survey demo data: a closed survey with about 300 responses, an open one with invitations.

Responses, invitations and their events are written with bulk inserts from a seeded random
generator, so the demo loads in well under a second and looks the same each time (relative to
today). The figures come out a little below their targets, with visible detractors and a gap
between channels, so the results and reports have something to say.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from sqlalchemy import insert, select

from qcrm.db import utcnow
from qcrm.demo import DemoContext
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role
from surveys.models import (
    Answer,
    Delivery,
    Invitation,
    InvitationEvent,
    InvitationState,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
)
from surveys.surveys import CES_DEFAULT_TEXT
from surveys.tokens import email_hash, new_public_token, new_salt, token_for, token_hash

DEMO_CLIENT = "Stadtwerke Elbtal GmbH"
CLOSED_TITLE = "Zufriedenheit mit dem Kundenservice (Demo)"
OPEN_TITLE = "Befragung nach dem Kontakt, laufend (Demo)"
SEED = 2026
#: The closed survey ran for eight weeks and closed two days ago, so its last week overlaps the
#: demo wave (which started ten days ago) and the wave's report compares both methods.
RUN_DAYS = 56
CLOSED_DAYS_AGO = 2
#: Invitations went out in four batches, two weeks apart.
BATCHES, BATCH_SIZE, BATCH_EVERY_DAYS = 4, 200, 14
REMINDER_DAYS = 7
BOUNCE_SHARE, OPT_OUT_SHARE, ANSWER_SHARE = 0.025, 0.015, 0.28
PUBLIC_RESPONSES = 85

#: How each channel type's customers fare compared with the average (latent satisfaction).
CHANNEL_BIAS = {
    ChannelType.PHONE: 0.15,
    ChannelType.EMAIL: -0.35,
    ChannelType.WEB_FORM: -0.2,
    ChannelType.FACEBOOK: -0.45,
    ChannelType.X: -0.3,
    ChannelType.LIVE_CHAT: 0.35,
}
#: Where invited customers had been in contact (from the ticket system).
INVITATION_CHANNEL_WEIGHTS = {
    ChannelType.PHONE: 35,
    ChannelType.EMAIL: 25,
    ChannelType.WEB_FORM: 15,
    ChannelType.LIVE_CHAT: 12,
    ChannelType.FACEBOOK: 8,
    ChannelType.X: 5,
}
#: The public link is posted on the website and the social media pages.
PUBLIC_CHANNEL_WEIGHTS = {
    ChannelType.WEB_FORM: 30,
    ChannelType.LIVE_CHAT: 30,
    ChannelType.FACEBOOK: 25,
    ChannelType.X: 15,
}
TOPICS = [
    "Rechnung oder Abschlag",
    "Tarif oder Vertrag",
    "Umzug",
    "Störung oder Zählerstand",
    "Etwas anderes",
]
TOPIC_WEIGHTS = [35, 25, 15, 15, 10]
VERBATIMS = {
    "positive": [
        "Sehr freundliche Beratung am Telefon, mein Anliegen war in fünf Minuten erledigt.",
        "Schnelle Antwort auf meine E-Mail, vielen Dank!",
        "Der Mitarbeiter hat sich Zeit genommen und mir den neuen Abschlag genau erklärt.",
        "Alles bestens, gerne wieder.",
        "Im Chat wurde mir sofort geholfen, top!",
        "Kompetent und freundlich – so stelle ich mir Kundenservice vor.",
        "Die Ummeldung beim Umzug war unkompliziert und hat super geklappt.",
        "Der Rückruf kam wie versprochen am nächsten Tag.",
    ],
    "neutral": [
        "War in Ordnung, aber ich musste lange in der Warteschleife warten.",
        "Die Antwort kam erst nach drei Tagen, war dann aber hilfreich.",
        "Grundsätzlich zufrieden, die Website könnte übersichtlicher sein.",
        "Ich hätte mir eine persönlichere Antwort gewünscht statt eines Textbausteins.",
        "Freundlich, aber meine Frage zur Rechnung wurde nur halb beantwortet.",
    ],
    "negative": [
        "Ich habe dreimal angerufen und jedes Mal eine andere Auskunft bekommen.",
        "Auf meine Nachricht bei Facebook hat niemand reagiert.",
        "Die Erhöhung des Abschlags wurde nicht erklärt, nur ein Standardschreiben.",
        "Über eine Woche keine Antwort auf meine E-Mail. Enttäuschend.",
        "Ich musste meine Zählernummer mehrfach angeben, das ist umständlich.",
        "Das Kontaktformular hat meine Anfrage verschluckt, keine Eingangsbestätigung.",
        "Am Telefon wurde ich nur weiterverbunden, niemand fühlte sich zuständig.",
    ],
}
#: (first name, last name, domain) of the open survey's recipients: example domains only.
RECIPIENTS = [
    ("anna", "schmidt", "example.com"),
    ("lukas", "mueller", "example.org"),
    ("marie", "schneider", "example.com"),
    ("jonas", "fischer", "example.com"),
    ("sophie", "weber", "example.org"),
    ("felix", "meyer", "example.com"),
    ("laura", "wagner", "example.com"),
    ("paul", "becker", "example.org"),
    ("lea", "schulz", "example.com"),
    ("tim", "hoffmann", "example.com"),
    ("emma", "koch", "example.org"),
    ("ben", "richter", "example.com"),
    ("mia", "klein", "example.com"),
    ("leon", "wolf", "example.org"),
    ("hannah", "schroeder", "example.com"),
    ("finn", "neumann", "example.com"),
    ("lina", "schwarz", "example.org"),
    ("noah", "zimmermann", "example.com"),
    ("clara", "braun", "example.com"),
    ("elias", "krueger", "example.org"),
    ("ida", "hofmann", "example.com"),
    ("moritz", "hartmann", "example.com"),
    ("greta", "lange", "example.org"),
    ("jan", "schmitt", "example.com"),
    ("frieda", "werner", "example.com"),
]


def load_survey_demo(context: DemoContext) -> None:
    """Idempotent: each demo survey is looked up by its client and title before it is made."""
    client = context.clients.get(DEMO_CLIENT)
    if client is None:
        return
    channels = [c for c in client.channels if c.archived_at is None and c.type in CHANNEL_BIAS]
    if not channels:
        return
    manager_id = context.users[Role.MANAGER].id
    now = utcnow()
    rng = random.Random(SEED)  # noqa: S311 (reproducible demo data, not secrets)
    if _find(client, CLOSED_TITLE) is None:
        _closed_survey(client, channels, manager_id, now, rng)
    if _find(client, OPEN_TITLE) is None:
        _open_survey(client, channels, manager_id, now, rng)


def _find(client: Client, title: str) -> int | None:
    return db.session.scalar(
        select(Survey.id).where(Survey.client_id == client.id, Survey.title == title)
    )


def _standard_questions(with_topic: bool) -> list[Question]:
    questions = [
        Question(
            kind=QuestionKind.CSAT,
            text="Wie zufrieden waren Sie insgesamt mit unserem Kundenservice?",
            low_label="sehr unzufrieden",
            high_label="sehr zufrieden",
        ),
        Question(
            kind=QuestionKind.NPS,
            text="Wie wahrscheinlich ist es, dass Sie die Stadtwerke Elbtal "
            "Freunden oder Bekannten empfehlen?",
            low_label="sehr unwahrscheinlich",
            high_label="sehr wahrscheinlich",
        ),
        Question(
            kind=QuestionKind.CES,
            text=CES_DEFAULT_TEXT["de"],
            low_label="stimme überhaupt nicht zu",
            high_label="stimme voll und ganz zu",
        ),
    ]
    if with_topic:
        questions.append(
            Question(
                kind=QuestionKind.SINGLE_CHOICE,
                text="Worum ging es bei Ihrem Anliegen?",
                options=list(TOPICS),
                required=False,
            )
        )
    questions.append(
        Question(
            kind=QuestionKind.FREE_TEXT,
            text="Was können wir besser machen?",
            help_text="Bitte nennen Sie keine persönlichen Daten.",
            required=False,
        )
    )
    for position, question in enumerate(questions, start=1):
        question.position = position
    return questions


def _closed_survey(
    client: Client, channels: list[Channel], manager_id: int, now: dt.datetime, rng: random.Random
) -> None:
    start = (now - dt.timedelta(days=RUN_DAYS + CLOSED_DAYS_AGO)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    end = start + dt.timedelta(days=RUN_DAYS)
    survey = Survey(
        client=client,
        title=CLOSED_TITLE,
        introduction="Sie hatten in den letzten Tagen Kontakt mit unserem Kundenservice. "
        "Wie haben Sie ihn erlebt? Die Befragung dauert etwa zwei Minuten und ist anonym.",
        thank_you_text="Vielen Dank! Ihre Antworten helfen uns, besser zu werden.",
        language="de",
        target_csat=0.8,
        target_nps=20,
        target_ces=5.5,
        min_responses=10,
        public_token=new_public_token(),
        opens_at=start,
        closes_at=end,
        reminder_after_days=REMINDER_DAYS,
        delete_addresses_on_close=True,
        created_at=start - dt.timedelta(days=3),
        created_by_id=manager_id,
        published_at=start - dt.timedelta(days=1),
        closed_at=end,
        addresses_deleted_at=end,
        channels=channels,
        questions=_standard_questions(with_topic=True),
    )
    db.session.add(survey)
    db.session.flush()
    by_type = {channel.type: channel for channel in channels}
    answered = _closed_invitations(survey, by_type, start, rng)
    public = [
        (_pick_channel(rng, by_type, PUBLIC_CHANNEL_WEIGHTS), _public_day(rng, start))
        for _ in range(PUBLIC_RESPONSES)
    ]
    rows = [(channel, day, ResponseSource.INVITATION) for channel, day in answered] + [
        (channel, day, ResponseSource.PUBLIC_LINK) for channel, day in public
    ]
    rows.sort(key=lambda row: (row[1], row[0].id))
    _responses(survey, rows, start.date(), rng)
    db.session.commit()


def _pick_channel(
    rng: random.Random, by_type: dict[ChannelType, Channel], weights: dict[ChannelType, int]
) -> Channel:
    types = [t for t in weights if t in by_type] or list(by_type)
    return by_type[rng.choices(types, [weights.get(t, 1) for t in types])[0]]


def _public_day(rng: random.Random, start: dt.datetime) -> dt.date:
    """Any day of the run, weekends less often."""
    while True:
        day = start.date() + dt.timedelta(days=rng.randrange(RUN_DAYS))
        if rng.random() < (1.0, 1.0, 1.0, 1.0, 0.9, 0.5, 0.35)[day.weekday()]:
            return day


def _closed_invitations(
    survey: Survey, by_type: dict[ChannelType, Channel], start: dt.datetime, rng: random.Random
) -> list[tuple[Channel, dt.date]]:
    """The invitations of the closed survey, addresses deleted; returns (channel, day) per answer.

    Answers come mostly in the first days after an invitation, and again after the reminder.
    """
    invitations, outcomes, answered = [], [], []
    for batch in range(BATCHES):
        invited_at = start + dt.timedelta(days=batch * BATCH_EVERY_DAYS, hours=1)
        reminded_at = invited_at + dt.timedelta(days=REMINDER_DAYS)
        for number in range(BATCH_SIZE):
            channel = _pick_channel(rng, by_type, INVITATION_CHANNEL_WEIGHTS)
            salt = f"{rng.getrandbits(128):032x}"
            row = {
                "survey_id": survey.id,
                "email": None,
                "email_hash": email_hash(f"kunde{batch}{number:03d}@example.com"),
                "token_salt": salt,
                "token_hash": token_hash(token_for(salt)),
                "channel_id": channel.id,
                "created_at": invited_at - dt.timedelta(days=1),
                "invited_at": invited_at,
                "send_count": 1,
                "state": InvitationState.INVITED,
                "delivery": Delivery.DELIVERED,
            }
            draw = rng.random()
            events = [(InvitationState.INVITED, invited_at.date(), "")]
            if draw < BOUNCE_SHARE:
                row.update(state=InvitationState.BOUNCED, delivery=Delivery.BOUNCED)
                events.append(
                    (
                        InvitationState.BOUNCED,
                        invited_at.date(),
                        "550 5.1.1 Recipient address rejected: mailbox unavailable",
                    )
                )
            else:
                lag = rng.choice((0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 7, 7, 8, 9, 11))
                reminded = lag >= REMINDER_DAYS
                if draw < BOUNCE_SHARE + ANSWER_SHARE:
                    day = (invited_at + dt.timedelta(days=lag)).date()
                    row.update(state=InvitationState.ANSWERED, answered_on=day)
                    final = None  # answers leave no history row (see responses.py)
                    answered.append((channel, day))
                elif draw < BOUNCE_SHARE + ANSWER_SHARE + OPT_OUT_SHARE:
                    day = (invited_at + dt.timedelta(days=lag)).date()
                    row["state"] = InvitationState.OPTED_OUT
                    final = (InvitationState.OPTED_OUT, day, "")
                else:
                    reminded, final = True, None
                    row["state"] = InvitationState.REMINDED
                if reminded:
                    row.update(send_count=2, reminded_at=reminded_at)
                    events.append((InvitationState.REMINDED, reminded_at.date(), ""))
                if final is not None:
                    events.append(final)
            invitations.append(row)
            outcomes.append(events)
    ids = _insert_returning_ids(Invitation, invitations)
    db.session.execute(
        insert(InvitationEvent),
        [
            {"invitation_id": invitation_id, "state": state, "occurred_on": day, "detail": detail}
            for invitation_id, events in zip(ids, outcomes, strict=True)
            for state, day, detail in events
        ],
    )
    return answered


def _insert_returning_ids(model, rows: list[dict]) -> Sequence[int]:
    return (
        db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )


def _responses(
    survey: Survey,
    rows: list[tuple[Channel, dt.date, ResponseSource]],
    first_day: dt.date,
    rng: random.Random,
) -> None:
    """One response per row with answers from a latent satisfaction per respondent: CSAT, NPS
    and CES agree with each other, channels differ, and things improve a little over time."""
    questions = {question.kind: question for question in survey.questions}
    ids = _insert_returning_ids(
        Response,
        [
            {
                "survey_id": survey.id,
                "channel_id": channel.id,
                "source": source,
                "submitted_on": day,
            }
            for channel, day, source in rows
        ],
    )
    answers = []
    for response_id, (channel, day, _source) in zip(ids, rows, strict=True):
        trend = 0.35 * (day - first_day).days / RUN_DAYS - 0.15
        latent = CHANNEL_BIAS.get(channel.type, 0.0) + trend + rng.gauss(0, 1)
        csat = 1 + sum(latent >= cut for cut in (-1.9, -1.45, -0.95, 0.4))
        nps = min(10, max(0, round(8.0 + 1.9 * latent + rng.gauss(0, 1.2))))
        ces = min(7, max(1, round(5.3 + 1.1 * latent + rng.gauss(0, 0.8))))
        for kind, value in ((QuestionKind.CSAT, csat), (QuestionKind.NPS, nps)):
            answers.append(_number(response_id, questions[kind], value))
        answers.append(_number(response_id, questions[QuestionKind.CES], ces))
        if rng.random() < 0.93:
            topic = rng.choices(range(len(TOPICS)), TOPIC_WEIGHTS)[0]
            answers.append(_number(response_id, questions[QuestionKind.SINGLE_CHOICE], topic))
        mood = "negative" if csat <= 2 else "neutral" if csat == 3 else "positive"
        if rng.random() < {"negative": 0.6, "neutral": 0.4, "positive": 0.2}[mood]:
            answers.append(
                {
                    "response_id": response_id,
                    "question_id": questions[QuestionKind.FREE_TEXT].id,
                    "number": None,
                    "text": rng.choice(VERBATIMS[mood]),
                }
            )
    db.session.execute(insert(Answer), answers)


def _number(response_id: int, question: Question, value: int) -> dict:
    return {"response_id": response_id, "question_id": question.id, "number": value, "text": None}


def _open_survey(
    client: Client, channels: list[Channel], manager_id: int, now: dt.datetime, rng: random.Random
) -> None:
    """Published yesterday, open for four weeks; its invitations wait for the scheduler."""
    opens = (now - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    chosen = [c for c in channels if c.type in (ChannelType.PHONE, ChannelType.EMAIL)] or channels
    survey = Survey(
        client=client,
        title=OPEN_TITLE,
        introduction="Sie hatten vor Kurzem Kontakt mit unserem Kundenservice. Wir möchten "
        "wissen, wie zufrieden Sie waren. Die Befragung ist anonym und dauert zwei Minuten.",
        thank_you_text="Herzlichen Dank für Ihre Zeit!",
        language="de",
        target_csat=0.8,
        target_nps=20,
        target_ces=5.5,
        min_responses=10,
        public_token=new_public_token(),
        opens_at=opens,
        closes_at=opens + dt.timedelta(days=28),
        reminder_after_days=REMINDER_DAYS,
        delete_addresses_on_close=True,
        created_at=opens - dt.timedelta(days=1),
        created_by_id=manager_id,
        published_at=opens,
        channels=chosen,
        questions=_standard_questions(with_topic=False),
    )
    db.session.add(survey)
    db.session.flush()
    rows = []
    for first, last, domain in RECIPIENTS:
        address = f"{first}.{last}@{domain}"
        salt = new_salt()
        rows.append(
            {
                "survey_id": survey.id,
                "email": address,
                "email_hash": email_hash(address),
                "token_salt": salt,
                "token_hash": token_hash(token_for(salt)),
                "channel_id": rng.choice(chosen).id,
                "state": InvitationState.PENDING,
                "send_count": 0,
                "created_at": opens,
            }
        )
    db.session.execute(insert(Invitation), rows)
    db.session.commit()
