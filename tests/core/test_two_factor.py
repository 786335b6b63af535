"""Two-factor login: set-up with a confirmed code, the code step after the password, one-time
codes and recovery codes, the per-role requirement, the admin's reset and the brakes."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pyotp
import pytest
import time_machine
from sqlalchemy import event, func, select

from qcrm import accounts, two_factor
from qcrm.config import DefaultConfig
from qcrm.demo import load_demo
from qcrm.extensions import db
from qcrm.models import LoginAttempt, LoginResult, Role, User
from qcrm.two_factor import RecoveryCode, TwoFactorCredential
from tests.conftest import PASSWORD, bearer, login

#: Start of a 30-second time step, so that shifting by 30 s gives the next code.
START = dt.datetime(2030, 3, 4, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _secret_on_page(html: str) -> str:
    match = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "the set-up page shows the key for typing in"
    return match.group(1).replace(" ", "")


def _recovery_codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", html)


def enrol(client, user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-factor login through the profile pages; returns the app's TOTP and the
    recovery codes. The confirming code uses up the current time step."""
    login(client, user)
    assert client.post("/profile/two-factor/start").status_code == 302
    totp = pyotp.TOTP(_secret_on_page(client.get("/profile/two-factor").get_data(as_text=True)))
    confirmed = client.post("/profile/two-factor/confirm", data={"confirm-code": totp.now()})
    assert confirmed.status_code == 200
    codes = _recovery_codes_on_page(confirmed.get_data(as_text=True))
    client.post("/logout")
    return totp, codes


def _checkbox(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*id="{name}"[^>]*>', html).group(0)


def _user_row(html: str, email: str) -> str:
    """The admin's user-list row of one user, without its closing tag."""
    row = re.search(rf"<tr>(?:(?!</tr>).)*<td>{re.escape(email)}</td>(?:(?!</tr>).)*", html, re.S)
    return row.group(0).strip()


def _password_step(client, email="manager@qcrm.example", next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": PASSWORD})


def _code_step(client, code: str):
    return client.post("/login/two-factor", data={"code": code})


def _logged_in(client) -> bool:
    return client.get("/home").status_code == 200


def test_set_up_shows_qr_code_and_key_and_switches_on_only_with_a_current_code(
    app, client, world, clock
):
    login(client, world.manager)
    client.post("/profile/two-factor/start")
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # drawn by the app, no outside QR service
    totp = pyotp.TOTP(_secret_on_page(page))

    wrong = client.post("/profile/two-factor/confirm", data={"confirm-code": "000000"})
    assert wrong.status_code == 400
    assert b"The code is not correct." in wrong.data
    with app.app_context():
        assert not two_factor.is_enabled(db.session.get(User, world.manager.id))

    spaced = f"{totp.now()[:3]} {totp.now()[3:]}"  # as some apps show it
    confirmed = client.post("/profile/two-factor/confirm", data={"confirm-code": spaced})
    assert confirmed.status_code == 200
    codes = _recovery_codes_on_page(confirmed.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        assert two_factor.is_enabled(db.session.get(User, world.manager.id))
    afterwards = client.get("/profile/two-factor").get_data(as_text=True)
    assert totp.secret not in afterwards.replace(" ", "")
    assert "two-factor-secret" not in afterwards
    assert codes[0] not in afterwards


def test_the_secret_is_stored_encrypted_and_recovery_codes_hashed(app, client, world, clock):
    totp, codes = enrol(client, world.manager)
    with app.app_context():
        credential = db.session.get(TwoFactorCredential, world.manager.id)
        assert totp.secret not in credential.secret_encrypted
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10
        assert all(h.startswith("$argon2") for h in hashes)
        assert not any(code.replace("-", "") in h for code in codes for h in hashes)


def test_after_the_password_the_code_is_asked_before_the_user_is_logged_in(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(30)
    response = _password_step(client, next_url="/clients/")
    assert response.headers["Location"] == "/login/two-factor"
    assert not _logged_in(client)
    assert b"authenticator app" in client.get("/login/two-factor").data

    done = _code_step(client, totp.now())
    assert done.headers["Location"] == "/clients/"  # the next page is kept
    assert _logged_in(client)


def test_an_unsafe_next_url_is_not_kept_through_the_code_step(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(30)
    _password_step(client, next_url="//evil.example/")
    assert _code_step(client, totp.now()).headers["Location"] == "/home"


def test_a_wrong_code_is_refused(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(30)
    _password_step(client)
    wrong = _code_step(client, "123456" if totp.now() != "123456" else "654321")
    assert wrong.status_code == 400
    assert b"The code is not correct." in wrong.data
    assert not _logged_in(client)


def test_a_code_is_accepted_once_only(app, client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(30)
    code = totp.now()
    _password_step(client)
    assert _code_step(client, code).status_code == 302
    client.post("/logout")

    _password_step(client)
    replayed = _code_step(client, code)
    assert replayed.status_code == 400
    assert not _logged_in(client)
    # the code used to confirm the set-up was already spent too
    client.post("/logout")
    _password_step(client)
    assert _code_step(client, totp.at(START)).status_code == 400


def test_codes_of_one_time_step_either_side_are_accepted_but_not_older(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(120)
    now = START + dt.timedelta(seconds=120)
    _password_step(client)
    assert _code_step(client, totp.at(now - dt.timedelta(seconds=60))).status_code == 400
    assert _code_step(client, totp.at(now - dt.timedelta(seconds=30))).status_code == 302
    client.post("/logout")
    _password_step(client)
    assert _code_step(client, totp.at(now + dt.timedelta(seconds=30))).status_code == 302


def test_a_recovery_code_logs_in_once(client, world, clock):
    _totp, codes = enrol(client, world.manager)
    _password_step(client)
    assert _code_step(client, codes[3].upper().replace("-", " ")).status_code == 302
    assert _logged_in(client)
    client.post("/logout")

    _password_step(client)
    assert _code_step(client, codes[3]).status_code == 400
    assert _code_step(client, codes[4]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, world, clock):
    totp, old_codes = enrol(client, world.manager)
    login(client, world.manager)
    clock.shift(30)
    refused = client.post("/profile/two-factor/recovery-codes", data={"renew-code": "000000"})
    assert refused.status_code == 400
    renewed = client.post("/profile/two-factor/recovery-codes", data={"renew-code": totp.now()})
    new_codes = _recovery_codes_on_page(renewed.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/logout")

    _password_step(client)
    assert _code_step(client, old_codes[0]).status_code == 400
    assert _code_step(client, new_codes[0]).status_code == 302


def test_switching_off_needs_the_password_and_a_code(app, client, world, clock):
    totp, _codes = enrol(client, world.manager)
    login(client, world.manager)
    clock.shift(30)
    wrong_password = client.post(
        "/profile/two-factor/off", data={"off-password": "not it", "off-code": totp.now()}
    )
    assert wrong_password.status_code == 400
    assert b"The password is not correct." in wrong_password.data
    no_code = client.post(
        "/profile/two-factor/off", data={"off-password": PASSWORD, "off-code": "000000"}
    )
    assert no_code.status_code == 400
    off = client.post(
        "/profile/two-factor/off", data={"off-password": PASSWORD, "off-code": totp.now()}
    )
    assert off.status_code == 302
    with app.app_context():
        assert not two_factor.is_enabled(db.session.get(User, world.manager.id))
        assert db.session.scalars(select(RecoveryCode)).all() == []
    client.post("/logout")
    assert _password_step(client).headers["Location"] == "/home"


def test_the_pending_login_expires_after_five_minutes(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    _password_step(client)
    clock.shift(301)
    late = _code_step(client, totp.now())
    assert late.headers["Location"] == "/login"
    assert not _logged_in(client)


def test_the_pending_login_belongs_to_the_user_whose_password_was_right(app, client, world, clock):
    totp, _codes = enrol(client, world.manager)
    _password_step(client)
    with app.app_context():  # the password changes meanwhile: the pending login is void
        db.session.get(User, world.manager.id).session_version += 1
        db.session.commit()
    clock.shift(30)
    assert _code_step(client, totp.now()).headers["Location"] == "/login"
    assert not _logged_in(client)


def test_the_code_step_without_a_password_goes_back_to_the_login(client, world):
    assert _code_step(client, "123456").headers["Location"] == "/login"


def test_five_wrong_codes_send_the_user_back_to_the_password(client, world, clock):
    totp, _codes = enrol(client, world.manager)
    _password_step(client)
    for _ in range(4):
        assert _code_step(client, "000000").status_code == 400
    assert _code_step(client, "000000").headers["Location"] == "/login"
    clock.shift(30)
    assert _code_step(client, totp.now()).headers["Location"] == "/login"
    assert not _logged_in(client)


def test_a_copied_pending_login_does_not_get_fresh_tries(client, world, clock):
    """The session cookie is kept by the browser: replaying an old one must not reset the
    count, which is kept on the server per pending login."""
    totp, _codes = enrol(client, world.manager)
    _password_step(client)
    cookie = client.get_cookie("session").value
    for _ in range(5):
        _code_step(client, "000000")
    client.set_cookie("session", cookie)
    clock.shift(30)
    assert _code_step(client, totp.now()).headers["Location"] == "/login"


def test_wrong_codes_per_account_are_braked_across_logins(make_app, world, clock):
    app = make_app(TWO_FACTOR_FAILURES_PER_ACCOUNT="4 per hour")
    client = app.test_client()
    totp, _codes = enrol(client, world.manager)
    for _ in range(2):
        _password_step(client)
        for _ in range(2):
            _code_step(client, "000000")
    _password_step(client)
    clock.shift(30)
    braked = _code_step(client, totp.now())
    assert braked.status_code == 429
    assert b"Try again in an hour." in braked.data
    clock.shift(3600)
    _password_step(client)
    assert _code_step(client, totp.now()).status_code == 302


def test_a_required_role_without_set_up_is_sent_to_it_and_can_use_nothing_else(make_app, world):
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=("admin", "manager"))
    client = app.test_client()
    assert _password_step(client).headers["Location"] == "/home"
    for page in ("/home", "/clients/", "/profile"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == "/profile/two-factor"
    page = client.get("/profile/two-factor")
    assert page.status_code == 200
    assert b"Your role requires two-factor login." in page.data
    # the API authenticates with bearer tokens and is not affected
    assert client.get("/api/v1/clients", headers=bearer(world.tokens["manager"])).status_code == 200

    admin = app.test_client()
    _password_step(admin, "admin@qcrm.example")
    assert admin.get("/admin/security").headers["Location"] == "/profile/two-factor"

    tester = app.test_client()
    assert _password_step(tester, "tester@qcrm.example").headers["Location"] == "/home"
    assert tester.get("/home").status_code == 200


def test_after_set_up_the_required_user_works_normally(make_app, world, clock):
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=("manager",))
    client = app.test_client()
    _password_step(client)
    client.post("/profile/two-factor/start")
    totp = pyotp.TOTP(_secret_on_page(client.get("/profile/two-factor").get_data(as_text=True)))
    client.post("/profile/two-factor/confirm", data={"confirm-code": totp.now()})
    assert client.get("/clients/").status_code == 200


def test_admins_and_managers_are_required_by_default():
    assert set(DefaultConfig.TWO_FACTOR_REQUIRED_ROLES) == {"admin", "manager"}


def test_the_admin_chooses_the_required_roles_on_the_security_page(app, client, world):
    login(client, world.admin)
    page = client.get("/admin/security")
    assert page.status_code == 200
    assert b"Two-factor login required for" in page.data
    saved = client.post("/admin/security", data={"require_tester": "y"})
    assert saved.headers["Location"] == "/admin/security"
    with app.app_context():
        assert two_factor.required_roles() == {Role.TESTER}
    html = client.get("/admin/security").get_data(as_text=True)
    assert "checked" in _checkbox(html, "require_tester")
    assert "checked" not in _checkbox(html, "require_manager")

    waiting = re.search(r'<ul id="two-factor-waiting">(.*?)</ul>', html, re.S).group(1)
    assert "tester@qcrm.example" in waiting and "other_tester@qcrm.example" in waiting
    assert "manager@qcrm.example" not in waiting

    tester = app.test_client()
    _password_step(tester, "tester@qcrm.example")
    assert tester.get("/home").headers["Location"] == "/profile/two-factor"


def test_the_stored_choice_overrides_the_configured_default(make_app, world):
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=("admin", "manager"))
    with app.app_context():
        two_factor.set_required_roles([], acting=None)
        assert two_factor.required_roles() == frozenset()
    client = app.test_client()
    _password_step(client)
    assert client.get("/home").status_code == 200


def test_the_admin_resets_a_lost_second_factor_and_it_is_logged(app, client, world, clock, caplog):
    enrol(client, world.manager)
    admin = app.test_client()
    login(admin, world.admin)
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert _user_row(listed, "manager@qcrm.example").endswith("<td>on</td>")
    assert _user_row(listed, "tester@qcrm.example").endswith("<td>off</td>")
    assert b"Reset two-factor login" in admin.get(f"/admin/users/{world.manager.id}").data
    with caplog.at_level(logging.WARNING, logger="qcrm.two_factor"):
        reset = admin.post(f"/admin/users/{world.manager.id}/two-factor/reset")
    assert reset.headers["Location"] == f"/admin/users/{world.manager.id}"
    assert f"admin {world.admin.id} reset the two-factor login of user {world.manager.id}" in (
        caplog.text
    )
    with app.app_context():
        assert not two_factor.is_enabled(db.session.get(User, world.manager.id))
    assert _password_step(client).headers["Location"] == "/home"


def test_the_demo_database_requires_no_second_factor_unless_an_admin_chose(make_app):
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=("admin", "manager"))
    with app.app_context():
        load_demo(app.instance_path)
        assert two_factor.required_roles() == frozenset()
        two_factor.set_required_roles([Role.ADMIN], acting=None)
        load_demo(app.instance_path)
        assert two_factor.required_roles() == {Role.ADMIN}


def test_a_remembered_login_of_a_required_role_is_sent_to_the_set_up_too(make_app, world):
    app = make_app(TWO_FACTOR_REQUIRED_ROLES=("manager",))
    client = app.test_client()
    client.post(
        "/login", data={"email": "manager@qcrm.example", "password": PASSWORD, "remember": "y"}
    )
    client.delete_cookie("session")  # the browser was closed; the remember cookie stays
    assert client.get("/home").headers["Location"] == "/profile/two-factor"


def test_a_password_reset_link_does_not_skip_the_second_factor(app, client, world, clock):
    totp, _codes = enrol(client, world.manager)
    with app.app_context():
        token = accounts.make_password_token(db.session.get(User, world.manager.id), "reset")
    new_password = {"password": "brand new secret", "confirm": "brand new secret"}
    response = client.post(f"/password/reset/{token}", data=new_password)
    assert response.headers["Location"] == "/login/two-factor"
    assert not _logged_in(client)
    clock.shift(30)
    assert _code_step(client, totp.now()).headers["Location"] == "/home"
    assert _logged_in(client)


def test_the_command_line_resets_the_second_factor_of_an_admin_who_lost_it(
    app, client, world, clock
):
    enrol(client, world.admin)
    result = app.test_cli_runner().invoke(args=["qcrm", "reset-two-factor", "Admin@qcrm.example"])
    assert result.exit_code == 0, result.output
    assert "is reset" in result.output
    with app.app_context():
        assert not two_factor.is_enabled(db.session.get(User, world.admin.id))
    unknown = app.test_cli_runner().invoke(args=["qcrm", "reset-two-factor", "no@qcrm.example"])
    assert unknown.exit_code != 0
    assert "No user with the e-mail address" in unknown.output


@pytest.mark.parametrize("code", ["1" * 100_000, "12345\u202e6", "😀😀😀", "", "1e309"])
def test_hostile_codes_are_refused_with_a_field_message(client, world, clock, code):
    enrol(client, world.manager)
    _password_step(client)
    response = _code_step(client, code)
    assert response.status_code == 400
    assert b'class="invalid-feedback"' in response.data
    assert not _logged_in(client)


HOSTILE_CODES = ["1" * 100_000, "12\x0034", "12\x1b34", "12345\u202e6", "😀😀😀", "", "1e309"]


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_hostile_codes_on_the_profile_forms_are_refused_on_their_field(
    app, client, world, clock, code
):
    # confirming a set-up: it stays off
    login(client, world.manager)
    client.post("/profile/two-factor/start")
    confirm = client.post("/profile/two-factor/confirm", data={"confirm-code": code})
    assert confirm.status_code == 400
    assert b'class="invalid-feedback"' in confirm.data or b"NUL" in confirm.data
    with app.app_context():
        assert not two_factor.is_enabled(db.session.get(User, world.manager.id))
    # new recovery codes and switching off: it stays on, the codes stay the same
    client.post("/logout")
    _totp, codes = enrol(client, world.manager)
    login(client, world.manager)
    for url, data in (
        ("/profile/two-factor/recovery-codes", {"renew-code": code}),
        ("/profile/two-factor/off", {"off-password": PASSWORD, "off-code": code}),
    ):
        refused = client.post(url, data=data)
        assert refused.status_code == 400, url
        assert b'class="invalid-feedback"' in refused.data or b"NUL" in refused.data, url
    with app.app_context():
        user = db.session.get(User, world.manager.id)
        assert two_factor.is_enabled(user) and two_factor.recovery_codes_left(user) == len(codes)


def _results_since(app, user: User, first_id: int) -> list[LoginResult]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(LoginAttempt.result)
                .where(LoginAttempt.user_id == user.id, LoginAttempt.id > first_id)
                .order_by(LoginAttempt.id)
            )
        )


def _last_attempt_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(LoginAttempt.id))) or 0


def test_the_history_records_success_only_after_the_second_factor(app, client, world, clock):
    totp, _codes = enrol(client, world.manager)
    clock.shift(30)
    before = _last_attempt_id(app)
    with app.app_context():
        logged_in_before = db.session.get(User, world.manager.id).last_login_at

    _password_step(client)
    assert _results_since(app, world.manager, before) == [LoginResult.PASSWORD_OK]
    with app.app_context():
        assert db.session.get(User, world.manager.id).last_login_at == logged_in_before
    wrong = "123456" if totp.now() != "123456" else "654321"
    assert _code_step(client, wrong).status_code == 400
    assert _code_step(client, totp.now()).status_code == 302
    assert _results_since(app, world.manager, before) == [
        LoginResult.PASSWORD_OK,
        LoginResult.WRONG_SECOND_FACTOR,
        LoginResult.SUCCESS,
    ]

    client.post("/language", data={"language": "en"})
    english = client.get("/profile").get_data(as_text=True)
    assert "Password correct, second factor pending" in english
    assert "Wrong second-factor code" in english
    client.post("/language", data={"language": "de"})
    german = client.get("/profile").get_data(as_text=True)
    assert "Passwort richtig, zweiter Faktor ausstehend" in german
    assert "Falscher Code des zweiten Faktors" in german


def test_an_open_session_is_sent_to_the_set_up_as_soon_as_its_role_becomes_required(app, world):
    tester = app.test_client()
    _password_step(tester, "tester@qcrm.example")
    assert tester.get("/home").status_code == 200

    admin = app.test_client()
    login(admin, world.admin)
    admin.post("/admin/security", data={"require_tester": "y"})

    response = tester.get("/home")  # the same session, no new login
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/two-factor"

    admin.post("/admin/security", data={})
    assert tester.get("/home").status_code == 200


def test_the_requirement_is_checked_without_a_query_of_its_own(app, world):
    tester = app.test_client()
    _password_step(tester, "tester@qcrm.example")
    tester.get("/home")
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert tester.get("/profile/two-factor").status_code == 200
        statements.clear()
        assert tester.get("/home").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    requirement = [s for s in statements if "two_factor_credentials" in s or "settings" in s]
    assert len(requirement) == 1, requirement  # the one that loads the user
    assert "FROM users" in requirement[0]
