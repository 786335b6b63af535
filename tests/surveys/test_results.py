"""Survey results against hand calculations on a fixed set of 12 responses (results_helpers).

Constants: z = 1.959964 (standard normal 0.975 quantile); t_{0.975, 11} = 2.200985 and
t_{0.975, 9} = 2.262157 from a t table.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import select

from qcrm.errors import ServiceError
from qcrm.extensions import db
from surveys.models import Answer, InvitationState, QuestionKind, Response, Survey
from surveys.results import (
    Grain,
    Period,
    bucket_of,
    response_count,
    suppressed_cells,
    survey_results,
)
from tests.conftest import count_queries, login
from tests.surveys.results_helpers import (
    CMD,
    FIXED,
    FIXED_TOLD,
    HYPERLINK,
    INVITATIONS,
    JAN7,
    PUB,
    A,
    add_fixed_responses,
    add_invitations,
)

Z = 1.959964
T11 = 2.200985
T9 = 2.262157


def approx(value: float, digits: int = 4):
    return pytest.approx(value, abs=10**-digits)


@pytest.fixture
def fixed(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id)
        add_invitations(world.survey_a.id, INVITATIONS)
    return world


def results_of(world, **kwargs):
    return survey_results(db.session.get(Survey, world.survey_a.id), **kwargs)


def test_headline_csat_share_and_mean_match_the_hand_calculation(app, fixed):
    with app.app_context():
        results = results_of(fixed)
    assert results.enough and results.total_responses == 12
    csat = results.headline.csat
    # 5,5,5,4,4,4,4,4,4,3,2,1: nine answers of 4 or 5 → 9/12 = 0.75
    assert csat.value == 0.75 and csat.n == 12
    # Wilson: centre (p + z²/2n)/(1 + z²/n) = (0.75 + 0.160061)/1.320122 = 0.689376,
    # half z/(1 + z²/n)·√(p(1−p)/n + z²/4n²) = 1.484685 · 0.149312 = 0.221681
    p, n = 0.75, 12
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z / denominator * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    assert csat.interval.low == approx(centre - half) == approx(0.4677)
    assert csat.interval.high == approx(centre + half) == approx(0.9111)
    assert csat.target == 0.8 and csat.meets_target is False and csat.small_sample
    # mean 45/12 = 3.75; squares 3·1.5625 + 6·0.0625 + 0.5625 + 3.0625 + 7.5625 = 16.25,
    # s² = 16.25/11, half = t11 · √(s²/12) = 2.200985 · 0.350865 = 0.772248
    mean = results.headline.csat_mean
    assert mean.value == 3.75
    half = T11 * math.sqrt(16.25 / 11 / 12)
    assert mean.interval.low == approx(3.75 - half) == approx(2.9778)
    assert mean.interval.high == approx(3.75 + half) == approx(4.5222)
    assert mean.target is None


def test_headline_nps_with_its_trinomial_interval_and_split(app, fixed):
    with app.app_context():
        results = results_of(fixed)
    nps = results.headline.nps
    # promoters (9–10) 10,10,9,9,9 = 5; passives 8,8,7,7 = 4; detractors 6,3,0 = 3
    split = results.headline.nps_split
    assert (split.promoters, split.passives, split.detractors) == (5, 4, 3)
    assert split.promoter_share == approx(5 / 12) and split.detractor_share == 0.25
    # NPS = 100 · (5 − 3)/12 = 16.67
    assert nps.value == approx(16.6667) and nps.n == 12
    # variance (p + d − (p − d)²)/n = (5/12 + 3/12 − (2/12)²)/12 = 0.638889/12 = 0.053241
    variance = (5 / 12 + 3 / 12 - (2 / 12) ** 2) / 12
    assert variance == approx(0.053241, 6)
    half = 100 * Z * math.sqrt(variance)  # 45.2242
    assert nps.interval.low == approx(100 * 2 / 12 - half, 3) == approx(-28.5575, 3)
    assert nps.interval.high == approx(100 * 2 / 12 + half, 3) == approx(61.8908, 3)
    assert nps.target == 20 and nps.meets_target is False


def test_headline_ces_mean_meets_its_target_at_equality(app, fixed):
    with app.app_context():
        results = results_of(fixed)
    ces = results.headline.ces
    # 7,7,7,6,6,6,6,5,5,5,4,2: sum 66 → mean 5.5 = target 5.5 (meets)
    assert ces.value == 5.5 and ces.n == 12
    assert ces.target == 5.5 and ces.meets_target is True
    # squares 3·2.25 + 4·0.25 + 3·0.25 + 2.25 + 12.25 = 23; half = t11·√(23/11/12) = 0.918743
    half = T11 * math.sqrt(23 / 11 / 12)
    assert ces.interval.low == approx(5.5 - half) == approx(4.5813)
    assert ces.interval.high == approx(5.5 + half) == approx(6.4187)
    assert not ces.significantly_better and not ces.significantly_worse


#: Three responses near the top of every scale: csat 5, 5, 1; ces 7, 7, 6; rating 10, 10, 9.
NEAR_THE_ENDS = (
    (5, 10, 7, 10, 0, (), None, A, JAN7, PUB),
    (5, 10, 7, 10, 0, (), None, A, JAN7, PUB),
    (1, 9, 6, 9, 0, (), None, A, JAN7, PUB),
)
T2 = 4.302653  # t_{0.975, 2}


def test_mean_intervals_are_clipped_to_their_scales(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, NEAR_THE_ENDS)
        results = results_of(world)
    assert results.enough
    # CSAT 5, 5, 1: mean 11/3, s² = 16/3, se = 4/3; 11/3 ± 4.302653 · 4/3 = [−2.07, 9.40] → 1–5
    csat_mean = results.headline.csat_mean
    assert csat_mean.value == approx(11 / 3)
    assert (csat_mean.interval.low, csat_mean.interval.high) == (1.0, 5.0)
    # CES 7, 7, 6: mean 20/3, s² = 1/3, se = 1/3; 20/3 ± 4.302653/3 = [5.232449, 8.100884] → ≤ 7
    ces = results.headline.ces
    assert ces.interval.low == approx(20 / 3 - T2 / 3) == approx(5.232449)
    assert ces.interval.high == 7.0
    # rating 1–10: 10, 10, 9 → 29/3 ± 4.302653/3 = [8.232449, 11.100884] → ≤ 10
    rating = next(q for q in results.questions if q.kind is QuestionKind.RATING)
    assert rating.mean.interval.low == approx(8.232449)
    assert rating.mean.interval.high == 10.0
    by_channel = next(g for g in results.by_channel if g.channel_id == world.channel_a.id)
    assert by_channel.headline.ces.interval.high == 7.0


def test_invitation_counts_and_response_rate(app, fixed):
    with app.app_context():
        results = results_of(fixed)
    counts = results.invitations
    # not pending: 8 + 1 + 3 + 1 + 2 = 15 invited; 2 bounced → 13 delivered;
    # responses with source "invitation": the first 6 rows
    assert (counts.invited, counts.bounced, counts.delivered, counts.responded) == (15, 2, 13, 6)
    rate = counts.response_rate
    # 6/13 = 0.461538, Wilson as above with p = 6/13, n = 13
    p, n = 6 / 13, 13
    denominator = 1 + Z**2 / n
    centre = (p + Z**2 / (2 * n)) / denominator
    half = Z / denominator * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    assert rate.value == approx(0.4615) and rate.n == 13
    assert rate.interval.low == approx(centre - half) == approx(0.2321)
    assert rate.interval.high == approx(centre + half) == approx(0.7086)


def test_distributions_include_zeros_and_choice_shares(app, fixed):
    with app.app_context():
        results = results_of(fixed)
    by_position = {q.position: q for q in results.questions}
    csat = by_position[1]
    assert [(bar.value, bar.count) for bar in csat.bars] == [(1, 1), (2, 1), (3, 1), (4, 6), (5, 3)]
    nps = by_position[2]
    assert [bar.count for bar in nps.bars] == [1, 0, 0, 1, 0, 0, 1, 2, 2, 3, 2]  # 0…10
    assert nps.bars[1].share == 0
    # rating 1–10, answered by 10: 10,9,8,8,7,7,6,6,5,4 → mean 7; squares 30, s² = 30/9
    rating = by_position[4]
    assert rating.n == 10 and rating.score is None
    assert rating.mean.value == 7.0 and rating.mean.target is None
    half = T9 * math.sqrt(30 / 9 / 10)  # 1.306057
    assert rating.mean.interval.low == approx(7 - half) == approx(5.6939)
    assert [bar.count for bar in rating.bars] == [0, 0, 0, 1, 1, 2, 2, 2, 1, 1]
    # single choice: Telefon 6, E-Mail 3, Chat 2 of 11 answering
    single = by_position[5]
    assert single.n == 11
    assert [(bar.label, bar.count) for bar in single.bars] == [
        ("Telefon", 6),
        ("E-Mail", 3),
        ("Chat", 2),
    ]
    assert single.bars[0].share == approx(6 / 11)
    # multiple choice: 8 respondents; Schnelligkeit 5, Freundlichkeit 7, Kompetenz 2 → per
    # respondent 5/8, 7/8, 2/8 (adding up to more than 1)
    multiple = by_position[6]
    assert multiple.n == 8
    assert [(bar.count, bar.share) for bar in multiple.bars] == [(5, 0.625), (7, 0.875), (2, 0.25)]
    free = by_position[7]
    assert free.n == 5 and free.bars == ()


def test_verbatims_come_in_the_order_of_random_keys_and_paginated(app, fixed):
    with app.app_context():
        pages = [results_of(fixed, verbatims_per_page=2, verbatim_page=p) for p in (1, 2, 3)]
        key_of = dict(
            db.session.execute(
                select(Answer.text, Response.key)
                .join(Response, Response.id == Answer.response_id)
                .where(Answer.text.is_not(None))
            ).all()
        )
    first = pages[0]
    assert first.verbatims.total == 5 and first.verbatims.pages == 3
    texts = [v.text for page in pages for v in page.verbatims.items]
    assert sorted(texts) == sorted(
        [HYPERLINK, CMD, "Sehr <b>gut</b> & schnell", "@SUM(1+1)", "-2+3 ist falsch"]
    )
    assert texts == sorted(texts, key=key_of.get)
    # no date: February's 2 public-link responses fill no day, week or month (minimum 3)
    assert first.date_grain is None and all(v.dated is None for v in first.verbatims.items)


def test_breakdown_by_channel_with_figures_per_channel(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED_TOLD)
        results = results_of(world)
    channel, none = results.by_channel
    assert channel.channel_id == world.channel_a.id and channel.label == "Service mail"
    assert none.channel_id is None and not none.other
    # channel A (rows 1–9): CSAT 9/9; NPS 5 promoters, 4 passives → 55.56; CES 55/9 = 6.111
    assert channel.n == 9 and not channel.suppressed
    assert channel.headline.csat.value == 1.0
    assert channel.headline.nps.value == approx(55.5556)
    assert channel.headline.ces.value == approx(6.1111)
    # no channel (rows 10–12): CSAT 3,2,1 → 0/3; NPS 6,3,0 → −100; CES 5,4,2 → 3.667
    assert none.n == 3
    assert none.headline.csat.value == 0.0
    assert none.headline.nps.value == -100
    assert none.headline.ces.value == approx(3.6667)


def test_channels_with_a_cell_too_small_are_one_row_other_channels(app, fixed):
    # public link in channel A: 2 responses, below the minimum of 3 (and "no channel" 4 goes
    # with it), so no channel is told apart: one row with all 12 and no figures
    with app.app_context():
        results = results_of(fixed)
    assert [(g.n, g.suppressed, g.other, g.headline) for g in results.by_channel] == [
        (12, True, True, None)
    ]


def test_breakdown_over_time_suppresses_small_weeks_and_their_complement(app, fixed):
    with app.app_context():
        weekly = results_of(fixed, grain=Grain.WEEK)
        monthly = results_of(fixed, grain=Grain.MONTH)
    # weeks from Monday: 7 Jan (rows 1–7), 14 Jan (8–10), 4 Feb (11–12). Minimum 3: the
    # 2-response week is hidden, and so the next smallest (3) too, else 12 − 7 would show it.
    assert [(g.start, g.end, g.n, g.suppressed) for g in weekly.over_time] == [
        (dt.date(2030, 1, 7), dt.date(2030, 1, 13), 7, False),
        (dt.date(2030, 1, 14), dt.date(2030, 1, 20), 3, True),
        (dt.date(2030, 2, 4), dt.date(2030, 2, 10), 2, True),
    ]
    shown = weekly.over_time[0].headline
    # rows 1–7: CSAT 7/7; NPS 10,10,9,9,9,8,8 → 5/7 = 71.43; CES 45/7 = 6.4286
    assert shown.csat.value == 1.0
    assert shown.nps.value == approx(71.4286)
    assert shown.ces.value == approx(6.4286)
    assert all(g.headline is None for g in weekly.over_time[1:])
    # months: January 10, February 2 → February hidden, and January with it
    assert [(g.start, g.n, g.suppressed) for g in monthly.over_time] == [
        (dt.date(2030, 1, 1), 10, True),
        (dt.date(2030, 2, 1), 2, True),
    ]


def test_channel_filter_gives_the_figures_of_that_channel(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED_TOLD)
        results = results_of(world, channel_id=world.channel_a.id)
    fixed = world
    assert results.enough and results.total_responses == 9
    assert results.headline.nps.value == approx(55.5556)
    assert [g.channel_id for g in results.by_channel] == [fixed.channel_a.id]
    # invitations of that channel: none in the fixed set; responses by invitation: 6
    assert results.invitations.invited == 0 and results.invitations.responded == 6
    assert results.invitations.response_rate is None
    assert results.verbatims.total == 3


def test_channel_filter_is_refused_when_the_rest_would_be_too_small(app, world):
    with app.app_context():
        # 10 responses in channel A and 2 without a channel: the 2 are below the minimum of 3,
        # so channel A is hidden too (12 − 10 = 2), and a filter on it is refused: not even
        # its count is told.
        rows = [*FIXED[:8], FIXED[0], FIXED[1], FIXED[8], FIXED[9]]
        add_fixed_responses(world.survey_a.id, world.channel_a.id, rows)
        overall = results_of(world)
        with pytest.raises(ServiceError) as refused:
            results_of(world, channel_id=world.channel_a.id)
    assert overall.enough
    assert [(g.n, g.suppressed, g.other) for g in overall.by_channel] == [(12, True, True)]
    assert "Too few responses share this channel" in refused.value.errors["channel"][0]


def test_below_the_minimum_nothing_but_counts(app, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED[:2])
        add_invitations(world.survey_a.id, {InvitationState.INVITED: 1})
        results = results_of(world)
        assert response_count(db.session.get(Survey, world.survey_a.id)) == (2, False)
    assert results.total_responses == 2 and results.min_responses == 3
    assert not results.enough and not results.withheld
    assert results.headline is None
    assert results.questions == () and results.by_channel == () and results.over_time == ()
    assert results.verbatims is None
    assert results.invitations is not None


def test_no_responses_at_all(app, world):
    with app.app_context():
        results = results_of(world)
    assert results.total_responses == 0 and not results.enough


def test_period_filter_counts_only_its_days_and_drops_invitation_figures(app, fixed):
    with app.app_context():
        results = results_of(fixed, period=Period(dt.date(2030, 1, 7), dt.date(2030, 1, 9)))
    # rows 1–7
    assert results.total_responses == 7
    assert results.headline.csat.value == 1.0
    assert results.invitations is None


def test_bad_filters_are_service_errors(app, fixed):
    with app.app_context():
        with pytest.raises(ServiceError) as error:
            results_of(fixed, channel_id=fixed.channel_b.id)
        assert "channel" in error.value.errors
        with pytest.raises(ServiceError) as error:
            results_of(fixed, period=Period(dt.date(2030, 2, 1), dt.date(2030, 1, 1)))
        assert "period" in error.value.errors


def test_headline_uses_the_first_question_of_each_kind(app, fixed):
    from surveys.models import Answer, Question, Response

    with app.app_context():
        survey = db.session.get(Survey, fixed.survey_a.id)
        second = Question(survey_id=survey.id, position=8, kind=QuestionKind.CSAT, text="Noch?")
        db.session.add(second)
        db.session.flush()
        for response in db.session.scalars(db.select(Response)):
            db.session.add(Answer(response_id=response.id, question_id=second.id, number=1))
        db.session.commit()
        results = survey_results(db.session.get(Survey, survey.id))
    assert results.headline.csat.value == 0.75  # the first CSAT question
    assert results.question(second.id).score.value == 0.0  # all 1s: its own figure


def test_suppressed_cells_rule():
    assert suppressed_cells({"a": 5, "b": 4}, 3) == set()
    assert suppressed_cells({"a": 5, "b": 2, "c": 4}, 3) == {"b", "c"}
    assert suppressed_cells({"a": 5, "b": 1, "c": 2}, 3) == {"b", "c"}
    assert suppressed_cells({"a": 2}, 3) == {"a"}
    assert suppressed_cells({"a": 5, "b": 2}, 0) == set()


def test_buckets_are_iso_weeks_and_calendar_months():
    # 1 January 2031 is a Wednesday: its ISO week starts on Monday 30 December 2030
    assert bucket_of(dt.date(2031, 1, 1), Grain.WEEK) == (
        dt.date(2030, 12, 30),
        dt.date(2031, 1, 5),
    )
    assert bucket_of(dt.date(2032, 2, 29), Grain.MONTH) == (
        dt.date(2032, 2, 1),
        dt.date(2032, 2, 29),
    )
    assert bucket_of(dt.date(2030, 12, 31), Grain.MONTH) == (
        dt.date(2030, 12, 1),
        dt.date(2030, 12, 31),
    )


# --- the page -----------------------------------------------------------------------------------


def test_results_page_shows_the_figures_to_an_executive(app, client, fixed):
    login(client, fixed.executive)
    response = client.get(f"/surveys/{fixed.survey_a.id}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "75.0 %" in page  # CSAT
    assert "16.7" in page and "-28.6" in page and "61.9" in page  # NPS and its interval
    assert "5.50" in page and "4.58" in page and "6.42" in page  # CES
    assert "Promoters 5 (41.7 %), passives 4 (33.3 %), detractors 3 (25.0 %)" in page
    assert "46.2 %" in page  # response rate 6/13
    assert "small sample" in page
    # CSAT 0.75 against 0.8 and NPS 16.7 against 20 miss within the noise (headline and question
    # sections); CES 5.5 meets its target
    assert page.count('data-verdict="misses">misses, not significant<') == 4
    assert 'data-verdict="meets">meets the target<' in page
    # verbatims are escaped
    assert "Sehr &lt;b&gt;gut&lt;/b&gt; &amp; schnell" in page and "<b>gut</b>" not in page
    assert 'style="' not in page
    # executives export results, not raw answers
    assert "/export/results.xlsx" in page and "/export/answers.csv" not in page


def test_results_page_in_german_number_format(app, client, fixed):
    login(client, fixed.manager)
    response = client.get(
        f"/surveys/{fixed.survey_a.id}/results", headers={"Accept-Language": "de"}
    )
    page = response.get_data(as_text=True)
    assert "75,0 %" in page and "16,7" in page and "5,50" in page
    assert "verfehlt, nicht signifikant" in page and "erreicht den Zielwert" in page
    assert "/export/answers.csv" in page


def test_results_page_below_the_minimum_says_so(app, client, world):
    with app.app_context():
        add_fixed_responses(world.survey_a.id, world.channel_a.id, FIXED[:2])
    login(client, world.manager)
    page = client.get(f"/surveys/{world.survey_a.id}/results").get_data(as_text=True)
    assert "Not enough responses yet (2 of 3)" in page
    assert 'id="headline"' not in page and "Sehr" not in page and "/export/" not in page


def test_results_page_filters_by_channel_and_week(app, client, fixed):
    login(client, fixed.manager)
    page = client.get(
        f"/surveys/{fixed.survey_a.id}/results?channel={fixed.channel_a.id}&grain=week"
    ).get_data(as_text=True)
    assert "62.5" in page and "Week 2/2030" in page


def test_results_page_reports_a_bad_channel_on_the_form(app, client, fixed):
    login(client, fixed.manager)
    response = client.get(f"/surveys/{fixed.survey_a.id}/results?channel={fixed.channel_b.id}")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_results_page_is_refused_to_testers_and_other_clients(app, client, fixed):
    login(client, fixed.tester)
    assert client.get(f"/surveys/{fixed.survey_a.id}/results").status_code == 403
    login(client, fixed.executive)
    assert client.get(f"/surveys/{fixed.survey_b.id}/results").status_code == 404


def test_results_page_query_count_does_not_grow_with_responses(app, client, fixed):
    login(client, fixed.manager)
    url = f"/surveys/{fixed.survey_a.id}/results?grain=week"
    client.get(url)
    with count_queries(app) as few:
        assert client.get(url).status_code == 200
    with app.app_context():
        add_fixed_responses(fixed.survey_a.id, fixed.channel_a.id, FIXED * 5)
    with count_queries(app) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 20
