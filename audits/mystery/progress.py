"""Wave progress for managers: coverage, live figures, what is overdue, who is behind.

Everything is aggregated in SQL with GROUP BY and conditional sums; the only Python work over
rows is the percentile over the one sorted column of first response times.

Cancelled inquiries are left out of every count: they are neither planned nor sent (DOMAIN.md:
planned = sent + not contactable + cancelled is reported with cancelled separately).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from audits.mystery.models import (
    ContactLog,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    ReviewStatus,
    Scenario,
    Wave,
)
from qcrm.extensions import db
from qcrm.models import Channel, User
from qcrm.statistics import median, p90

#: Statuses of inquiries whose (first) attempt was sent.
SENT_STATUSES = (InquiryStatus.SENT, InquiryStatus.ANSWERED, InquiryStatus.UNANSWERED)
#: Review states of contact logs handed in by the tester.
SUBMITTED_REVIEWS = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)
#: How many overdue and unanswered inquiries are listed at most.
LIST_LIMIT = 50


@dataclass(frozen=True)
class CoverageCell:
    """Counts of one channel × scenario cell (or of the whole wave)."""

    planned: int = 0
    sent: int = 0
    answered: int = 0
    submitted: int = 0
    approved: int = 0


CELL_FIELDS = ("planned", "sent", "answered", "submitted", "approved")


@dataclass(frozen=True)
class ListedInquiry:
    """An inquiry in the overdue or unanswered list, with the names to show."""

    id: int
    channel_name: str
    time_zone: str
    scenario_title: str
    tester_name: str | None
    planned_at: dt.datetime
    overdue_at: dt.datetime | None


@dataclass(frozen=True)
class TesterProgress:
    tester_id: int | None
    #: None: inquiries without a tester (only while a draft schedule breaks a rule).
    name: str | None
    assigned: int
    sent: int
    submitted: int
    approved: int
    overdue: int


@dataclass(frozen=True)
class WaveProgress:
    """Where a running wave stands.

    ``answer_rate`` is a live operational figure: answered / sent over all inquiries of the
    wave as dispatched and logged so far, whatever the review state of their contact logs. It
    is not the reviewed answer rate of the reports, which count only approved contacts.
    """

    #: (channel id, scenario id) → counts
    coverage: dict[tuple[int, int], CoverageCell]
    totals: CoverageCell
    #: answered / sent so far (None while nothing is sent); its n is ``totals.sent``
    answer_rate: float | None
    #: First response time so far over answered inquiries, calendar seconds (None: none yet)
    frt_median_seconds: float | None
    frt_p90_seconds: float | None
    frt_n: int
    #: Due inquiries the tester has not logged as sent in time (at most LIST_LIMIT)
    overdue: list[ListedInquiry]
    overdue_total: int
    #: Inquiries without an answer within their timeout (at most LIST_LIMIT)
    unanswered: list[ListedInquiry]
    unanswered_total: int
    testers: list[TesterProgress]

    @property
    def answer_rate_n(self) -> int:
        return self.totals.sent


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counts():
    """The five conditional sums of a coverage cell (over inquiries outer-joined to logs)."""
    return (
        func.count(Inquiry.id),
        _count(Inquiry.status.in_(SENT_STATUSES)),
        _count(Inquiry.status == InquiryStatus.ANSWERED),
        _count(ContactLog.status.in_(SUBMITTED_REVIEWS)),
        _count(ContactLog.status == ReviewStatus.APPROVED),
    )


def _not_cancelled(wave: Wave):
    return (Inquiry.wave_id == wave.id, Inquiry.status != InquiryStatus.CANCELLED)


def _first_response_seconds(wave: Wave) -> list[float]:
    """Calendar seconds from the first attempt's sending to the first answer, sorted."""
    first_sent = func.min(InquiryAttempt.sent_at)
    rows = db.session.execute(
        select(Inquiry.first_answer_at, first_sent)
        .join(InquiryAttempt, InquiryAttempt.inquiry_id == Inquiry.id)
        .where(
            Inquiry.wave_id == wave.id,
            Inquiry.status == InquiryStatus.ANSWERED,
            Inquiry.first_answer_at.is_not(None),
        )
        .group_by(Inquiry.id, Inquiry.first_answer_at)
        .having(first_sent.is_not(None))
        .order_by(Inquiry.id)
    ).all()
    return sorted((answered - sent).total_seconds() for answered, sent in rows)


def _listed(wave: Wave, *conditions, order_by) -> list[ListedInquiry]:
    rows = db.session.execute(
        select(
            Inquiry.id,
            Channel.name,
            Channel.time_zone,
            Scenario.title,
            User.name,
            Inquiry.planned_at,
            Inquiry.overdue_at,
        )
        .join(Channel, Inquiry.channel_id == Channel.id)
        .join(Scenario, Inquiry.scenario_id == Scenario.id)
        .outerjoin(User, Inquiry.tester_id == User.id)
        .where(Inquiry.wave_id == wave.id, *conditions)
        .order_by(*order_by, Inquiry.id)
        .limit(LIST_LIMIT)
    ).all()
    return [ListedInquiry(*row) for row in rows]


def wave_progress(wave: Wave) -> WaveProgress:
    """Coverage, answer rate and first response time so far, overdue and unanswered
    inquiries, and the progress of each tester — in a fixed number of queries."""
    coverage = {
        (channel_id, scenario_id): CoverageCell(*(int(n) for n in numbers))
        for channel_id, scenario_id, *numbers in db.session.execute(
            select(Inquiry.channel_id, Inquiry.scenario_id, *_counts())
            .outerjoin(ContactLog, ContactLog.inquiry_id == Inquiry.id)
            .where(*_not_cancelled(wave))
            .group_by(Inquiry.channel_id, Inquiry.scenario_id)
        )
    }
    totals = CoverageCell(
        *(sum(getattr(cell, name) for cell in coverage.values()) for name in CELL_FIELDS)
    )

    overdue_condition = (Inquiry.status == InquiryStatus.DUE) & Inquiry.overdue_at.is_not(None)
    unanswered_condition = Inquiry.status == InquiryStatus.UNANSWERED
    testers = [
        TesterProgress(tester_id, name, *(int(n) for n in numbers))
        for tester_id, name, *numbers in db.session.execute(
            select(
                Inquiry.tester_id,
                User.name,
                func.count(Inquiry.id),
                _count(Inquiry.status.in_(SENT_STATUSES)),
                _count(ContactLog.status.in_(SUBMITTED_REVIEWS)),
                _count(ContactLog.status == ReviewStatus.APPROVED),
                _count(overdue_condition),
            )
            .outerjoin(User, Inquiry.tester_id == User.id)
            .outerjoin(ContactLog, ContactLog.inquiry_id == Inquiry.id)
            .where(*_not_cancelled(wave))
            .group_by(Inquiry.tester_id, User.name)
            .order_by(User.name.is_(None), User.name, Inquiry.tester_id)
        )
    ]
    unanswered_total = db.session.scalar(
        select(func.count(Inquiry.id)).where(Inquiry.wave_id == wave.id, unanswered_condition)
    )

    frt = _first_response_seconds(wave)
    return WaveProgress(
        coverage=coverage,
        totals=totals,
        answer_rate=totals.answered / totals.sent if totals.sent else None,
        frt_median_seconds=median(frt),
        frt_p90_seconds=p90(frt),
        frt_n=len(frt),
        overdue=_listed(wave, overdue_condition, order_by=(Inquiry.overdue_at,)),
        overdue_total=sum(t.overdue for t in testers),
        unanswered=_listed(wave, unanswered_condition, order_by=(Inquiry.planned_at,)),
        unanswered_total=unanswered_total or 0,
        testers=testers,
    )
