"""The survey demo: a closed survey with ~300 plausible responses, an open one with invitations."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from qcrm.db import utcnow
from qcrm.demo import load_demo
from qcrm.extensions import db
from surveys import demo
from surveys.models import (
    Answer,
    Invitation,
    InvitationEvent,
    InvitationState,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
)
from surveys.surveys import SurveyStatus, survey_status
from surveys.tokens import email_hash


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count(model.id)))
        for model in (Survey, Question, Response, Answer, Invitation, InvitationEvent)
    )


def _numbers(survey: Survey, kind: QuestionKind) -> list[int]:
    question = next(q for q in survey.questions if q.kind is kind)
    return list(db.session.scalars(select(Answer.number).where(Answer.question_id == question.id)))


def test_the_demo_has_a_closed_and_an_open_survey_and_loads_once(app):
    with app.app_context():
        load_demo(app.instance_path)
        counts = _counts()
        started = time.perf_counter()
        load_demo(app.instance_path)
        assert _counts() == counts
        assert time.perf_counter() - started < 5
        surveys = {s.title: s for s in db.session.scalars(select(Survey))}
        assert set(surveys) == {demo.CLOSED_TITLE, demo.OPEN_TITLE}
        assert {s.client.name for s in surveys.values()} == {demo.DEMO_CLIENT}


def test_the_closed_survey_has_about_300_plausible_responses(app):
    with app.app_context():
        load_demo(app.instance_path)
        survey = db.session.scalar(select(Survey).where(Survey.title == demo.CLOSED_TITLE))
        assert survey_status(survey, utcnow()) is SurveyStatus.CLOSED
        assert survey.language == "de"
        assert [q.kind for q in survey.questions] == [
            QuestionKind.CSAT,
            QuestionKind.NPS,
            QuestionKind.CES,
            QuestionKind.SINGLE_CHOICE,
            QuestionKind.FREE_TEXT,
        ]
        assert (survey.target_csat, survey.target_nps, survey.target_ces) == (0.8, 20, 5.5)
        responses = db.session.scalars(
            select(Response).where(Response.survey_id == survey.id)
        ).all()
        assert 250 <= len(responses) <= 350
        days = sorted(r.submitted_on for r in responses)
        assert (days[-1] - days[0]).days >= 45, "spread over about eight weeks"
        assert days[-1] <= survey.closed_at.date()
        by_channel = Counter(r.channel_id for r in responses)
        assert set(by_channel) == {c.id for c in survey.channels}
        assert len(survey.channels) >= 4
        assert {r.source for r in responses} == set(ResponseSource)

        csat = _numbers(survey, QuestionKind.CSAT)
        nps = _numbers(survey, QuestionKind.NPS)
        ces = _numbers(survey, QuestionKind.CES)
        assert len(csat) == len(nps) == len(ces) == len(responses)
        assert set(csat) <= set(range(1, 6)) and set(nps) <= set(range(11))
        assert set(ces) <= set(range(1, 8))
        csat_share = sum(v >= 4 for v in csat) / len(csat)
        assert 0.65 <= csat_share <= 0.9
        assert sum(v <= 2 for v in csat) >= 10, "some unhappy customers"
        detractors = sum(v <= 6 for v in nps) / len(nps)
        promoters = sum(v >= 9 for v in nps) / len(nps)
        assert detractors >= 0.15
        assert -10 <= 100 * (promoters - detractors) <= 45
        assert 4.5 <= sum(ces) / len(ces) <= 6

        free_text = next(q for q in survey.questions if q.kind is QuestionKind.FREE_TEXT)
        verbatims = db.session.scalars(
            select(Answer.text).where(Answer.question_id == free_text.id)
        ).all()
        assert 30 <= len(verbatims) < len(responses)
        assert all(text and text.strip() for text in verbatims)

        invitations = db.session.scalars(
            select(Invitation).where(Invitation.survey_id == survey.id)
        ).all()
        assert all(invitation.email is None for invitation in invitations), "addresses deleted"
        states = Counter(invitation.state for invitation in invitations)
        assert states[InvitationState.ANSWERED] == sum(
            r.source is ResponseSource.INVITATION for r in responses
        )
        assert states[InvitationState.BOUNCED] > 0 and states[InvitationState.REMINDED] > 0


def test_the_open_survey_waits_with_pending_invitations_to_example_addresses(app):
    with app.app_context():
        load_demo(app.instance_path)
        survey = db.session.scalar(select(Survey).where(Survey.title == demo.OPEN_TITLE))
        assert survey_status(survey, utcnow()) is SurveyStatus.OPEN
        assert survey.is_open(utcnow())
        invitations = db.session.scalars(
            select(Invitation).where(Invitation.survey_id == survey.id)
        ).all()
        assert len(invitations) == 25
        assert {i.state for i in invitations} == {InvitationState.PENDING}
        assert all(i.email.rsplit("@", 1)[1] in ("example.com", "example.org") for i in invitations)
        assert all(i.email_hash == email_hash(i.email) for i in invitations)
        assert len({i.token_hash for i in invitations}) == 25
        assert not db.session.scalar(
            select(func.count(Response.id)).where(Response.survey_id == survey.id)
        )
