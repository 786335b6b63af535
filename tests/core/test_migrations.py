"""The schema comes only from migrations: they build it from zero and match the models."""

from __future__ import annotations

import importlib.util
import json
import math
import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from audits.mystery.models import Wave
from qcrm import create_app
from qcrm.extensions import db
from surveys.models import Survey
from tests.conftest import base_config


def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask db migrate` and review the new migration"


def test_migration_files_sort_in_the_order_of_their_chain():
    """A newcomer reading migrations/versions/ by name reads them in the order they run."""
    folder = Path(__file__).parents[2] / "migrations"
    scripts = ScriptDirectory(str(folder))
    chain = [script.path for script in scripts.walk_revisions()][::-1]
    names = [Path(path).name for path in chain]
    assert names == sorted(names)
    # and new files are named by date and time of day, so that they keep sorting so
    assert "%%(hour).2d%%(minute).2d_%%(rev)s" in (folder / "alembic.ini").read_text()


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


def _migration(name: str):
    """A migration file as a module, to run its data step on a filled database."""
    path = next((Path(__file__).parents[2] / "migrations" / "versions").glob(f"*_{name}.py"))
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_out_of_range_numbers_are_cleared_and_good_ones_kept(app, world):
    clearing = _migration("clear_stored_out_of_range_numbers")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE waves SET second_attempt_after_hours = :inf, target_frt_within_hours = "
                ":huge, target_frt_median_minutes = 90, target_answer_rate = 1.5, "
                "answer_timeouts = :timeouts, target_dimension_scores = :scores WHERE id = :id"
            ),
            {
                "inf": math.inf,
                "huge": 1e21,
                "timeouts": json.dumps({"email": 1e21, "web_form": 48, "x": 0}),
                "scores": json.dumps({"competence": 80, "process": -5}),
                "id": world.wave_a.id,
            },
        )
        connection.execute(
            sa.text("UPDATE surveys SET target_ces = :inf, target_nps = 20 WHERE id = :id"),
            {"inf": -math.inf, "id": world.survey_a.id},
        )
        cleared = clearing.clear_out_of_range(connection)
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        survey = db.session.get(Survey, world.survey_a.id)
        assert (wave.second_attempt_after_hours, wave.target_frt_within_hours) == (None, None)
        assert wave.target_answer_rate is None and wave.target_frt_median_minutes == 90
        assert wave.answer_timeouts == {"web_form": 48}
        assert wave.target_dimension_scores == {"competence": 80}
        assert survey.target_ces is None and survey.target_nps == 20
    # inf, 1e21, 1.5, two timeouts (1e21 and a 0 hours), one score, the CES target
    assert cleared == 7
