"""The schema comes only from migrations: they build it from zero and match the models."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from qcrm import create_app
from qcrm.extensions import db
from tests.conftest import base_config


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask db migrate` and review the new migration"


def _empty_database(database_url: str, tmp_path) -> tuple[str, callable]:
    """A brand-new database of the same kind as the test database, and how to drop it."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}", lambda: None
    name = f"qcrm_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def test_upgrade_from_an_empty_database_then_down_and_up_again(database_url, tmp_path):
    url, drop = _empty_database(database_url, tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"users", "clients", "channels", "outbox_mails", "api_tokens"} <= tables
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert {"users", "clients"} <= set(sa.inspect(db.engine).get_table_names())
            db.engine.dispose()
    finally:
        drop()
