"""qcrm.statistics against published values and hand computations (DOMAIN.md, "Uncertainty")."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcrm.statistics import (
    CES_SCALE,
    CSAT_SCALE,
    DURATION_SCALE,
    NPS_SCALE,
    SCORE_SCALE,
    ClusterSums,
    Csat,
    Estimate,
    Figure,
    Interval,
    Moments,
    Verdict,
    ces_from_counts,
    ces_mean,
    clip_interval,
    csat,
    differs,
    mean_from_counts,
    mean_interval,
    median,
    moments_mean,
    newcombe_difference,
    newcombe_from_intervals,
    nps,
    nps_estimate,
    nps_interval,
    p90,
    pooled_share,
    share_estimate,
    t_quantile,
    verdict,
    verdict_of,
    welch_difference,
    welch_difference_from_moments,
    wilson_interval,
)

Z95 = 1.959963984540054  # standard normal 0.975 quantile


def approx(value: float, tolerance: float = 1e-3):
    return pytest.approx(value, abs=tolerance)


def t_cdf_by_simpson(t: float, df: float, steps: int = 4000) -> float:
    """Independent reference for the t CDF: 0.5 + Simpson's rule over the t density on [0, t]."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density(x: float) -> float:
        return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))

    h = t / steps
    total = density(0.0) + density(t)
    total += sum((4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
    return 0.5 + total * h / 3


# --- Interval -------------------------------------------------------------------------------------


def test_interval_rejects_reversed_bounds_and_nan():
    with pytest.raises(ValueError):
        Interval(1.0, 0.0)
    with pytest.raises(ValueError):
        Interval(math.nan, 1.0)
    interval = Interval(-1.0, 2.0)
    assert interval.contains(-1.0) and interval.contains(2.0) and not interval.contains(2.1)
    assert interval.width == 3.0


# --- Wilson ---------------------------------------------------------------------------------------


def test_wilson_zero_of_ten():
    # p = 0: low = 0; high = (z²/n) / (1 + z²/n) = 0.38415 / 1.38415 = 0.27753
    interval = wilson_interval(0, 10)
    assert interval is not None
    assert interval.low == 0.0
    assert interval.high == approx(0.2775)


def test_wilson_ten_of_ten():
    # Mirror image of 0/10: (1 − 0.27753, 1) = (0.7225, 1)
    interval = wilson_interval(10, 10)
    assert interval is not None
    assert interval.low == approx(0.7225)
    assert interval.high == 1.0


def test_wilson_published_examples():
    # Newcombe (1998a), Table I, method 3 (score without continuity correction):
    # 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605.
    interval = wilson_interval(81, 263)
    assert interval is not None
    assert (interval.low, interval.high) == (approx(0.2553), approx(0.3662))
    interval = wilson_interval(15, 148)
    assert interval is not None
    assert (interval.low, interval.high) == (approx(0.0624), approx(0.1605))


def test_wilson_empty_and_invalid():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(-1, 10)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, confidence=1.0)


def test_wilson_wider_at_higher_confidence():
    # z grows with the confidence level, so the interval widens.
    narrow, wide = wilson_interval(30, 100, 0.90), wilson_interval(30, 100, 0.99)
    assert narrow is not None and wide is not None
    assert wide.low < narrow.low and narrow.high < wide.high


@given(n=st.integers(min_value=1, max_value=5000), data=st.data())
def test_wilson_within_unit_interval_and_contains_share(n, data):
    successes = data.draw(st.integers(min_value=0, max_value=n))
    interval = wilson_interval(successes, n)
    assert interval is not None
    assert 0.0 <= interval.low <= successes / n <= interval.high <= 1.0


@given(n=st.integers(min_value=1, max_value=2000), data=st.data())
def test_wilson_shrinks_with_four_times_the_sample(n, data):
    # Same share k/n = 4k/4n; the width 2z·sqrt(p(1−p)n + z²/4)/(n + z²) falls with n.
    successes = data.draw(st.integers(min_value=0, max_value=n))
    small, large = wilson_interval(successes, n), wilson_interval(4 * successes, 4 * n)
    assert small is not None and large is not None
    assert large.width < small.width


# --- Newcombe -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2", "low", "high"),
    [
        # Newcombe (1998b), Table II, method 10 (hybrid score, no continuity correction).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        # The brief quoted 0.0530 as the lower limit; method 10 gives 0.0582, by hand:
        # Wilson 6/7 = (0.4869, 0.9743), 2/7 = (0.0822, 0.6411); d = 0.5714;
        # L = d − sqrt((0.8571 − 0.4869)² + (0.6411 − 0.2857)²) = 0.5714 − 0.5132 = 0.0582;
        # U = d + sqrt((0.9743 − 0.8571)² + (0.2857 − 0.0822)²) = 0.5714 + 0.2348 = 0.8062.
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
    ],
)
def test_newcombe_published_examples(s1, n1, s2, n2, low, high):
    interval = newcombe_difference(s1, n1, s2, n2)
    assert interval is not None
    assert (interval.low, interval.high) == (approx(low), approx(high))


def test_newcombe_empty_sample():
    assert newcombe_difference(0, 0, 1, 2) is None
    assert newcombe_difference(1, 2, 0, 0) is None


def test_newcombe_swapping_negates():
    forward = newcombe_difference(56, 70, 48, 80)
    backward = newcombe_difference(48, 80, 56, 70)
    assert forward is not None and backward is not None
    assert backward.low == pytest.approx(-forward.high)
    assert backward.high == pytest.approx(-forward.low)


@given(
    n1=st.integers(min_value=1, max_value=2000),
    n2=st.integers(min_value=1, max_value=2000),
    data=st.data(),
)
def test_newcombe_within_bounds_and_contains_difference(n1, n2, data):
    s1 = data.draw(st.integers(min_value=0, max_value=n1))
    s2 = data.draw(st.integers(min_value=0, max_value=n2))
    interval = newcombe_difference(s1, n1, s2, n2)
    assert interval is not None
    assert -1.0 <= interval.low <= s1 / n1 - s2 / n2 <= interval.high <= 1.0


# --- Student's t ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        # Two-sided 95 % column of any t table.
        (1, 12.7062),
        (2, 4.3027),
        (4, 2.7764),
        (5, 2.5706),
        (10, 2.2281),
        (30, 2.0423),
        (100, 1.9840),
    ],
)
def test_t_quantile_table_values(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-5)


def test_t_quantile_exact_closed_forms():
    # df = 1 is Cauchy: tan(π(p − 1/2)); df = 2: (2p − 1)·sqrt(2 / (4p(1 − p))).
    for p in (0.6, 0.9, 0.975, 0.999):
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), abs=1e-6)
        exact_2 = (2 * p - 1) * math.sqrt(2 / (4 * p * (1 - p)))
        assert t_quantile(p, 2) == pytest.approx(exact_2, abs=1e-6)


def test_t_quantile_large_df_tends_to_normal():
    assert t_quantile(0.975, 1e6) == pytest.approx(1.95996, abs=1e-5)
    assert t_quantile(0.975, 1e12) == pytest.approx(Z95, abs=1e-9)
    assert t_quantile(0.975, math.inf) == pytest.approx(Z95, abs=1e-12)


def test_t_quantile_symmetry_and_median():
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7), abs=1e-12)


@pytest.mark.parametrize("df", [0.7, 1.5, 3.532847, 12.25])
def test_t_quantile_fractional_df_against_numerical_integration(df):
    # Welch's df is fractional; the CDF at the quantile, by Simpson's rule, must be 0.975.
    assert t_cdf_by_simpson(t_quantile(0.975, df), df, steps=20000) == pytest.approx(
        0.975, abs=1e-7
    )


def test_t_quantile_rejects_bad_arguments():
    for p, df in ((0.0, 5), (1.0, 5), (0.9, 0), (0.9, -1)):
        with pytest.raises(ValueError):
            t_quantile(p, df)


# --- means ----------------------------------------------------------------------------------------


def test_mean_interval_hand_example():
    # mean 3, s² = 2.5, n = 5, t(0.975, 4) = 2.7764: 3 ± 2.7764·sqrt(2.5)/sqrt(5) = 3 ± 1.9632
    interval = mean_interval([1, 2, 3, 4, 5])
    assert interval is not None
    half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)
    assert interval.low == pytest.approx(3 - half, abs=1e-6)
    assert interval.high == pytest.approx(3 + half, abs=1e-6)


def test_mean_interval_needs_two_values():
    assert mean_interval([]) is None
    assert mean_interval([4.0]) is None
    assert mean_interval([4.0, 4.0]) == Interval(4.0, 4.0)


def test_welch_hand_example_integer_df():
    # [1, 2, 3] vs [4, 5, 6]: means 2 and 5, s² = 1 each, s²/n = 1/3 each, se² = 2/3;
    # df = (2/3)² / ((1/3)²/2 + (1/3)²/2) = (4/9) / (1/9) = 4; t(0.975, 4) = 2.776445;
    # −3 ± 2.776445·sqrt(2/3) = −3 ± 2.266958 → (−5.266958, −0.733042).
    interval = welch_difference([1, 2, 3], [4, 5, 6])
    assert interval is not None
    assert interval.low == pytest.approx(-5.266958, abs=1e-5)
    assert interval.high == pytest.approx(-0.733042, abs=1e-5)
    assert differs(interval)


def test_welch_hand_example_fractional_df():
    # [1, 2, 3, 4, 5] vs [2, 4, 6]: means 3 and 4, s² = 2.5 and 4; s²/n = 0.5 and 4/3;
    # se² = 11/6; df = (11/6)² / (0.5²/4 + (4/3)²/2) = 3.361111 / 0.951389 = 3.532847;
    # t(0.975, 3.532847) = 2.8077 (by integration, above); −1 ± 2.8077·sqrt(11/6) = −1 ± 3.9637.
    # Reference: scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval()
    # = (−4.963726, 2.963726).
    interval = welch_difference([1, 2, 3, 4, 5], [2, 4, 6])
    assert interval is not None
    assert interval.low == pytest.approx(-4.963726, abs=1e-5)
    assert interval.high == pytest.approx(2.963726, abs=1e-5)
    assert not differs(interval)


def test_welch_degenerate_cases():
    assert welch_difference([1.0], [1.0, 2.0]) is None
    assert welch_difference([1.0, 2.0], [3.0]) is None
    assert welch_difference([2.0, 2.0], [5.0, 5.0, 5.0]) is None
    # One variance 0: the other alone carries the uncertainty (df = n − 1 of that sample).
    interval = welch_difference([2.0, 2.0], [1.0, 2.0, 3.0])
    assert interval is not None
    expected = mean_interval([1.0, 2.0, 3.0])
    assert expected is not None
    assert interval.low == pytest.approx(2.0 - expected.high)
    assert interval.high == pytest.approx(2.0 - expected.low)


samples = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=30,
).filter(lambda values: statistics.variance(values) > 1e-6)


@given(first=samples, second=samples)
def test_welch_swapping_negates_and_contains_difference(first, second):
    forward, backward = welch_difference(first, second), welch_difference(second, first)
    assert forward is not None and backward is not None
    assert backward.low == pytest.approx(-forward.high, rel=1e-9, abs=1e-9)
    assert backward.high == pytest.approx(-forward.low, rel=1e-9, abs=1e-9)
    assert forward.contains(statistics.fmean(first) - statistics.fmean(second))


@given(first=samples, second=samples, shift=st.floats(min_value=-100, max_value=100))
def test_welch_shifting_both_samples_changes_nothing(first, second, shift):
    plain = welch_difference(first, second)
    shifted = welch_difference([v + shift for v in first], [v + shift for v in second])
    assert plain is not None and shifted is not None
    assert shifted.low == pytest.approx(plain.low, rel=1e-6, abs=1e-6)
    assert shifted.high == pytest.approx(plain.high, rel=1e-6, abs=1e-6)


# --- NPS, CSAT, CES -------------------------------------------------------------------------------


def test_nps_hand_example():
    # 50 promoters, 30 passives, 20 detractors: 50 % − 20 % = 30.
    # Variance (0.5 + 0.2 − 0.3²)/100 = 0.0061; ±1.95996·sqrt(0.0061)·100 = ±15.3078.
    assert nps(50, 30, 20) == pytest.approx(30.0)
    interval = nps_interval(50, 30, 20)
    assert interval is not None
    half = Z95 * math.sqrt(0.0061) * 100
    assert half == pytest.approx(15.31, abs=0.01)
    assert interval.low == pytest.approx(30 - half, abs=1e-9)
    assert interval.high == pytest.approx(30 + half, abs=1e-9)


def test_nps_edges():
    assert nps(0, 0, 0) is None
    assert nps_interval(0, 0, 0) is None
    assert nps(5, 0, 0) == 100.0
    assert nps(0, 0, 5) == -100.0
    assert nps_interval(5, 0, 0) == Interval(100.0, 100.0)  # variance (1 + 0 − 1)/n = 0
    # 9 promoters, 1 detractor: 80 ± 1.96·sqrt((1 − 0.64)/10)·100 = 80 ± 37.2 → clipped at 100.
    clipped = nps_interval(9, 0, 1)
    assert clipped is not None
    assert clipped.high == 100.0
    assert clipped.low == pytest.approx(80 - Z95 * math.sqrt(0.036) * 100)
    with pytest.raises(ValueError):
        nps(-1, 0, 0)


@given(
    promoters=st.integers(min_value=0, max_value=3000),
    passives=st.integers(min_value=0, max_value=3000),
    detractors=st.integers(min_value=0, max_value=3000),
)
def test_nps_interval_within_range_and_contains_score(promoters, passives, detractors):
    score = nps(promoters, passives, detractors)
    interval = nps_interval(promoters, passives, detractors)
    if promoters + passives + detractors == 0:
        assert score is None and interval is None
        return
    assert score is not None and interval is not None
    assert -100.0 <= interval.low <= score <= interval.high <= 100.0


def test_csat_share_and_mean():
    # Answers 1,2,3,3,4,4,4,5,5,5: share of 4–5 = 6/10; mean = 36/10 = 3.6.
    counts = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}
    result = csat(counts)
    assert isinstance(result, Csat)
    assert result.n == 10
    assert result.share == Estimate(0.6, 10, wilson_interval(6, 10))
    assert result.mean.value == pytest.approx(3.6)
    expanded = [answer for answer, count in counts.items() for _ in range(count)]
    expected = mean_interval(expanded)
    assert expected is not None and result.mean.interval is not None
    assert result.mean.interval.low == pytest.approx(expected.low)
    assert result.mean.interval.high == pytest.approx(expected.high)


def test_csat_edges():
    assert csat({}) is None
    assert csat({5: 0}) is None
    single = csat({5: 1})
    assert single is not None
    assert single.share.value == 1.0 and single.mean.interval is None
    with pytest.raises(ValueError):
        csat({6: 1})
    with pytest.raises(ValueError):
        csat({3: -1})


def test_ces_mean():
    result = ces_mean([7, 6, 5, 6])
    assert result is not None
    assert result.value == pytest.approx(6.0)
    assert result.n == 4
    # 6 ± 3.182446 · √(2/3 / 4) = [4.700772, 7.299228]: the upper end is clipped to the scale
    assert result.interval == mean_interval([7, 6, 5, 6], bounds=CES_SCALE)
    assert result.interval.low == pytest.approx(4.700772, abs=1e-6)
    assert result.interval.high == 7.0
    assert ces_mean([]) is None
    with pytest.raises(ValueError):
        ces_mean([8])


# --- median and p90 -------------------------------------------------------------------------------


def test_median_odd_and_even():
    assert median([5, 1, 3]) == 3.0  # middle value
    assert median([4, 1, 3, 2]) == 2.5  # mean of 2 and 3
    assert median([7]) == 7.0
    assert median([]) is None


def test_p90_closest_ranks():
    # 1..10: rank h = (n − 1)·0.9 = 8.1 → x[8] + 0.1·(x[9] − x[8]) = 9 + 0.1 = 9.1
    assert p90(list(range(10, 0, -1))) == pytest.approx(9.1)
    # 10, 20: h = 0.9 → 10 + 0.9·10 = 19
    assert p90([20, 10]) == pytest.approx(19.0)
    # 1..11 (odd): h = 9 exactly → x[9] = 10
    assert p90(list(range(1, 12))) == pytest.approx(10.0)
    assert p90([42.0]) == 42.0
    assert p90([]) is None
    data = [3.5, 1.0, 8.25, 2.0, 13.0]
    assert p90(data) == statistics.quantiles(data, n=10, method="inclusive")[8]


values_lists = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False), min_size=1
)


@given(values=values_lists)
def test_median_and_p90_match_percentile_cont(values):
    # percentile_cont(f): h = (n − 1)·f; x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]).
    ordered = sorted(values)

    def percentile_cont(fraction: float) -> float:
        h = (len(ordered) - 1) * fraction
        low = math.floor(h)
        if low + 1 >= len(ordered):
            return ordered[low]
        return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])

    assert median(values) == pytest.approx(percentile_cont(0.5), rel=1e-12, abs=1e-9)
    assert p90(values) == pytest.approx(percentile_cont(0.9), rel=1e-12, abs=1e-9)


# --- figures against targets ----------------------------------------------------------------------


def test_small_sample_threshold():
    assert Figure(0.5, 29, None, None).small_sample
    assert not Figure(0.5, 30, None, None).small_sample


def test_meets_target_higher_is_better():
    # Answer rate 0.92 against Soll 0.90, interval (0.91, 0.93) entirely above.
    figure = Figure(0.92, 400, Interval(0.91, 0.93), 0.90)
    assert figure.meets_target is True
    assert figure.significantly_above_target and not figure.significantly_below_target
    assert figure.significantly_better and not figure.significantly_worse
    # Point meets the target, interval straddles it: meets, but not significantly.
    straddling = Figure(0.91, 100, Interval(0.84, 0.95), 0.90)
    assert straddling.meets_target is True
    assert not straddling.significantly_above_target
    assert not straddling.significantly_below_target
    # Target equal to the value meets it (≥).
    assert Figure(0.90, 100, None, 0.90).meets_target is True


def test_meets_target_lower_is_better_frt_median():
    # FRT median 3 h against a ceiling of 4 h, whole interval (2 h, 3.5 h) below: better.
    hours = 3600.0
    good = Figure(3 * hours, 60, Interval(2 * hours, 3.5 * hours), 4 * hours, False)
    assert good.meets_target is True
    assert good.significantly_below_target and good.significantly_better
    assert not good.significantly_above_target and not good.significantly_worse
    # FRT median 6 h, interval (5 h, 8 h): misses the 4 h ceiling, significantly worse.
    bad = Figure(6 * hours, 60, Interval(5 * hours, 8 * hours), 4 * hours, False)
    assert bad.meets_target is False
    assert bad.significantly_above_target and bad.significantly_worse
    assert Figure(4 * hours, 60, None, 4 * hours, False).meets_target is True


def test_figure_without_target_or_interval():
    no_target = Figure(0.5, 100, Interval(0.4, 0.6), None)
    assert no_target.meets_target is None
    assert not no_target.significantly_above_target
    assert not no_target.significantly_below_target
    no_interval = Figure(0.5, 1, None, 0.1)
    assert no_interval.meets_target is True
    assert not no_interval.significantly_above_target


def test_estimate_against_target():
    estimate = Estimate(0.6, 10, wilson_interval(6, 10))
    figure = estimate.against(0.5)
    assert figure == Figure(0.6, 10, wilson_interval(6, 10), 0.5, True)
    assert figure.small_sample and figure.meets_target


def test_differs():
    assert not differs(None)
    assert not differs(Interval(-0.1, 0.2))
    assert not differs(Interval(0.0, 0.2))  # touching zero does not exclude it
    assert differs(Interval(0.01, 0.2))
    assert differs(Interval(-0.3, -0.01))


# --- means from SQL aggregates (n, Σx, Σx²) -------------------------------------------------------


def test_moments_mean_hand_example():
    # [1, 2, 3, 4, 5]: n = 5, Σx = 15, Σx² = 55; mean 3; s² = (55 − 15²/5) / 4 = 10 / 4 = 2.5;
    # the same t interval as mean_interval: 3 ± 2.776445·sqrt(2.5 / 5) = 3 ± 1.963243.
    moments = Moments(5, 15.0, 55.0)
    assert moments == Moments.of([1, 2, 3, 4, 5])
    assert moments.mean == 3.0
    assert moments.variance == pytest.approx(2.5)
    estimate = moments_mean(moments)
    assert estimate is not None and estimate.interval is not None
    assert (estimate.value, estimate.n) == (3.0, 5)
    assert estimate.interval.low == pytest.approx(3 - 1.963243, abs=1e-6)
    assert estimate.interval.high == pytest.approx(3 + 1.963243, abs=1e-6)


def test_moments_edges():
    assert moments_mean(Moments(0, 0.0, 0.0)) is None
    one = moments_mean(Moments.of([7.0]))
    assert one == Estimate(7.0, 1, None)
    assert Moments.of([7.0]).variance is None
    # equal values: variance exactly 0 despite rounding, the interval a point
    equal = Moments.of([66.66666666666667] * 3)
    assert equal.variance == 0.0
    assert moments_mean(equal) == Estimate(equal.mean, 3, Interval(equal.mean, equal.mean))
    with pytest.raises(ValueError):
        Moments(-1, 0.0, 0.0)
    with pytest.raises(ValueError):
        Moments(2, 1.0, -1.0)


def test_welch_from_moments_hand_examples():
    # the hand examples of welch_difference above, from aggregates
    interval = welch_difference_from_moments(Moments.of([1, 2, 3]), Moments.of([4, 5, 6]))
    assert interval is not None
    assert interval.low == pytest.approx(-5.266958, abs=1e-5)
    assert interval.high == pytest.approx(-0.733042, abs=1e-5)
    interval = welch_difference_from_moments(Moments.of([1, 2, 3, 4, 5]), Moments.of([2, 4, 6]))
    assert interval is not None
    assert interval.low == pytest.approx(-4.963726, abs=1e-5)
    assert interval.high == pytest.approx(2.963726, abs=1e-5)
    assert welch_difference_from_moments(Moments.of([1.0]), Moments.of([1.0, 2.0])) is None
    assert welch_difference_from_moments(Moments.of([2.0, 2.0]), Moments.of([5.0, 5.0])) is None


spread_samples = st.lists(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=30,
).filter(lambda values: statistics.variance(values) > 1e-2)


@given(first=spread_samples, second=spread_samples)
def test_moments_agree_with_the_value_functions(first, second):
    # Σx² − (Σx)²/n loses digits for a spread tiny against the values (see Moments): the
    # samples keep a variance above 1e-2 on values up to 1e4, like scores and FRT seconds.
    estimate = moments_mean(Moments.of(first))
    expected = mean_interval(first)
    assert estimate is not None and estimate.interval is not None and expected is not None
    assert estimate.interval.low == pytest.approx(expected.low, rel=1e-6, abs=1e-6)
    assert estimate.interval.high == pytest.approx(expected.high, rel=1e-6, abs=1e-6)
    from_moments = welch_difference_from_moments(Moments.of(first), Moments.of(second))
    from_values = welch_difference(first, second)
    assert from_moments is not None and from_values is not None
    assert from_moments.low == pytest.approx(from_values.low, rel=1e-6, abs=1e-6)
    assert from_moments.high == pytest.approx(from_values.high, rel=1e-6, abs=1e-6)


# --- estimates from counts (what a GROUP BY returns) ----------------------------------------------


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=0, max_size=60))
def test_mean_from_counts_equals_the_mean_of_the_expanded_values(values):
    counts = {value: values.count(value) for value in set(values)}
    from_counts = mean_from_counts(counts)
    if not values:
        assert from_counts is None
        return
    assert from_counts.n == len(values)
    assert from_counts.value == pytest.approx(statistics.fmean(values))
    expected = mean_interval(values)
    if expected is None:
        assert from_counts.interval is None
    else:
        assert from_counts.interval.low == pytest.approx(expected.low, abs=1e-9)
        assert from_counts.interval.high == pytest.approx(expected.high, abs=1e-9)
    ces, expected_ces = ces_from_counts(counts), ces_mean(values)
    assert ces.value == pytest.approx(expected_ces.value)
    if ces.interval is not None:
        assert ces.interval.low == pytest.approx(expected_ces.interval.low, abs=1e-9)


def test_mean_from_counts_ignores_values_nobody_chose():
    # 5,5,5,4,4,4,4,4,4,3,2,1 → 45/12 = 3.75; a zero count for 6 changes nothing
    estimate = mean_from_counts({1: 1, 2: 1, 3: 1, 4: 6, 5: 3, 6: 0})
    assert estimate.value == 3.75 and estimate.n == 12


def test_ces_from_counts_refuses_answers_off_the_scale():
    with pytest.raises(ValueError, match="1–7"):
        ces_from_counts({8: 1})


def test_nps_estimate_bundles_score_n_and_interval():
    # 5 promoters, 4 passives, 3 detractors: 100 · 2/12 = 16.67, interval as nps_interval
    estimate = nps_estimate(5, 4, 3)
    assert estimate.value == approx(16.667) and estimate.n == 12
    assert estimate.interval == nps_interval(5, 4, 3)
    assert nps_estimate(0, 0, 0) is None


def test_share_estimate_is_the_share_with_its_wilson_interval():
    estimate = share_estimate(6, 13)
    assert estimate.value == 6 / 13 and estimate.n == 13
    assert estimate.interval == wilson_interval(6, 13)
    assert share_estimate(0, 0) is None


# --- means on bounded scales: intervals clipped to the scale (DOMAIN.md "Uncertainty") -----------

T1, T2, T3 = 12.706205, 4.302653, 3.182446  # t_{0.975, df} for df = 1, 2, 3 from a t table


def test_clip_interval_cuts_at_the_scale_and_keeps_what_lies_inside():
    assert clip_interval(Interval(0.7, 10.3), CES_SCALE) == Interval(1.0, 7.0)
    assert clip_interval(Interval(-22.4, 28.4), CSAT_SCALE) == Interval(1.0, 5.0)
    assert clip_interval(Interval(2.5, 4.5), CSAT_SCALE) == Interval(2.5, 4.5)
    assert clip_interval(Interval(-405.0, 900.0), DURATION_SCALE) == Interval(0.0, 900.0)
    assert clip_interval(Interval(-130.0, 40.0), NPS_SCALE) == Interval(-100.0, 40.0)
    assert clip_interval(Interval(95.0, 107.7), SCORE_SCALE) == Interval(95.0, 100.0)
    assert clip_interval(Interval(-3.0, 3.0), None) == Interval(-3.0, 3.0)
    assert clip_interval(None, CES_SCALE) is None


def test_ces_interval_near_both_ends_of_the_scale_is_clipped_to_1_to_7():
    # 1, 7, 7, 7: mean 22/4 = 5.5; s² = (4.5² + 3 · 1.5²) / 3 = 9, se = 3/2;
    # t interval 5.5 ± 3.182446 · 1.5 = [0.726331, 10.273669] → [1, 7]
    estimate = ces_from_counts({1: 1, 7: 3})
    assert estimate is not None and estimate.value == 5.5
    assert estimate.interval == Interval(1.0, 7.0)
    assert ces_mean([1, 7, 7, 7]) == estimate
    # 7, 7, 6: mean 20/3; s² = 1/3, se = 1/3; 20/3 ± 4.302653/3 = [5.232449, 8.100884] → ≤ 7
    near_top = ces_from_counts({6: 1, 7: 2})
    assert near_top is not None and near_top.interval is not None
    assert near_top.interval.low == pytest.approx(20 / 3 - T2 / 3, abs=1e-6)
    assert near_top.interval.low == pytest.approx(5.232449, abs=1e-6)
    assert near_top.interval.high == 7.0


def test_csat_mean_interval_is_clipped_to_1_to_5():
    # 1 and 5: mean 3, s² = 8, se = 2; 3 ± 12.706205 · 2 = [−22.41, 28.41] → [1, 5]
    result = csat({1: 1, 5: 1})
    assert result is not None and result.mean.value == 3.0
    assert result.mean.interval == Interval(1.0, 5.0)
    # 4, 4, 5: mean 13/3, s² = 1/3, se = 1/3; 13/3 ± 4.302653/3 = [2.899116, 5.767551] → ≤ 5
    result = csat({4: 2, 5: 1})
    assert result is not None and result.mean.interval is not None
    assert result.mean.interval.low == pytest.approx(13 / 3 - T2 / 3, abs=1e-6)
    assert result.mean.interval.high == 5.0


def test_every_mean_builder_clips_to_the_bounds_it_is_given():
    # 100, 100, 10: mean 70, s = √2700 = 51.961524, se = 30; 70 ± 4.302653 · 30 → [0, 100]
    assert mean_interval([100, 100, 10], bounds=SCORE_SCALE) == Interval(0.0, 100.0)
    assert mean_interval([100, 100, 10]).low == pytest.approx(70 - T2 * 30, abs=1e-5)
    moments = moments_mean(Moments.of([100, 100, 10]), bounds=SCORE_SCALE)
    assert moments is not None and moments.interval == Interval(0.0, 100.0)
    # a rating on 1–10: 10, 10, 9 → 29/3 ± 4.302653/3 = [8.232449, 11.100884] → ≤ 10
    rating = mean_from_counts({9: 1, 10: 2}, bounds=(1.0, 10.0))
    assert rating is not None and rating.interval is not None
    assert rating.interval.low == pytest.approx(29 / 3 - T2 / 3, abs=1e-6)
    assert rating.interval.high == 10.0
    # times 60 s, 60 s, 6000 s: mean 2040, se = 1980; low 2040 − 4.302653 · 1980 = −6479.25 → 0
    time = moments_mean(Moments.of([60, 60, 6000]), bounds=DURATION_SCALE)
    assert time is not None and time.interval is not None
    assert time.interval.low == 0.0
    assert time.interval.high == pytest.approx(2040 + T2 * 1980, abs=1e-3)


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=2, max_size=40))
def test_ces_intervals_never_leave_the_scale(values):
    estimate = ces_from_counts({value: values.count(value) for value in set(values)})
    assert estimate is not None and estimate.interval is not None
    assert 1.0 <= estimate.interval.low <= estimate.value <= estimate.interval.high <= 7.0


# --- shares pooled over items: the contact is the sampling unit (DOMAIN.md) ----------------------


def test_pooled_share_hand_example():
    # contacts (aᵢ, pᵢ) = (4, 4), (4, 2), (4, 3), (2, 0), (3, 3), (4, 1): n = 6, Σa = 21, Σp = 13,
    # R = 13/21 = 0.619048; pᵢ − R·aᵢ = 32, −10, 11, −26, 24, −31 (/21); Σ squares = 3458/441
    # = 7.841270; ā = 3.5, n(n − 1)ā² = 367.5; v = 0.0213368, z·√v = 1.959964 · 0.146071
    # = 0.286294 → [0.332753, 0.905342]
    sums = ClusterSums.of([(4, 4), (4, 2), (4, 3), (2, 0), (3, 3), (4, 1)])
    assert sums == ClusterSums(6, 21, 13, 77, 39, 49)
    estimate = pooled_share(sums)
    assert estimate is not None and estimate.interval is not None
    assert (estimate.value, estimate.n) == (13 / 21, 6)
    assert estimate.interval.low == pytest.approx(0.332753, abs=1e-6)
    assert estimate.interval.high == pytest.approx(0.905342, abs=1e-6)


def test_six_contacts_with_four_items_are_six_cases_and_not_significantly_off_target():
    # 15 of 24 answers pass (62.5 %), from 6 contacts: (4, 4), (4, 4), (4, 1), (4, 2), (4, 4),
    # (4, 0). pᵢ − 2.5 = 1.5, 1.5, −1.5, −0.5, 1.5, −2.5; Σ squares 15.5; v = 15.5 / (6·5·16)
    # = 0.0322917; z·√v = 0.352204 → [0.272797, 0.977203]. Counted as 24 independent answers
    # the Wilson interval [0.4271, 0.7884] would lie wholly below a target of 85 %.
    sums = ClusterSums.of([(4, 4), (4, 4), (4, 1), (4, 2), (4, 4), (4, 0)])
    figure = pooled_share(sums).against(0.85)
    assert (figure.value, figure.n) == (0.625, 6)
    assert figure.interval.low == pytest.approx(0.272797, abs=1e-6)
    assert figure.interval.high == pytest.approx(0.977203, abs=1e-6)
    assert figure.small_sample and figure.meets_target is False
    assert not figure.significantly_worse and not figure.significantly_below_target
    assert wilson_interval(15, 24).high == pytest.approx(0.7884, abs=1e-4)


def test_pooled_share_is_the_wilson_share_when_every_contact_has_one_answer():
    sums = ClusterSums.of([(1, 1)] * 7 + [(1, 0)] * 3)
    assert pooled_share(sums) == Estimate(0.7, 10, wilson_interval(7, 10))
    assert pooled_share(ClusterSums.of([(1, 0)])) == Estimate(0.0, 1, wilson_interval(0, 1))


def test_pooled_share_is_clipped_to_0_to_1_and_has_edges():
    # (4, 4) × 3, (4, 3), (1, 1): R = 16/17 = 0.941176, v = 0.0032627, z·√v = 0.111952
    # → [0.829224, 1.053129] → upper end 1
    estimate = pooled_share(ClusterSums.of([(4, 4), (4, 4), (4, 4), (4, 3), (1, 1)]))
    assert estimate.interval.low == pytest.approx(0.829224, abs=1e-6)
    assert estimate.interval.high == 1.0
    assert pooled_share(ClusterSums(0, 0, 0, 0, 0, 0)) is None
    # one contact with several answers: no spread between contacts, no interval
    assert pooled_share(ClusterSums.of([(3, 2)])) == Estimate(2 / 3, 1, None)
    with pytest.raises(ValueError):
        ClusterSums(2, 1, 0, 1, 0, 0)  # fewer answers than contacts
    with pytest.raises(ValueError):
        ClusterSums(1, 2, 3, 4, 9, 6)  # more passes than answers


def test_newcombe_from_intervals_is_newcombe_with_wilson_intervals():
    # published example (Newcombe 1998, 56/70 − 48/80): [0.0524, 0.3339]
    interval = newcombe_from_intervals(
        56 / 70, wilson_interval(56, 70), 48 / 80, wilson_interval(48, 80)
    )
    assert interval.low == pytest.approx(0.0524, abs=1e-4)
    assert interval.high == pytest.approx(0.3339, abs=1e-4)
    assert newcombe_from_intervals(0.5, None, 0.4, Interval(0.3, 0.5)) is None
    # with a clustered interval: 0.625 [0.272797, 0.977203] − 0.95 [0.8, 1.0]: d = −0.325,
    # δ = √(0.352203² + 0.05²) = 0.355734, ε = √(0.352203² + 0.15²) = 0.382815
    # → [−0.680734, 0.057815]: contains 0, no difference
    clustered = newcombe_from_intervals(
        0.625, Interval(0.272797, 0.977203), 0.95, Interval(0.8, 1.0)
    )
    assert clustered.low == pytest.approx(-0.680734, abs=1e-5)
    assert clustered.high == pytest.approx(0.057815, abs=1e-5)
    assert not differs(clustered)


# --- verdicts: how a figure stands against its target ---------------------------------------------


def test_verdict_vocabulary():
    # 31/39 = 79.5 % against 80 %: Wilson [0.6447, 0.8922] reaches the target → misses, within
    # the noise; 20/39 (high 0.6613) is significantly worse; 36/40 (low 0.7695) against 0.7
    # significantly better; 32/40 = 0.8 meets 0.7 (low 0.6518 < 0.7)
    assert Figure(31 / 39, 39, wilson_interval(31, 39), 0.8).verdict is Verdict.MISSES
    assert Figure(20 / 39, 39, wilson_interval(20, 39), 0.8).verdict is Verdict.SIGNIFICANTLY_WORSE
    assert Figure(0.9, 40, wilson_interval(36, 40), 0.7).verdict is Verdict.SIGNIFICANTLY_BETTER
    assert Figure(0.8, 40, wilson_interval(32, 40), 0.7).verdict is Verdict.MEETS
    assert Figure(0.8, 40, wilson_interval(32, 40), None).verdict is Verdict.NO_TARGET
    # lower is better: an FRT mean wholly above its ceiling is worse, wholly below it better
    slow = Figure(5400.0, 40, Interval(4000.0, 6800.0), 3600.0, higher_is_better=False)
    assert slow.verdict is Verdict.SIGNIFICANTLY_WORSE
    fast = Figure(1200.0, 40, Interval(900.0, 1500.0), 3600.0, higher_is_better=False)
    assert fast.verdict is Verdict.SIGNIFICANTLY_BETTER
    # a median has no interval: it meets or misses, never significantly
    assert Figure(5400.0, 40, None, 3600.0, higher_is_better=False).verdict is Verdict.MISSES


def test_verdict_of_a_stored_figure_reads_its_verdict_or_its_flags():
    assert verdict_of({"verdict": "misses"}) is Verdict.MISSES
    # a snapshot stored before verdicts were: the same verdict from its flags
    old = {
        "target": 3600.0,
        "meets_target": False,
        "higher_is_better": False,
        "significantly_above_target": True,
        "significantly_below_target": False,
    }
    assert verdict_of(old) is Verdict.SIGNIFICANTLY_WORSE
    assert verdict_of({**old, "significantly_above_target": False}) is Verdict.MISSES
    assert verdict_of({"target": None, "meets_target": None}) is Verdict.NO_TARGET
    assert verdict_of(None) is Verdict.NO_TARGET
    assert verdict(True, True, False) is Verdict.SIGNIFICANTLY_BETTER
