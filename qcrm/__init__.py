"""Q-CRM: the application factory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from qcrm import logs
from qcrm.config import (
    DefaultConfig,
    check_production_settings,
    default_database_url,
    load_environment,
    normalize_database_url,
)


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Create the app: defaults, then instance/config.py, then the environment, then test_config."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        load_environment(app.config)
        app.config.from_prefixed_env("QCRM")
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logs.init_app(app)  # first: the checks below may log already
    _finish_configuration(app)

    from qcrm import extensions, i18n, input_guard, security, visibility

    input_guard.init_app(app)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=_migrations_dir())
    extensions.csrf.init_app(app)
    extensions.bootstrap.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    visibility.init_app(app)

    from qcrm import auth, errors_views, scheduler

    scheduler.init_app(app)

    auth.init_login(app)
    errors_views.init_app(app)
    _register_blueprints(app)

    if app.config["PROXY_FIX_HOPS"]:
        # behind a reverse proxy: trust its X-Forwarded-* headers (client address, https)
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from qcrm.cli import qcrm_cli

    app.cli.add_command(qcrm_cli)
    return app


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")


def _finish_configuration(app: Flask) -> None:
    config = app.config
    development = config["QCRM_ENV"] == "development"
    if not (development or app.testing):
        check_production_settings(config)
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secrets.token_hex(32)
        app.logger.warning("No SECRET_KEY set: using a random one, sessions end on restart.")
    production = not (development or app.testing)
    config["SESSION_COOKIE_SECURE"] = production
    config["REMEMBER_COOKIE_SECURE"] = production

    url = config.get("SQLALCHEMY_DATABASE_URI") or default_database_url(app.instance_path)
    url = normalize_database_url(url)
    config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", config["SQLITE_BUSY_TIMEOUT"])
        options["connect_args"] = connect_args
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _register_blueprints(app: Flask) -> None:
    import qcrm.two_factor_views  # noqa: F401 (adds its routes to the auth and admin blueprints)
    from qcrm import admin, api, auth, clients_views, health, main

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(clients_views.bp)
    api.init_app(app)

    import audits

    audits.init_app(app)

    import surveys

    surveys.init_app(app)

    import reports

    reports.init_app(app)

    from qcrm.permissions import PUBLIC, declare_endpoint

    declare_endpoint("static", PUBLIC)
    declare_endpoint("bootstrap.static", PUBLIC)
