"""Logging: one configuration (timestamps, level and format from the settings) for the web app
and the scheduler process; every scheduler failure and every refused login is logged with its
context, and never with a password.

The configuration replaces the root logger's handlers, which under pytest are its log capture:
it is tested in processes of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import time_machine

from audits.mystery import dispatch
from qcrm import logs, mail, scheduler
from qcrm.extensions import db
from tests.conftest import PASSWORD
from tests.core.test_two_factor import START as TWO_FACTOR_START
from tests.core.test_two_factor import enrol

ROOT = Path(__file__).resolve().parents[2]
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
WRONG_PASSWORD = "not-the-password-42"


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter in the project; returns its stderr."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr


def _scheduler_once(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`flask qcrm scheduler --once` on a database without tables: every job fails."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "qcrm", "scheduler", "--once"],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "QCRM_ENV": "development",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_text_lines_carry_a_utc_timestamp_the_level_and_the_logger_name():
    stderr = _python(
        """
        import logging
        from qcrm.logs import configure_logging
        configure_logging("INFO", "text")
        configure_logging("INFO", "text")  # a second call adds no second handler
        logging.getLogger("audits.mystery.dispatch").info("inquiry %s is due", 7)
        """
    )
    assert re.fullmatch(rf"{TIMESTAMP} INFO audits\.mystery\.dispatch: inquiry 7 is due\n", stderr)


def test_json_lines_parse_and_carry_the_extra_context_and_the_traceback():
    stderr = _python(
        """
        import logging
        from qcrm.logs import configure_logging
        configure_logging("INFO", "json")
        log = logging.getLogger("qcrm.scheduler")
        log.info("plain")
        try:
            raise RuntimeError("mailbox unreachable")
        except RuntimeError:
            log.exception("job failed", extra={"job": "replies", "wave_id": 3, "mail_id": 9})
        """
    )
    plain, failed = (json.loads(line) for line in stderr.splitlines())
    assert plain.keys() == {"time", "level", "logger", "message"}
    assert re.fullmatch(TIMESTAMP, plain["time"])
    assert (failed["level"], failed["logger"], failed["message"]) == (
        "ERROR",
        "qcrm.scheduler",
        "job failed",
    )
    assert (failed["job"], failed["wave_id"], failed["mail_id"]) == ("replies", 3, 9)
    assert "RuntimeError: mailbox unreachable" in failed["exception"]


def test_the_scheduler_process_logs_each_failed_job_with_a_timestamp(tmp_path):
    done = _scheduler_once(tmp_path)
    assert done.returncode == 1
    # the factory's own warning (no SECRET_KEY) comes through the same handler
    assert re.search(rf"^{TIMESTAMP} WARNING qcrm: No SECRET_KEY set", done.stderr, re.M)
    assert re.search(
        rf"^{TIMESTAMP} ERROR qcrm\.scheduler: scheduler job heartbeat failed$", done.stderr, re.M
    )


def test_the_scheduler_process_keeps_to_the_level_and_format_of_the_settings(tmp_path):
    done = _scheduler_once(tmp_path, QCRM_LOG_LEVEL="ERROR", QCRM_LOG_FORMAT="json")
    entries = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert entries, done.stderr
    assert {entry["level"] for entry in entries} == {"ERROR"}  # the warning is below the level
    failed = {entry["job"] for entry in entries if entry.get("job")}
    assert {"outbox", "heartbeat"} <= failed


@pytest.mark.parametrize(("level", "log_format"), [("LOUD", "text"), ("INFO", "xml")])
def test_a_mistyped_level_or_format_stops_the_start(level, log_format):
    with pytest.raises(RuntimeError, match="LOG_"):
        logs.check_settings(level, log_format)


def test_a_failing_scheduler_job_is_logged_with_its_name(app, caplog):
    def broken(now: dt.datetime, worker: str) -> None:
        raise RuntimeError("mailbox unreachable")

    with caplog.at_level(logging.ERROR, logger="qcrm.scheduler"):
        assert not scheduler.run_job(app, scheduler.Job("broken", broken, 30), "host:1")
    (record,) = [r for r in caplog.records if getattr(r, "job", None) == "broken"]
    assert record.levelno == logging.ERROR
    assert record.worker == "host:1"
    assert "scheduler job broken failed" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_an_inquiry_failing_in_a_dispatch_job_is_logged_with_its_inquiry_and_wave(
    app, world, caplog
):
    def work(row_id: int) -> int:
        raise ValueError("broken row")

    inquiry = world.inquiry_a
    with app.app_context(), caplog.at_level(logging.ERROR, logger="audits.mystery.dispatch"):
        dispatch._each(dispatch.DUE_JOB, [(inquiry.id, inquiry.id)], dt.datetime.now(dt.UTC), work)
    (record,) = [r for r in caplog.records if getattr(r, "inquiry_id", None) == inquiry.id]
    assert (record.job, record.wave_id) == (dispatch.DUE_JOB, inquiry.wave_id)


def test_an_outbox_mail_that_fails_is_logged_with_its_mail_id(make_app, caplog):
    app = make_app(MAIL_SERVER=None)
    with app.app_context():
        mail_id = mail.queue_mail("k@example.com", "S", "T", send_after_commit=False).id
        db.session.commit()
        with caplog.at_level(logging.WARNING, logger="qcrm.mail"):
            mail.deliver_due()  # no MAIL_SERVER: the send fails
    assert [r.mail_id for r in caplog.records if hasattr(r, "mail_id")] == [mail_id]


def _refusals(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if hasattr(record, "reason")]


def _assert_no_secret(caplog, *secrets: str) -> None:
    for record in caplog.records:
        line = logs.JsonFormatter().format(record)
        assert not any(secret in line for secret in secrets), line


def test_a_wrong_password_is_logged_with_the_user_and_address_but_not_the_password(
    client, world, caplog
):
    with caplog.at_level(logging.INFO, logger="qcrm.accounts"):
        client.post(
            "/login",
            data={"email": world.manager.email, "password": WRONG_PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        )
    (record,) = _refusals(caplog)
    assert (record.reason, record.user_id, record.address) == (
        "wrong_password",
        world.manager.id,
        "203.0.113.9",
    )
    _assert_no_secret(caplog, WRONG_PASSWORD)


def test_an_unknown_account_is_logged_by_a_hash_prefix_not_by_its_address(client, world, caplog):
    typo = "mnager@qcrm.example"
    with caplog.at_level(logging.INFO, logger="qcrm.accounts"):
        client.post("/login", data={"email": typo, "password": PASSWORD})
        client.post("/login", data={"email": typo.upper(), "password": PASSWORD})
    first, second = _refusals(caplog)
    assert first.reason == "unknown_account"
    assert not hasattr(first, "user_id")
    assert first.email_hash == second.email_hash  # the same account comes back recognizably
    _assert_no_secret(caplog, typo, PASSWORD)


def test_a_throttled_login_is_logged_as_a_warning(make_app, world, caplog):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS="1 per hour")
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="qcrm.accounts"):
        for _ in range(2):
            client.post("/login", data={"email": world.tester.email, "password": WRONG_PASSWORD})
    reasons = [(r.reason, r.levelno) for r in _refusals(caplog)]
    assert reasons == [("wrong_password", logging.INFO), ("throttled", logging.WARNING)]
    _assert_no_secret(caplog, WRONG_PASSWORD)


def test_a_wrong_second_factor_is_logged_without_the_code(client, world, caplog):
    with time_machine.travel(TWO_FACTOR_START, tick=False) as clock:
        totp, _codes = enrol(client, world.manager)
        clock.shift(30)
        client.post("/login", data={"email": world.manager.email, "password": PASSWORD})
        wrong = "123456" if totp.now() != "123456" else "654321"
        with caplog.at_level(logging.INFO, logger="qcrm.accounts"):
            client.post("/login/two-factor", data={"code": wrong})
    (record,) = _refusals(caplog)
    assert (record.reason, record.user_id) == ("wrong_second_factor", world.manager.id)
    _assert_no_secret(caplog, wrong)
