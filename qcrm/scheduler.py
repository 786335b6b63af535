"""The scheduler process: a few periodic jobs; the database decides what is due.

It runs as `flask qcrm scheduler` (its own process in production; `make run` starts one beside
the development server) and never inside web workers. APScheduler only holds the periodic jobs
in memory; there is no job per inquiry. Each job gets the current time and the worker's name and
claims the rows it works on, so several scheduler processes may run at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from qcrm.db import utcnow
from qcrm.extensions import db
from qcrm.mail import deliver_due
from qcrm.models import SchedulerHeartbeat

log = logging.getLogger(__name__)
JOBS_KEY = "qcrm_scheduler_jobs"


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[dt.datetime, str], object]
    #: seconds between runs
    every: float


def register_job(
    app: Flask, name: str, run: Callable[[dt.datetime, str], object], every: float
) -> None:
    """Add a periodic job; feature packages call this from their ``init_app``."""
    app.extensions.setdefault(JOBS_KEY, []).append(Job(name, run, every))


def init_app(app: Flask) -> None:
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    register_job(app, "outbox", lambda now, worker: deliver_due(now), interval)
    register_job(app, "heartbeat", beat, interval)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(now: dt.datetime, worker: str) -> None:
    updated = db.session.execute(
        update(SchedulerHeartbeat).where(SchedulerHeartbeat.name == worker).values(beat_at=now)
    ).rowcount
    if not updated:
        db.session.add(SchedulerHeartbeat(name=worker, beat_at=now, started_at=now))
    db.session.commit()


def run_job(app: Flask, job: Job, worker: str, now: dt.datetime | None = None) -> bool:
    """Run one job in its own app context; a failure is logged and recorded, never raised.

    A failed job may leave its session where even ``rollback()`` raises (an error inside a
    commit hook does that), so the failure is recorded in a fresh session.
    """
    try:
        with app.app_context():
            try:
                job.run(now or utcnow(), worker)
                return True
            except Exception as error:
                log.exception(
                    "scheduler job %s failed", job.name, extra={"job": job.name, "worker": worker}
                )
                _discard_session()
                _record_failure(worker, f"{job.name}: {type(error).__name__}: {error}")
                return False
            finally:
                _discard_session()
    except Exception:  # e.g. the app context itself cannot be set up or torn down
        log.exception(
            "scheduler job %s could not be run", job.name, extra={"job": job.name, "worker": worker}
        )
        return False


def _discard_session() -> None:
    """Roll back and drop the job's session, whatever state it was left in."""
    try:
        db.session.rollback()
    except Exception:
        log.exception("the scheduler job's session could not be rolled back; it is discarded")
    finally:
        db.session.remove()


def _record_failure(worker: str, message: str) -> None:
    try:
        db.session.execute(
            update(SchedulerHeartbeat)
            .where(SchedulerHeartbeat.name == worker)
            .values(last_error=message[:2000], last_error_at=utcnow())
        )
        db.session.commit()
    except SQLAlchemyError:
        _discard_session()
        log.exception("could not record the failure of worker %s", worker, extra={"worker": worker})


def run_once(app: Flask, worker: str | None = None, now: dt.datetime | None = None) -> int:
    """Run every job once, in order; returns how many failed. Never raises."""
    worker = worker or worker_name()
    return sum(not run_job(app, job, worker, now) for job in app.extensions.get(JOBS_KEY, []))


def run_forever(app: Flask) -> None:
    """Block and run the jobs at their intervals (in UTC); stop with SIGINT/SIGTERM."""
    worker = worker_name()
    scheduler = BlockingScheduler(timezone=dt.UTC)
    for job in app.extensions.get(JOBS_KEY, []):
        scheduler.add_job(
            run_job,
            "interval",
            seconds=job.every,
            args=(app, job, worker),
            id=job.name,
            next_run_time=dt.datetime.now(dt.UTC),
            max_instances=1,
            coalesce=True,
            # the database says what is due, so a late run simply catches up
            misfire_grace_time=None,
        )
    log.info(
        "scheduler %s started with %d jobs",
        worker,
        len(scheduler.get_jobs()),
        extra={"worker": worker},
    )
    scheduler.start()


@dataclass(frozen=True)
class SchedulerStatus:
    state: str  # "ok", "stale" or "never"
    last_beat: dt.datetime | None
    last_error: str | None


def status(app: Flask, now: dt.datetime | None = None) -> SchedulerStatus:
    """Whether some scheduler beat recently (within three intervals)."""
    now = now or utcnow()
    newest = db.session.execute(
        select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.beat_at.desc()).limit(1)
    ).scalar_one_or_none()
    if newest is None:
        return SchedulerStatus("never", None, None)
    fresh = now - newest.beat_at <= dt.timedelta(
        seconds=3 * app.config["SCHEDULER_INTERVAL_SECONDS"]
    )
    return SchedulerStatus("ok" if fresh else "stale", newest.beat_at, newest.last_error)
