"""Wave progress for managers: every number checked against a hand calculation."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from audits.mystery.models import (
    AttemptState,
    ContactLog,
    HourBand,
    Inquiry,
    InquiryAttempt,
    InquiryStatus,
    ReviewStatus,
    Scenario,
    ScenarioCategory,
    Wave,
    WaveStatus,
)
from audits.mystery.progress import CoverageCell, wave_progress
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, User
from tests.conftest import count_queries, login

T0 = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
S = InquiryStatus
R = ReviewStatus


def _inquiry(
    wave: Wave,
    channel: Channel,
    scenario: Scenario,
    tester: User,
    status: InquiryStatus,
    *,
    sent: list[dt.datetime] = (),
    answer_after: float | None = None,
    review: ReviewStatus | None = None,
    overdue: bool = False,
    planned_minutes: int = 0,
) -> Inquiry:
    """An inquiry with its attempts (sent at the given times) and its contact log."""
    inquiry = Inquiry(
        wave=wave,
        channel=channel,
        scenario=scenario,
        tester=tester,
        planned_at=T0 + dt.timedelta(minutes=planned_minutes),
        planned_local_date=T0.date(),
        planned_weekday=0,
        planned_hour_band=HourBand.MORNING,
        status=status,
        overdue_at=T0 + dt.timedelta(hours=1) if overdue else None,
        first_answer_at=T0 + dt.timedelta(seconds=answer_after) if answer_after else None,
    )
    inquiry.attempts = [
        InquiryAttempt(number=n, due_at=at, state=AttemptState.SENT, sent_at=at)
        for n, at in enumerate(sent, start=1)
    ]
    db.session.add(inquiry)
    if review is not None:
        db.session.add(ContactLog(inquiry=inquiry, status=review))
    return inquiry


def _build(world) -> dict[str, int]:
    """The fixed data set in wave A (running): two channels × two scenarios, two testers.

    Nr channel/scenario tester  status           attempts sent   answer    log
     1  A/S1   tester  answered        T0              +600 s    approved   (inquiry_a)
     2  A/S1   other   answered        T0, T0+1 d      +90000 s  submitted  (inquiry_other;
                                                                 answered at the 2nd attempt:
                                                                 FRT counts from the 1st)
     3  A/S1   tester  answered        T0              +1800 s   draft
     4  A/S2   tester  answered        T0              +7200 s   returned
     5  A/S2   other   unanswered      T0                        approved
     6  A/S2   other   sent            T0                        –
     7  C/S1   tester  due, overdue                              –
     8  C/S1   other   due (in time)                             –
     9  C/S2   tester  planned                                   –
    10  C/S2   other   not contactable                           submitted
    11  C/S2   tester  cancelled       T0                        approved   (counted nowhere)
    12  C/S1   tester  unanswered      T0                        submitted
    """
    wave = db.session.get(Wave, world.wave_a.id)
    wave.status = WaveStatus.RUNNING
    a = db.session.get(Channel, world.channel_a.id)
    c = Channel(
        client_id=world.client_a.id,
        type=ChannelType.WEB_FORM,
        name="Kontaktformular",
        address="https://aue.example/kontakt",
        business_hours={},
    )
    s1 = db.session.get(Scenario, world.scenario.id)
    s2 = Scenario(title="Kündigung", category=ScenarioCategory.CANCELLATION, script="…")
    wave.channels = [a, c]
    wave.scenarios = [s1, s2]
    tester = db.session.get(User, world.tester.id)
    other = db.session.get(User, world.other_tester.id)
    wave.testers = [tester, other]

    one = db.session.get(Inquiry, world.inquiry_a.id)
    one.status, one.first_answer_at = S.ANSWERED, T0 + dt.timedelta(seconds=600)
    one.attempts = [InquiryAttempt(number=1, due_at=T0, state=AttemptState.SENT, sent_at=T0)]
    db.session.add(ContactLog(inquiry=one, status=R.APPROVED))
    two = db.session.get(Inquiry, world.inquiry_other.id)
    two.status, two.first_answer_at = S.ANSWERED, T0 + dt.timedelta(seconds=90000)
    two.answered_attempt = 2
    day = T0 + dt.timedelta(days=1)
    two.attempts = [
        InquiryAttempt(number=1, due_at=T0, state=AttemptState.SENT, sent_at=T0),
        InquiryAttempt(number=2, due_at=day, state=AttemptState.SENT, sent_at=day),
    ]
    db.session.add(ContactLog(inquiry=two, status=R.SUBMITTED))

    _inquiry(wave, a, s1, tester, S.ANSWERED, sent=[T0], answer_after=1800, review=R.DRAFT)
    _inquiry(wave, a, s2, tester, S.ANSWERED, sent=[T0], answer_after=7200, review=R.RETURNED)
    five = _inquiry(
        wave, a, s2, other, S.UNANSWERED, sent=[T0], review=R.APPROVED, planned_minutes=30
    )
    _inquiry(wave, a, s2, other, S.SENT, sent=[T0])
    seven = _inquiry(wave, c, s1, tester, S.DUE, overdue=True)
    _inquiry(wave, c, s1, other, S.DUE)
    _inquiry(wave, c, s2, tester, S.PLANNED)
    _inquiry(wave, c, s2, other, S.NOT_CONTACTABLE, review=R.SUBMITTED)
    _inquiry(wave, c, s2, tester, S.CANCELLED, sent=[T0], review=R.APPROVED)
    twelve = _inquiry(
        wave, c, s1, tester, S.UNANSWERED, sent=[T0], review=R.SUBMITTED, planned_minutes=10
    )
    db.session.commit()
    return {
        "wave": wave.id,
        "a": a.id,
        "c": c.id,
        "s1": s1.id,
        "s2": s2.id,
        "five": five.id,
        "seven": seven.id,
        "twelve": twelve.id,
    }


def test_progress_numbers_match_the_hand_calculation(app, world):
    with app.app_context():
        ids = _build(world)
        progress = wave_progress(db.session.get(Wave, ids["wave"]))

        # Grid (cancelled nr 11 left out; submitted = submitted or approved logs):
        # A/S1 = nr 1, 2, 3: planned 3, sent 3, answered 3, submitted 2 (1, 2), approved 1 (1)
        # A/S2 = nr 4, 5, 6: planned 3, sent 3, answered 1 (4), submitted 1 (5; 4 returned),
        #        approved 1 (5)
        # C/S1 = nr 7, 8, 12: planned 3, sent 1 (12), answered 0, submitted 1 (12), approved 0
        # C/S2 = nr 9, 10: planned 2, sent 0, answered 0, submitted 1 (10), approved 0
        assert progress.coverage == {
            (ids["a"], ids["s1"]): CoverageCell(3, 3, 3, 2, 1),
            (ids["a"], ids["s2"]): CoverageCell(3, 3, 1, 1, 1),
            (ids["c"], ids["s1"]): CoverageCell(3, 1, 0, 1, 0),
            (ids["c"], ids["s2"]): CoverageCell(2, 0, 0, 1, 0),
        }
        assert progress.totals == CoverageCell(11, 7, 4, 5, 2)

        # Answer rate so far = answered / sent = 4 / 7 (sent: nr 1–6 and 12)
        assert progress.answer_rate == pytest.approx(4 / 7)
        assert progress.answer_rate_n == 7

        # FRT over answered nr 1–4, sorted: 600, 1800, 7200, 90000 (n = 4, even)
        # median = (1800 + 7200) / 2 = 4500
        # p90: position (n − 1) × 0.9 = 2.7 → 7200 + 0.7 × (90000 − 7200) = 65160
        # (quantiles inclusive, i = 9, m = 3: j = 27 // 10 = 2, δ = 7:
        #  (7200 × 3 + 90000 × 7) / 10 = 65160)
        assert progress.frt_n == 4
        assert progress.frt_median_seconds == pytest.approx(4500)
        assert progress.frt_p90_seconds == pytest.approx(65160)
        assert statistics.quantiles([600, 1800, 7200, 90000], n=10, method="inclusive")[8] == (
            pytest.approx(65160)
        )

        # Overdue: only nr 7 (nr 8 is due but not overdue)
        assert [i.id for i in progress.overdue] == [ids["seven"]]
        assert progress.overdue_total == 1
        overdue = progress.overdue[0]
        assert (overdue.channel_name, overdue.scenario_title, overdue.tester_name) == (
            "Kontaktformular",
            "Tarifwechsel",
            "Tester",
        )
        assert overdue.planned_at == T0
        # Unanswered: nr 12 (planned T0 + 10 min) before nr 5 (T0 + 30 min)
        assert [i.id for i in progress.unanswered] == [ids["twelve"], ids["five"]]
        assert progress.unanswered_total == 2
        assert progress.unanswered[1].tester_name == "Other Tester"
        assert progress.unanswered[1].scenario_title == "Kündigung"

        # Per tester (name order: "Other Tester" before "Tester"):
        # other  = nr 2, 5, 6, 8, 10: assigned 5, sent 3 (2, 5, 6), submitted 3 (2, 5, 10),
        #          approved 1 (5), overdue 0
        # tester = nr 1, 3, 4, 7, 9, 12 (11 cancelled): assigned 6, sent 4 (1, 3, 4, 12),
        #          submitted 2 (1, 12), approved 1 (1), overdue 1 (7)
        rows = [
            (t.name, t.assigned, t.sent, t.submitted, t.approved, t.overdue)
            for t in progress.testers
        ]
        assert rows == [("Other Tester", 5, 3, 3, 1, 0), ("Tester", 6, 4, 2, 1, 1)]
        assert [t.tester_id for t in progress.testers] == [world.other_tester.id, world.tester.id]


def test_frt_with_an_odd_number_of_answers(app, world):
    with app.app_context():
        ids = _build(world)
        wave = db.session.get(Wave, ids["wave"])
        channel = db.session.get(Channel, ids["c"])
        scenario = db.session.get(Scenario, ids["s2"])
        tester = db.session.get(User, world.tester.id)
        _inquiry(wave, channel, scenario, tester, S.ANSWERED, sent=[T0], answer_after=300)
        db.session.commit()
        progress = wave_progress(wave)

        # Sorted: 300, 600, 1800, 7200, 90000 (n = 5, odd): median = 1800
        # p90: position 4 × 0.9 = 3.6 → 7200 + 0.6 × (90000 − 7200) = 56880
        # (quantiles inclusive, i = 9, m = 4: j = 36 // 10 = 3, δ = 6:
        #  (7200 × 4 + 90000 × 6) / 10 = 56880)
        assert progress.frt_n == 5
        assert progress.frt_median_seconds == pytest.approx(1800)
        assert progress.frt_p90_seconds == pytest.approx(56880)
        assert statistics.quantiles([300, 600, 1800, 7200, 90000], n=10, method="inclusive")[
            8
        ] == pytest.approx(56880)
        # answer rate: 5 answered / 8 sent
        assert progress.answer_rate == pytest.approx(5 / 8)
        assert progress.answer_rate_n == 8


def test_nothing_sent_has_no_figures(app, world):
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.SCHEDULED
        db.session.commit()
        progress = wave_progress(wave)
        # inquiry_a and inquiry_other, both planned
        assert progress.totals == CoverageCell(2, 0, 0, 0, 0)
        assert progress.answer_rate is None
        assert progress.answer_rate_n == 0
        assert (progress.frt_median_seconds, progress.frt_p90_seconds, progress.frt_n) == (
            None,
            None,
            0,
        )
        assert progress.overdue == progress.unanswered == []


def test_a_single_answer_is_its_own_median_and_p90(app, world):
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.RUNNING
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        inquiry.status, inquiry.first_answer_at = S.ANSWERED, T0 + dt.timedelta(seconds=900)
        inquiry.attempts = [
            InquiryAttempt(number=1, due_at=T0, state=AttemptState.SENT, sent_at=T0)
        ]
        db.session.commit()
        progress = wave_progress(wave)
        assert (progress.frt_n, progress.frt_median_seconds, progress.frt_p90_seconds) == (
            1,
            900,
            900,
        )
        assert progress.answer_rate == 1


def test_wave_page_shows_progress(app, client, world):
    with app.app_context():
        ids = _build(world)
    login(client, world.manager)
    page = client.get(f"/audits/waves/{ids['wave']}")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'id="progress-heading">Progress<' in html
    assert "Answer rate so far" in html
    assert "57%" in html  # 4 / 7
    assert "(n = 7)" in html
    assert "75 min / 18.1 h" in html  # 4500 s, 65160 s
    assert "(n = 4)" in html
    assert f'href="/audits/inquiries/{ids["seven"]}"' in html
    assert f'href="/audits/inquiries/{ids["twelve"]}"' in html
    assert f'href="/audits/inquiries/{ids["five"]}"' in html
    assert "Other Tester" in html


def test_draft_wave_page_has_no_progress(client, world):
    login(client, world.manager)
    page = client.get(f"/audits/waves/{world.wave_a.id}")
    assert page.status_code == 200
    assert b"progress-heading" not in page.data


def test_wave_page_queries_do_not_grow_with_inquiries(app, client, world):
    with app.app_context():
        wave = db.session.get(Wave, world.wave_a.id)
        wave.status = WaveStatus.RUNNING
        inquiry = db.session.get(Inquiry, world.inquiry_a.id)
        inquiry.status, inquiry.overdue_at = S.DUE, T0
        db.session.commit()
    login(client, world.manager)
    url = f"/audits/waves/{world.wave_a.id}"
    client.get(url)
    with count_queries(app) as few:
        assert client.get(url).status_code == 200
    with app.app_context():
        _build(world)
    with count_queries(app) as more:
        response = client.get(url)
    assert b"Kontaktformular" in response.data
    selects = [s for s in more if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len([s for s in few if s.lstrip().upper().startswith("SELECT")])
    assert len(more) == len(few)
