"""Waves: plan an audit campaign, draw and confirm its schedule, run and close it."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, delete, func, insert, select, update

from audits.mystery.models import (
    AttemptState,
    HourBand,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    Persona,
    Scenario,
    Wave,
    WaveStatus,
    tester_excluded_clients,
)
from audits.mystery.schedule import (
    WEEKDAY_CODES,
    PlanChannel,
    PlanPersona,
    PlanSettings,
    PlanTester,
    SchedulePlan,
    channel_slots,
    draw_schedule,
)
from audits.scorecards.models import ScorecardVersion
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, Role, User
from qcrm.permissions import visible_clients
from qcrm.validation import HOURS_PER_YEAR, MINUTES_PER_YEAR, check_number, check_text

#: Default answer timeouts in hours by channel type (social media is expected to be fastest).
DEFAULT_ANSWER_TIMEOUTS: dict[str, float] = {
    ChannelType.EMAIL.value: 72,
    ChannelType.WEB_FORM.value: 72,
    ChannelType.FACEBOOK.value: 24,
    ChannelType.X.value: 24,
    ChannelType.INSTAGRAM.value: 24,
    ChannelType.LINKEDIN.value: 24,
    ChannelType.WHATSAPP.value: 24,
    ChannelType.SMS.value: 24,
    ChannelType.LIVE_CHAT.value: 1,
    ChannelType.PHONE.value: 1,
    ChannelType.IN_PERSON.value: 1,
    ChannelType.OTHER.value: 72,
}
EDITABLE = (WaveStatus.DRAFT,)


@dataclass(frozen=True)
class WaveData:
    """What a manager enters for a wave."""

    name: str
    client_id: int
    scorecard_version_id: int
    period_start: dt.date
    period_end: dt.date
    channel_ids: tuple[int, ...]
    scenario_ids: tuple[int, ...]
    tester_ids: tuple[int, ...]
    contacts_per_cell: int
    weekdays: tuple[str, ...]
    hour_bands: tuple[str, ...]
    within_business_hours: bool = True
    answer_timeouts: dict[str, float] = field(default_factory=dict)
    second_attempt_after_hours: float | None = None
    auto_send_email: bool = False
    target_answer_rate: float | None = None
    target_frt_median_minutes: float | None = None
    target_frt_within_hours: float | None = None
    target_frt_within_share: float | None = 0.9
    target_dimension_scores: dict[str, float] = field(default_factory=dict)
    target_total_score: float | None = None
    lockout_days: int = 7
    persona_reuse_days: int = 14
    daily_cap_per_tester: int = 4


def _check(data: WaveData, acting: User, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("Please enter a name.")
    if data.period_end < data.period_start:
        errors["period_end"] = _("The period must end on or after its start.")
    elif data.period_start < today:
        errors["period_start"] = _("The period must not start in the past.")
    if data.contacts_per_cell < 1:
        errors["contacts_per_cell"] = _("Plan at least one contact per channel and scenario.")
    elif data.contacts_per_cell > 1000:
        errors["contacts_per_cell"] = _("At most %(n)d contacts per channel and scenario.", n=1000)
    if not data.weekdays or set(data.weekdays) - set(WEEKDAY_CODES):
        errors["weekdays"] = _("Choose at least one weekday.")
    if not data.hour_bands or set(data.hour_bands) - {b.value for b in HourBand}:
        errors["hour_bands"] = _("Choose at least one time of day.")
    if not data.channel_ids:
        errors["channel_ids"] = _("Choose at least one channel.")
    if not data.scenario_ids:
        errors["scenario_ids"] = _("Choose at least one scenario.")
    for name in ("lockout_days", "persona_reuse_days"):
        if getattr(data, name) < 0:
            errors[name] = _("This must not be negative.")
    if data.daily_cap_per_tester < 1:
        errors["daily_cap_per_tester"] = _("Allow at least one contact per tester and day.")
    for channel_type, hours in data.answer_timeouts.items():
        if hours is None or hours <= 0:
            errors[f"answer_timeouts.{channel_type}"] = _("The answer timeout must be positive.")
    if data.second_attempt_after_hours is not None and data.second_attempt_after_hours <= 0:
        errors["second_attempt_after_hours"] = _("The time must be positive.")
    for name in ("target_answer_rate", "target_frt_within_share"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 1:
            errors[name] = _("A share lies between 0 and 100 %.")
    for name in ("target_frt_median_minutes", "target_frt_within_hours"):
        value = getattr(data, name)
        if value is not None and value <= 0:
            errors[name] = _("The time must be positive.")
    scores = {**data.target_dimension_scores, "total": data.target_total_score}
    for name, value in scores.items():
        if value is not None and not 0 <= value <= 100:
            errors[f"target_{name}_score"] = _("A score lies between 0 and 100.")
    _check_ranges(data, errors)
    return errors


def _check_ranges(data: WaveData, errors: dict[str, str]) -> None:
    """Every number finite and within a sensible range: the scheduler builds timedeltas from
    the hours, and a report publishes the targets as JSON (which has no Infinity)."""
    check_text(errors, "name", data.name)
    check_number(errors, "contacts_per_cell", data.contacts_per_cell, 1, 1000, optional=False)
    check_number(errors, "lockout_days", data.lockout_days, 0, 365, optional=False)
    check_number(errors, "persona_reuse_days", data.persona_reuse_days, 0, 365, optional=False)
    check_number(errors, "daily_cap_per_tester", data.daily_cap_per_tester, 1, 100, optional=False)
    known = {t.value for t in ChannelType}
    for channel_type, hours in data.answer_timeouts.items():
        if channel_type not in known:  # stored as a JSON key: no free text there
            errors["answer_timeouts"] = _("Unknown channel type.")
            continue
        check_number(
            errors, f"answer_timeouts.{channel_type}", hours, 0, HOURS_PER_YEAR, lo_inclusive=False
        )
    for name in ("second_attempt_after_hours", "target_frt_within_hours"):
        check_number(errors, name, getattr(data, name), 0, HOURS_PER_YEAR, lo_inclusive=False)
    check_number(
        errors,
        "target_frt_median_minutes",
        data.target_frt_median_minutes,
        0,
        MINUTES_PER_YEAR,
        lo_inclusive=False,
    )
    for name in ("target_answer_rate", "target_frt_within_share"):
        check_number(errors, name, getattr(data, name), 0, 1)
    for name, value in data.target_dimension_scores.items():
        check_number(errors, f"target_{name}_score", value, 0, 100)
    check_number(errors, "target_total_score", data.target_total_score, 0, 100)


def _load_references(wave: Wave, data: WaveData, acting: User, errors: dict[str, str]) -> None:
    """Resolve the chosen ids to objects the acting user may use; name the field if not."""
    visible_ids = set(db.session.scalars(visible_clients(acting).with_only_columns(Client.id)))
    if data.client_id not in visible_ids:
        errors["client_id"] = _("Choose a client.")
    version = db.session.get(ScorecardVersion, data.scorecard_version_id)
    if version is None or version.scorecard.is_archived:
        errors["scorecard_version_id"] = _("Choose a scorecard version.")
    channels = list(
        db.session.scalars(
            select(Channel).where(
                Channel.id.in_(data.channel_ids),
                Channel.archived_at.is_(None),
                Channel.client_id.in_(visible_ids),
            )
        )
    )
    if data.channel_ids and len(channels) != len(set(data.channel_ids)):
        errors["channel_ids"] = _("A chosen channel does not exist or is archived.")
    scenarios = list(
        db.session.scalars(
            select(Scenario).where(
                Scenario.id.in_(data.scenario_ids), Scenario.archived_at.is_(None)
            )
        )
    )
    if data.scenario_ids and len(scenarios) != len(set(data.scenario_ids)):
        errors["scenario_ids"] = _("A chosen scenario does not exist or is archived.")
    testers = list(
        db.session.scalars(
            select(User).where(
                User.id.in_(data.tester_ids), User.role == Role.TESTER, User.active.is_(True)
            )
        )
    )
    if len(testers) != len(set(data.tester_ids)):
        errors["tester_ids"] = _("A chosen tester does not exist or is inactive.")
    elif not testers:
        errors["tester_ids"] = _("Choose at least one tester.")
    if errors:
        return
    wave.client_id = data.client_id
    wave.scorecard_version = version
    wave.channels = sorted(channels, key=lambda c: c.id)
    wave.scenarios = sorted(scenarios, key=lambda s: s.id)
    wave.testers = sorted(testers, key=lambda t: t.id)


def _plan_settings(wave: Wave) -> PlanSettings:
    return PlanSettings(
        period_start=wave.period_start,
        period_end=wave.period_end,
        weekdays=tuple(wave.weekdays),
        hour_bands=tuple(HourBand(b) for b in wave.hour_bands),
        within_business_hours=wave.within_business_hours,
        contacts_per_cell=wave.contacts_per_cell,
        lockout_days=wave.lockout_days,
        persona_reuse_days=wave.persona_reuse_days,
        daily_cap_per_tester=wave.daily_cap_per_tester,
        seed=wave.seed,
    )


def _plan_channel(wave: Wave, channel: Channel) -> PlanChannel:
    return PlanChannel(
        id=channel.id,
        client_id=channel.client_id,
        time_zone=channel.time_zone,
        business_hours=channel.business_hours or {},
        needs_persona_email=wave.auto_send_email and channel.type is ChannelType.EMAIL,
    )


def _check_feasibility(wave: Wave, errors: dict[str, str]) -> None:
    """Refuse waves that cannot work whatever the draw: closed channels, too few testers."""
    settings = _plan_settings(wave)
    days = (wave.period_end - wave.period_start).days + 1
    per_channel = wave.contacts_per_cell * len(wave.scenarios)
    excluded = _excluded_clients([t.id for t in wave.testers])
    for channel in wave.channels:
        if not channel_slots(_plan_channel(wave, channel), settings):
            errors["hour_bands"] = _(
                "%(channel)s is closed on every chosen weekday and time of day in the period.",
                channel=channel.name,
            )
            return
        able = sum(1 for t in wave.testers if channel.client_id not in excluded.get(t.id, ()))
        per_tester = -(-days // wave.lockout_days) if wave.lockout_days else days * 1000
        if per_channel > able * per_tester:
            errors["contacts_per_cell"] = _(
                "%(channel)s needs %(needed)d contacts, but %(testers)d testers with a lockout of "
                "%(days)d days can make at most %(most)d in the period.",
                channel=channel.name,
                needed=per_channel,
                testers=able,
                days=wave.lockout_days,
                most=able * per_tester,
            )
            return
    total = per_channel * len(wave.channels)
    if total > len(wave.testers) * wave.daily_cap_per_tester * days:
        errors["daily_cap_per_tester"] = _(
            "%(total)d contacts do not fit into %(days)d days with %(testers)d testers at "
            "%(cap)d contacts a day.",
            total=total,
            days=days,
            testers=len(wave.testers),
            cap=wave.daily_cap_per_tester,
        )
    if wave.auto_send_email and any(c.type is ChannelType.EMAIL for c in wave.channels):
        has_address = db.session.scalar(
            select(func.count(Persona.id)).where(
                Persona.archived_at.is_(None), Persona.email.is_not(None), Persona.email != ""
            )
        )
        if not has_address:
            errors["auto_send_email"] = _(
                "E-mail inquiries are sent from the persona's address, but no persona has one."
            )


def _apply(wave: Wave, data: WaveData, acting: User, today: dt.date) -> None:
    errors = _check(data, acting, today)
    _load_references(wave, data, acting, errors)
    if errors:
        raise ServiceError(errors)
    wave.name = data.name.strip()
    wave.period_start, wave.period_end = data.period_start, data.period_end
    wave.contacts_per_cell = data.contacts_per_cell
    wave.weekdays = [d for d in WEEKDAY_CODES if d in data.weekdays]
    wave.hour_bands = [b.value for b in HourBand if b.value in data.hour_bands]
    wave.within_business_hours = data.within_business_hours
    wave.answer_timeouts = {**DEFAULT_ANSWER_TIMEOUTS, **data.answer_timeouts}
    wave.second_attempt_after_hours = data.second_attempt_after_hours
    wave.auto_send_email = data.auto_send_email
    wave.target_answer_rate = data.target_answer_rate
    wave.target_frt_median_minutes = data.target_frt_median_minutes
    wave.target_frt_within_hours = data.target_frt_within_hours
    wave.target_frt_within_share = data.target_frt_within_share
    wave.target_dimension_scores = {
        k: v for k, v in data.target_dimension_scores.items() if v is not None
    }
    wave.target_total_score = data.target_total_score
    wave.lockout_days = data.lockout_days
    wave.persona_reuse_days = data.persona_reuse_days
    wave.daily_cap_per_tester = data.daily_cap_per_tester
    _check_feasibility(wave, errors)
    if errors:
        raise ServiceError(errors)


def create_wave(data: WaveData, acting: User, today: dt.date | None = None) -> Wave:
    wave = Wave(seed=secrets.randbelow(2**31), status=WaveStatus.DRAFT)
    with db.session.no_autoflush:
        _apply(wave, data, acting, today or utcnow().date())
    db.session.add(wave)
    db.session.commit()
    return wave


def update_wave(wave: Wave, data: WaveData, acting: User, today: dt.date | None = None) -> Wave:
    """Change a draft wave; its drawn schedule no longer fits and is discarded."""
    if wave.status not in EDITABLE:
        raise ServiceError.on("status", _("Only a draft wave can be changed."))
    with db.session.no_autoflush:
        _apply(wave, data, acting, today or utcnow().date())
    db.session.execute(delete(Inquiry).where(Inquiry.wave_id == wave.id))
    db.session.commit()
    return wave


def _excluded_clients(tester_ids: list[int]) -> dict[int, set[int]]:
    rows = db.session.execute(
        select(tester_excluded_clients.c.user_id, tester_excluded_clients.c.client_id).where(
            tester_excluded_clients.c.user_id.in_(tester_ids)
        )
    )
    excluded: dict[int, set[int]] = {}
    for user_id, client_id in rows:
        excluded.setdefault(user_id, set()).add(client_id)
    return excluded


def generate_schedule(
    wave: Wave, new_seed: bool = False, today: dt.date | None = None
) -> SchedulePlan:
    """Draw the wave's inquiries (replacing an earlier draw) and store them.

    Allowed until the wave starts; a confirmed wave goes back to draft and must be confirmed
    again.
    """
    today = today or utcnow().date()
    if wave.status is WaveStatus.SCHEDULED and wave.period_start > today:
        wave.status = WaveStatus.DRAFT
        wave.scheduled_at = None
    if wave.status is not WaveStatus.DRAFT:
        raise ServiceError.on("status", _("The wave has started: its schedule is fixed."))
    if new_seed:
        wave.seed = secrets.randbelow(2**31)
    excluded = _excluded_clients([t.id for t in wave.testers])
    personas = db.session.scalars(select(Persona).where(Persona.archived_at.is_(None))).all()
    plan = draw_schedule(
        _plan_settings(wave),
        [_plan_channel(wave, channel) for channel in wave.channels],
        [scenario.id for scenario in wave.scenarios],
        [PlanTester(t.id, frozenset(excluded.get(t.id, ()))) for t in wave.testers],
        [PlanPersona(p.id, frozenset(t.id for t in p.testers), bool(p.email)) for p in personas],
    )
    db.session.execute(delete(Inquiry).where(Inquiry.wave_id == wave.id))
    if plan.inquiries:
        db.session.execute(
            insert(Inquiry),
            [
                {
                    "wave_id": wave.id,
                    "channel_id": i.channel_id,
                    "scenario_id": i.scenario_id,
                    "tester_id": i.tester_id,
                    "persona_id": i.persona_id,
                    "planned_at": i.planned_at,
                    "planned_local_date": i.local_date,
                    "planned_weekday": i.local_date.weekday(),
                    "planned_hour_band": i.hour_band,
                    "status": InquiryStatus.PLANNED,
                    "plan_problem": i.problem,
                }
                for i in plan.inquiries
            ],
        )
    db.session.commit()
    return plan


def confirm_schedule(wave: Wave) -> None:
    """Fix the drawn schedule; the scorecard version is frozen from now on."""
    if wave.status is not WaveStatus.DRAFT:
        raise ServiceError.on("status", _("Only a draft wave can be confirmed."))
    counts = db.session.execute(
        select(func.count(Inquiry.id), func.count(Inquiry.plan_problem)).where(
            Inquiry.wave_id == wave.id
        )
    ).one()
    if counts[0] == 0:
        raise ServiceError.on("schedule", _("Draw the schedule first."))
    if counts[1]:
        raise ServiceError.on(
            "schedule",
            ngettext(
                "%(num)d inquiry has no tester or persona: change the rules or the tester pool "
                "and draw again.",
                "%(num)d inquiries have no tester or persona: change the rules or the tester pool "
                "and draw again.",
                counts[1],
            ),
        )
    now = utcnow()
    wave.status = WaveStatus.SCHEDULED
    wave.scheduled_at = now
    if wave.scorecard_version.frozen_at is None:
        wave.scorecard_version.frozen_at = now
    db.session.commit()


OPEN_STATUSES = (InquiryStatus.PLANNED, InquiryStatus.DUE, InquiryStatus.SENT)


def close_wave(wave: Wave) -> int:
    """Close a wave now; inquiries without an outcome are cancelled. Returns how many."""
    if wave.status is WaveStatus.CLOSED:
        raise ServiceError.on("status", _("The wave is closed already."))
    if wave.status is WaveStatus.DRAFT:
        raise ServiceError.on("status", _("A draft wave is not closed: delete or schedule it."))
    cancelled = db.session.execute(
        update(Inquiry)
        .where(Inquiry.wave_id == wave.id, Inquiry.status.in_(OPEN_STATUSES))
        .values(status=InquiryStatus.CANCELLED)
    ).rowcount
    wave.status = WaveStatus.CLOSED
    wave.closed_at = utcnow()
    db.session.commit()
    return cancelled


def delete_draft(wave: Wave) -> None:
    if wave.status is not WaveStatus.DRAFT:
        raise ServiceError.on("status", _("Only a draft wave can be deleted."))
    db.session.delete(wave)
    db.session.commit()


def previous_comparable_wave(wave: Wave) -> Wave | None:
    """The latest closed wave of the same client using the same scorecard (any version)."""
    return db.session.scalar(
        select(Wave)
        .join(ScorecardVersion, Wave.scorecard_version_id == ScorecardVersion.id)
        .where(
            Wave.client_id == wave.client_id,
            Wave.status == WaveStatus.CLOSED,
            Wave.id != wave.id,
            Wave.period_end <= wave.period_start,
            ScorecardVersion.scorecard_id == wave.scorecard_version.scorecard_id,
        )
        .order_by(Wave.period_end.desc(), Wave.id.desc())
        .limit(1)
    )


def visible_waves(user: User) -> Select[tuple[Wave]]:
    clients = visible_clients(user).with_only_columns(Client.id)
    return select(Wave).where(Wave.client_id.in_(clients)).order_by(Wave.period_start.desc())


@dataclass(frozen=True)
class PlanGrids:
    """Counts of the drawn schedule, as the manager reviews it before confirming."""

    #: (channel id, local date) → inquiries
    by_channel_day: dict[tuple[int, dt.date], int]
    #: (hour band, weekday 0–6) → inquiries
    by_band_weekday: dict[tuple[HourBand, int], int]
    #: tester id (None: unassigned) → inquiries
    by_tester: dict[int | None, int]
    #: rule name → inquiries it left without tester or persona
    problems: dict[str, int]
    total: int


def plan_grids(wave: Wave) -> PlanGrids:
    """Aggregate the stored schedule in SQL."""

    def counts(*columns, where=()):
        query = (
            select(*columns, func.count(Inquiry.id))
            .where(Inquiry.wave_id == wave.id, *where)
            .group_by(*columns)
        )
        return {
            (tuple(row[:-1]) if len(columns) > 1 else row[0]): row[-1]
            for row in db.session.execute(query)
        }

    by_tester = counts(Inquiry.tester_id)
    return PlanGrids(
        by_channel_day=counts(Inquiry.channel_id, Inquiry.planned_local_date),
        by_band_weekday=counts(Inquiry.planned_hour_band, Inquiry.planned_weekday),
        by_tester=by_tester,
        problems=counts(Inquiry.plan_problem, where=(Inquiry.plan_problem.is_not(None),)),
        total=sum(by_tester.values()),
    )


@dataclass(frozen=True)
class DispatchSummary:
    """Where the wave's inquiries stand, and what went wrong while dispatching them."""

    #: InquiryStatus → inquiries
    by_status: dict[InquiryStatus, int]
    overdue: int
    #: (inquiry id, attempt number, last error) of attempts whose sending failed
    failed_sends: list[tuple[int, int, str]]
    #: Inquiries a scheduler job skipped because it failed on them, newest first (at most 50)
    problems: list[DispatchProblem] = field(default_factory=list)
    problems_total: int = 0


@dataclass(frozen=True)
class DispatchProblem:
    """An inquiry a scheduler job could not get through, with the job's error."""

    inquiry_id: int
    planned_at: dt.datetime
    time_zone: str
    channel_name: str
    scenario_title: str
    job: str
    message: str
    at: dt.datetime


def dispatch_summary(wave: Wave) -> DispatchSummary:
    by_status = dict(
        db.session.execute(
            select(Inquiry.status, func.count(Inquiry.id))
            .where(Inquiry.wave_id == wave.id)
            .group_by(Inquiry.status)
        ).all()
    )
    overdue = db.session.scalar(
        select(func.count(Inquiry.id)).where(
            Inquiry.wave_id == wave.id,
            Inquiry.overdue_at.is_not(None),
            Inquiry.status == InquiryStatus.DUE,
        )
    )
    failed = db.session.execute(
        select(InquiryAttempt.inquiry_id, InquiryAttempt.number, InquiryAttempt.last_error)
        .join(Inquiry, InquiryAttempt.inquiry_id == Inquiry.id)
        .where(
            Inquiry.wave_id == wave.id,
            InquiryAttempt.last_error.is_not(None),
            InquiryAttempt.state != AttemptState.SENT,
        )
        .order_by(InquiryAttempt.due_at)
        .limit(20)
    ).all()
    troubled = (Inquiry.wave_id == wave.id, Inquiry.dispatch_problem_job.is_not(None))
    problems = db.session.execute(
        select(
            Inquiry.id,
            Inquiry.planned_at,
            Channel.time_zone,
            Channel.name,
            Scenario.title,
            Inquiry.dispatch_problem_job,
            Inquiry.dispatch_problem,
            Inquiry.dispatch_problem_at,
        )
        .join(Channel, Inquiry.channel_id == Channel.id)
        .join(Scenario, Inquiry.scenario_id == Scenario.id)
        .where(*troubled)
        .order_by(Inquiry.dispatch_problem_at.desc(), Inquiry.id)
        .limit(50)
    ).all()
    problems_total = (
        db.session.scalar(select(func.count(Inquiry.id)).where(*troubled)) if problems else 0
    )
    return DispatchSummary(
        by_status,
        overdue or 0,
        [tuple(row) for row in failed],
        problems=[DispatchProblem(*row) for row in problems],
        problems_total=problems_total or 0,
    )


def preload_inquiry_details(inquiries: list[Inquiry]) -> None:
    """Load the channels, scenarios, testers and personas of a page of inquiries at once."""
    for model, attribute in (
        (Channel, "channel_id"),
        (Scenario, "scenario_id"),
        (User, "tester_id"),
        (Persona, "persona_id"),
    ):
        ids = {getattr(i, attribute) for i in inquiries} - {None}
        if ids:
            db.session.scalars(select(model).where(model.id.in_(ids))).all()
