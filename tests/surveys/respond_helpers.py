"""Helpers of the respondent tests: invitations with a known token, valid answers, counts."""

from __future__ import annotations

import secrets

from flask import Flask
from sqlalchemy import func, select

from qcrm.extensions import db
from surveys.models import (
    Answer,
    Invitation,
    InvitationEvent,
    InvitationState,
    PublicSubmission,
    Question,
    Response,
)
from surveys.tokens import email_hash, new_salt, public_form_key, token_hash


def issued_public_key(app: Flask, survey_id: int) -> str:
    """A signed one-time key as reading the survey's public form (page or API) issues it."""
    with app.test_request_context():
        return public_form_key(survey_id)


def make_invitation(
    app: Flask,
    survey_id: int,
    *,
    email: str | None = None,
    state: InvitationState = InvitationState.INVITED,
    channel_id: int | None = None,
) -> str:
    """An invitation to the survey; returns its token (only the token's hash is stored)."""
    token = secrets.token_urlsafe(32)
    email = email or f"kunde-{secrets.token_hex(4)}@example.org"
    with app.app_context():
        db.session.add(
            Invitation(
                survey_id=survey_id,
                email=email,
                email_hash=email_hash(email),
                token_hash=token_hash(token),
                token_salt=new_salt(),
                channel_id=channel_id,
                state=state,
            )
        )
        db.session.commit()
    return token


def questions_of(app: Flask, survey_id: int) -> list[Question]:
    """The survey's questions in order (detached: read their ids and kinds)."""
    with app.app_context():
        questions = db.session.scalars(
            select(Question).where(Question.survey_id == survey_id).order_by(Question.position)
        ).all()
        db.session.expunge_all()
    return list(questions)


def field(questions: list[Question], position: int) -> str:
    return f"q{questions[position - 1].id}"


def valid_answers(questions: list[Question]) -> dict[str, list[str]]:
    """Answers to the world's survey: CSAT 4, NPS 9, CES 6 (the rest are optional)."""
    return {field(questions, 1): ["4"], field(questions, 2): ["9"], field(questions, 3): ["6"]}


def counts(app: Flask) -> dict[str, int]:
    """Rows of every response-side table, to prove that nothing was half-saved."""
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Response, Answer, InvitationEvent, PublicSubmission)
        }


def invitation_state(app: Flask, token: str) -> InvitationState:
    with app.app_context():
        return db.session.scalar(
            select(Invitation.state).where(Invitation.token_hash == token_hash(token))
        )
