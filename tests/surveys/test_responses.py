"""Submitting a survey response: every answer rule, one response per invitation, no half-saves,
anonymity (no link to the invitation, only the day), and the public API."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from qcrm.errors import ServiceError
from qcrm.extensions import db
from surveys import responses
from surveys.models import (
    Answer,
    Invitation,
    InvitationEvent,
    InvitationState,
    Response,
    ResponseSource,
    Survey,
)
from surveys.responses import (
    ClosedReason,
    RefusalReason,
    SubmissionRefused,
    SurveyNotOpen,
    submit_response,
)
from surveys.tokens import token_hash
from tests.conftest import count_queries
from tests.surveys.respond_helpers import (
    counts,
    field,
    invitation_state,
    make_invitation,
    questions_of,
    valid_answers,
)

#: 23:30 UTC on 14 January is already the 15th in Berlin, the app's time zone.
NOW = dt.datetime(2030, 1, 14, 23, 30, tzinfo=dt.UTC)
DAY = dt.date(2030, 1, 15)


@pytest.fixture
def questions(app, world):
    return questions_of(app, world.survey_a.id)


def _submit(app, survey_id: int, answers, **kwargs) -> Response:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        return submit_response(survey, answers, now=kwargs.pop("now", NOW), **kwargs)


def _errors(app, survey_id: int, answers, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ServiceError) as caught:
        _submit(app, survey_id, answers, **kwargs)
    return caught.value.errors


def _stored_answers(app) -> list[tuple[int, int | None, str | None]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(Answer.question_id, Answer.number, Answer.text).order_by(Answer.id)
            )
        ]


def test_a_valid_public_response_stores_each_answer_and_only_the_day(app, world, questions):
    answers = {
        **valid_answers(questions),
        field(questions, 4): ["10"],
        field(questions, 5): ["2"],
        field(questions, 7): ["  Schneller antworten.  "],
    }
    _submit(app, world.survey_a.id, answers, public_key="k" * 32)

    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.source is ResponseSource.PUBLIC_LINK
        assert response.submitted_on == DAY
        assert type(response.submitted_on) is dt.date
        assert response.channel_id is None
    ids = [question.id for question in questions]
    assert _stored_answers(app) == [
        (ids[0], 4, None),
        (ids[1], 9, None),
        (ids[2], 6, None),
        (ids[3], 10, None),
        (ids[4], 2, None),
        (ids[6], None, "Schneller antworten."),
    ]


def test_a_response_has_no_column_that_could_link_it_to_an_invitation():
    columns = set(Response.__table__.columns.keys())
    assert columns == {"id", "key", "survey_id", "channel_id", "source", "submitted_on"}
    assert not any(
        key.column.table.name == "survey_invitations" for key in Response.__table__.foreign_keys
    )


def test_missing_required_answers_are_named_and_nothing_is_stored(app, world, questions):
    errors = _errors(app, world.survey_a.id, {field(questions, 4): ["7"]})
    assert set(errors) == {field(questions, 1), field(questions, 2), field(questions, 3)}
    assert errors[field(questions, 1)] == ["Please answer this question."]
    assert counts(app)["Response"] == 0 and counts(app)["Answer"] == 0


@pytest.mark.parametrize(
    ("position", "value", "message"),
    [
        (1, "6", "Please choose a whole number from 1 to 5."),
        (1, "0", "Please choose a whole number from 1 to 5."),
        (2, "-1", "Please choose a whole number from 0 to 10."),
        (2, "11", "Please choose a whole number from 0 to 10."),
        (3, "8", "Please choose a whole number from 1 to 7."),
        (3, "4.5", "Please choose a whole number from 1 to 7."),
        (3, "abc", "Please choose a whole number from 1 to 7."),
        (1, "٣", "Please choose a whole number from 1 to 5."),
        (4, "11", "Please choose a whole number from 1 to 10."),
    ],
)
def test_scale_values_out_of_range_or_not_whole_numbers_are_refused(
    app, world, questions, position, value, message
):
    answers = {**valid_answers(questions), field(questions, position): [value]}
    errors = _errors(app, world.survey_a.id, answers)
    assert errors == {field(questions, position): [message]}
    assert counts(app)["Response"] == 0


def test_two_values_for_one_scale_are_refused(app, world, questions):
    answers = {**valid_answers(questions), field(questions, 1): ["4", "5"]}
    assert _errors(app, world.survey_a.id, answers) == {
        field(questions, 1): ["Please choose only one value."]
    }


def test_a_single_choice_takes_one_known_option(app, world, questions):
    single = field(questions, 5)
    two = _errors(app, world.survey_a.id, {**valid_answers(questions), single: ["0", "1"]})
    assert two == {single: ["Please choose only one option."]}
    unknown = _errors(app, world.survey_a.id, {**valid_answers(questions), single: ["3"]})
    assert unknown == {single: ["Please choose from the options shown."]}
    multiple = field(questions, 6)
    wrong = _errors(app, world.survey_a.id, {**valid_answers(questions), multiple: ["0", "x"]})
    assert wrong == {multiple: ["Please choose from the options shown."]}


def test_a_multiple_choice_stores_one_row_per_chosen_option(app, world, questions):
    multiple = questions[5]
    answers = {**valid_answers(questions), field(questions, 6): ["2", "0", "2"]}
    _submit(app, world.survey_a.id, answers)
    chosen = [row for row in _stored_answers(app) if row[0] == multiple.id]
    assert chosen == [(multiple.id, 0, None), (multiple.id, 2, None)]


def test_free_text_longer_than_2000_characters_is_refused(app, world, questions):
    text = field(questions, 7)
    errors = _errors(app, world.survey_a.id, {**valid_answers(questions), text: ["x" * 2001]})
    assert errors == {
        text: ["Please shorten your answer to at most 2,000 characters (it has 2,001)."]
    }
    assert counts(app)["Response"] == 0


def test_free_text_counts_a_line_break_once_and_drops_control_characters(app, world, questions):
    text = "a\r\n" * 999 + "b\x00c"  # 999 × 2 + 3 = 2,001 characters as a browser sends them
    _submit(app, world.survey_a.id, {**valid_answers(questions), field(questions, 7): [text]})
    stored = _stored_answers(app)[-1][2]
    assert stored == "a\n" * 999 + "bc"
    assert len(stored) == 2000


def test_a_survey_where_everything_is_optional_still_needs_one_answer(app, world, questions):
    with app.app_context():
        for question in db.session.get(Survey, world.survey_a.id).questions:
            question.required = False
        db.session.commit()
    assert _errors(app, world.survey_a.id, {}) == {
        "answers": ["Please answer at least one question."]
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"closed_at": dt.datetime(2030, 1, 10, tzinfo=dt.UTC)}, ClosedReason.CLOSED),
        ({"closes_at": NOW}, ClosedReason.CLOSED),
        ({"archived_at": dt.datetime(2030, 1, 10, tzinfo=dt.UTC)}, ClosedReason.CLOSED),
        ({"opens_at": NOW + dt.timedelta(minutes=1)}, ClosedReason.NOT_YET_OPEN),
        ({"published_at": None}, ClosedReason.NOT_PUBLISHED),
    ],
)
def test_a_survey_that_is_not_open_refuses_responses(app, world, questions, change, reason):
    token = make_invitation(app, world.survey_a.id)
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        for name, value in change.items():
            setattr(survey, name, value)
        db.session.commit()
    for kwargs in ({}, {"invitation_token": token}):
        with pytest.raises(SurveyNotOpen) as caught:
            _submit(app, world.survey_a.id, valid_answers(questions), **kwargs)
        assert caught.value.reason is reason
        assert "survey" in caught.value.errors
    assert counts(app)["Response"] == 0
    assert invitation_state(app, token) is InvitationState.INVITED


def test_an_invitation_is_answered_once_on_the_day_with_its_channel(app, world, questions):
    token = make_invitation(app, world.survey_a.id, channel_id=world.channel_a.id)
    _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)

    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.state is InvitationState.ANSWERED
        assert invitation.answered_on == DAY and type(invitation.answered_on) is dt.date
        # no history row: its number would give away the order of answering (see responses.py)
        assert db.session.scalars(select(InvitationEvent)).all() == []
        response = db.session.scalars(select(Response)).one()
        assert response.source is ResponseSource.INVITATION
        assert response.channel_id == world.channel_a.id
    before = counts(app)

    with pytest.raises(SubmissionRefused) as caught:
        _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
    assert caught.value.reason is RefusalReason.ANSWERED
    assert counts(app) == before


@pytest.mark.parametrize("state", [InvitationState.PENDING, InvitationState.REMINDED])
def test_pending_and_reminded_invitations_can_be_answered(app, world, questions, state):
    token = make_invitation(app, world.survey_a.id, state=state)
    _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
    assert invitation_state(app, token) is InvitationState.ANSWERED


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (InvitationState.OPTED_OUT, RefusalReason.OPTED_OUT),
        (InvitationState.BOUNCED, RefusalReason.UNAVAILABLE),
    ],
)
def test_opted_out_and_bounced_invitations_are_refused(app, world, questions, state, reason):
    token = make_invitation(app, world.survey_a.id, state=state)
    with pytest.raises(SubmissionRefused) as caught:
        _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
    assert caught.value.reason is reason
    assert counts(app)["Response"] == 0
    assert invitation_state(app, token) is state


def test_a_forged_token_or_another_surveys_token_is_refused(app, world, questions):
    other = make_invitation(app, world.survey_b.id)
    for token in ("forged-" + "x" * 36, other):
        with pytest.raises(SubmissionRefused) as caught:
            _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
        assert caught.value.reason is RefusalReason.UNKNOWN
    assert counts(app) == {"Response": 0, "Answer": 0, "InvitationEvent": 0, "PublicSubmission": 0}
    assert invitation_state(app, other) is InvitationState.INVITED


def test_invalid_answers_leave_the_invitation_open(app, world, questions):
    token = make_invitation(app, world.survey_a.id)
    answers = {**valid_answers(questions), field(questions, 2): ["12"]}
    with pytest.raises(ServiceError):
        _submit(app, world.survey_a.id, answers, invitation_token=token)
    assert invitation_state(app, token) is InvitationState.INVITED
    _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
    assert invitation_state(app, token) is InvitationState.ANSWERED


def test_a_refused_claim_rolls_back_everything_of_the_submission(app, world, questions):
    """Even a refusal that comes after the answers were checked leaves no row behind."""
    token = make_invitation(app, world.survey_a.id)
    with app.app_context():
        db.session.execute(
            Invitation.__table__.update()
            .where(Invitation.token_hash == token_hash(token))
            .values(state="answered")
        )
        db.session.commit()
    with pytest.raises(SubmissionRefused):
        _submit(app, world.survey_a.id, valid_answers(questions), invitation_token=token)
    assert counts(app) == {"Response": 0, "Answer": 0, "InvitationEvent": 0, "PublicSubmission": 0}


def test_the_same_public_form_key_counts_once(app, world, questions):
    key = responses.new_public_key()
    _submit(app, world.survey_a.id, valid_answers(questions), public_key=key)
    before = counts(app)
    with pytest.raises(SubmissionRefused) as caught:
        _submit(app, world.survey_a.id, valid_answers(questions), public_key=key)
    assert caught.value.reason is RefusalReason.REPEATED
    assert (
        counts(app)
        == before
        == {
            "Response": 1,
            "Answer": 3,
            "InvitationEvent": 0,
            "PublicSubmission": 1,
        }
    )
    # the same key on another survey is another form
    _submit(
        app, world.survey_b.id, valid_answers(questions_of(app, world.survey_b.id)), public_key=key
    )


def test_a_malformed_public_key_is_refused(app, world, questions):
    assert set(_errors(app, world.survey_a.id, valid_answers(questions), public_key="short")) == {
        "key"
    }


def test_a_public_response_keeps_only_a_channel_of_the_survey(app, world, questions):
    _submit(app, world.survey_a.id, valid_answers(questions), channel_id=world.channel_a.id)
    _submit(app, world.survey_a.id, valid_answers(questions), channel_id=world.channel_b.id)
    _submit(app, world.survey_a.id, valid_answers(questions), channel_id=999_999)
    with app.app_context():
        channels = db.session.scalars(select(Response.channel_id).order_by(Response.id)).all()
    assert channels == [world.channel_a.id, None, None]


def test_answering_an_invitation_takes_a_handful_of_statements(app, world, questions):
    token = make_invitation(app, world.survey_a.id)
    answers = {**valid_answers(questions), field(questions, 6): ["0", "1", "2"]}
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        survey.questions  # noqa: B018  (loaded, as the page has them already)
        with count_queries(app) as statements:
            submit_response(survey, answers, now=NOW, invitation_token=token)
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    # claim the invitation, insert the response, the answers (one statement), the event
    assert len(writes) <= 4, writes
