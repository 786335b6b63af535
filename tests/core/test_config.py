"""Configuration and the SQLite settings that let several processes write at once."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from flask import request

from qcrm import create_app
from qcrm.config import normalize_database_url
from qcrm.extensions import db
from qcrm.permissions import public


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("QCRM_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(instance_path=str(tmp_path))


@pytest.mark.parametrize("weak", ["dev", "change-me", "short"])
def test_production_refuses_a_weak_secret_key(monkeypatch, tmp_path, weak):
    monkeypatch.setenv("SECRET_KEY", weak)
    monkeypatch.delenv("QCRM_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(RuntimeError, match="refuses to start"):
        create_app(instance_path=str(tmp_path))


def test_production_uses_secure_cookies_and_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a" * 40)
    monkeypatch.delenv("QCRM_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/qcrm")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/qcrm"
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) == ("smtp.example", 587)
    assert app.config["MAIL_USE_TLS"] is True


def test_development_mode_starts_without_a_key_and_without_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("QCRM_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app(instance_path=str(tmp_path))
    assert len(app.config["SECRET_KEY"]) >= 32
    assert app.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_use_psycopg_3(given, expected):
    assert normalize_database_url(given) == expected


@pytest.fixture
def sqlite_app(tmp_path):
    from tests.conftest import base_config

    return create_app(base_config(f"sqlite:///{tmp_path / 'settings.sqlite3'}"))


def test_sqlite_enforces_foreign_keys_and_uses_wal(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_concurrent_read_then_write_transactions_never_fail_as_locked(sqlite_app):
    """Deferred SQLite transactions that read and then write fail at once with "database is
    locked" when another connection wrote in between; immediate ones wait their turn."""
    with sqlite_app.app_context():
        engine = db.engine
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors: list[Exception] = []

    def increment(times: int) -> None:
        try:
            for _ in range(times):
                with engine.begin() as connection:
                    value = connection.exec_driver_sql("SELECT n FROM counter").scalar()
                    time.sleep(0.002)
                    connection.execute(sa.text("UPDATE counter SET n = :n"), {"n": value + 1})
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=increment, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        # no lost update either: every increment saw the previous one
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar() == 100
    engine.dispose()


def test_behind_a_proxy_the_forwarded_client_address_is_used(make_app):
    app = make_app(PROXY_FIX_HOPS=1)

    @app.get("/_probe_address")
    @public
    def probe():  # a throwaway route for this test only
        return request.remote_addr or ""

    response = app.test_client().get("/_probe_address", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.text == "203.0.113.9"
