"""Mystery figures of a report scope: every figure checked against a hand calculation.

The fixed data set (wave A of client A, T0 = Monday 2030-01-07 09:00 UTC). Channel A is the
world's e-mail channel, open Mondays 08:00–18:00 (one open day of 10 h: 2 business days =
20 h = 72000 s); channel C is a web form open Mon–Thu 08:00–16:00 and Fri 08:00–12:00 (weekly
4 × 8 h + 4 h = 36 h over 5 open days = 7.2 h a day: 2 business days = 14.4 h = 51840 s).

 Nr ch/sc day band       outcome                         FRT cal / business   solved  total
  1 A/S1 Mon morning    answered                         600 / 600            yes     90
  2 A/S1 Mon morning    answered at the 2nd attempt      90000 / 36000        no      60
                        (also a late reply to attempt 1: still answered, not late)
  3 A/S2 Tue noon       answered                         7200 / 7200          yes     80
  4 A/S2 Tue afternoon  answered                         3600 / 3600          yes     70
  5 A/S1 Wed evening    late (late answer + auto ack.)   –                    –       20 (k.o.)
  6 A/S2 Wed morning    never (auto acknowledgement)     –                    –       30
  7 C/S1 Thu morning    answered                         3000 / 3000          yes     85
  8 C/S1 Thu noon       answered                         172800 / 51840       no      65
  9 C/S2 Fri afternoon  answered                         200000 / 60000       yes     75
 10 C/S2 Fri morning    never                            –                    –       25
 11 C/S1 Thu morning    not contactable (no form)                                     –
 12 A/S2 Tue noon       not contactable (status), evaluated 0 and knocked out: not scored
 13 A/S1 Mon morning    cancelled, approved, answered in 60 s, evaluated: counts nowhere
 14 C/S1 Thu morning    answered in 60 s, log only submitted, evaluated: counts nowhere
 Nr 1 also has a CALIBRATION evaluation (total 0, knocked out): never counts.
 Client B's wave has an approved answered inquiry: another client, counts nowhere.

 Scores (primary, nr 1–10)  transaction  communication  handling  total
                               100          80            90       90
                                50          60            70       60
                               100          80            60       80
                               100          60            50       70
                                 0          40             0       20
                                 0          None          50       30
                               100          90            70       85
                                50          70            70       65
                               100          60            60       75
                                 0          None          40       25

 Items (answers of nr 1–10):
  I1 "Persönliche Anrede" yes/no:   1 1 1 1 0 0 1 1 1 0
  I2 scale 1–5 (target 0.7):        5 3 4 4 2 1 5 3 4 1
  I3 yes/no, knock-out (target 0.9): 1 1 1 1 0 1 1 1 1 n/a
  I4 number ≤ 2 (target 0.5):       0 3 1 2 5 4 0 2 1 3
  I5 number without threshold:      recorded, never scored

Wave targets: answer rate 0.8, FRT median 60 min, 24 h (share unset: 0.9), dimension scores
transaction 80 / communication 70 / handling 75, total 75.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from audits.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind
from audits.mystery.models import (
    ContactabilityFailure,
    ContactLog,
    HourBand,
    Inquiry,
    InquiryReply,
    InquiryStatus,
    ReviewStatus,
    Scenario,
    ScenarioCategory,
    Wave,
    WaveStatus,
)
from audits.mystery.waves import previous_comparable_wave
from audits.scorecards.models import (
    Comparison,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, User
from reports.analysis import (
    QUERIES,
    ReportScope,
    business_day_seconds,
    compare_figures,
    compare_waves,
    mystery_figures,
)
from reports.snapshot import to_json
from tests.conftest import count_queries

T0 = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)  # a Monday
S = InquiryStatus
R = ReviewStatus
B = HourBand
# t quantiles t(0.975, df), from tables: df 6 → 2.446912, df 9 → 2.262157
T6, T9 = 2.446912, 2.262157


def approx4(value: float):
    """Equal to 4 decimals (hand-computed bounds are written with 4)."""
    return pytest.approx(value, abs=5e-5)


def _earned(item: ScorecardItem, value: float | None, not_applicable: bool) -> float | None:
    if not_applicable or value is None:
        return None
    if item.item_type is ItemType.SCALE:
        return (value - 1) / 4
    if item.item_type is ItemType.NUMBER:
        if item.threshold is None:
            return None
        return 1.0 if value <= item.threshold else 0.0
    return float(value)


class Builder:
    """Adds inquiries with their contact log, replies and evaluations."""

    def __init__(self, world, items: list[ScorecardItem]) -> None:
        self.tester = db.session.get(User, world.tester.id)
        self.manager = db.session.get(User, world.manager.id)
        self.items = items

    def contact(
        self,
        wave: Wave,
        channel: Channel,
        scenario: Scenario,
        *,
        day: int,
        band: HourBand,
        status: InquiryStatus,
        review: ReviewStatus | None = R.APPROVED,
        frt: tuple[float, float] | None = None,
        attempt: int = 1,
        solved: bool | None = None,
        not_contactable: ContactabilityFailure | None = None,
        replies: tuple[tuple[bool, bool], ...] = (),
        scores: tuple[float | None, float | None, float | None, float | None] | None = None,
        knocked_out: bool = False,
        answers: tuple[float | None, ...] = (),
        kind: EvaluationKind = EvaluationKind.PRIMARY,
        inquiry: Inquiry | None = None,
    ) -> Inquiry:
        planned = T0 + dt.timedelta(days=day)
        inquiry = inquiry or Inquiry()
        inquiry.wave, inquiry.channel, inquiry.scenario = wave, channel, scenario
        inquiry.tester = self.tester
        inquiry.planned_at = planned
        inquiry.planned_local_date = planned.date()
        inquiry.planned_weekday = planned.weekday()
        inquiry.planned_hour_band = band
        inquiry.status = status
        if frt is not None:
            inquiry.first_answer_at = planned + dt.timedelta(seconds=frt[0])
            inquiry.answered_attempt = attempt
        db.session.add(inquiry)
        if review is not None:
            db.session.add(
                ContactLog(
                    inquiry=inquiry,
                    status=review,
                    not_contactable=not_contactable,
                    solved=solved,
                    first_response_seconds=frt[0] if frt else None,
                    first_response_business_seconds=frt[1] if frt else None,
                )
            )
        db.session.flush()
        for hours, (late, acknowledgement) in enumerate(replies, start=1):
            db.session.add(
                InquiryReply(
                    inquiry_id=inquiry.id,
                    received_at=planned + dt.timedelta(hours=hours),
                    is_late=late,
                    is_auto_acknowledgement=acknowledgement,
                )
            )
        if scores is not None:
            self.evaluate(inquiry, scores, knocked_out, answers, kind)
        return inquiry

    def evaluate(self, inquiry, scores, knocked_out, answers, kind) -> None:
        transaction, communication, handling, total = scores
        evaluation = Evaluation(
            inquiry_id=inquiry.id,
            evaluator_id=(self.tester if kind is EvaluationKind.PRIMARY else self.manager).id,
            kind=kind,
            scorecard_version_id=inquiry.wave.scorecard_version_id,
            transaction_score=transaction,
            communication_score=communication,
            handling_score=handling,
            total_score=total,
            knocked_out=knocked_out,
        )
        for item, value in zip(self.items, answers, strict=True):
            not_applicable = value == "n/a"
            number = None if not_applicable else value
            earned = _earned(item, number, not_applicable)
            evaluation.answers.append(
                EvaluationAnswer(
                    item_id=item.id,
                    value=number,
                    not_applicable=not_applicable,
                    earned=earned,
                    final=earned,
                )
            )
        db.session.add(evaluation)


def _items(world) -> list[ScorecardItem]:
    """I1 (the world's "Persönliche Anrede") and I2–I5 appended to its scorecard version."""
    version = world.version
    first = db.session.get(ScorecardItem, world.item.id)
    added = [
        ScorecardItem(
            position=2,
            method_dimension=MethodDimension.COMMUNICATION,
            quality_dimension=QualityDimension.INDIVIDUALITY,
            text="Freundlichkeit",
            item_type=ItemType.SCALE,
            target_pass_rate=0.7,
        ),
        ScorecardItem(
            position=3,
            method_dimension=MethodDimension.HANDLING,
            quality_dimension=QualityDimension.PROCESS,
            text="Datenschutz beachtet",
            item_type=ItemType.YES_NO,
            allows_not_applicable=True,
            knockout=KnockoutScope.DIMENSION,
            target_pass_rate=0.9,
        ),
        ScorecardItem(
            position=4,
            method_dimension=MethodDimension.HANDLING,
            quality_dimension=QualityDimension.COMPETENCE,
            text="Rückfragen",
            item_type=ItemType.NUMBER,
            threshold=2,
            comparison=Comparison.AT_MOST,
            target_pass_rate=0.5,
        ),
        ScorecardItem(
            position=5,
            method_dimension=MethodDimension.HANDLING,
            quality_dimension=QualityDimension.PROCESS,
            text="Weitergeleitet an",
            item_type=ItemType.NUMBER,
        ),
    ]
    for item in added:
        item.version_id = version.id
        db.session.add(item)
    db.session.flush()
    return [first, *added]


def _build(world) -> dict[str, int]:
    wave = db.session.get(Wave, world.wave_a.id)
    wave.status = WaveStatus.CLOSED
    wave.target_answer_rate = 0.8
    wave.target_frt_median_minutes = 60
    wave.target_frt_within_hours = 24
    wave.target_dimension_scores = {"transaction": 80, "communication": 70, "handling": 75}
    wave.target_total_score = 75
    a = db.session.get(Channel, world.channel_a.id)
    c = Channel(
        client_id=world.client_a.id,
        type=ChannelType.WEB_FORM,
        name="Kontaktformular",
        address="https://aue.example/kontakt",
        business_hours={
            "mon": ["08:00-16:00"],
            "tue": ["08:00-12:00", "13:00-17:00"],
            "wed": ["08:00-16:00"],
            "thu": ["08:00-16:00"],
            "fri": ["08:00-12:00"],
        },
    )
    s1 = db.session.get(Scenario, world.scenario.id)
    s2 = Scenario(title="Kündigung", category=ScenarioCategory.CANCELLATION, script="…")
    db.session.add_all([c, s2])
    items = _items(world)
    build = Builder(world, items)
    add = build.contact
    ans = S.ANSWERED
    one = add(
        wave, a, s1, day=0, band=B.MORNING, status=ans, frt=(600, 600), solved=True,
        scores=(100, 80, 90, 90), answers=(1, 5, 1, 0, 7),
        inquiry=db.session.get(Inquiry, world.inquiry_a.id),
    )  # fmt: skip
    add(
        wave, a, s1, day=0, band=B.MORNING, status=ans, frt=(90000, 36000), attempt=2,
        solved=False, replies=((True, False),), scores=(50, 60, 70, 60), answers=(1, 3, 1, 3, 2),
        inquiry=db.session.get(Inquiry, world.inquiry_other.id),
    )  # fmt: skip
    add(
        wave, a, s2, day=1, band=B.NOON, status=ans, frt=(7200, 7200), solved=True,
        scores=(100, 80, 60, 80), answers=(1, 4, 1, 1, 0),
    )  # fmt: skip
    add(
        wave, a, s2, day=1, band=B.AFTERNOON, status=ans, frt=(3600, 3600), solved=True,
        scores=(100, 60, 50, 70), answers=(1, 4, 1, 2, 0),
    )  # fmt: skip
    add(
        wave, a, s1, day=2, band=B.EVENING, status=S.UNANSWERED,
        replies=((False, True), (True, False)), scores=(0, 40, 0, 20), knocked_out=True,
        answers=(0, 2, 0, 5, 1),
    )  # fmt: skip
    add(
        wave, a, s2, day=2, band=B.MORNING, status=S.UNANSWERED, replies=((False, True),),
        scores=(0, None, 50, 30), answers=(0, 1, 1, 4, 0),
    )  # fmt: skip
    add(
        wave, c, s1, day=3, band=B.MORNING, status=ans, frt=(3000, 3000), solved=True,
        scores=(100, 90, 70, 85), answers=(1, 5, 1, 0, 0),
    )  # fmt: skip
    add(
        wave, c, s1, day=3, band=B.NOON, status=ans, frt=(172800, 51840), solved=False,
        scores=(50, 70, 70, 65), answers=(1, 3, 1, 2, 0),
    )  # fmt: skip
    add(
        wave, c, s2, day=4, band=B.AFTERNOON, status=ans, frt=(200000, 60000), solved=True,
        scores=(100, 60, 60, 75), answers=(1, 4, 1, 1, 0),
    )  # fmt: skip
    add(
        wave, c, s2, day=4, band=B.MORNING, status=S.UNANSWERED, scores=(0, None, 40, 25),
        answers=(0, 1, "n/a", 3, 0),
    )  # fmt: skip
    add(
        wave, c, s1, day=3, band=B.MORNING, status=S.NOT_CONTACTABLE,
        not_contactable=ContactabilityFailure.NO_CONTACT_FORM,
    )  # fmt: skip
    add(
        wave, a, s2, day=1, band=B.NOON, status=S.NOT_CONTACTABLE, scores=(0, 0, 0, 0),
        knocked_out=True, answers=(0, 1, 0, 5, 0),
    )  # fmt: skip
    add(
        wave, a, s1, day=0, band=B.MORNING, status=S.CANCELLED, frt=(60, 60), solved=True,
        scores=(0, 0, 0, 0), knocked_out=True, answers=(0, 1, 0, 5, 0),
    )  # fmt: skip
    add(
        wave, c, s1, day=3, band=B.MORNING, status=ans, review=R.SUBMITTED, frt=(60, 60),
        solved=True, scores=(0, 0, 0, 0), knocked_out=True, answers=(0, 1, 0, 5, 0),
    )  # fmt: skip
    build.evaluate(one, (0, 0, 0, 0), True, (0, 1, 0, 5, 0), EvaluationKind.CALIBRATION)
    other_wave = db.session.get(Wave, world.wave_b.id)
    add(
        other_wave, db.session.get(Channel, world.channel_b.id), s1, day=0, band=B.MORNING,
        status=ans, frt=(60, 60), solved=True, scores=(0, 0, 0, 0), answers=(0, 1, 0, 5, 0),
    )  # fmt: skip
    db.session.commit()
    return {
        "client": world.client_a.id,
        "wave": wave.id,
        "a": a.id,
        "c": c.id,
        "s1": s1.id,
        "s2": s2.id,
        **{f"i{n}": item.id for n, item in enumerate(items, start=1)},
    }


def test_business_day_is_the_average_open_day():
    # channel A: one open day of 10 h; channel C: (8 + 8 + 8 + 8 + 4) h / 5 days = 7.2 h
    assert business_day_seconds({"mon": ["08:00-18:00"]}) == 36000
    assert business_day_seconds(
        {
            "mon": ["08:00-16:00"],
            "tue": ["08:00-12:00", "13:00-17:00"],
            "wed": ["08:00-16:00"],
            "thu": ["08:00-16:00"],
            "fri": ["08:00-12:00"],
        }
    ) == pytest.approx(25920)
    assert business_day_seconds({}) == 0


def test_counts_and_answer_rate(app, world):
    with app.app_context():
        ids = _build(world)
        figures = mystery_figures(ReportScope(ids["client"], wave_ids=(ids["wave"],)))
        counts = figures.counts
        # planned 14 = sent 10 (nr 1–10) + not contactable 2 (11, 12) + cancelled 1 (13)
        #              + unreviewed 1 (14, only submitted); client B's inquiry is not in scope
        assert (counts.planned, counts.cancelled, counts.unreviewed) == (14, 1, 1)
        assert (counts.sent, counts.not_contactable) == (10, 2)
        # sent 10 = answered 7 (1, 2, 3, 4, 7, 8, 9) + late 1 (5) + never 2 (6, 10);
        # nr 2 has a late reply too, but was answered in time at its 2nd attempt
        assert (counts.answered, counts.answered_second_attempt) == (7, 1)
        assert (counts.late, counts.never_answered, counts.solved) == (1, 2, 5)
        # what went out, approved or not: nr 1–10 and nr 14; nr 14 awaits its review
        assert (counts.dispatched, counts.awaiting_review) == (11, 1)
        assert figures.open_wave_ids == ()  # wave A is closed

        # Answer rate 7 / 10 = 0.7 against 0.8. Wilson, z = 1.959964, z² = 3.841459:
        # centre = (0.7 + z²/20) / (1 + z²/10) = 0.892073 / 1.384146 = 0.644490
        # half = z / 1.384146 × sqrt(0.7 × 0.3 / 10 + z² / 400) = 1.416010 × 0.174939 = 0.247715
        # → [0.3968, 0.8922]
        rate = figures.answer_rate
        assert (rate.value, rate.n, rate.target) == (0.7, 10, 0.8)
        assert rate.interval.low == approx4(0.3968)
        assert rate.interval.high == approx4(0.8922)
        assert rate.meets_target is False
        assert not rate.significantly_worse  # 0.8922 > 0.8: not significantly below
        assert rate.small_sample  # 10 < 30

        # Shares of sent: 2nd attempt 1/10 → Wilson [0.0179, 0.4042]; late 1/10 likewise;
        # never 2/10 → [0.0567, 0.5098]
        second, late, never = figures.answered_second_attempt, figures.late, figures.never_answered
        assert (second.value, late.value, never.value) == (0.1, 0.1, 0.2)
        assert second.interval.low == approx4(0.0179)
        assert second.interval.high == approx4(0.4042)
        assert never.interval.low == approx4(0.0567)
        assert never.interval.high == approx4(0.5098)
        assert not never.higher_is_better
        # Not contactable: 2 / (10 + 2) = 0.1667, Wilson [0.0470, 0.4480]
        nc = figures.not_contactable
        assert (nc.value, nc.n) == (pytest.approx(2 / 12), 12)
        assert nc.interval.low == approx4(0.0470)
        assert nc.interval.high == approx4(0.4480)
        # First-contact resolution: solved 5 (1, 3, 4, 7, 9) / answered 7 = 0.7143,
        # Wilson [0.3589, 0.9178]
        fcr = figures.first_contact_resolution
        assert (fcr.value, fcr.n) == (pytest.approx(5 / 7), 7)
        assert fcr.interval.low == approx4(0.3589)
        assert fcr.interval.high == approx4(0.9178)


def test_first_response_times_and_cut_offs(app, world):
    with app.app_context():
        ids = _build(world)
        figures = mystery_figures(ReportScope(ids["client"]))
        # Calendar FRT of the 7 answered, sorted: 600, 3000, 3600, 7200, 90000, 172800, 200000
        # median = 4th value = 7200 s, target 60 min = 3600 s: not met (lower is better)
        # p90: rank (7 − 1) × 0.9 = 5.4 → 172800 + 0.4 × (200000 − 172800) = 183680
        # mean = 477200 / 7 = 68171.43; Σ(x − mean)² = 4.55026e10 → s² = 7.58377e9,
        # s = 87084.8; se = s / √7 = 32914.97; half = t(0.975, 6) 2.446912 × 32914.97 = 80540.0
        # → [−12368.6, 148711.5] (a mean of skewed times: the interval says how little 7 tell)
        frt = figures.frt_calendar
        assert frt.n == 7
        assert frt.median.value == 7200
        assert frt.median.target == 3600
        assert frt.median.meets_target is False
        assert frt.median.interval is None
        assert frt.p90.value == pytest.approx(183680)
        assert frt.mean.value == pytest.approx(477200 / 7)
        values = [600, 3000, 3600, 7200, 90000, 172800, 200000]
        mean = 477200 / 7
        s = math.sqrt(sum((v - mean) ** 2 for v in values) / 6)
        half = T6 * s / math.sqrt(7)
        assert half == pytest.approx(80540.0, abs=1)
        # mean − half = −12368.6 s: a duration is never negative, so the low end is clipped at 0
        assert mean - half == pytest.approx(-12368.6, abs=1)
        assert frt.mean.interval.low == 0
        assert frt.mean.interval.high == pytest.approx(mean + half, rel=1e-5)
        assert frt.mean.interval.high == pytest.approx(148711.5, abs=1)

        # Business FRT sorted: 600, 3000, 3600, 7200, 36000, 51840, 60000
        # median 7200; p90 = 51840 + 0.4 × (60000 − 51840) = 55104; mean = 162240 / 7
        business = figures.frt_business
        assert (business.n, business.median.value) == (7, 7200)
        assert business.p90.value == pytest.approx(55104)
        assert business.mean.value == pytest.approx(162240 / 7)
        assert business.median.target is None

        # FRT target pair, second half: answered within 24 h = 86400 s on the calendar:
        # 600, 3000, 3600, 7200 → 4 / 10 sent = 0.4 against 0.9 (unset → default);
        # Wilson 4/10 = [0.1682, 0.6873]: significantly below the target
        within = figures.frt_within_target
        assert (within.value, within.n, within.target) == (0.4, 10, 0.9)
        assert within.interval.low == approx4(0.1682)
        assert within.interval.high == approx4(0.6873)
        assert within.significantly_worse

        # Cut-offs (of 10 sent): ≤ 1 h: 600, 3000, 3600 (exactly 1 h counts) = 3 → 0.3
        # ≤ 24 h: + 7200 = 4 → 0.4
        # ≤ 2 business days: channel A ≤ 72000 s: nr 1 (600), 2 (36000), 3 (7200), 4 (3600);
        #   channel C ≤ 51840 s: nr 7 (3000), 8 (51840, exactly the limit); not nr 9 (60000)
        #   → 6 → 0.6
        # never (not answered in time; late included) = 3 → 0.3 = 1 − 0.7
        cutoffs = figures.cutoffs
        assert cutoffs.within_1h.value == 0.3
        assert cutoffs.within_24h.value == 0.4
        assert cutoffs.within_2_business_days.value == 0.6
        assert cutoffs.never.value == pytest.approx(0.3)
        assert {f.n for f in (cutoffs.within_1h, cutoffs.never)} == {10}
        # Wilson 6/10 = [0.3127, 0.8318], 3/10 = [0.1078, 0.6032]
        assert cutoffs.within_2_business_days.interval.low == approx4(0.3127)
        assert cutoffs.within_2_business_days.interval.high == approx4(0.8318)
        assert cutoffs.within_1h.interval.low == approx4(0.1078)
        assert cutoffs.within_1h.interval.high == approx4(0.6032)


def test_scores_knockouts_and_item_pass_rates(app, world):
    with app.app_context():
        ids = _build(world)
        figures = mystery_figures(ReportScope(ids["client"], wave_ids=(ids["wave"],)))
        # Primary evaluations of sent approved contacts: nr 1–10 (not the not-contactable
        # nr 12, the cancelled 13, the unapproved 14, nor nr 1's calibration) → 10
        assert figures.evaluations == 10
        # knock-outs: nr 5 only
        assert figures.knockouts == 1

        # Total: 90 60 80 70 20 30 85 65 75 25, Σ = 600 → mean 60, target 75 (not met)
        # deviations 30 0 20 10 −40 −30 25 5 15 −35, Σ² = 6000 → s² = 6000 / 9 = 666.667,
        # s = 25.8199, se = s / √10 = 8.16497, half = t(0.975, 9) 2.262157 × 8.16497 = 18.4704
        # → [41.5296, 78.4704]: 75 lies inside, so not significantly below
        total = figures.total_score
        assert (total.value, total.n, total.target) == (60, 10, 75)
        assert total.interval.low == approx4(41.5296)
        assert total.interval.high == approx4(78.4704)
        assert total.meets_target is False
        assert not total.significantly_worse
        half = 8.16497 * T9
        assert half == pytest.approx(18.4704, abs=1e-4)

        # Transaction: 100 50 100 100 0 0 100 50 100 0, Σ = 600 → 60, n 10, target 80
        transaction = figures.transaction_score
        assert (transaction.value, transaction.n, transaction.target) == (60, 10, 80)
        # deviations 40 −10 40 40 −60 −60 40 −10 40 −60: Σ² = 5 × 1600 + 2 × 100 + 3 × 3600
        # = 8000 + 200 + 10800 = 19000 → s² = 2111.11, se = √211.111 = 14.5297,
        # half = 2.262157 × 14.5297 = 32.8684 → [27.1316, 92.8684]
        assert transaction.interval.low == approx4(27.1316)
        assert transaction.interval.high == approx4(92.8684)
        # Communication, None for nr 6 and 10 → n 8: 80 60 80 60 40 90 70 60, Σ = 540 → 67.5
        # deviations 12.5 −7.5 12.5 −7.5 −27.5 22.5 2.5 −7.5: Σ² = 156.25 × 2 + 56.25 × 3
        # + 756.25 + 506.25 + 6.25 = 1750 → s² = 250, se = √(250/8) = 5.59017,
        # half = t(0.975, 7) 2.364624 × 5.59017 = 13.2187 → [54.2813, 80.7187]
        communication = figures.communication_score
        assert (communication.value, communication.n, communication.target) == (67.5, 8, 70)
        assert communication.interval.low == approx4(54.2813)
        assert communication.interval.high == approx4(80.7187)
        # Handling: 90 70 60 50 0 50 70 70 60 40, Σ = 560 → 56, target 75
        # deviations 34 14 4 −6 −56 −6 14 14 4 −16: Σ² = 1156 + 3 × 196 + 2 × 16 + 2 × 36
        # + 3136 + 256 = 5240 → s² = 582.22, se = √58.222 = 7.63034,
        # half = 2.262157 × 7.63034 = 17.2610 → [38.7390, 73.2610]
        handling = figures.handling_score
        assert (handling.value, handling.n, handling.target) == (56, 10, 75)
        assert handling.interval.low == approx4(38.7390)
        assert handling.interval.high == approx4(73.2610)
        assert handling.significantly_worse  # 73.26 < 75
        assert figures.dimension_score(MethodDimension.HANDLING) is handling

        # Item pass rates over the applicable scored answers of nr 1–10:
        rates = {rate.item_id: rate for rate in figures.item_pass_rates}
        # I5 (number without threshold) is never scored, so it has no pass rate
        assert set(rates) == {ids["i1"], ids["i2"], ids["i3"], ids["i4"]}
        assert [r.item_id for r in figures.item_pass_rates] == [ids[f"i{n}"] for n in (1, 2, 3, 4)]
        # I1 yes/no: 1 1 1 1 0 0 1 1 1 0 → 7/10, no target
        i1 = rates[ids["i1"]].pass_rate
        assert (i1.value, i1.n, i1.target) == (0.7, 10, None)
        # I2 scale: 5 3 4 4 2 1 5 3 4 1, pass = 4 or 5: nr 1, 3, 4, 7, 9 → 5/10 against 0.7;
        # Wilson 5/10 = [0.2366, 0.7634]
        i2 = rates[ids["i2"]].pass_rate
        assert (i2.value, i2.n, i2.target, i2.meets_target) == (0.5, 10, 0.7, False)
        assert i2.interval.low == approx4(0.2366)
        assert i2.interval.high == approx4(0.7634)
        # I3 knock-out yes/no: n/a for nr 10 → n 9; "no" only for nr 5 → 8/9 = 0.8889 against
        # 0.9 (not met); Wilson 8/9 = [0.5650, 0.9801]; triggered once
        i3 = rates[ids["i3"]]
        assert (i3.pass_rate.value, i3.pass_rate.n) == (pytest.approx(8 / 9), 9)
        assert i3.pass_rate.interval.low == approx4(0.5650)
        assert i3.pass_rate.interval.high == approx4(0.9801)
        assert i3.pass_rate.meets_target is False
        assert (i3.knockouts, i3.knockout) == (1, KnockoutScope.DIMENSION)
        assert (i3.method_dimension, i3.quality_dimension) == (
            MethodDimension.HANDLING,
            QualityDimension.PROCESS,
        )
        # I4 number ≤ 2: 0 3 1 2 5 4 0 2 1 3 → pass nr 1, 3, 4, 7, 8, 9 = 6/10 against 0.5
        i4 = rates[ids["i4"]].pass_rate
        assert (i4.value, i4.n, i4.meets_target) == (0.6, 10, True)
        assert rates[ids["i4"]].knockouts == 0


def _by_key(groups):
    return {group.key: group for group in groups}


def test_breakdowns(app, world):
    with app.app_context():
        ids = _build(world)
        breakdowns = mystery_figures(ReportScope(ids["client"])).breakdowns

        # Channels, by name ("Kontaktformular" before "Service mail"):
        # C = nr 7–10 (+ 11 not contactable): sent 4, answered 3 (7, 8, 9) → 0.75;
        #     FRT 3000, 172800, 200000 → median 172800; total 85 65 75 25 → 62.5
        # A = nr 1–6 (+ 12 not contactable): sent 6, answered 4 → 0.6667;
        #     FRT 600, 3600, 7200, 90000 → median (3600 + 7200) / 2 = 5400;
        #     total 90 60 80 70 20 30 → 350 / 6 = 58.33
        c, a = breakdowns.by_channel
        assert (c.key, c.label, a.key, a.label) == (
            ids["c"],
            "Kontaktformular",
            ids["a"],
            "Service mail",
        )
        assert (c.sent, c.not_contactable, c.answered) == (4, 1, 3)
        assert c.answer_rate.value == 0.75
        assert c.answer_rate.target == 0.8
        # Wilson 3/4 = [0.3006, 0.9544]
        assert c.answer_rate.interval.low == approx4(0.3006)
        assert c.answer_rate.interval.high == approx4(0.9544)
        assert c.frt_median.value == 172800
        assert c.frt_median.n == 3
        assert c.total_score.value == 62.5
        assert (a.sent, a.not_contactable, a.answered) == (6, 1, 4)
        assert a.answer_rate.value == pytest.approx(4 / 6)
        assert a.frt_median.value == 5400
        assert a.frt_median.target == 3600
        assert a.total_score.value == pytest.approx(350 / 6)
        assert a.total_score.target == 75
        assert c.small_sample and a.small_sample

        # Scenarios, by title ("Kündigung" S2 before "Tarifwechsel" S1):
        # S2 = nr 3, 4, 6, 9, 10: sent 5, answered 3 (3, 4, 9) → 0.6, FRT 3600, 7200, 200000
        #      → median 7200; total 80 70 30 75 25 → 56
        # S1 = nr 1, 2, 5, 7, 8: sent 5, answered 4 → 0.8, FRT 600, 3000, 90000, 172800
        #      → median (3000 + 90000) / 2 = 46500; total 90 60 20 85 65 → 64
        s2, s1 = breakdowns.by_scenario
        assert (s2.key, s2.label, s1.key, s1.label) == (
            ids["s2"],
            "Kündigung",
            ids["s1"],
            "Tarifwechsel",
        )
        assert (s2.sent, s2.answered, s2.answer_rate.value) == (5, 3, 0.6)
        assert (s2.frt_median.value, s2.total_score.value) == (7200, 56)
        assert (s1.sent, s1.answered, s1.answer_rate.value) == (5, 4, 0.8)
        assert s1.answer_rate.meets_target is True
        assert (s1.frt_median.value, s1.total_score.value) == (46500, 64)

        # Hour bands, every band in order:
        # night: nothing; morning = nr 1, 2, 6, 7, 10 (+ 11): 3/5, FRT 600, 3000, 90000
        #   → 3000, total 90 60 30 85 25 → 58; noon = nr 3, 8 (+ 12): 2/2, FRT 7200, 172800
        #   → 90000, total 72.5; afternoon = nr 4, 9: 2/2, FRT 3600, 200000 → 101800, 72.5;
        # evening = nr 5: 0/1, no FRT, total 20 (n 1: no interval)
        bands = breakdowns.by_hour_band
        assert [g.key for g in bands] == list(HourBand)
        night, morning, noon, afternoon, evening = bands
        assert (night.sent, night.answer_rate, night.frt_median, night.total_score) == (
            0,
            None,
            None,
            None,
        )
        assert (morning.sent, morning.not_contactable, morning.answered) == (5, 1, 3)
        assert (morning.frt_median.value, morning.total_score.value) == (3000, 58)
        assert (noon.answer_rate.value, noon.frt_median.value, noon.total_score.value) == (
            1.0,
            90000,
            72.5,
        )
        assert (afternoon.frt_median.value, afternoon.total_score.value) == (101800, 72.5)
        assert (evening.sent, evening.answer_rate.value, evening.frt_median) == (1, 0.0, None)
        assert (evening.total_score.value, evening.total_score.interval) == (20, None)

        # Weekdays Monday first: Mon nr 1, 2: 2/2, FRT (600 + 90000) / 2 = 45300, total 75;
        # Tue nr 3, 4: 2/2, (3600 + 7200) / 2 = 5400, 75; Wed nr 5, 6: 0/2, –, 25;
        # Thu nr 7, 8: 2/2, (3000 + 172800) / 2 = 87900, 75; Fri nr 9, 10: 1/2, 200000, 50
        days = breakdowns.by_weekday
        assert [g.key for g in days] == list(range(7))
        assert [g.sent for g in days] == [2, 2, 2, 2, 2, 0, 0]
        assert [g.answered for g in days] == [2, 2, 0, 2, 1, 0, 0]
        assert [g.frt_median and g.frt_median.value for g in days] == [
            45300,
            5400,
            None,
            87900,
            200000,
            None,
            None,
        ]
        assert [g.total_score and g.total_score.value for g in days] == [
            75,
            75,
            25,
            75,
            50,
            None,
            None,
        ]


def test_hour_band_by_weekday_cells_count_each_pair(app, world):
    with app.app_context():
        ids = _build(world)
        cells = mystery_figures(ReportScope(ids["client"])).breakdowns.by_hour_band_weekday
        assert [g.key for g in cells] == [(b, d) for b in HourBand for d in range(7)]
        cell = {g.key: g for g in cells}
        # morning Monday = nr 1, 2 (nr 13 cancelled): 2/2, FRT 600, 90000 → 45300, total 75
        monday = cell[(B.MORNING, 0)]
        assert (monday.sent, monday.answered, monday.answer_rate.value) == (2, 2, 1.0)
        assert (monday.frt_median.value, monday.total_score.value) == (45300, 75)
        # morning Thursday = nr 7 answered, nr 11 not contactable (nr 14 unreviewed): 1/1
        thursday = cell[(B.MORNING, 3)]
        assert (thursday.sent, thursday.not_contactable, thursday.answered) == (1, 1, 1)
        assert thursday.answer_rate.value == 1.0 and thursday.small_sample
        # morning Wednesday = nr 6, evening Wednesday = nr 5: both 0/1
        for key in ((B.MORNING, 2), (B.EVENING, 2)):
            assert (cell[key].sent, cell[key].answered, cell[key].answer_rate.value) == (1, 0, 0)
        # noon Tuesday = nr 3 answered (nr 12 not contactable): 1/1, FRT 7200
        assert (cell[(B.NOON, 1)].sent, cell[(B.NOON, 1)].frt_median.value) == (1, 7200)
        # nothing at night or on the weekend
        assert cell[(B.NIGHT, 0)].answer_rate is None
        assert all(cell[(b, d)].sent == 0 for b in HourBand for d in (5, 6))
        assert sum(g.sent for g in cells) == 10
        assert sum(g.answered for g in cells) == 7
        assert sum(g.not_contactable for g in cells) == 2
        assert to_json(cells[0])["key"] == ["night", 0]


def test_breakdowns_count_an_inquiry_when_it_was_sent_not_when_it_was_planned(app, world):
    """Nr 1, planned Monday morning, went out on Tuesday at 19:30 Berlin time (18:30 UTC): it
    counts on Tuesday and in the evening, in every breakdown, and no longer on Monday morning."""
    with app.app_context():
        ids = _build(world)
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        inquiry.note_first_sending(dt.datetime(2030, 1, 8, 18, 30, tzinfo=dt.UTC))
        db.session.commit()
        breakdowns = mystery_figures(ReportScope(ids["client"])).breakdowns
        # weekdays as in test_breakdowns, nr 1 moved from Monday to Tuesday
        assert [g.sent for g in breakdowns.by_weekday] == [1, 3, 2, 2, 2, 0, 0]
        assert [g.answered for g in breakdowns.by_weekday] == [1, 3, 0, 2, 1, 0, 0]
        morning, evening = breakdowns.by_hour_band[1], breakdowns.by_hour_band[4]
        assert (morning.sent, morning.answered) == (4, 2)
        assert (evening.sent, evening.answered, evening.answer_rate.value) == (2, 1, 0.5)
        cell = {g.key: g for g in breakdowns.by_hour_band_weekday}
        assert (cell[(B.MORNING, 0)].sent, cell[(B.EVENING, 1)].sent) == (1, 1)
        assert cell[(B.EVENING, 1)].frt_median.value == 600


def test_scope_filters_and_targets(app, world):
    with app.app_context():
        ids = _build(world)
        # Period Mon–Tue: nr 1–4 (+ 12 not contactable): 4/4 answered
        figures = mystery_figures(
            ReportScope(ids["client"], period=(dt.date(2030, 1, 7), dt.date(2030, 1, 8)))
        )
        assert (figures.counts.sent, figures.counts.answered) == (4, 4)
        assert figures.counts.not_contactable == 1
        assert figures.targets.wave_id == ids["wave"]
        # Channel C only: nr 7–10 (+ 11): 3/4
        figures = mystery_figures(ReportScope(ids["client"], channel_ids=(ids["c"],)))
        assert (figures.counts.sent, figures.counts.answered) == (4, 3)
        assert [g.key for g in figures.breakdowns.by_channel] == [ids["c"]]
        # Client B: its one approved answered inquiry, without targets
        figures = mystery_figures(ReportScope(world.client_b.id))
        assert (figures.counts.sent, figures.counts.answered) == (1, 1)
        assert figures.answer_rate.target is None
        assert figures.frt_within_target is None
        # Nothing in scope: counts 0, every figure None
        empty = mystery_figures(ReportScope(ids["client"], period=(dt.date(2031, 1, 1),) * 2))
        assert empty.counts.planned == 0
        assert empty.answer_rate is None and empty.frt_calendar is None
        assert empty.total_score is None and empty.cutoffs is None
        assert empty.item_pass_rates == ()
        with pytest.raises(ValueError):
            ReportScope(1, period=(dt.date(2030, 1, 2), dt.date(2030, 1, 1)))


def _selects(statements: list[str]) -> list[str]:
    """The queries (a WITH … SELECT too), without SQLite's BEGIN of a new transaction after a
    commit."""
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_query_count_does_not_grow_with_inquiries(app, world):
    with app.app_context():
        ids = _build(world)
        scope = ReportScope(ids["client"])
        with count_queries(app) as statements:
            mystery_figures(scope)
        assert len(_selects(statements)) == QUERIES == 19
        wave = db.session.get(Wave, ids["wave"])
        channel = db.session.get(Channel, ids["c"])
        scenario = db.session.get(Scenario, ids["s2"])
        build = Builder(world, [])
        for n in range(30):
            build.contact(
                wave,
                channel,
                scenario,
                day=n % 5,
                band=list(HourBand)[n % 5],
                status=S.ANSWERED,
                frt=(60.0 * n, 60.0 * n),
                solved=True,
            )
        db.session.commit()
        with count_queries(app) as statements:
            figures = mystery_figures(scope)
        assert len(_selects(statements)) == QUERIES
        assert figures.counts.sent == 40


def _previous_wave(world, name: str, start: dt.date, status: WaveStatus) -> Wave:
    wave = Wave(
        name=name,
        client_id=world.client_a.id,
        scorecard_version_id=world.version.id,
        status=status,
        period_start=start,
        period_end=start + dt.timedelta(days=11),
        seed=1,
        contacts_per_cell=1,
        weekdays=["mon"],
        hour_bands=["morning"],
        target_answer_rate=0.95,
    )
    db.session.add(wave)
    return wave


def test_wave_comparison(app, world):
    with app.app_context():
        ids = _build(world)
        channel = db.session.get(Channel, ids["a"])
        scenario = db.session.get(Scenario, ids["s1"])
        build = Builder(world, [])
        # P1 (Oct 2029, closed): 30 of 30 answered, totals 85 and 95 alternating (mean 90)
        p1 = _previous_wave(world, "Herbst", dt.date(2029, 10, 1), WaveStatus.CLOSED)
        for n in range(30):
            build.contact(
                p1, channel, scenario, day=-98, band=B.MORNING, status=S.ANSWERED,
                frt=(600, 600), scores=(None, None, None, 85 + 10 * (n % 2)),
            )  # fmt: skip
        # P2 (Jul 2029, closed): 6 of 10 answered, totals as wave A's but 35 for 25 (mean 61)
        p2 = _previous_wave(world, "Sommer", dt.date(2029, 7, 2), WaveStatus.CLOSED)
        for n, total in enumerate((90, 60, 80, 70, 20, 30, 85, 65, 75, 35)):
            answered = n < 6
            build.contact(
                p2, channel, scenario, day=-189, band=B.MORNING,
                status=S.ANSWERED if answered else S.UNANSWERED,
                frt=(600, 600) if answered else None, scores=(None, None, None, total),
            )  # fmt: skip
        # A later draft wave, a running one and a closed pilot on another scorecard are never
        # the comparison (DOMAIN.md: closed, ended before, the same scorecard)
        _previous_wave(world, "Entwurf", dt.date(2029, 12, 1), WaveStatus.DRAFT)
        _previous_wave(world, "Läuft", dt.date(2029, 11, 1), WaveStatus.RUNNING)
        pilot = _previous_wave(world, "Pilot", dt.date(2029, 12, 3), WaveStatus.CLOSED)
        other = ScorecardVersion(scorecard=Scorecard(name="Pilotbogen"), number=1)
        pilot.scorecard_version = other
        db.session.commit()

        def previous(wave_id: int) -> int | None:
            found = previous_comparable_wave(db.session.get(Wave, wave_id))
            return found.id if found else None

        assert previous(ids["wave"]) == p1.id
        assert previous(p1.id) == p2.id
        assert previous(p2.id) is None
        # a scope in P1's period is held against P1's targets
        autumn = mystery_figures(
            ReportScope(ids["client"], period=(dt.date(2029, 9, 30), dt.date(2029, 10, 12)))
        )
        assert autumn.targets.wave_id == p1.id
        assert autumn.answer_rate.target == 0.95

        current = ReportScope(ids["client"], wave_ids=(ids["wave"],))
        # Significant: 7/10 now against 30/30 before. Newcombe, current − previous:
        # d = 0.7 − 1 = −0.3; Wilson 7/10 = [0.3968, 0.8922], 30/30 = [0.8865, 1]
        # δ = √((0.7 − 0.3968)² + (1 − 1)²) = 0.3032 → low = −0.3 − 0.3032 = −0.6032
        # ε = √((0.8922 − 0.7)² + (1 − 0.8865)²) = √(0.03694 + 0.01288) = 0.2232
        # → high = −0.3 + 0.2232 = −0.0768 < 0: significant, worse
        change = compare_waves(ReportScope(ids["client"], wave_ids=(p1.id,)), current)
        rate = change.answer_rate
        assert rate.value == pytest.approx(-0.3)
        assert rate.difference.low == approx4(-0.6032)
        assert rate.difference.high == approx4(-0.0768)
        assert rate.significant and rate.improved is False
        # Total score: 60 (s² 666.667, n 10) now against 90 (s² = 30 × 25 / 29 = 25.862, n 30)
        # d = −30; se² = 66.667 + 0.862 = 67.529; df = 67.529² / (66.667² / 9 + 0.862² / 29)
        # = 4560.1 / 493.85 = 9.234; t(0.975, 9.234) = 2.2545; half = 2.2545 × 8.2176 = 18.526
        # → [−48.52, −11.48]: significant
        total = change.total_score
        assert total.value == pytest.approx(-30)
        assert total.difference.low == pytest.approx(-48.518, abs=1e-3)
        assert total.difference.high == pytest.approx(-11.482, abs=1e-3)
        assert total.significant and total.improved is False

        # Not significant: 7/10 now against 6/10 before. d = 0.1; Wilson 6/10 = [0.3127, 0.8318]
        # δ = √((0.7 − 0.3968)² + (0.8318 − 0.6)²) = √(0.09193 + 0.05373) = 0.3817
        # → low = 0.1 − 0.3817 = −0.2817; ε = √((0.8922 − 0.7)² + (0.6 − 0.3127)²)
        # = √(0.03694 + 0.08255) = 0.3457 → high = 0.4457: contains 0
        change = compare_waves(ReportScope(ids["client"], wave_ids=(p2.id,)), current)
        rate = change.answer_rate
        assert rate.difference.low == approx4(-0.2817)
        assert rate.difference.high == approx4(0.4457)
        assert not rate.significant and rate.improved is None
        # Total 60 against 61: d = −1; both s² ≈ 666.7 and 671.1, n 10 → half ≈ 23.6
        # → [−24.64, 22.64]: not significant
        total = change.total_score
        assert total.value == pytest.approx(-1)
        assert total.difference.low == pytest.approx(-24.640, abs=1e-3)
        assert total.difference.high == pytest.approx(22.640, abs=1e-3)
        assert not total.significant

        # compare_figures on figures already computed gives the same
        again = compare_figures(
            mystery_figures(ReportScope(ids["client"], wave_ids=(p2.id,))),
            mystery_figures(current),
        )
        assert again == change


def test_no_tester_identity_in_the_results(app, world):
    with app.app_context():
        ids = _build(world)
        text = repr(mystery_figures(ReportScope(ids["client"])))
        for name in ("Tester", "Other Tester", "Manager", "tester@", "Jana Berger"):
            assert name not in text


def test_mean_intervals_stay_within_the_values_a_mean_can_take():
    from qcrm.statistics import Moments
    from reports.analysis import DURATION_RANGE, _mean

    # scores 100, 100, 10: mean 70, t interval 70 ± 4.302653 × 30 = [−59.1, 199.1] → [0, 100]
    score = _mean(Moments.of([100, 100, 10]), target=75)
    assert score.value == 70 and (score.interval.low, score.interval.high) == (0.0, 100.0)
    # times 60 s, 60 s, 6000 s: the lower bound would be negative → 0; no upper limit
    time = _mean(Moments.of([60, 60, 6000]), higher_is_better=False, bounds=DURATION_RANGE)
    assert time.interval.low == 0.0 and time.interval.high > 6000
