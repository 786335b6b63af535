"""Point estimates with their 95 % intervals, as DOMAIN.md ("Figures", "Uncertainty") defines them.

Every share and mean the product shows is an estimate from a sample, so each comes with n and an
interval: Wilson for shares, Student's t for means, the trinomial normal interval for NPS, and
for a share pooled over several items the contact-clustered interval (``pooled_share``). A
mean on a bounded scale has its interval clipped to the scale (``clip_interval``): every mean
builder here takes the scale as ``bounds``, so no path shows a CES interval reaching 8.
Differences between two figures use Newcombe's hybrid score interval (shares) and Welch's
interval (means). Pure standard library on purpose: the same numbers must come out in the web
app, the PDF reports and the tests, without a numerical stack to install or to drift.
"""

from __future__ import annotations

import enum
import functools
import math
import statistics as _stats
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CES_SCALE",
    "CSAT_SCALE",
    "DURATION_SCALE",
    "NPS_SCALE",
    "SCORE_SCALE",
    "Bounds",
    "ClusterSums",
    "Csat",
    "Estimate",
    "Figure",
    "Interval",
    "Moments",
    "Verdict",
    "ces_from_counts",
    "ces_mean",
    "clip_interval",
    "csat",
    "differs",
    "mean_from_counts",
    "mean_interval",
    "median",
    "moments_mean",
    "newcombe_difference",
    "newcombe_from_intervals",
    "nps",
    "nps_estimate",
    "nps_interval",
    "p90",
    "pooled_share",
    "share_estimate",
    "t_quantile",
    "verdict",
    "verdict_of",
    "welch_difference",
    "welch_difference_from_moments",
    "wilson_interval",
]

#: Below this n a figure is a *small sample*: not ranked, no SWOT strength or weakness.
SMALL_SAMPLE_N = 30

_STANDARD_NORMAL = _stats.NormalDist()


@dataclass(frozen=True)
class Interval:
    """A closed interval [low, high]; frozen so a computed interval cannot be altered later."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"invalid interval [{self.low}, {self.high}]")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (ends included)."""
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        """high − low: how uncertain the estimate still is."""
        return self.high - self.low


#: The lowest and highest value an estimate can take (either may be infinite).
Bounds = tuple[float, float]

#: DOMAIN.md's bounded scales: what a mean on them (and its interval) can be.
SCORE_SCALE: Bounds = (0.0, 100.0)
CSAT_SCALE: Bounds = (1.0, 5.0)
CES_SCALE: Bounds = (1.0, 7.0)
NPS_SCALE: Bounds = (-100.0, 100.0)
DURATION_SCALE: Bounds = (0.0, math.inf)


def clip_interval(interval: Interval | None, bounds: Bounds | None) -> Interval | None:
    """The interval cut to ``bounds`` (None: unbounded). A symmetric interval of a small or
    skewed sample can reach past the scale (a CES of "8.3" on 1–7, a time of "−405 min"); values
    nobody can give are no plausible values of the mean, so DOMAIN.md clips them."""
    return None if interval is None else _clip(interval, bounds)


def _clip(interval: Interval, bounds: Bounds | None) -> Interval:
    if bounds is None:
        return interval
    low, high = bounds
    return Interval(min(max(interval.low, low), high), max(min(interval.high, high), low))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.95996 for 95 %."""
    _check_confidence(confidence)
    return _STANDARD_NORMAL.inv_cdf((1.0 + confidence) / 2.0)


def _check_counts(**counts: int) -> None:
    for name, count in counts.items():
        if count < 0:
            raise ValueError(f"{name} must not be negative, got {count}")


# --- shares -------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval | None:
    """Wilson score interval for a share; unlike the Wald interval it stays inside [0, 1] and
    does not collapse to a point at 0/n or n/n, which matters for small mystery samples.

    None when n == 0: there is nothing to estimate.
    """
    _check_counts(successes=successes, n=n)
    if successes > n:
        raise ValueError(f"successes ({successes}) exceed n ({n})")
    z = _z(confidence)
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    # At 0/n and n/n the bound is exactly the point estimate; rounding must not move it past.
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == n else min(1.0, max(p, centre + half))
    return Interval(low, high)


def newcombe_difference(
    s1: int, n1: int, s2: int, n2: int, confidence: float = 0.95
) -> Interval | None:
    """Newcombe's hybrid score interval for p1 − p2 (method 10 of Newcombe 1998), built from the
    two Wilson intervals; it keeps good coverage for small n and shares near 0 or 1.

    None when either sample is empty.
    """
    w1 = wilson_interval(s1, n1, confidence)
    w2 = wilson_interval(s2, n2, confidence)
    if w1 is None or w2 is None:
        return None
    return newcombe_from_intervals(s1 / n1, w1, s2 / n2, w2)


def newcombe_from_intervals(
    p1: float, interval1: Interval | None, p2: float, interval2: Interval | None
) -> Interval | None:
    """Newcombe's hybrid interval for p1 − p2 from each share's point value and its own interval.

    The method needs nothing else: each limit of the difference recovers the two shares'
    distances to their own limits, d − √((p1 − l1)² + (u2 − p2)²) and
    d + √((u1 − p1)² + (p2 − l2)²). With Wilson intervals this is Newcombe's method 10; with
    other sound intervals, such as the contact-clustered ones of :func:`pooled_share`, it is the
    same construction (Zou & Donner's "MOVER", 2008), so a pooled share over items is compared
    with its cluster-aware width, not with a Wilson interval over answers as if independent. The
    two samples are taken as independent. None when either interval is missing.
    """
    if interval1 is None or interval2 is None:
        return None
    d = p1 - p2
    delta = math.sqrt((p1 - interval1.low) ** 2 + (interval2.high - p2) ** 2)
    epsilon = math.sqrt((interval1.high - p1) ** 2 + (p2 - interval2.low) ** 2)
    return Interval(max(-1.0, min(d, d - delta)), min(1.0, max(d, d + epsilon)))


# --- shares pooled over items: the contact is the sampling unit -----------------------------------


@dataclass(frozen=True)
class ClusterSums:
    """A pass share pooled over several items, summed per contact and then over contacts: what
    SQL aggregates in one pass over per-contact rows (aᵢ applicable answers, pᵢ passes).

    ``n`` contacts with at least one applicable answer; ``answers`` Σaᵢ, ``passes`` Σpᵢ,
    ``answers_squares`` Σaᵢ², ``passes_squares`` Σpᵢ², ``products`` Σaᵢpᵢ. Whole numbers, so the
    variance below is computed without cancellation.
    """

    n: int
    answers: int
    passes: int
    answers_squares: int
    passes_squares: int
    products: int

    def __post_init__(self) -> None:
        _check_counts(n=self.n, passes=self.passes)
        if self.answers < self.n or (self.n == 0 and self.answers) or self.passes > self.answers:
            raise ValueError(
                "every contact has at least one applicable answer and no more passes than answers"
            )

    @classmethod
    def of(cls, contacts: Sequence[tuple[int, int]]) -> ClusterSums:
        """The sums of given (aᵢ, pᵢ) pairs (for tests and small in-memory samples)."""
        return cls(
            n=len(contacts),
            answers=sum(a for a, _ in contacts),
            passes=sum(p for _, p in contacts),
            answers_squares=sum(a * a for a, _ in contacts),
            passes_squares=sum(p * p for _, p in contacts),
            products=sum(a * p for a, p in contacts),
        )


def pooled_share(sums: ClusterSums, confidence: float = 0.95) -> Estimate | None:
    """A pass share pooled over items, as DOMAIN.md ("Pooled shares over items") defines it.

    The answers of one contact move together (a friendly tester is friendly on every item), so
    the contact is the sampling unit: n = contacts, value R = Σp / Σa, and the ratio estimator's
    interval R ± z·√v with v = Σ(pᵢ − R·aᵢ)² / (n·(n − 1)·ā²), clipped to 0…1. With every aᵢ = 1
    the share is an ordinary one and gets its Wilson interval. Counting answers as independent
    cases instead made 6 contacts × 4 items look like n = 24 and "significantly" off target.

    v is computed exactly from the whole-number sums: with A = Σa and P = Σp,
    Σ(pᵢ − R·aᵢ)² · A² = A²·Σp² − 2·A·P·Σap + P²·Σa², and n·(n − 1)·ā² = (n − 1)·A² / n.
    None without contacts; the interval is None for one contact with several answers (no spread
    between contacts can be estimated).
    """
    z = _z(confidence)
    n, answers, passes = sums.n, sums.answers, sums.passes
    if n == 0:
        return None
    value = passes / answers
    if answers == n:
        return Estimate(value, n, wilson_interval(passes, n, confidence))
    if n < 2:
        return Estimate(value, n, None)
    spread = (
        answers * answers * sums.passes_squares
        - 2 * answers * passes * sums.products
        + passes * passes * sums.answers_squares
    )
    variance = max(0, spread) * n / ((n - 1) * answers**4)
    half = z * math.sqrt(variance)
    return Estimate(value, n, _clip(Interval(value - half, value + half), (0.0, 1.0)))


# --- Student's t ----------------------------------------------------------------------------------

_BETACF_EPS = 1e-15
_BETACF_FPMIN = 1e-300
_BETACF_MAXIT = 100_000


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (Numerical Recipes' betacf, modified
    Lentz's method)."""
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _BETACF_FPMIN:
        d = _BETACF_FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, _BETACF_MAXIT + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _BETACF_FPMIN:
            d = _BETACF_FPMIN
        c = 1.0 + aa / c
        if abs(c) < _BETACF_FPMIN:
            c = _BETACF_FPMIN
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _BETACF_FPMIN:
            d = _BETACF_FPMIN
        c = 1.0 + aa / c
        if abs(c) < _BETACF_FPMIN:
            c = _BETACF_FPMIN
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _BETACF_EPS:
            return h
    raise ArithmeticError(f"betacf did not converge for a={a}, b={b}, x={x}")  # pragma: no cover


def _betai(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b) (Numerical Recipes' betai)."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"x must lie in [0, 1], got {x}")
    if x in (0.0, 1.0):
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on this side; use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with ``df`` degrees of freedom (df may be fractional, as Welch's
    df is); infinite df is the standard normal."""
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if math.isinf(df):
        return _STANDARD_NORMAL.cdf(t)
    if t == 0:
        return 0.5
    # P(|T| > |t|) = I_{df / (df + t²)}(df / 2, 1 / 2); written so large |t| does not overflow.
    tail = _betai(df / 2.0, 0.5, 1.0 / (1.0 + (t / math.sqrt(df)) ** 2)) / 2.0
    return 1.0 - tail if t > 0 else tail


#: Above this df the incomplete beta loses digits (1 − x underflows towards 0); there the
#: Cornish–Fisher expansion around the normal quantile is exact to far below 1e-9.
_EXPANSION_DF = 1e5


def _t_quantile_expansion(p: float, df: float) -> float:
    """Cornish–Fisher expansion of the t quantile in powers of 1/df (Abramowitz & Stegun
    26.7.5)."""
    x = _STANDARD_NORMAL.inv_cdf(p)
    g1 = (x**3 + x) / 4
    g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
    g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
    g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


# Cached: a results page asks for the same few degrees of freedom again and again.
@functools.lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """Inverse of the t CDF, found by bisection on the incomplete-beta CDF (accurate to well
    below 1e-6); used for the Student's t and Welch intervals."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p}")
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if math.isinf(df):
        return _STANDARD_NORMAL.inv_cdf(p)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if df > _EXPANSION_DF:
        return _t_quantile_expansion(p, df)
    low, high = 0.0, 2.0
    while _t_cdf(high, df) < p:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if _t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * max(1.0, high):
            break
    return (low + high) / 2.0


# --- means ----------------------------------------------------------------------------------------


def _t_interval(
    mean: float, variance: float, n: int, confidence: float, bounds: Bounds | None
) -> Interval:
    """Student's t interval, clipped to ``bounds``: the one place every mean interval is built."""
    _check_confidence(confidence)
    half = t_quantile((1.0 + confidence) / 2.0, n - 1) * math.sqrt(max(0.0, variance) / n)
    return _clip(Interval(mean - half, mean + half), bounds)


def mean_interval(
    values: Sequence[float], confidence: float = 0.95, bounds: Bounds | None = None
) -> Interval | None:
    """Student's t interval for a mean, clipped to the scale ``bounds``; None below n = 2, where
    no spread can be estimated."""
    _check_confidence(confidence)
    if len(values) < 2:
        return None
    mean = _stats.fmean(values)
    return _t_interval(mean, _stats.variance(values, mean), len(values), confidence, bounds)


def mean_from_counts(
    counts_by_value: Mapping[float, int],
    confidence: float = 0.95,
    bounds: Bounds | None = None,
) -> Estimate | None:
    """Mean with its Student's t interval (clipped to the scale ``bounds``) from how often each
    value occurs, so that the ≤ 11 counts of a scale grouped in SQL give the same estimate as the
    list of all answers would.

    None when there are no answers; the interval is None below n = 2.
    """
    _check_confidence(confidence)
    for count in counts_by_value.values():
        _check_counts(count=count)
    n = sum(counts_by_value.values())
    if n == 0:
        return None
    mean = sum(value * count for value, count in counts_by_value.items()) / n
    interval = None
    if n >= 2:
        squares = sum(count * (value - mean) ** 2 for value, count in counts_by_value.items())
        interval = _t_interval(mean, squares / (n - 1), n, confidence, bounds)
    return Estimate(mean, n, interval)


def welch_difference(
    values1: Sequence[float], values2: Sequence[float], confidence: float = 0.95
) -> Interval | None:
    """Welch's interval for mean1 − mean2 with Welch–Satterthwaite degrees of freedom; it does
    not assume equal variances, which two waves or channels rarely have.

    None when either sample has fewer than 2 values or both variances are 0.
    """
    _check_confidence(confidence)
    n1, n2 = len(values1), len(values2)
    if n1 < 2 or n2 < 2:
        return None
    mean1, mean2 = _stats.fmean(values1), _stats.fmean(values2)
    return _welch(
        mean1,
        _stats.variance(values1, mean1),
        n1,
        mean2,
        _stats.variance(values2, mean2),
        n2,
        confidence,
    )


def _welch(
    mean1: float,
    variance1: float,
    n1: int,
    mean2: float,
    variance2: float,
    n2: int,
    confidence: float,
) -> Interval | None:
    v1, v2 = variance1 / n1, variance2 / n2
    se2 = v1 + v2
    if se2 == 0:
        return None
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    half = t_quantile((1.0 + confidence) / 2.0, df) * math.sqrt(se2)
    d = mean1 - mean2
    return Interval(d - half, d + half)


# --- means from SQL aggregates --------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """n, Σx and Σx² of a sample: what SQL aggregates in one pass (``COUNT(x)``, ``SUM(x)``,
    ``SUM(x * x)``), so a mean and its interval need no rows in Python.

    The variance is (Σx² − (Σx)² / n) / (n − 1). That subtraction loses digits when the spread
    is tiny against the values themselves; a result within the rounding error of Σx² is taken
    as 0 (all values equal), never as a small negative or noise-sized positive number. Fine for
    scores (0–100) and response times in seconds; not for values agreeing to ten digits.
    """

    n: int
    total: float
    total_squares: float

    def __post_init__(self) -> None:
        _check_counts(n=self.n)
        if self.total_squares < 0 or math.isnan(self.total) or math.isnan(self.total_squares):
            raise ValueError("Σx² must be a number of at least 0")

    @classmethod
    def of(cls, values: Sequence[float]) -> Moments:
        """The moments of given values (for tests and small in-memory samples)."""
        return cls(len(values), math.fsum(values), math.fsum(v * v for v in values))

    @property
    def mean(self) -> float | None:
        """Σx / n; None for no values."""
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """The sample variance (n − 1 in the denominator); None below n = 2."""
        return None if self.n < 2 else self._sample_variance()

    def _sample_variance(self) -> float:
        squares = self.total_squares - self.total * self.total / self.n
        if squares <= 8 * self.n * sys.float_info.epsilon * self.total_squares:
            return 0.0
        return squares / (self.n - 1)


def moments_mean(
    moments: Moments, confidence: float = 0.95, bounds: Bounds | None = None
) -> Estimate | None:
    """The mean with its Student's t interval (as :func:`mean_interval`, clipped to the scale
    ``bounds``) from SQL aggregates.

    None for no values; the interval is None below n = 2.
    """
    _check_confidence(confidence)
    mean, variance = moments.mean, moments.variance
    if mean is None:
        return None
    interval = (
        None if variance is None else _t_interval(mean, variance, moments.n, confidence, bounds)
    )
    return Estimate(mean, moments.n, interval)


def welch_difference_from_moments(
    moments1: Moments, moments2: Moments, confidence: float = 0.95
) -> Interval | None:
    """Welch's interval for mean1 − mean2 (as :func:`welch_difference`) from SQL aggregates.

    None when either sample has fewer than 2 values or both variances are 0.
    """
    _check_confidence(confidence)
    if moments1.n < 2 or moments2.n < 2:
        return None
    return _welch(
        moments1.total / moments1.n,
        moments1._sample_variance(),
        moments1.n,
        moments2.total / moments2.n,
        moments2._sample_variance(),
        moments2.n,
        confidence,
    )


# --- survey figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A point value with its n and interval: what every share or mean is shown as."""

    value: float
    n: int
    interval: Interval | None

    def against(self, target: float | None, higher_is_better: bool = True) -> Figure:
        """The estimate set next to its target (Soll)."""
        return Figure(self.value, self.n, self.interval, target, higher_is_better)


#: DOMAIN.md NPS: promoters answer 9–10, detractors 0–6 (passives 7–8).
PROMOTER_MIN, DETRACTOR_MAX = 9, 6


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """Net Promoter Score: % promoters (9–10) − % detractors (0–6), in −100…+100.

    None when there are no answers.
    """
    _check_counts(promoters=promoters, passives=passives, detractors=detractors)
    n = promoters + passives + detractors
    if n == 0:
        return None
    return 100.0 * (promoters - detractors) / n


def nps_interval(
    promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> Interval | None:
    """Normal interval for NPS from its trinomial variance (p + d − (p − d)²) / n, in NPS points
    and clipped to [−100, 100]; NPS is a difference of two shares of one sample, so neither a
    Wilson nor a two-sample interval fits. None when there are no answers."""
    z = _z(confidence)
    score = nps(promoters, passives, detractors)
    if score is None:
        return None
    n = promoters + passives + detractors
    p, d = promoters / n, detractors / n
    variance = max(0.0, (p + d - (p - d) ** 2) / n)
    half = 100.0 * z * math.sqrt(variance)
    return _clip(Interval(score - half, score + half), NPS_SCALE)


@dataclass(frozen=True)
class Csat:
    """CSAT as DOMAIN.md defines it: the share of 4s and 5s (the headline), plus the mean."""

    share: Estimate
    mean: Estimate

    @property
    def n(self) -> int:
        """Number of answers."""
        return self.share.n


def csat(counts_by_answer: Mapping[int, int], confidence: float = 0.95) -> Csat | None:
    """CSAT from the number of answers per scale point 1–5: share of 4 or 5 (Wilson interval) and
    mean (Student's t interval clipped to 1–5). None when there are no answers."""
    _check_confidence(confidence)
    for answer, count in counts_by_answer.items():
        if answer not in range(1, 6):
            raise ValueError(f"CSAT answers lie on 1–5, got {answer}")
        _check_counts(count=count)
    n = sum(counts_by_answer.values())
    if n == 0:
        return None
    satisfied = counts_by_answer.get(4, 0) + counts_by_answer.get(5, 0)
    mean = mean_from_counts(counts_by_answer, confidence, CSAT_SCALE)
    if mean is None:  # pragma: no cover  (n > 0 here)
        return None
    return Csat(
        share=Estimate(satisfied / n, n, wilson_interval(satisfied, n, confidence)), mean=mean
    )


def ces_mean(values: Sequence[float], confidence: float = 0.95) -> Estimate | None:
    """Customer Effort Score: mean agreement on 1–7 (higher is better) with its t interval,
    clipped to 1–7. None when there are no answers.
    """
    for value in values:
        if not 1 <= value <= 7:
            raise ValueError(f"CES answers lie on 1–7, got {value}")
    if not values:
        return None
    return Estimate(_stats.fmean(values), len(values), mean_interval(values, confidence, CES_SCALE))


def ces_from_counts(
    counts_by_answer: Mapping[int, int], confidence: float = 0.95
) -> Estimate | None:
    """CES from the number of answers per scale point 1–7 (what a GROUP BY returns); the same
    estimate as ``ces_mean`` over the expanded answers. None when there are no answers."""
    for answer in counts_by_answer:
        if answer not in range(1, 8):
            raise ValueError(f"CES answers lie on 1–7, got {answer}")
    return mean_from_counts(counts_by_answer, confidence, CES_SCALE)


def nps_estimate(
    promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> Estimate | None:
    """NPS with its n and trinomial interval in one Estimate. None when there are no answers."""
    score = nps(promoters, passives, detractors)
    if score is None:
        return None
    return Estimate(
        score,
        promoters + passives + detractors,
        nps_interval(promoters, passives, detractors, confidence),
    )


def share_estimate(successes: int, n: int, confidence: float = 0.95) -> Estimate | None:
    """A share with its n and Wilson interval in one Estimate (e.g. the survey response rate).

    None when n == 0."""
    interval = wilson_interval(successes, n, confidence)
    if interval is None:
        return None
    return Estimate(successes / n, n, interval)


# --- order statistics -----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    """The middle value; the mean of the two middle ones for even n. None for no values."""
    if not values:
        return None
    return float(_stats.median(values))


def p90(values: Sequence[float]) -> float | None:
    """90th percentile by linear interpolation between closest ranks, as PostgreSQL's
    ``percentile_cont(0.9)``; a single value is its own p90. None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(_stats.quantiles(values, n=10, method="inclusive")[8])


# --- figures against targets ----------------------------------------------------------------------


class Verdict(enum.Enum):
    """How a figure stands against its target (DOMAIN.md "Uncertainty"), the one vocabulary of
    every table: better/worse rather than above/below, so a ceiling such as an FRT median reads
    the same way as a floor."""

    NO_TARGET = "no_target"
    SIGNIFICANTLY_BETTER = "significantly_better"
    MEETS = "meets"
    #: The point value misses, but the 95 % interval still reaches the target: within the noise,
    #: so never a SWOT weakness.
    MISSES = "misses"
    SIGNIFICANTLY_WORSE = "significantly_worse"


def verdict(
    meets_target: bool | None,
    significantly_above: bool,
    significantly_below: bool,
    higher_is_better: bool = True,
) -> Verdict:
    """The verdict from a figure's flags (a ``Figure``'s, or those a snapshot stored): a figure
    **meets** its target when its point value does, and is **significantly** better (worse)
    when its whole interval lies on the good (bad) side."""
    better, worse = (
        (significantly_above, significantly_below)
        if higher_is_better
        else (significantly_below, significantly_above)
    )
    if meets_target is None:
        return Verdict.NO_TARGET
    if worse:
        return Verdict.SIGNIFICANTLY_WORSE
    if better:
        return Verdict.SIGNIFICANTLY_BETTER
    return Verdict.MEETS if meets_target else Verdict.MISSES


def verdict_of(figure: Mapping[str, Any] | None) -> Verdict:
    """The verdict of a figure stored as JSON (``reports.snapshot.figure_json``): its stored
    ``verdict``, or, for one stored before verdicts were, the same verdict from its stored flags.
    No figure has no target."""
    if not figure:
        return Verdict.NO_TARGET
    if figure.get("verdict"):
        return Verdict(figure["verdict"])
    return verdict(
        None if figure.get("target") is None else figure.get("meets_target"),
        bool(figure.get("significantly_above_target")),
        bool(figure.get("significantly_below_target")),
        figure.get("higher_is_better", True),
    )


@dataclass(frozen=True)
class Figure:
    """A figure next to its target (Soll), with the flags the reports and the SWOT rely on.

    ``higher_is_better`` is False for figures like FRT medians, where the target is a ceiling.
    """

    value: float
    n: int
    interval: Interval | None
    target: float | None
    higher_is_better: bool = True

    @property
    def small_sample(self) -> bool:
        """Fewer than 30 cases: shown, but not ranked and no SWOT strength or weakness."""
        return self.n < SMALL_SAMPLE_N

    @property
    def meets_target(self) -> bool | None:
        """Whether the point value meets the target in the right direction; None without one."""
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target

    @property
    def significantly_above_target(self) -> bool:
        """The whole interval lies above the target (better only if higher is better)."""
        if self.interval is None or self.target is None:
            return False
        return self.interval.low > self.target

    @property
    def significantly_below_target(self) -> bool:
        """The whole interval lies below the target (better only if lower is better)."""
        if self.interval is None or self.target is None:
            return False
        return self.interval.high < self.target

    @property
    def significantly_better(self) -> bool:
        """Significantly on the good side of the target, whichever direction that is."""
        if self.higher_is_better:
            return self.significantly_above_target
        return self.significantly_below_target

    @property
    def significantly_worse(self) -> bool:
        """Significantly on the bad side of the target, whichever direction that is."""
        if self.higher_is_better:
            return self.significantly_below_target
        return self.significantly_above_target

    @property
    def verdict(self) -> Verdict:
        """How the figure stands against its target (see :func:`verdict`)."""
        return verdict(
            self.meets_target,
            self.significantly_above_target,
            self.significantly_below_target,
            self.higher_is_better,
        )


def differs(interval: Interval | None) -> bool:
    """Two figures differ only when the interval of their difference excludes zero."""
    return interval is not None and (interval.low > 0 or interval.high < 0)
