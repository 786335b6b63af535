"""Login, throttling, sessions, password change, reset and invitation links."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qcrm.extensions import db
from qcrm.models import MailStatus, OutboxMail, Role, User
from tests.conftest import PASSWORD, login, run_outbox_job


def _login(client, email, password=PASSWORD, next_url=None, remember=False):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post(url, data=data)


def test_login_with_correct_password_goes_to_start_page(client, world):
    response = _login(client, "manager@qcrm.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200


def test_login_email_is_case_insensitive(client, world):
    assert _login(client, "  Manager@QCRM.example ").headers["Location"] == "/home"


def test_wrong_password_says_so_without_revealing_which_part(client, world):
    response = _login(client, "manager@qcrm.example", "wrong password")
    assert response.status_code == 200
    assert b"E-mail or password is not correct." in response.data
    unknown = _login(client, "nobody@qcrm.example", "wrong password")
    assert b"E-mail or password is not correct." in unknown.data


def test_deactivated_user_cannot_log_in(app, client, world):
    with app.app_context():
        db.session.get(User, world.tester.id).active = False
        db.session.commit()
    assert _login(client, "tester@qcrm.example").status_code == 200


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_redirect_stays_on_this_site(client, world, target):
    response = _login(client, "manager@qcrm.example", next_url=target)
    assert response.headers["Location"] == "/home"


def test_next_redirect_to_a_local_page_is_followed(client, world):
    response = _login(client, "manager@qcrm.example", next_url="/clients/")
    assert response.headers["Location"] == "/clients/"


def test_remember_me_sets_a_long_lived_cookie(client, world):
    _login(client, "manager@qcrm.example", remember=True)
    assert client.get_cookie("remember_token") is not None


def test_login_is_throttled_per_account(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
    client = app.test_client()
    for _ in range(3):
        assert _login(client, "manager@qcrm.example", "wrong").status_code == 200
    blocked = _login(client, "manager@qcrm.example", PASSWORD)
    assert blocked.status_code == 429
    assert b"Too many failed logins" in blocked.data
    # other accounts from the same address are not locked by the account limit
    assert _login(client, "admin@qcrm.example").status_code == 302


def test_login_is_throttled_per_address(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS="4 per 15 minutes")
    client = app.test_client()
    for index in range(4):
        _login(client, f"nobody{index}@qcrm.example", "wrong")
    assert _login(client, "manager@qcrm.example").status_code == 429


def test_successful_logins_do_not_count_against_the_limit(make_app, world):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="2 per 15 minutes")
    for _ in range(4):
        client = app.test_client()
        assert _login(client, "manager@qcrm.example").status_code == 302


def test_logout_needs_post_and_ends_the_session(client, world):
    login(client, world.manager)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, world):
    this_device, other_device = app.test_client(), app.test_client()
    _login(this_device, "manager@qcrm.example")
    _login(other_device, "manager@qcrm.example")
    response = this_device.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "confirm": "a new long password",
        },
    )
    assert response.status_code == 302
    assert this_device.get("/home").status_code == 200
    assert other_device.get("/home").status_code == 302
    assert (
        _login(app.test_client(), "manager@qcrm.example", "a new long password").status_code == 302
    )


def test_password_change_with_wrong_current_password_is_refused(client, world):
    login(client, world.manager)
    response = client.post(
        "/profile/password",
        data={"current_password": "nope", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert response.status_code == 400
    assert b"The current password is not correct." in response.data


def test_too_short_new_password_is_refused_on_its_field(client, world):
    login(client, world.manager)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert response.status_code == 400
    assert b"Use at least 10 characters." in response.data


def test_deactivation_ends_the_users_sessions(app, client, world):
    login(client, world.executive)
    assert client.get("/home").status_code == 200
    admin = app.test_client()
    login(admin, world.admin)
    response = admin.post(
        f"/admin/users/{world.executive.id}",
        data={"email": "executive@qcrm.example", "name": "Exec", "role": "executive"},
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 302


def _link_from(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://qcrm\.test(/\S+)", body)
    assert match, body
    return match.group(1)


def test_password_reset_mail_link_sets_a_new_password_once(app, client, world, mailbox):
    response = client.post("/password/forgot", data={"email": "tester@qcrm.example"})
    assert response.status_code == 302
    run_outbox_job(app)
    assert len(mailbox) == 1
    assert mailbox[0]["To"] == "tester@qcrm.example"
    path = _link_from(mailbox[0])
    assert client.get(path).status_code == 200
    new_password = {"password": "brand new secret", "confirm": "brand new secret"}
    assert client.post(path, data=new_password).status_code == 302
    assert client.get("/home").status_code == 200
    # the link works once only
    assert client.get(path).status_code == 400


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(client, world, mailbox):
    response = client.post(
        "/password/forgot", data={"email": "nobody@qcrm.example"}, follow_redirects=True
    )
    assert b"If an account uses this address" in response.data
    assert mailbox == []


def test_the_reset_request_talks_to_no_mail_server_and_the_outbox_job_sends_the_mail(
    app, client, world, mailbox
):
    known = client.post("/password/forgot", data={"email": "tester@qcrm.example"})
    unknown = client.post("/password/forgot", data={"email": "nobody@qcrm.example"})
    # no SMTP inside the request: the answer cannot take longer for an existing account
    assert mailbox == []
    with app.app_context():
        (queued,) = db.session.scalars(select(OutboxMail)).all()
        assert (queued.recipient, queued.status, queued.attempts) == (
            "tester@qcrm.example",
            MailStatus.QUEUED,
            0,
        )
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    run_outbox_job(app)
    assert [message["To"] for message in mailbox] == ["tester@qcrm.example"]
    with app.app_context():
        assert db.session.get(OutboxMail, queued.id).status is MailStatus.SENT


def test_reset_mail_is_in_the_users_language(app, client, world, mailbox):
    with app.app_context():
        db.session.get(User, world.tester.id).language = "de"
        db.session.commit()
    client.post("/password/forgot", data={"email": "tester@qcrm.example"})
    run_outbox_job(app)
    assert "Passwort" in mailbox[0]["Subject"]
    assert "Hallo" in mailbox[0].get_body(("plain",)).get_content()


def test_admin_invites_a_new_user_who_sets_a_password(app, client, world, mailbox):
    login(client, world.admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "new.tester@qcrm.example",
            "name": "Neue Testerin",
            "role": "tester",
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert [m["To"] for m in mailbox] == ["new.tester@qcrm.example"]
    path = _link_from(mailbox[0])
    assert path.startswith("/invitation/")
    invited = app.test_client()
    response = invited.post(
        path, data={"password": "my own password", "confirm": "my own password"}
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(email="new.tester@qcrm.example").one()
        assert user.role is Role.TESTER
        assert user.password_hash


def test_admin_form_errors_name_the_field(client, world):
    login(client, world.admin)
    response = client.post(
        "/admin/users/new", data={"email": "manager@qcrm.example", "name": "X", "role": "manager"}
    )
    assert response.status_code == 400
    assert b"A user with this e-mail address already exists." in response.data


def test_admin_cannot_demote_themselves(client, world):
    login(client, world.admin)
    response = client.post(
        f"/admin/users/{world.admin.id}",
        data={"email": "admin@qcrm.example", "name": "Admin", "role": "tester", "active": "y"},
    )
    assert response.status_code == 400
    assert b"You cannot take away your own admin rights" in response.data


def test_invalid_reset_link_is_refused_politely(client, world):
    response = client.get("/password/reset/forged-token")
    assert response.status_code == 400
    assert b"This link is invalid or has expired." in response.data


NEW_TESTER = {"email": "new.tester@qcrm.example", "name": "Neue Testerin", "role": "tester"}


def test_the_admin_is_told_the_invitation_was_e_mailed_only_once_it_was(
    app, client, world, mailbox
):
    login(client, world.admin)
    page = client.post("/admin/users/new", data=NEW_TESTER, follow_redirects=True)
    assert "An invitation has been e-mailed to Neue Testerin." in page.get_data(as_text=True)
    assert [m["To"] for m in mailbox] == ["new.tester@qcrm.example"]


def test_without_a_mail_server_the_admin_sees_the_invitation_failed_and_why(make_app, world):
    app = make_app(MAIL_SERVER=None)
    client = app.test_client()
    login(client, world.admin)
    html = client.post("/admin/users/new", data=NEW_TESTER, follow_redirects=True).get_data(
        as_text=True
    )
    assert "e-mailed" not in html
    assert (
        "The invitation to Neue Testerin could not be sent yet "
        "(RuntimeError: MAIL_SERVER is not configured); it is retried automatically." in html
    )
    with app.app_context():
        user_id = db.session.query(User).filter_by(email="new.tester@qcrm.example").one().id
    again = client.post(f"/admin/users/{user_id}/invite", follow_redirects=True)
    assert "could not be sent yet" in again.get_data(as_text=True)
    assert "on its way" not in again.get_data(as_text=True)


def test_a_refused_address_is_shown_to_the_admin_as_not_delivered(app, client, world, smtp_server):
    smtp_server.handler.refused.add("new.tester@qcrm.example")
    login(client, world.admin)
    html = client.post("/admin/users/new", data=NEW_TESTER, follow_redirects=True).get_data(
        as_text=True
    )
    assert (
        "The mail server refused the address of Neue Testerin "
        "(SMTPRecipientsRefused: 550 5.1.1 Mailbox does not exist)" in html
    )


def test_the_reset_page_promises_no_mail_that_is_not_sent(make_app, world):
    app = make_app(MAIL_SERVER=None)
    html = (
        app.test_client()
        .post("/password/forgot", data={"email": "tester@qcrm.example"}, follow_redirects=True)
        .get_data(as_text=True)
    )
    # the same words for known and unknown addresses (no account can be told from the page)
    assert "If an account uses this address, a link to reset the password will be e-mailed" in html
    assert "on its way" not in html


COMMON = "Password123"  # on the shipped list (as "password123"): case does not help


def test_a_common_password_is_refused_on_its_field_when_changing_it(client, world):
    login(client, world.manager)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": COMMON, "confirm": COMMON},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This password is one of the most common ones" in html
    assert 'id="new_password-error"' in html


def test_a_common_password_is_refused_when_setting_one_with_a_reset_link(app, client, world):
    with app.app_context():
        from qcrm import accounts

        token = accounts.make_password_token(db.session.get_one(User, world.tester.id), "reset")
    response = client.post(
        f"/password/reset/{token}", data={"password": "qwertyuiop", "confirm": "qwertyuiop"}
    )
    assert response.status_code == 200
    assert "This password is one of the most common ones" in response.get_data(as_text=True)
    assert _login(client, "tester@qcrm.example").status_code == 302  # the old one still works


def test_the_common_password_message_is_in_german_too(app, client, world):
    login(client, world.manager)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": COMMON, "confirm": COMMON},
        headers={"Accept-Language": "de"},
    )
    assert "Dieses Passwort gehört zu den häufigsten" in response.get_data(as_text=True)


def test_the_shipped_list_holds_the_common_passwords_and_not_a_passphrase(app):
    from qcrm import accounts

    with app.app_context():
        assert all(
            accounts.is_common_password(p) for p in ("1234567890", "iloveyou123", "1q2w3e4r5t")
        )
        assert not accounts.is_common_password(PASSWORD)
        assert len(accounts._common_passwords(str(accounts.COMMON_PASSWORDS_FILE))) > 19_000
