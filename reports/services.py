"""Reports as managers work on them: draft a report for a scope, edit its SWOT, publish it.

A draft's figures are computed live from the data (``current_snapshot``); its SWOT items are
generated once, when it is drafted (or drafted again), and kept as rows so managers can edit,
add and remove them. Publishing stores the snapshot with the report, which never changes after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from audits.mystery.models import Wave, WaveStatus
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import Channel, Client, Role, User
from qcrm.permissions import can_see_client, visible_clients
from qcrm.validation import check_text, text_error
from reports.analysis import ReportScope
from reports.models import Report, ReportFinding, ReportStatus
from reports.snapshot import build_snapshot, comparison_wave
from reports.swot import Quadrant

TITLE_MAX = 200
#: reports.swot.Swot's field for each quadrant.
SWOT_FIELDS = {
    Quadrant.STRENGTH: "strengths",
    Quadrant.WEAKNESS: "weaknesses",
    Quadrant.OPPORTUNITY: "opportunities",
    Quadrant.THREAT: "threats",
}
FINDING_TEXT_MAX = 2000


@dataclass(frozen=True)
class ReportData:
    """What a manager chooses for a new report."""

    title: str
    client_id: int
    wave_ids: tuple[int, ...] = ()
    period: tuple[dt.date, dt.date] | None = None
    channel_ids: tuple[int, ...] = field(default=())


def report_scope(report: Report) -> ReportScope:
    return ReportScope(
        client_id=report.client_id,
        wave_ids=tuple(report.wave_ids or ()),
        period=(report.period_start, report.period_end)
        if report.period_start and report.period_end
        else None,
        channel_ids=tuple(report.channel_ids or ()),
    )


def _check(data: ReportData, user: User) -> ReportScope:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = _("Give the report a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("At most %(max)d characters.", max=TITLE_MAX)
    check_text(errors, "title", title)  # the title is a mail subject when a report is sent
    if not can_see_client(user, data.client_id):
        errors["client_id"] = _("Choose one of your clients.")
    wave_ids = set(data.wave_ids)
    if wave_ids:
        found = set(
            db.session.scalars(
                select(Wave.id).where(Wave.id.in_(wave_ids), Wave.client_id == data.client_id)
            )
        )
        if found != wave_ids:
            errors["wave_ids"] = _("Choose waves of the report's client.")
    channel_ids = set(data.channel_ids)
    if channel_ids:
        found = set(
            db.session.scalars(
                select(Channel.id).where(
                    Channel.id.in_(channel_ids), Channel.client_id == data.client_id
                )
            )
        )
        if found != channel_ids:
            errors["channel_ids"] = _("Choose channels of the report's client.")
    if data.period is not None and data.period[1] < data.period[0]:
        errors["period_end"] = _("The period cannot end before it starts.")
    if not wave_ids and data.period is None:
        errors["wave_ids"] = _("Choose at least one wave, or a period.")
    if errors:
        raise ServiceError(errors)
    return ReportScope(data.client_id, tuple(wave_ids), data.period, tuple(channel_ids))


def _finding_rows(snapshot: dict[str, Any]) -> list[ReportFinding]:
    rows = []
    for quadrant in Quadrant:
        items = snapshot["swot"][SWOT_FIELDS[quadrant]]
        for position, data in enumerate(items, start=1):
            rows.append(
                ReportFinding(quadrant=quadrant, position=position, rule=data["rule"], data=data)
            )
    return rows


def create_report(data: ReportData, user: User, now: dt.datetime | None = None) -> Report:
    """A draft report for the scope, with its SWOT items generated from the current figures."""
    now = now or utcnow()
    scope = _check(data, user)
    report = Report(
        client_id=scope.client_id,
        title=data.title.strip(),
        wave_ids=list(scope.wave_ids),
        period_start=scope.period[0] if scope.period else None,
        period_end=scope.period[1] if scope.period else None,
        channel_ids=list(scope.channel_ids),
        created_by_id=user.id,
        created_at=now,
    )
    report.findings = _finding_rows(build_snapshot(scope, now, comparison_wave(scope)))
    db.session.add(report)
    db.session.commit()
    return report


def report_snapshot(report: Report, now: dt.datetime) -> dict[str, Any]:
    """The report's figures now, compared with the wave its manager chose (or the rule's)."""
    scope = report_scope(report)
    return build_snapshot(
        scope, now, comparison_wave(scope, report.comparison_wave_id, report.no_comparison)
    )


def comparable_waves(report: Report) -> list[Wave]:
    """The waves a manager may compare a draft with: the client's closed waves outside it."""
    return list(
        db.session.scalars(
            select(Wave)
            .where(
                Wave.client_id == report.client_id,
                Wave.status == WaveStatus.CLOSED,
                Wave.id.not_in(report.wave_ids or [-1]),
            )
            .order_by(Wave.period_end.desc(), Wave.id.desc())
        )
    )


def choose_comparison(report: Report, wave_id: int | None, no_comparison: bool) -> Report:
    """Compare the draft with another closed wave of its client, with nothing, or (neither
    given) with the previous comparable wave; the SWOT items follow the new comparison."""
    _check_draft(report)
    if no_comparison and wave_id is not None:
        raise ServiceError.on(
            "comparison_wave_id", _("Choose a wave to compare with, or no comparison — not both.")
        )
    if wave_id is not None and wave_id not in {w.id for w in comparable_waves(report)}:
        raise ServiceError.on(
            "comparison_wave_id",
            _("Choose a closed wave of the report's client that the report does not cover."),
        )
    report.comparison_wave_id, report.no_comparison = wave_id, no_comparison
    return regenerate_findings(report)


def _check_draft(report: Report) -> None:
    if report.status is not ReportStatus.DRAFT:
        raise ServiceError.on("report", _("The report is published and can no longer be changed."))


def regenerate_findings(report: Report, now: dt.datetime | None = None) -> Report:
    """Apply the SWOT rules again to the current figures (e.g. after more contacts were
    approved). Items managers added or edited stay; generated ones they removed stay removed."""
    _check_draft(report)
    snapshot = report_snapshot(report, now or utcnow())
    keep = [f for f in report.findings if f.rule is None or f.edited or f.removed]
    taken = {(f.rule, _finding_key(f.data)) for f in keep if f.rule is not None}
    fresh = [f for f in _finding_rows(snapshot) if (f.rule, _finding_key(f.data)) not in taken]
    report.findings = [*fresh, *keep]
    _renumber(report)
    db.session.commit()
    return report


def _finding_key(data: dict[str, Any]) -> tuple:
    """What a generated finding is about (its subject and link), whatever its figures now."""
    return (
        data.get("subject"),
        tuple(sorted((k, str(v)) for k, v in (data.get("link") or {}).items())),
    )


def _renumber(report: Report) -> None:
    for quadrant in Quadrant:
        items = [f for f in report.findings if f.quadrant is quadrant]
        for position, finding in enumerate(items, start=1):
            finding.position = position


def _checked_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ServiceError.on("text", _("Write the finding as a sentence."))
    if len(text) > FINDING_TEXT_MAX:
        raise ServiceError.on("text", _("At most %(max)d characters.", max=FINDING_TEXT_MAX))
    message = text_error(text, multi_line=True)
    if message is not None:
        raise ServiceError.on("text", message)
    return text


def edit_finding(finding: ReportFinding, text: str) -> ReportFinding:
    """Replace a finding's sentence by the manager's wording; it is shown marked as edited."""
    _check_draft(finding.report)
    finding.text = _checked_text(text)
    finding.edited = True
    db.session.commit()
    return finding


def add_finding(report: Report, quadrant: Quadrant, text: str) -> ReportFinding:
    """A finding the manager writes; it is marked as edited (no rule produced it)."""
    _check_draft(report)
    position = 1 + max((f.position for f in report.findings if f.quadrant is quadrant), default=0)
    finding = ReportFinding(
        quadrant=quadrant,
        position=position,
        rule=None,
        data={},
        text=_checked_text(text),
        edited=True,
    )
    report.findings.append(finding)
    db.session.commit()
    return finding


def remove_finding(finding: ReportFinding) -> None:
    """Take a finding out of the report; a generated one is kept as removed, so drafting the
    SWOT again does not bring it back."""
    report = finding.report
    _check_draft(report)
    if finding.rule is None:
        report.findings.remove(finding)
    else:
        finding.removed = True
    _renumber(report)
    db.session.commit()


def restore_finding(finding: ReportFinding) -> ReportFinding:
    _check_draft(finding.report)
    finding.removed = False
    db.session.commit()
    return finding


def current_snapshot(report: Report, now: dt.datetime | None = None) -> dict[str, Any]:
    """The report's figures: stored when published, computed live for a draft."""
    if report.figures is not None:
        return report.figures
    return report_snapshot(report, now or utcnow())


def publish_report(report: Report, user: User, now: dt.datetime | None = None) -> Report:
    """Store every figure with the report; from now on it is an immutable snapshot.

    Publishing is a conditional update, so two managers publishing at once store one snapshot.
    """
    _check_draft(report)
    now = now or utcnow()
    snapshot = report_snapshot(report, now)
    claimed = db.session.execute(
        Report.__table__.update()
        .where(Report.id == report.id, Report.status == ReportStatus.DRAFT)
        .values(
            status=ReportStatus.PUBLISHED,
            figures=snapshot,
            published_at=now,
            published_by_id=user.id,
        )
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError.on("report", _("The report was published already."))
    db.session.commit()
    db.session.refresh(report)
    return report


def visible_reports(user: User):
    """Reports the user may list: managers all of their clients'; executives the published ones."""
    query = select(Report).where(
        Report.client_id.in_(visible_clients(user).with_only_columns(Client.id))
    )
    if user.role is Role.EXECUTIVE:
        query = query.where(Report.status == ReportStatus.PUBLISHED)
    return query.order_by(Report.created_at.desc(), Report.id.desc())
