"""Configuration: defaults here, local overrides in the instance folder, then the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Values that must never serve as a production SECRET_KEY.
WEAK_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}


class DefaultConfig:
    """Settings every instance starts from; instance folder and environment override them."""

    #: "production" (strict: secure cookies, a real SECRET_KEY required) or "development".
    QCRM_ENV = "production"
    SECRET_KEY: str | None = None
    #: Lowest level logged (DEBUG, INFO, WARNING, ERROR), and "text" or "json" (one object a
    #: line, for log collectors); both go to stderr (QCRM_LOG_LEVEL, QCRM_LOG_FORMAT).
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "text"

    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    #: Seconds an SQLite connection waits for another writer before giving up.
    SQLITE_BUSY_TIMEOUT = 15

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    #: Seconds without a request after which a login session ends (QCRM_SESSION_IDLE_TIMEOUT).
    SESSION_IDLE_TIMEOUT = 30 * 60
    #: Seconds after the login at which a session ends however active it is
    #: (QCRM_SESSION_ABSOLUTE_LIFETIME). "Stay logged in" keeps to both limits too.
    SESSION_ABSOLUTE_LIFETIME = 12 * 60 * 60
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

    LANGUAGES = ("de", "en")
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    BOOTSTRAP_SERVE_LOCAL = True

    #: Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    #: (0: none). Login throttling per address needs the real client address.
    PROXY_FIX_HOPS = 0

    #: Flask-Limiter storage; use redis://… in production so that all workers share the counts.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    #: Failed logins allowed before the login is throttled: per account from one client address
    #: (so that an attacker elsewhere cannot lock the account's owner out), per account from all
    #: addresses together (a slower brake on attacks from many addresses), and per address.
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = "5 per 15 minutes"
    LOGIN_FAILURES_PER_ACCOUNT = "100 per hour"
    LOGIN_FAILURES_PER_ADDRESS = "20 per 15 minutes"
    #: Days the login history (time, address, result of each attempt) is kept.
    LOGIN_HISTORY_DAYS = 90
    #: Attempts shown on the profile and the admin's user page.
    LOGIN_HISTORY_SHOWN = 20
    #: Survey submissions (respondents' pages and public API together) per client address.
    SURVEY_SUBMIT_RATE_LIMIT = "30 per minute; 300 per hour"

    #: Roles that must log in with a second factor (TOTP) until an admin changes it on the
    #: "Security settings" page (the stored choice then counts).
    TWO_FACTOR_REQUIRED_ROLES = ("admin", "manager")
    #: The name authenticator apps show beside the account.
    TWO_FACTOR_ISSUER = "Q-CRM"
    #: Seconds between a correct password and the code before the login starts over.
    TWO_FACTOR_PENDING_SECONDS = 300
    #: Wrong codes per pending login (then back to the password) and per account.
    TWO_FACTOR_FAILURES_PER_LOGIN = "5 per 10 minutes"
    TWO_FACTOR_FAILURES_PER_ACCOUNT = "20 per hour"
    TWO_FACTOR_RECOVERY_CODES = 10

    #: argon2 parameters (argon2-cffi defaults unless overridden; tests make them cheap).
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 65536
    PASSWORD_MIN_LENGTH = 10
    #: Gzipped list of common and breached passwords (one a line, lower case) that are refused.
    #: None: the list shipped in qcrm/data (see qcrm/data/README.md).
    COMMON_PASSWORDS_FILE: str | None = None
    PASSWORD_RESET_MAX_AGE = 60 * 60 * 2
    INVITATION_MAX_AGE = 60 * 60 * 24 * 7

    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Q-CRM <no-reply@localhost>"
    MAIL_TIMEOUT = 20
    #: Base URL used in links inside mails sent outside a request (scheduler, CLI).
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"

    #: The scheduler process: how often its jobs run, and the rules of dispatch.
    SCHEDULER_INTERVAL_SECONDS = 30
    #: Testers are told about an inquiry this long before its planned time.
    SCHEDULER_DUE_LEAD_MINUTES = 60
    #: A due inquiry the tester has not logged as sent after this long is overdue.
    SCHEDULER_OVERDUE_GRACE_MINUTES = 120
    #: How long a claimed e-mail attempt belongs to its sender before another may take it over.
    SCHEDULER_LEASE_SECONDS = 120
    #: Waiting time before a failed automatic send is tried again.
    SCHEDULER_RETRY_SECONDS = 300
    #: /readyz answers 503 when no scheduler has beaten recently (for the scheduler's monitor).
    READYZ_REQUIRES_SCHEDULER = False

    #: The audit mailbox: personas' addresses are its aliases. AUDIT_SMTP_* fall back to MAIL_*.
    AUDIT_MAIL_DOMAIN: str | None = None
    AUDIT_SMTP_SERVER: str | None = None
    AUDIT_SMTP_PORT: int | None = None
    AUDIT_SMTP_USE_TLS: bool | None = None
    AUDIT_SMTP_USE_SSL: bool | None = None
    AUDIT_SMTP_USERNAME: str | None = None
    AUDIT_SMTP_PASSWORD: str | None = None
    AUDIT_IMAP_HOST: str | None = None
    #: None: 993 with SSL, 143 without.
    AUDIT_IMAP_PORT: int | None = None
    AUDIT_IMAP_SSL = True
    AUDIT_IMAP_TIMEOUT = 30
    AUDIT_IMAP_USER: str | None = None
    AUDIT_IMAP_PASSWORD: str | None = None
    AUDIT_IMAP_FOLDER = "INBOX"

    #: Evidence files (screenshots, PDFs, audio) of contact logs, stored outside the web root.
    #: None: <instance folder>/evidence (created with mode 0o700).
    EVIDENCE_FOLDER: str | None = None
    #: Largest evidence file in bytes, and most evidence files per inquiry.
    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    EVIDENCE_MAX_FILES = 20

    API_TITLE = "Q-CRM API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


#: Environment variables read without a prefix, because deployment tools expect these names.
PLAIN_ENV_VARS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "PUBLIC_BASE_URL",
    "QCRM_ENV",
    "RATELIMIT_STORAGE_URI",
)
PLAIN_ENV_INTS = ("MAIL_PORT", "PROXY_FIX_HOPS")
PLAIN_ENV_FLAGS = ("MAIL_USE_TLS", "MAIL_USE_SSL")


def load_environment(config: dict[str, Any]) -> None:
    """Copy the well-known environment variables into the configuration."""
    for name in PLAIN_ENV_VARS:
        if os.environ.get(name):
            config[name] = os.environ[name]
    for name in PLAIN_ENV_INTS:
        if os.environ.get(name):
            config[name] = int(os.environ[name])
    for name in PLAIN_ENV_FLAGS:
        if os.environ.get(name):
            config[name] = os.environ[name].strip().lower() in {"1", "true", "yes", "on"}
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the way hosting providers write them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'qcrm.sqlite3'}"


def check_production_settings(config: dict[str, Any]) -> None:
    """Refuse to start in production with settings that would make sessions forgeable."""
    key = config.get("SECRET_KEY") or ""
    if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 24:
        raise RuntimeError(
            "Q-CRM refuses to start in production without a real SECRET_KEY: set the "
            "SECRET_KEY environment variable (or SECRET_KEY in instance/config.py) to a random "
            "string of at least 24 characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`. "
            "For local development set QCRM_ENV=development."
        )
