"""A survey as a new manager tries it, through the pages and the real scheduler and SMTP server:
a German CSAT + NPS + CES survey, 20 recipients uploaded (two malformed, named in the preview,
18 taken), invitations and one reminder mailed by the scheduler, twelve respondents answering
through their links (a second submit refused), and results and the XLSX export matching a
calculation by hand."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from qcrm import scheduler
from qcrm.db import utcnow
from qcrm.extensions import db
from surveys.models import Invitation, InvitationState, Question, Survey
from surveys.results import survey_results
from tests.conftest import login

#: The twelve respondents' answers: (CSAT 1–5, NPS 0–10, CES 1–7).
ANSWERS = [
    (5, 10, 7),
    (5, 9, 6),
    (4, 9, 5),
    (4, 8, 6),
    (4, 7, 4),
    (3, 10, 7),
    (5, 6, 3),
    (2, 3, 2),
    (4, 9, 6),
    (5, 10, 7),
    (1, 0, 1),
    (4, 8, 5),
]
# CSAT: answers 4 or 5 = 9 of 12 → 0.75. Wilson (z = 1.959964): centre (0.75 + z²/24) / (1 + z²/12)
#   = 0.910061 / 1.320122 = 0.689377; half width z·√(0.75·0.25/12 + z²/576) / 1.320122 = 0.221680
#   → 0.4677 … 0.9111.
# NPS: promoters (9–10) 6, passives (7–8) 3, detractors (0–6) 3 → (6 − 3) / 12 = +25.
#   Variance (p + d − (p − d)²) / n = (0.5 + 0.25 − 0.0625) / 12 = 0.0572917, se 0.239357,
#   half width 1.959964 · 0.239357 = 0.469131 → −21.91 … 71.91 points.
# CES: sum 59 → mean 4.916667; sum of squares 335, variance (335 − 59²/12) / 11 = 4.083333,
#   se √(4.083333 / 12) = 0.583333, t(0.975, 11) = 2.200985 → half width 1.283908
#   → 3.6328 … 6.2006.
# Response rate: 12 responses / 18 delivered invitations = 0.6667.

RECIPIENTS = (
    "E-Mail;Name\r\n"
    + "".join(f"kunde{i:02d}@beispiel.example;Kunde {i}\r\n" for i in range(1, 11))
    + "kein-at-zeichen.example;Kaputt\r\n"  # line 12: malformed
    + "".join(f"kunde{i:02d}@beispiel.example;Kunde {i}\r\n" for i in range(11, 19))
    + "jemand@@beispiel.example;Doppelt-At\r\n"  # line 21: malformed
).encode("cp1252")


def _post_ok(client, url, data=None, **kwargs):
    response = client.post(url, data=data or {}, **kwargs)
    assert response.status_code in (200, 302, 303), (url, response.status_code)
    return response


def _build_survey(client, world) -> int:
    response = _post_ok(
        client,
        "/surveys/new",
        {
            "title": "Ihre Zufriedenheit mit dem Kundenservice",
            "client_id": world.client_a.id,
            "channel_ids": [world.channel_a.id],
            "language": "de",
            "introduction": "Sie hatten kürzlich Kontakt mit uns.",
            "thank_you_text": "Vielen Dank!",
            "target_csat": "80",
            "target_nps": "20",
            "target_ces": "5.5",
            "min_responses": "10",
            "reminder_after_days": "3",
            "public_link": "y",
            "delete_addresses_on_close": "y",
        },
    )
    survey_id = int(re.search(r"/surveys/(\d+)", response.location).group(1))
    for kind, text in (
        ("csat", "Wie zufrieden waren Sie mit unserem Service?"),
        ("nps", "Wie wahrscheinlich empfehlen Sie uns weiter?"),
        ("ces", ""),  # the standard CES wording
    ):
        _post_ok(
            client,
            f"/surveys/{survey_id}/questions/new",
            {"kind": kind, "text": text, "required": "y"},
        )
    _post_ok(client, f"/surveys/{survey_id}/publish")
    return survey_id


def _invite(client, survey_id: int) -> None:
    preview = client.post(
        f"/surveys/{survey_id}/invitations/upload",
        data={"file": (io.BytesIO(RECIPIENTS), "empfaenger.csv"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "kein-at-zeichen.example" in page and "jemand@@beispiel.example" in page
    assert re.search(r"\b12\b", page) and re.search(r"\b21\b", page)  # the two bad lines
    with client.application.app_context():
        assert db.session.scalar(select(db.func.count(Invitation.id))) == 0  # nothing stored yet
    rows = html.unescape(re.search(r'name="rows"[^>]*value="([^"]+)"', page).group(1))
    _post_ok(client, f"/surveys/{survey_id}/invitations/take", {"rows": rows})
    with client.application.app_context():
        assert db.session.scalar(select(db.func.count(Invitation.id))) == 18


def _tokens(messages) -> dict[str, str]:
    """Recipient → the token of the personal link in their mail."""
    found = {}
    for message in messages:
        body = message.get_body(preferencelist=("plain",)).get_content()
        found[message["To"]] = re.search(r"/s/i/([A-Za-z0-9_-]{20,})", body).group(1)
    return found


def _answer(client, app, survey_id: int, token: str, csat: int, nps: int, ces: int):
    with app.app_context():
        ids = db.session.scalars(
            select(Question.id).where(Question.survey_id == survey_id).order_by(Question.position)
        ).all()
    return client.post(
        f"/s/i/{token}",
        data={f"q{ids[0]}": str(csat), f"q{ids[1]}": str(nps), f"q{ids[2]}": str(ces)},
    )


def test_a_survey_from_building_to_results_and_export(app, world, mailbox):
    manager = app.test_client()
    login(manager, world.manager)
    survey_id = _build_survey(manager, world)
    _invite(manager, survey_id)

    start = utcnow()
    scheduler.run_once(app, now=start + dt.timedelta(minutes=1))
    assert len(mailbox) == 18
    assert all(message["List-Unsubscribe"] for message in mailbox)
    tokens = _tokens(mailbox)
    respondents = list(tokens.values())[:12]

    respondent = app.test_client()
    for token, (csat, nps, ces) in zip(respondents[:5], ANSWERS[:5], strict=True):
        assert _answer(respondent, app, survey_id, token, csat, nps, ces).status_code == 303
    again = _answer(respondent, app, survey_id, respondents[0], 1, 0, 1)
    assert again.status_code == 409

    mailbox.clear()
    scheduler.run_once(app, now=start + dt.timedelta(days=3, minutes=2))
    scheduler.run_once(app, now=start + dt.timedelta(days=4))
    assert len(mailbox) == 13  # one reminder each to those who have not answered
    assert not set(_tokens(mailbox).values()) & set(respondents[:5])

    for token, (csat, nps, ces) in zip(respondents[5:], ANSWERS[5:], strict=True):
        assert _answer(respondent, app, survey_id, token, csat, nps, ces).status_code == 303

    with app.app_context():
        states = db.session.scalars(select(Invitation.state)).all()
        assert states.count(InvitationState.ANSWERED) == 12
        assert states.count(InvitationState.REMINDED) == 6
        survey = db.session.get(Survey, survey_id)
        results = survey_results(survey)
    csat, nps, ces = results.headline.csat, results.headline.nps, results.headline.ces
    assert (csat.value, csat.n, csat.target) == (0.75, 12, 0.8)
    assert round(csat.interval.low, 4) == 0.4677 and round(csat.interval.high, 4) == 0.9111
    assert (round(nps.value, 6), nps.n, nps.target) == (25.0, 12, 20)
    assert round(nps.interval.low, 2) == -21.91 and round(nps.interval.high, 2) == 71.91
    assert (round(ces.value, 6), ces.n, ces.target) == (4.916667, 12, 5.5)
    assert round(ces.interval.low, 4) == 3.6328 and round(ces.interval.high, 4) == 6.2006
    rate = results.invitations.response_rate
    assert (rate.value, rate.n) == (12 / 18, 18)

    page = manager.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    for shown in ("75.0", "46.8", "91.1", "25.0", "21.9", "71.9", "4.92", "3.63", "6.20"):
        assert shown in page, shown

    export = manager.get(f"/surveys/{survey_id}/export/results.xlsx")
    sheet = load_workbook(io.BytesIO(export.get_data())).worksheets[0]
    rows = {(row[0], row[1]): row for row in sheet.iter_rows(values_only=True)}
    for key, figure in (
        (("Question", "CSAT (share of 4–5)"), csat),
        (("Question", "NPS"), nps),
        (("Question", "CES (mean)"), ces),
        (("Survey", "Response rate"), rate),
    ):
        value, n, low, high = rows[key][6:10]
        assert n == figure.n
        assert (value, low, high) == pytest.approx(
            (figure.value, figure.interval.low, figure.interval.high), abs=1e-12
        )
