"""A real IMAP server for tests: Debian's dovecot, run from a config file in a temporary folder.

Install it with ``apt-get install -y dovecot-imapd``. Without it the tests that need it are
skipped, unless QCRM_REQUIRE_IMAP=1 (set by CI) makes that a failure.

Every user name logs in with the one password and gets a mailbox of its own, so a test can take
a fresh, empty mailbox by logging in under a new name (``ImapServer.for_user``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.conftest import free_port

#: uid and gid of the mail user when the tests run as root (dovecot refuses uid 0: "nobody").
NOBODY = 65534
STARTUP_SECONDS = 15


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def for_user(self, user: str) -> ImapServer:
        """The same server, logged in as another user (whose mailbox starts empty)."""
        return replace(self, user=user)

    def fresh_user(self) -> ImapServer:
        return self.for_user(f"audit-{uuid.uuid4().hex[:12]}")


def _dovecot() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None
    )


def _doveadm() -> str:
    return shutil.which("doveadm") or "/usr/bin/doveadm"


def _config(folder: Path, port: int, password: str) -> str:
    if os.geteuid() == 0:
        internal_user, uid, gid, login_user = "root", NOBODY, NOBODY, None
    else:
        internal_user = pwd.getpwuid(os.geteuid()).pw_name
        uid, gid, login_user = os.geteuid(), os.getegid(), internal_user
    lines = [
        "protocols = imap",
        "listen = 127.0.0.1",
        f"base_dir = {folder / 'run'}",
        f"state_dir = {folder / 'state'}",
        f"log_path = {folder / 'dovecot.log'}",
        "ssl = no",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        f"default_internal_user = {internal_user}",
        *([f"default_login_user = {login_user}"] if login_user else []),
        "service imap-login {",
        "  inet_listener imap {",
        "    address = 127.0.0.1",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
        "}",
        "passdb {",
        "  driver = static",
        f"  args = password={password}",
        "}",
        "userdb {",
        "  driver = static",
        f"  args = uid={uid} gid={gid} home={folder / 'mail'}/%u",
        "}",
        f"mail_location = maildir:{folder / 'mail'}/%u",
        "",
    ]
    return "\n".join(lines)


def _wait_until_listening(port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not answer on port {port} within {STARTUP_SECONDS} s:\n{text}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """A dovecot IMAP server on a free local port (plain IMAP, no TLS), for the whole run."""
    dovecot = _dovecot()
    if dovecot is None:
        message = "dovecot is not installed: apt-get install -y dovecot-imapd"
        if os.environ.get("QCRM_REQUIRE_IMAP") == "1":
            pytest.fail(f"QCRM_REQUIRE_IMAP=1, but {message}", pytrace=False)
        pytest.skip(message)
    # outside pytest's own tmp folder: that one is private to root, and the mail user is not
    folder = Path(tempfile.mkdtemp(prefix="qcrm-dovecot-"))
    folder.chmod(0o755)
    mail = folder / "mail"
    mail.mkdir()
    if os.geteuid() == 0:
        os.chown(mail, NOBODY, NOBODY)
    password = "imap-test-password"
    port = free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(_config(folder, port, password))
    output = folder / "start.log"
    # dovecot daemonizes and its daemon keeps the inherited output open: a file, not a pipe
    with output.open("wb") as out:
        started = subprocess.run(  # noqa: S603 (a fixed local binary and our own config)
            [dovecot, "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT, check=False
        )
    try:
        if started.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {output.read_text(errors='replace')}")
        _wait_until_listening(port, folder / "dovecot.log")
        yield ImapServer("127.0.0.1", port, "audit", password)
    finally:
        _stop(conf, folder / "run" / "master.pid")
        shutil.rmtree(folder, ignore_errors=True)


def _stop(conf: Path, pid_file: Path) -> None:
    """``doveadm stop``, then wait until the master process is gone."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        pid = None
    subprocess.run(  # noqa: S603
        [_doveadm(), "-c", str(conf), "stop"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
