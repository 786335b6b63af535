"""Invitations: the CSV preview and taking its rows, mailing on the schedule (never twice),
one reminder, opting out with one click, bounces, deleting addresses, and who sees the page."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from sqlalchemy import func, select

from qcrm import scheduler
from qcrm.extensions import db
from qcrm.mail import MAX_ATTEMPTS, deliver_due
from qcrm.models import MailStatus, OutboxMail
from surveys import invitations as service
from surveys.models import (
    Delivery,
    Invitation,
    InvitationEvent,
    InvitationState,
    Suppression,
    Survey,
)
from surveys.recipients_csv import RecipientRow
from surveys.results import survey_results
from surveys.tokens import email_hash, token_for, token_hash
from tests.conftest import bearer, count_queries, free_port, login

NOW = dt.datetime(2030, 1, 7, 8, 0, tzinfo=dt.UTC)
ROWS_FIELD = re.compile(r'name="rows" type="hidden" value="([^"]+)"')


def _invite(app, survey_id: int, *addresses: str, now: dt.datetime = NOW) -> list[int]:
    with app.app_context():
        survey = db.session.get_one(Survey, survey_id)
        rows = [RecipientRow(i, address) for i, address in enumerate(addresses)]
        service.add_invitations(survey, rows, now)
        return list(
            db.session.scalars(
                select(Invitation.id)
                .where(Invitation.survey_id == survey_id)
                .order_by(Invitation.id)
            )
        )


def _set(app, model, object_id: int, **values) -> None:
    with app.app_context():
        row = db.session.get_one(model, object_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def _state(app, invitation_id: int) -> InvitationState:
    with app.app_context():
        return db.session.get_one(Invitation, invitation_id).state


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Invitation.id))),
            db.session.scalar(select(func.count(InvitationEvent.id))),
        )


def _upload(client, survey_id: int, data: bytes | str, encoding: str = "auto"):
    if isinstance(data, str):
        data = data.encode()
    return client.post(
        f"/surveys/{survey_id}/invitations/upload",
        data={"file": (io.BytesIO(data), "recipients.csv"), "encoding": encoding},
        content_type="multipart/form-data",
    )


def _bad_rows(html: str) -> list[tuple[int, str]]:
    """(line, reason) of the preview's table of rows that cannot be invited."""
    table = html.split('id="bad-heading"', 1)[1].split("</table>", 1)[0]
    return [
        (int(line), reason)
        for line, reason in re.findall(
            r"<tr><td>(\d+)</td><td[^>]*>[^<]*</td><td>([^<]*)</td>", table
        )
    ]


# The upload, its preview and taking the rows -------------------------------------------------


def test_the_preview_names_every_bad_row_by_line_and_stores_nothing(app, client, world):
    _invite(app, world.survey_a.id, "invited@example.de")
    with app.app_context():
        db.session.add(
            Suppression(
                client_id=world.client_a.id,
                email_hash=email_hash("optout@example.de"),
                created_on=NOW.date(),
            )
        )
        db.session.commit()
    before = _stored(app)
    login(client, world.manager)
    csv_text = (
        "Name;E-Mail;Kanal\r\n"
        "Anna;anna@example.de;Service mail\r\n"  # 2
        "Bernd;not-an-address;\r\n"  # 3
        f"Carla;carla@example.de;{world.channel_a.id}\r\n"  # 4
        "Anna again;ANNA@example.de;\r\n"  # 5
        "Dora;invited@example.de;\r\n"  # 6
        "Emil;optout@example.de;\r\n"  # 7
        "Fritz;fritz@example.de;Hotline\r\n"  # 8 (client B's channel)
        ";;\r\n"  # a blank row: skipped, but it counts as a line
        "Gisela;;\r\n"  # 10
    )
    response = _upload(client, world.survey_a.id, csv_text)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _bad_rows(html) == [
        (3, "This is not a valid e-mail address."),
        (5, "The address appears already in line 2."),
        (6, "This address is already invited to this survey."),
        (7, "This address opted out of the surveys of this client."),
        (8, "“Hotline” is not one of this survey&#39;s channels."),
        (10, "The address is missing."),
    ]
    assert "Take 2 valid rows" in html
    assert _stored(app) == before  # the preview stores nothing

    cancelled = client.get(f"/surveys/{world.survey_a.id}/invitations")
    assert cancelled.status_code == 200
    assert _stored(app) == before

    taken = client.post(
        f"/surveys/{world.survey_a.id}/invitations/take",
        data={"rows": ROWS_FIELD.search(html).group(1)},
        follow_redirects=True,
    )
    assert "2 invitations are added" in taken.get_data(as_text=True)
    with app.app_context():
        new = db.session.scalars(
            select(Invitation).where(Invitation.email.in_(["anna@example.de", "carla@example.de"]))
        ).all()
        assert {(i.email, i.channel_id, i.state) for i in new} == {
            ("anna@example.de", world.channel_a.id, InvitationState.PENDING),
            ("carla@example.de", world.channel_a.id, InvitationState.PENDING),
        }
        for invitation in new:
            assert invitation.token_hash == token_hash(token_for(invitation.token_salt))
            assert invitation.email_hash == email_hash(invitation.email)
    assert _stored(app) == (before[0] + 2, before[1] + 2)


def test_a_windows_1252_file_from_german_excel_is_previewed_with_its_umlauts(app, client, world):
    login(client, world.manager)
    data = "Name;E-Mail\r\nJürgen Müller;jürgen@müller.example\r\n".encode("cp1252")
    response = _upload(client, world.survey_a.id, data)
    assert "jürgen@müller.example" in response.get_data(as_text=True)
    garbled = _upload(client, world.survey_a.id, data, encoding="utf-8")
    assert garbled.status_code == 400
    assert "not valid UTF-8" in garbled.get_data(as_text=True)


def test_a_file_with_the_wrong_columns_gets_one_clear_message_and_nothing_is_stored(
    app, client, world
):
    before = _stored(app)
    login(client, world.manager)
    response = _upload(client, world.survey_a.id, "Name;Adresse\r\nAnna;anna@example.de\r\n")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The file needs a column “email”" in html and "Found: “Name”, “Adresse”." in html
    assert _stored(app) == before


def test_taking_rechecks_rows_that_changed_since_the_preview(app, client, world):
    login(client, world.manager)
    preview = _upload(client, world.survey_a.id, "email\nanna@example.de\nbernd@example.de\n")
    rows = ROWS_FIELD.search(preview.get_data(as_text=True)).group(1)
    _invite(app, world.survey_a.id, "bernd@example.de")  # meanwhile, through the API
    before = _stored(app)
    again = client.post(f"/surveys/{world.survey_a.id}/invitations/take", data={"rows": rows})
    html = again.get_data(as_text=True)
    assert _bad_rows(html) == [(3, "This address is already invited to this survey.")]
    assert "Take 1 valid row" in html
    assert _stored(app) == before


def test_a_forged_or_foreign_preview_is_refused(app, client, world):
    login(client, world.manager)
    preview = _upload(client, world.survey_b.id, "email\nanna@example.de\n")
    foreign = ROWS_FIELD.search(preview.get_data(as_text=True)).group(1)
    before = _stored(app)
    for rows in (foreign, foreign[:-2] + "xx", "garbage"):
        response = client.post(
            f"/surveys/{world.survey_a.id}/invitations/take",
            data={"rows": rows},
            follow_redirects=True,
        )
        html = response.get_data(as_text=True)
        assert "another survey" in html or "could not be read" in html
    assert _stored(app) == before


# Mailing on the schedule ---------------------------------------------------------------------


def _open_survey_a(app, world, **values) -> None:
    _set(app, Survey, world.survey_a.id, **values)


def test_invitations_are_mailed_once_even_when_the_jobs_run_twice(app, world, mailbox):
    _open_survey_a(app, world, closes_at=dt.datetime(2030, 1, 31, 12, tzinfo=dt.UTC))
    ids = _invite(app, world.survey_a.id, "anna@example.de", "bernd@example.de")
    assert scheduler.run_once(app, now=NOW) == 0
    assert scheduler.run_once(app, now=NOW + dt.timedelta(minutes=1)) == 0
    assert sorted(m["To"] for m in mailbox) == ["anna@example.de", "bernd@example.de"]
    with app.app_context():
        invitation = db.session.get_one(Invitation, ids[0])
        assert invitation.state is InvitationState.INVITED
        assert (invitation.send_count, invitation.invited_at) == (1, NOW)
        assert invitation.last_mail_id is not None
        events = db.session.scalars(
            select(InvitationEvent.state).where(InvitationEvent.invitation_id == ids[0])
        ).all()
        assert events == [InvitationState.PENDING, InvitationState.INVITED]
        token = token_for(invitation.token_salt)
    message = next(m for m in mailbox if m["To"] == "anna@example.de")
    assert "Kundenzufriedenheit 2030" in message["Subject"]
    body = message.get_content()
    assert f"http://qcrm.test/s/i/{token}" in body.splitlines()
    assert f"http://qcrm.test/s/i/{token}/opt-out" in body
    assert "31.01.2030" in body  # the survey's language (German) formats the closing date
    assert message["List-Unsubscribe"].strip() == f"<http://qcrm.test/s/i/{token}/opt-out>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_two_schedulers_at_once_mail_each_invitation_once(app, world, mailbox):
    addresses = [f"kunde{i}@example.de" for i in range(12)]
    _invite(app, world.survey_a.id, *addresses)
    results: list[int] = []

    def run() -> None:
        with app.app_context():
            results.append(service.send_invitations(NOW))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 12
    assert sorted(m["To"] for m in mailbox) == sorted(addresses)


def test_nothing_is_mailed_while_the_survey_is_not_open(app, world, mailbox):
    _invite(app, world.survey_a.id, "anna@example.de")
    _open_survey_a(app, world, opens_at=NOW + dt.timedelta(days=1))
    with app.app_context():
        assert service.send_invitations(NOW) == 0
    _open_survey_a(app, world, opens_at=None, closed_at=NOW)
    with app.app_context():
        assert service.send_invitations(NOW) == 0
    assert mailbox == []


def test_one_reminder_after_the_set_days_and_none_to_who_answered_opted_out_or_bounced(
    app, world, mailbox
):
    _open_survey_a(app, world, reminder_after_days=3)
    ids = _invite(
        app,
        world.survey_a.id,
        "anna@example.de",
        "bernd@example.de",
        "carla@example.de",
        "dora@example.de",
    )
    with app.app_context():
        assert service.send_invitations(NOW) == 4
    _set(app, Invitation, ids[1], state=InvitationState.ANSWERED)
    _set(app, Invitation, ids[2], state=InvitationState.OPTED_OUT)
    _set(app, Invitation, ids[3], state=InvitationState.BOUNCED)
    mailbox.clear()
    with app.app_context():
        assert service.send_reminders(NOW + dt.timedelta(days=3) - dt.timedelta(minutes=1)) == 0
        assert service.send_reminders(NOW + dt.timedelta(days=3)) == 1
        assert service.send_reminders(NOW + dt.timedelta(days=4)) == 0
        invitation = db.session.get_one(Invitation, ids[0])
        assert invitation.state is InvitationState.REMINDED
        assert invitation.send_count == 2
        assert invitation.reminded_at == NOW + dt.timedelta(days=3)
    assert [m["To"] for m in mailbox] == ["anna@example.de"]
    assert mailbox[0]["Subject"] == "Erinnerung: Kundenzufriedenheit 2030"  # the survey's language
    assert mailbox[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_surveys_without_reminder_days_send_no_reminders(app, world, mailbox):
    _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        service.send_invitations(NOW)
        assert service.send_reminders(NOW + dt.timedelta(days=60)) == 0


def test_sent_mails_keep_no_personal_link_in_the_outbox(app, world, mailbox):
    _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        service.send_invitations(NOW)
        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.status is MailStatus.SENT
        assert mail.body_text == service.SCRUBBED_BODY
        assert mail.headers == {}
    assert len(mailbox) == 1


def _counts(app, survey_id: int, *keys: str) -> tuple[int, ...]:
    with app.app_context():
        counts = service.invitation_counts(db.session.get_one(Survey, survey_id))
        return tuple(counts[key] for key in keys)


DELIVERY = ("invited", "queued", "failed", "delivered", "bounced", "waiting")
NO_SERVER = "RuntimeError: MAIL_SERVER is not configured"


def test_without_a_mail_server_invitations_fail_with_their_reason_and_are_not_delivered(
    make_app, world, mailbox
):
    app = make_app(MAIL_SERVER=None)
    survey_id = world.survey_a.id
    _invite(app, survey_id, *(f"kunde{i}@example.de" for i in range(4)))
    with app.app_context():
        assert service.send_invitations(NOW) == 4
        survey = db.session.get_one(Survey, survey_id)
        assert service.delivery_failures(survey) == [
            service.DeliveryFailure(NO_SERVER, 4, retrying=True)
        ]
        invitations = survey_results(survey).invitations
        assert (invitations.invited, invitations.delivered, invitations.failed) == (4, 0, 4)
        assert invitations.response_rate is None  # nothing delivered: no denominator
    assert _counts(app, survey_id, *DELIVERY) == (4, 0, 4, 0, 0, 0)

    client = app.test_client()
    login(client, world.manager)
    page = client.get(f"/surveys/{survey_id}/invitations").get_data(as_text=True)
    failures = page.split('id="delivery-failures"', 1)[1].split("</div>", 1)[0]
    assert "4 invitations" in failures and NO_SERVER in failures
    assert "retried automatically" in failures
    results_page = client.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    rate = results_page.split('id="response-rate"', 1)[1].split("</p>", 1)[0]
    assert "delivered 0" in rate and "failed 4" in rate and NO_SERVER in rate
    assert "Response rate" not in rate
    api = client.get(
        f"/api/v1/surveys/{survey_id}/invitations/counts", headers=bearer(world.tokens["manager"])
    ).json
    assert (api["invited"], api["failed"], api["delivered"]) == (4, 4, 0)
    assert api["failures"] == [{"reason": NO_SERVER, "count": 4, "retrying": True}]
    results_api = client.get(
        f"/api/v1/surveys/{survey_id}/results", headers=bearer(world.tokens["manager"])
    ).json["invitations"]
    assert (results_api["delivered"], results_api["failed"]) == (0, 4)
    assert results_api["response_rate"] is None
    assert mailbox == []

    # Once a server is set, the outbox's retry sends them: now they are delivered.
    working = make_app()
    with working.app_context():
        assert deliver_due(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)) == 4
        assert service.delivery_failures(db.session.get_one(Survey, survey_id)) == []
    assert _counts(working, survey_id, *DELIVERY) == (4, 0, 0, 4, 0, 4)
    assert len(mailbox) == 4


def test_a_refused_recipient_is_bounced_at_once_and_not_delivered(app, world, smtp_server, mailbox):
    smtp_server.handler.refused.add("gone@example.de")
    _open_survey_a(app, world, reminder_after_days=1)
    gone, anna = _invite(app, world.survey_a.id, "gone@example.de", "anna@example.de")
    with app.app_context():
        assert service.send_invitations(NOW) == 2
        invitation = db.session.get_one(Invitation, gone)
        assert (invitation.state, invitation.delivery) == (
            InvitationState.BOUNCED,
            Delivery.BOUNCED,
        )
        mail = invitation.last_mail
        assert mail.status is MailStatus.BOUNCED
        assert mail.last_error == "SMTPRecipientsRefused: 550 5.1.1 Mailbox does not exist"
        assert mail.body_text == service.SCRUBBED_BODY  # the personal link is gone at once
        events = db.session.execute(
            select(InvitationEvent.state, InvitationEvent.detail)
            .where(InvitationEvent.invitation_id == gone)
            .order_by(InvitationEvent.id)
        ).all()
        assert events == [
            (InvitationState.PENDING, ""),
            (InvitationState.INVITED, ""),
            (InvitationState.BOUNCED, "SMTPRecipientsRefused: 550 5.1.1 Mailbox does not exist"),
        ]
        # a bounce is final: no retry, no reminder
        db.session.rollback()  # end the read transaction: on SQLite it holds the write lock
        assert deliver_due(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) == 0
        assert service.send_reminders(NOW + dt.timedelta(days=2)) == 1
        survey = db.session.get_one(Survey, world.survey_a.id)
        invitations = survey_results(survey).invitations
        assert (invitations.delivered, invitations.bounced) == (1, 1)
    assert _counts(app, world.survey_a.id, *DELIVERY) == (2, 0, 0, 1, 1, 1)
    assert [m["To"] for m in mailbox] == ["anna@example.de", "anna@example.de"]
    assert _state(app, anna) is InvitationState.REMINDED


def test_a_failed_or_bounced_reminder_does_not_undo_a_delivered_invitation(
    make_app, world, smtp_server, mailbox
):
    working = make_app()
    _open_survey_a(working, world, reminder_after_days=1)
    anna, bernd = _invite(working, world.survey_a.id, "anna@example.de", "bernd@example.de")
    with working.app_context():
        assert service.send_invitations(NOW) == 2
    assert _counts(working, world.survey_a.id, "delivered", "waiting") == (2, 2)
    _set(working, Invitation, bernd, invited_at=NOW + dt.timedelta(days=1))  # reminded later
    smtp_server.handler.refused.add("anna@example.de")  # her mailbox is gone meanwhile
    with working.app_context():
        assert service.send_reminders(NOW + dt.timedelta(days=1)) == 1  # anna's bounces
    broken = make_app(MAIL_SERVER=None)
    with broken.app_context():
        assert service.send_reminders(NOW + dt.timedelta(days=2)) == 1  # bernd's fails
        reminders = {
            invitation.id: invitation.last_mail.status
            for invitation in db.session.scalars(select(Invitation))
        }
        assert reminders == {anna: MailStatus.BOUNCED, bernd: MailStatus.FAILED}
        survey = db.session.get_one(Survey, world.survey_a.id)
        assert service.delivery_failures(survey) == []
        assert {i.delivery for i in db.session.scalars(select(Invitation))} == {Delivery.DELIVERED}
    assert _counts(broken, world.survey_a.id, *DELIVERY) == (2, 0, 0, 2, 0, 2)
    assert _state(broken, anna) is InvitationState.REMINDED


def test_a_mail_that_never_goes_out_stays_failed_with_its_reason_and_gets_no_reminder(
    make_app, world
):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    _open_survey_a(app, world, reminder_after_days=1)
    (invitation_id,) = _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        service.send_invitations(NOW)
        assert service.send_reminders(NOW + dt.timedelta(days=2)) == 0  # not while failing
        db.session.rollback()
        for days in range(1, MAX_ATTEMPTS):  # the outbox's retries, each one day later
            deliver_due(dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
        assert db.session.scalars(select(OutboxMail.attempts)).one() == MAX_ATTEMPTS
        service.track_mails(NOW)
        invitation = db.session.get_one(Invitation, invitation_id)
        # a refused connection is our side's failure, not the address's: failed, not bounced
        assert (invitation.state, invitation.delivery) == (
            InvitationState.INVITED,
            Delivery.FAILED,
        )
        assert invitation.last_mail.body_text == service.SCRUBBED_BODY
        (failure,) = service.delivery_failures(db.session.get_one(Survey, world.survey_a.id))
        assert "refused" in failure.reason.lower()
        assert (failure.count, failure.retrying) == (1, False)
        assert service.send_reminders(NOW + dt.timedelta(days=5)) == 0
    assert _counts(app, world.survey_a.id, *DELIVERY) == (1, 0, 1, 0, 0, 0)


# Opting out ------------------------------------------------------------------------------------


def test_the_one_click_post_without_csrf_token_opts_out_and_suppresses_the_client(
    make_app, world, mailbox
):
    app = make_app(WTF_CSRF_ENABLED=True)
    (invitation_id,) = _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        service.send_invitations(NOW)
    # (long headers are folded; the unfolded value keeps a leading space)
    url = mailbox[0]["List-Unsubscribe"].strip().strip("<>").removeprefix("http://qcrm.test")
    client = app.test_client()
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Keine weiteren Einladungen zu Umfragen?" in confirm.get_data(as_text=True)
    assert _state(app, invitation_id) is InvitationState.INVITED  # GET changes nothing

    response = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Sie erhalten keine Einladungen zu Umfragen mehr" in response.get_data(as_text=True)
    assert _state(app, invitation_id) is InvitationState.OPTED_OUT
    assert client.post(url).status_code == 200  # twice is fine

    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(
                    Suppression.client_id == world.client_a.id,
                    Suppression.email_hash == email_hash("Anna@Example.de"),
                )
            )
            == 1
        )
        states = db.session.scalars(
            select(InvitationEvent.state).where(InvitationEvent.invitation_id == invitation_id)
        ).all()
        assert states.count(InvitationState.OPTED_OUT) == 1
        later = Survey(client_id=world.client_a.id, title="Zweite Umfrage", language="de")
        other_client = db.session.get_one(Survey, world.survey_b.id)
        db.session.add(later)
        db.session.commit()
        rows = [RecipientRow(2, "anna@example.de")]
        assert [b.reason for b in service.check_recipients(later, rows).bad] == [
            "This address opted out of the surveys of this client."
        ]
        assert service.check_recipients(other_client, rows).bad == []


def test_an_opt_out_ends_the_open_invitations_of_the_clients_other_surveys(app, world, mailbox):
    (first,) = _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        second_survey = Survey(
            client_id=world.client_a.id, title="Zweite", published_at=NOW - dt.timedelta(days=1)
        )
        db.session.add(second_survey)
        db.session.commit()
        second_id = second_survey.id
    (second,) = _invite(app, second_id, "anna@example.de")
    with app.app_context():
        service.opt_out(db.session.get_one(Invitation, first), NOW)
        assert service.send_invitations(NOW) == 0
    assert _state(app, second) is InvitationState.OPTED_OUT
    assert mailbox == []


def test_a_pending_invitation_of_an_address_suppressed_meanwhile_is_not_mailed(app, world, mailbox):
    (invitation_id,) = _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        db.session.add(
            Suppression(
                client_id=world.client_a.id,
                email_hash=email_hash("anna@example.de"),
                created_on=NOW.date(),
            )
        )
        db.session.commit()
        assert service.send_invitations(NOW) == 0
    assert _state(app, invitation_id) is InvitationState.OPTED_OUT
    assert mailbox == []


def test_opting_out_after_answering_keeps_the_answer_and_suppresses_the_address(app, world):
    (invitation_id,) = _invite(app, world.survey_a.id, "anna@example.de")
    _set(app, Invitation, invitation_id, state=InvitationState.ANSWERED)
    with app.app_context():
        service.opt_out(db.session.get_one(Invitation, invitation_id), NOW)
        assert db.session.scalar(select(func.count(Suppression.id))) == 1
    assert _state(app, invitation_id) is InvitationState.ANSWERED


def test_an_unknown_opt_out_link_gets_a_polite_404(client):
    for method in (client.get, client.post):
        response = method("/s/i/not-a-real-token/opt-out")
        assert response.status_code == 404
        assert "does not belong to any survey invitation" in response.get_data(as_text=True)


# Deleting addresses, the figures and the page --------------------------------------------------


def test_deleting_addresses_keeps_hashes_and_clears_sent_mails(app, client, world, mailbox):
    ids = _invite(app, world.survey_a.id, "anna@example.de", "bernd@example.de")
    with app.app_context():
        service.send_invitations(NOW)
    login(client, world.manager)
    url = f"/surveys/{world.survey_a.id}/invitations/delete-addresses"
    unconfirmed = client.post(url, follow_redirects=True)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get_one(Invitation, ids[0]).email == "anna@example.de"

    page = client.post(url, data={"confirm": "y"}, follow_redirects=True)
    assert "2 addresses are deleted." in page.get_data(as_text=True)
    with app.app_context():
        survey = db.session.get_one(Survey, world.survey_a.id)
        assert survey.addresses_deleted_at is not None
        invitations = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        assert [i.email for i in invitations] == [None, None]
        assert invitations[0].email_hash == email_hash("anna@example.de")
        assert {m.recipient for m in db.session.scalars(select(OutboxMail))} == {""}
        assert service.send_reminders(NOW + dt.timedelta(days=30)) == 0
        bad = service.check_recipients(survey, [RecipientRow(2, "anna@example.de")]).bad
        assert [b.reason for b in bad] == ["This address is already invited to this survey."]
    assert "deleted" in client.get(f"/surveys/{world.survey_a.id}/invitations").get_data(
        as_text=True
    )


def test_delete_addresses_is_the_service_close_survey_calls(app, world):
    _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        survey = db.session.get_one(Survey, world.survey_a.id)
        assert service.delete_addresses(survey, NOW) == 1
        assert survey.addresses_deleted_at == NOW
        assert service.delete_addresses(survey, NOW) == 0


def test_invitation_counts_come_from_one_query(app, world):
    ids = _invite(app, world.survey_a.id, *(f"k{i}@example.de" for i in range(7)))
    with app.app_context():
        service.send_invitations(NOW)
    _set(app, Invitation, ids[0], state=InvitationState.ANSWERED)
    _set(app, Invitation, ids[1], state=InvitationState.OPTED_OUT)
    _set(app, Invitation, ids[2], state=InvitationState.BOUNCED, delivery=Delivery.BOUNCED)
    _set(app, Invitation, ids[3], state=InvitationState.REMINDED, reminded_at=NOW)
    _set(app, Invitation, ids[4], state=InvitationState.PENDING, invited_at=None, delivery=None)
    _set(app, Invitation, ids[5], delivery=Delivery.FAILED)
    with app.app_context():
        survey = db.session.get_one(Survey, world.survey_a.id)
        with count_queries(app) as statements:
            counts = service.invitation_counts(survey)
    assert len(statements) == 1
    assert counts == {
        "total": 7,
        "pending": 1,
        "invited": 6,
        "queued": 0,
        "failed": 1,
        "delivered": 4,
        "bounced": 1,
        "reminded": 1,
        "waiting": 2,
        "answered": 1,
        "opted_out": 1,
    }


def test_the_page_lists_invitations_with_their_history(app, client, world, mailbox):
    _invite(app, world.survey_a.id, "anna@example.de")
    with app.app_context():
        service.send_invitations(NOW)
    login(client, world.manager)
    html = client.get(f"/surveys/{world.survey_a.id}/invitations").get_data(as_text=True)
    assert "anna@example.de" in html
    assert "pending (through the API)" not in html
    assert "invited" in html and "Add recipients" in html
    filtered = client.get(f"/surveys/{world.survey_a.id}/invitations?state=bounced")
    assert "anna@example.de" not in filtered.get_data(as_text=True)
    invited = client.get(f"/surveys/{world.survey_a.id}/invitations?state=invited")
    assert "anna@example.de" in invited.get_data(as_text=True)


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        ("manager", 200),
        ("admin", 200),
        ("client_manager", 200),
        ("executive", 403),
        ("tester", 403),
    ],
)
def test_only_survey_editors_see_the_addresses(app, client, world, principal, status):
    login(client, world.user(principal))
    assert client.get(f"/surveys/{world.survey_a.id}/invitations").status_code == status


def test_another_clients_survey_answers_404(app, client, world):
    login(client, world.client_manager)
    assert client.get(f"/surveys/{world.survey_b.id}/invitations").status_code == 404
    assert _upload(client, world.survey_b.id, "email\na@example.de\n").status_code == 404
