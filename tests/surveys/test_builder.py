"""The survey builder: settings and questions checked field by field, frozen once answered,
published, closed (by hand and on schedule), copied, archived; pages for each role."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import User
from surveys import surveys as service
from surveys.models import (
    Invitation,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Survey,
)
from surveys.surveys import QuestionData, SurveyData, SurveyStatus
from surveys.tokens import email_hash, new_salt, token_hash
from tests.conftest import count_queries, login

NOW = dt.datetime(2030, 3, 2, 9, 0, tzinfo=dt.UTC)


def settings(world, **overrides) -> SurveyData:
    data = SurveyData(
        title="Servicebefragung Frühjahr",
        client_id=world.client_a.id,
        introduction="Wie war Ihr Kontakt mit uns?",
        language="de",
        channel_ids=(world.channel_a.id,),
        target_csat=0.8,
        target_nps=20,
        target_ces=5.5,
        min_responses=10,
        opens_at=NOW + dt.timedelta(days=1),
        closes_at=NOW + dt.timedelta(days=29),
    )
    return dataclasses.replace(data, **overrides)


def _user(world, name: str = "manager") -> User:
    return db.session.get(User, world.user(name).id)


def _new_survey(world, **overrides) -> Survey:
    return service.create_survey(settings(world, **overrides), _user(world), NOW)


def _errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.errors


def _answer(survey_id: int) -> None:
    """One response, which freezes the survey's questions."""
    db.session.add(
        Response(survey_id=survey_id, source=ResponseSource.PUBLIC_LINK, submitted_on=NOW.date())
    )
    db.session.commit()


# Settings -------------------------------------------------------------------------------------


def test_a_new_survey_is_a_draft_with_its_settings_and_a_public_link(app, world):
    with app.app_context():
        survey = _new_survey(world)
        assert service.survey_status(survey, NOW) is SurveyStatus.DRAFT
        assert survey.created_by_id == world.manager.id
        assert survey.created_at == NOW
        assert [c.id for c in survey.channels] == [world.channel_a.id]
        assert (survey.target_csat, survey.target_nps, survey.target_ces) == (0.8, 20, 5.5)
        assert survey.public_token and len(survey.public_token) >= 32
        no_link = _new_survey(world, title="Ohne Link", public_link=False)
        assert no_link.public_token is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "Please enter a title."),
        ({"title": "x" * 201}, "title", "At most 200 characters."),
        ({"language": "fr"}, "language", "Choose German or English."),
        ({"target_csat": 1.2}, "target_csat", "between 0 and 100 %"),
        ({"target_csat": -0.1}, "target_csat", "between 0 and 100 %"),
        ({"target_nps": 101}, "target_nps", "between −100 and 100"),
        ({"target_nps": -120}, "target_nps", "between −100 and 100"),
        ({"target_ces": 0.5}, "target_ces", "between 1 and 7"),
        ({"target_ces": 7.5}, "target_ces", "between 1 and 7"),
        ({"min_responses": 0}, "min_responses", "at least 1"),
        ({"reminder_after_days": 0}, "reminder_after_days", "1 to 60 days"),
        (
            {"closes_at": NOW + dt.timedelta(hours=12)},
            "closes_at",
            "must close after it opens",
        ),
        (
            {"opens_at": None, "closes_at": NOW - dt.timedelta(days=1)},
            "closes_at",
            "must lie in the future",
        ),
        ({"opens_at": dt.datetime(2030, 3, 3, 9, 0)}, "opens_at", "time zone"),
        ({"client_id": 999_999}, "client_id", "Choose a client."),
    ],
)
def test_wrong_settings_are_refused_naming_the_field(app, world, overrides, field, message):
    with app.app_context(), pytest.raises(ServiceError) as excinfo:
        _new_survey(world, **overrides)
    assert message in " ".join(_errors(excinfo)[field])


def test_channels_must_belong_to_the_surveys_client(app, world):
    with app.app_context():
        with pytest.raises(ServiceError) as excinfo:
            _new_survey(world, channel_ids=(world.channel_b.id,))
        assert "channel_ids" in _errors(excinfo)
        with pytest.raises(ServiceError) as excinfo:
            _new_survey(world, channel_ids=(999_999,))
        assert "channel_ids" in _errors(excinfo)
        assert db.session.scalar(select(func.count(Survey.id))) == 2  # only the world's


def test_a_manager_cannot_build_a_survey_for_a_client_they_do_not_see(app, world):
    with app.app_context():
        with pytest.raises(ServiceError) as excinfo:
            service.create_survey(
                settings(world, client_id=world.client_b.id, channel_ids=()),
                _user(world, "client_manager"),
                NOW,
            )
        assert _errors(excinfo) == {"client_id": ["Choose a client."]}


def test_a_published_survey_keeps_its_client(app, world):
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        with pytest.raises(ServiceError) as excinfo:
            service.update_survey(
                survey,
                dataclasses.replace(
                    service.survey_data(survey), client_id=world.client_b.id, channel_ids=()
                ),
                _user(world),
                NOW,
            )
        assert "Copy the survey" in _errors(excinfo)["client_id"][0]
        draft = _new_survey(world, channel_ids=())
        service.update_survey(
            draft,
            dataclasses.replace(service.survey_data(draft), client_id=world.client_b.id),
            _user(world),
            NOW,
        )
        assert draft.client_id == world.client_b.id


def test_switching_the_public_link_off_and_on_makes_a_new_link(app, world):
    with app.app_context():
        survey = _new_survey(world)
        old = survey.public_token
        data = service.survey_data(survey)
        service.update_survey(survey, dataclasses.replace(data, public_link=False), now=NOW)
        assert survey.public_token is None
        service.update_survey(survey, dataclasses.replace(data, public_link=True), now=NOW)
        assert survey.public_token not in (None, old)


# Questions ------------------------------------------------------------------------------------


def test_questions_get_positions_fixed_scales_and_cleaned_fields(app, world):
    with app.app_context():
        survey = _new_survey(world)
        csat = service.add_question(
            survey, QuestionData(QuestionKind.CSAT, "Wie zufrieden?", scale_max=7, options=["x"])
        )
        rating = service.add_question(
            survey, QuestionData("rating", "Wie freundlich?", scale_max=10, low_label="gar nicht")
        )
        choice = service.add_question(
            survey,
            QuestionData(
                QuestionKind.SINGLE_CHOICE, "Wie?", options=[" Telefon ", "E-Mail"], low_label="x"
            ),
        )
        assert [q.position for q in survey.questions] == [1, 2, 3]
        assert (csat.scale, csat.scale_max, csat.options) == ((1, 5), None, [])
        assert (rating.scale, rating.low_label) == ((1, 10), "gar nicht")
        assert (choice.scale, choice.options, choice.low_label) == (None, ["Telefon", "E-Mail"], "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (QuestionData("smiley", "Wie?"), "kind", "Choose a question type."),
        (QuestionData(QuestionKind.CSAT, "  "), "text", "Please enter the question."),
        (QuestionData(QuestionKind.NPS, "x" * 1001), "text", "At most 1000 characters."),
        (QuestionData(QuestionKind.RATING, "Wie?"), "scale_max", "between 2 and 10"),
        (QuestionData(QuestionKind.RATING, "Wie?", scale_max=1), "scale_max", "between 2 and 10"),
        (QuestionData(QuestionKind.RATING, "Wie?", scale_max=11), "scale_max", "between 2 and 10"),
        (
            QuestionData(QuestionKind.SINGLE_CHOICE, "Wie?", options=["Telefon"]),
            "options",
            "2 to 20 options",
        ),
        (
            QuestionData(QuestionKind.MULTIPLE_CHOICE, "Wie?", options=[str(n) for n in range(21)]),
            "options",
            "2 to 20 options",
        ),
        (
            QuestionData(QuestionKind.SINGLE_CHOICE, "Wie?", options=["Telefon", " telefon"]),
            "options",
            "only once",
        ),
        (
            QuestionData(QuestionKind.MULTIPLE_CHOICE, "Wie?", options=["Telefon", " ", "Chat"]),
            "options",
            "must not be empty",
        ),
    ],
)
def test_wrong_questions_are_refused_naming_the_field(app, world, data, field, message):
    with app.app_context():
        survey = _new_survey(world)
        with pytest.raises(ServiceError) as excinfo:
            service.add_question(survey, data)
        assert message in " ".join(_errors(excinfo)[field])
        db.session.rollback()
        assert (
            db.session.scalar(select(func.count(Question.id)).filter_by(survey_id=survey.id)) == 0
        )


def test_a_survey_asks_each_standard_figure_once(app, world):
    with app.app_context():
        survey = _new_survey(world)
        first = service.add_question(survey, QuestionData(QuestionKind.NPS, "Empfehlen?"))
        with pytest.raises(ServiceError) as excinfo:
            service.add_question(survey, QuestionData(QuestionKind.NPS, "Noch einmal?"))
        assert "kind" in _errors(excinfo)
        db.session.rollback()
        service.update_question(first, QuestionData(QuestionKind.NPS, "Weiterempfehlen?"))
        assert first.text == "Weiterempfehlen?"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen."),
        ("en", "The company made it easy for me to handle my request."),
    ],
)
def test_an_empty_ces_question_asks_the_standard_statement(app, world, language, text):
    with app.app_context():
        survey = _new_survey(world, language=language)
        question = service.add_question(survey, QuestionData(QuestionKind.CES, ""))
        assert question.text == text
        assert question.scale == (1, 7)


def test_moving_and_deleting_keep_positions_one_to_n(app, world):
    with app.app_context():
        survey = _new_survey(world)
        for kind, text in [("csat", "A"), ("nps", "B"), ("ces", "C"), ("free_text", "D")]:
            service.add_question(survey, QuestionData(kind, text))

        def order() -> list[tuple[int, str]]:
            db.session.expire_all()
            return [(q.position, q.text) for q in db.session.get(Survey, survey.id).questions]

        question = lambda text: db.session.scalar(  # noqa: E731
            select(Question).filter_by(survey_id=survey.id, text=text)
        )
        service.move_question(question("C"), "up")
        assert order() == [(1, "A"), (2, "C"), (3, "B"), (4, "D")]
        service.move_question(question("A"), "up")  # already first: stays
        service.move_question(question("D"), "down")  # already last: stays
        assert order() == [(1, "A"), (2, "C"), (3, "B"), (4, "D")]
        service.move_question(question("A"), "down")
        assert order() == [(1, "C"), (2, "A"), (3, "B"), (4, "D")]
        service.delete_question(question("A"))
        assert order() == [(1, "C"), (2, "B"), (3, "D")]
        with pytest.raises(ServiceError):
            service.move_question(question("B"), "sideways")


def test_answered_surveys_freeze_their_questions_but_not_their_texts(app, world):
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        _answer(survey.id)
        first = survey.questions[0]
        attempts = [
            lambda: service.add_question(survey, QuestionData(QuestionKind.FREE_TEXT, "Noch?")),
            lambda: service.update_question(first, QuestionData(QuestionKind.CSAT, "Neu?")),
            lambda: service.update_question(
                first, dataclasses.replace(service.question_data(first), required=False)
            ),
            lambda: service.delete_question(first),
            lambda: service.move_question(first, "down"),
        ]
        for attempt in attempts:
            with pytest.raises(ServiceError) as excinfo:
                attempt()
            assert "Copy the survey" in _errors(excinfo)["questions"][0]
            db.session.rollback()
        data = service.survey_data(survey)
        with pytest.raises(ServiceError) as excinfo:
            service.update_survey(survey, dataclasses.replace(data, language="en"), now=NOW)
        assert "language" in _errors(excinfo)
        db.session.rollback()
        service.update_survey(survey, dataclasses.replace(data, title="Neuer Titel"), now=NOW)
        db.session.expire_all()
        survey = db.session.get(Survey, world.survey_a.id)
        assert survey.title == "Neuer Titel"
        assert (survey.questions[0].position, survey.questions[0].text) == (
            1,
            "Wie zufrieden waren Sie?",
        )
        assert len(survey.questions) == 7


# Publish, close, copy, archive ----------------------------------------------------------------


def test_publishing_needs_a_question_and_a_future_closing_time(app, world):
    with app.app_context():
        survey = _new_survey(world)
        with pytest.raises(ServiceError) as excinfo:
            service.publish_survey(survey, NOW)
        assert "questions" in _errors(excinfo)
        service.add_question(survey, QuestionData(QuestionKind.CSAT, "Wie zufrieden?"))
        with pytest.raises(ServiceError) as excinfo:
            service.publish_survey(survey, NOW + dt.timedelta(days=30))
        assert "closes_at" in _errors(excinfo)
        service.publish_survey(survey, NOW)
        assert survey.published_at == NOW
        assert service.survey_status(survey, NOW) is SurveyStatus.SCHEDULED
        assert service.survey_status(survey, NOW + dt.timedelta(days=2)) is SurveyStatus.OPEN
        assert service.survey_status(survey, NOW + dt.timedelta(days=29)) is SurveyStatus.CLOSED
        with pytest.raises(ServiceError) as excinfo:
            service.publish_survey(survey, NOW)
        assert "status" in _errors(excinfo)


def _invite(survey_id: int, address: str) -> None:
    db.session.add(
        Invitation(
            survey_id=survey_id,
            email=address,
            email_hash=email_hash(address),
            token_salt=new_salt(),
            token_hash=token_hash(address),
        )
    )
    db.session.commit()


def test_closing_by_hand_deletes_the_addresses_when_the_survey_says_so(app, world):
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        _invite(survey.id, "kunde@example.org")
        service.close_survey(survey, NOW)
        assert survey.closed_at == NOW
        assert service.survey_status(survey, NOW) is SurveyStatus.CLOSED
        assert survey.addresses_deleted_at == NOW
        assert db.session.scalars(select(Invitation.email)).all() == [None]
        with pytest.raises(ServiceError) as excinfo:
            service.close_survey(survey, NOW)
        assert "status" in _errors(excinfo)


def test_closing_keeps_the_addresses_when_asked_to(app, world):
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        survey.delete_addresses_on_close = False
        _invite(survey.id, "kunde@example.org")
        service.close_survey(survey, NOW)
        assert survey.addresses_deleted_at is None
        assert db.session.scalars(select(Invitation.email)).all() == ["kunde@example.org"]


def test_a_draft_is_not_closed(app, world):
    with app.app_context():
        with pytest.raises(ServiceError) as excinfo:
            service.close_survey(_new_survey(world), NOW)
        assert "status" in _errors(excinfo)


def test_the_scheduler_closes_surveys_whose_closing_time_has_passed(app, world):
    with app.app_context():
        due = db.session.get(Survey, world.survey_a.id)
        due.closes_at = NOW - dt.timedelta(hours=2)
        later = db.session.get(Survey, world.survey_b.id)
        later.closes_at = NOW + dt.timedelta(days=1)
        draft = _new_survey(world, opens_at=None, closes_at=NOW + dt.timedelta(minutes=5))
        db.session.commit()
        _invite(due.id, "kunde@example.org")
        assert service.close_due_surveys(NOW + dt.timedelta(minutes=10)) == 1
        assert service.close_due_surveys(NOW + dt.timedelta(minutes=20)) == 0
        db.session.expire_all()
        due = db.session.get(Survey, world.survey_a.id)
        assert due.closed_at == NOW - dt.timedelta(hours=2), "closed when it stopped taking answers"
        assert due.addresses_deleted_at is not None
        assert db.session.get(Survey, world.survey_b.id).closed_at is None
        assert db.session.get(Survey, draft.id).closed_at is None


def test_the_close_job_is_registered_with_the_scheduler(app, world):
    from qcrm.scheduler import JOBS_KEY, run_once

    assert "close surveys" in [job.name for job in app.extensions[JOBS_KEY]]
    with app.app_context():
        db.session.get(Survey, world.survey_a.id).closes_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        db.session.commit()
    run_once(app, "test-worker", now=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    with app.app_context():
        assert db.session.get(Survey, world.survey_a.id).closed_at is not None


def test_a_copy_is_a_draft_with_the_same_questions_and_nothing_else(app, world):
    with app.app_context():
        original = db.session.get(Survey, world.survey_a.id)
        original.closes_at = NOW + dt.timedelta(days=3)
        _answer(original.id)
        _invite(original.id, "kunde@example.org")
        copy = service.copy_survey(original, _user(world), NOW)
        assert copy.id != original.id
        assert copy.copied_from_id == original.id
        assert copy.title == "Kundenzufriedenheit 2030 (copy)"
        assert service.survey_status(copy, NOW) is SurveyStatus.DRAFT
        assert (copy.opens_at, copy.closes_at, copy.closed_at) == (None, None, None)
        assert copy.public_token not in (None, original.public_token)
        assert (copy.client_id, copy.language, copy.target_nps, copy.min_responses) == (
            original.client_id,
            original.language,
            original.target_nps,
            original.min_responses,
        )
        assert [c.id for c in copy.channels] == [world.channel_a.id]
        fields = lambda q: (  # noqa: E731
            q.position,
            q.kind,
            q.text,
            q.required,
            q.scale_max,
            q.options,
        )
        assert [fields(q) for q in copy.questions] == [fields(q) for q in original.questions]
        assert {q.id for q in copy.questions}.isdisjoint({q.id for q in original.questions})
        assert service.response_counts([copy.id]) == {}
        assert not db.session.scalar(select(func.count(Invitation.id)).filter_by(survey_id=copy.id))
        service.add_question(copy, QuestionData(QuestionKind.FREE_TEXT, "Sonst noch etwas?"))


def test_open_surveys_are_closed_before_archiving(app, world):
    with app.app_context():
        survey = db.session.get(Survey, world.survey_a.id)
        with pytest.raises(ServiceError):
            service.archive_survey(survey, NOW)
        db.session.rollback()
        survey.delete_addresses_on_close = False
        service.close_survey(survey, NOW)
        service.archive_survey(survey, NOW)
        manager = _user(world)
        visible = db.session.scalars(service.visible_surveys(manager)).all()
        assert [s.id for s in visible] == [world.survey_b.id]
        everything = service.visible_surveys(manager, include_archived=True)
        assert len(db.session.scalars(everything).all()) == 2
        service.restore_survey(survey)
        assert survey.archived_at is None


# Pages ----------------------------------------------------------------------------------------

SURVEY_FORM = {
    "title": "Befragung nach dem Kontakt",
    "language": "de",
    "introduction": "Bitte nehmen Sie sich zwei Minuten Zeit.",
    "thank_you_text": "Danke!",
    "target_csat": "85",
    "target_nps": "25",
    "target_ces": "5.5",
    "min_responses": "20",
    "opens_at": "2030-04-01T08:00",
    "closes_at": "2030-04-30T18:00",
    "reminder_after_days": "7",
    "public_link": "y",
    "delete_addresses_on_close": "y",
}


def _form(world, **overrides) -> dict:
    return {
        **SURVEY_FORM,
        "client_id": world.client_a.id,
        "channel_ids": [world.channel_a.id],
        **overrides,
    }


def test_manager_builds_a_survey_on_the_pages(app, client, world):
    login(client, world.manager)
    response = client.post("/surveys/new", data=_form(world))
    assert response.status_code == 302, response.data
    survey_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.target_csat == pytest.approx(0.85)
        # entered in Berlin time (summer time: UTC+2)
        assert survey.opens_at == dt.datetime(2030, 4, 1, 6, 0, tzinfo=dt.UTC)
        assert survey.reminder_after_days == 7
    for data in (
        {"kind": "csat", "text": "Wie zufrieden waren Sie?", "required": "y"},
        {"kind": "ces", "text": "", "required": "y"},
        {"kind": "single_choice", "text": "Worum ging es?", "options": "Rechnung\n\nUmzug\n"},
    ):
        added = client.post(f"/surveys/{survey_id}/questions/new", data=data)
        assert added.status_code == 302, added.data
    page = client.get(f"/surveys/{survey_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen." in text
    assert "CES (effort, 1–7 agreement)" in text and "scale 1–7" in text
    assert "<li>Rechnung</li><li>Umzug</li>" in text
    assert 'aria-label="Move question 2 up"' in text
    with app.app_context():
        token = db.session.get(Survey, survey_id).public_token
        ces = db.session.scalar(select(Question).filter_by(survey_id=survey_id, position=2))
    if "respond.public" in app.view_functions:
        assert f"http://qcrm.test/s/{token}" in text
    moved = client.post(f"/surveys/{survey_id}/questions/{ces.id}/move", data={"direction": "up"})
    assert moved.status_code == 302
    published = client.post(f"/surveys/{survey_id}/publish", follow_redirects=True)
    assert "The survey is published" in published.get_data(as_text=True)
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.published_at is not None
        assert [q.kind for q in survey.questions][:2] == [QuestionKind.CES, QuestionKind.CSAT]


def test_the_edit_form_shows_the_stored_values_in_local_time_and_percent(app, client, world):
    login(client, world.manager)
    survey_id = int(
        client.post("/surveys/new", data=_form(world)).headers["Location"].rsplit("/", 1)[1]
    )
    text = client.get(f"/surveys/{survey_id}/edit").get_data(as_text=True)
    assert 'value="2030-04-01T08:00"' in text
    assert 'value="85.0"' in text
    saved = client.post(f"/surveys/{survey_id}/edit", data=_form(world, title="Neu"))
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Survey, survey_id).title == "Neu"


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"closes_at": "2030-03-01T08:00"}, "closes_at", "The survey must close after it opens."),
        ({"target_csat": "120"}, "target_csat", "Number must be between 0 and 100."),
        ({"title": ""}, "title", "This field is required."),
        ({"channel_ids": [999_999]}, "channel_ids", "is not a valid choice"),
    ],
)
def test_the_survey_form_names_the_wrong_field(client, world, overrides, field_id, message):
    login(client, world.manager)
    response = client.post("/surveys/new", data=_form(world, **overrides))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in text
    assert message in text


def test_the_question_form_names_the_wrong_field(client, world):
    login(client, world.manager)
    with client.application.app_context():
        survey = _new_survey(world)
        survey_id = survey.id
    response = client.post(
        f"/surveys/{survey_id}/questions/new",
        data={"kind": "multiple_choice", "text": "Was?", "options": "Nur eine"},
    )
    assert response.status_code == 400
    assert 'id="options-error"' in response.get_data(as_text=True)


def test_answered_surveys_offer_no_question_changes(app, client, world):
    with app.app_context():
        _answer(world.survey_a.id)
        question_id = db.session.scalar(select(Question.id).filter_by(survey_id=world.survey_a.id))
    login(client, world.manager)
    text = client.get(f"/surveys/{world.survey_a.id}").get_data(as_text=True)
    assert "its questions are frozen" in text
    assert "Add question" not in text and "Move question" not in text
    refused = client.post(
        f"/surveys/{world.survey_a.id}/questions/{question_id}/delete", follow_redirects=True
    )
    assert "Copy the survey" in refused.get_data(as_text=True)
    copied = client.post(f"/surveys/{world.survey_a.id}/copy")
    assert copied.status_code == 302
    copy_page = client.get(copied.headers["Location"]).get_data(as_text=True)
    assert "Kundenzufriedenheit 2030 (copy)" in copy_page
    assert "Add question" in copy_page


def test_executives_read_surveys_without_edit_buttons(client, world):
    login(client, world.executive)
    listing = client.get("/surveys/").get_data(as_text=True)
    assert "Kundenzufriedenheit 2030" in listing
    assert "Zufriedenheit Energie Nord" not in listing, "another client's survey"
    assert "New survey" not in listing
    detail = client.get(f"/surveys/{world.survey_a.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "Wie zufrieden waren Sie?" in text
    for button in ("Edit settings", "Publish", "Close survey", "Copy", "Archive", "Add question"):
        assert button not in text
    assert client.get(f"/surveys/{world.survey_a.id}/edit").status_code == 403
    assert client.post(f"/surveys/{world.survey_a.id}/close").status_code == 403
    assert client.get(f"/surveys/{world.survey_b.id}").status_code == 404


def test_testers_see_no_surveys(client, world):
    login(client, world.tester)
    assert client.get("/surveys/").status_code == 403
    assert client.get(f"/surveys/{world.survey_a.id}").status_code == 403


def test_the_list_shows_status_and_responses_with_a_fixed_number_of_queries(app, client, world):
    with app.app_context():
        _answer(world.survey_a.id)
        _answer(world.survey_a.id)
    login(client, world.manager)
    client.get("/surveys/")
    with count_queries(app) as few:
        text = client.get("/surveys/").get_data(as_text=True)
    assert "Open" in text and "Kundenzufriedenheit 2030" in text
    assert '<td class="text-end">2</td>' in text and '<td class="text-end">0</td>' in text
    with app.app_context():
        for number in range(5):
            _new_survey(world, title=f"Entwurf {number}")
    with count_queries(app) as many:
        text = client.get("/surveys/").get_data(as_text=True)
    assert text.count("Draft") == 5
    assert len(many) == len(few)
