"""The database base: declarative base, shared column types and SQLite connection settings."""

from __future__ import annotations

import datetime as dt
import enum
import sqlite3

from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time, always returned as an aware UTC datetime on SQLite and PostgreSQL alike.

    SQLite keeps no time zone, so values are stored as naive UTC and made aware on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


TYPE_ANNOTATION_MAP: dict = {
    dt.datetime: UTCDateTime(),
    # Enums are stored by value as plain strings: readable, and new members need no migration.
    enum.Enum: Enum(
        enum.Enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    ),
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map=TYPE_ANNOTATION_MAP,
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Foreign keys on and WAL, so web workers and the scheduler can share one file.

    The busy timeout comes from the ``timeout`` connect argument (see ``create_app``).
    pysqlite's own transaction handling is switched off so that ``_begin_immediately`` decides
    how transactions start.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediately(connection) -> None:
    """Take SQLite's write lock at the start of a transaction.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another process wrote in between; an immediate one waits for the busy timeout instead.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
