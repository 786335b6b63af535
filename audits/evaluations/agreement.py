"""Inter-rater agreement for calibration: several reviewers score the same contacts independently.

Pure functions over plain data (no database). The data of one scorecard item are its
*reliability data*: a mapping unit (contact id) → the values the coders gave it, one per coder,
``None`` where a coder gave none (missing, or "not applicable"). The order of the values in a
unit does not matter. Only *pairable* values count: those of units with at least two values.

- :func:`percent_agreement`: the share of coder pairs within units that gave the same value.
  Easy to read, but not corrected for chance (two coders ticking "yes" 95 % of the time agree
  on about 90 % of the contacts by chance alone).
- :func:`krippendorff_alpha`: Krippendorff's alpha, chance-corrected, for any number of coders
  and missing values, at the item's level of measurement: ``"nominal"`` (yes/no, categories),
  ``"ordinal"`` (scale 1–5), ``"interval"`` (numbers, durations) and ``"ratio"``. Computed
  from the coincidence matrix as in K. Krippendorff (2011), "Computing Krippendorff's
  Alpha-Reliability", Annenberg School for Communication, University of Pennsylvania:

      alpha = 1 − D_o / D_e = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck

  where o_ck = Σ_u (number of ordered pairs of values (c, k) from different coders in unit u)
  / (m_u − 1), m_u is the number of values in unit u, n_c = Σ_k o_ck, n = Σ_c n_c, and δ² is the
  level's difference function. 1 is perfect agreement, 0 is agreement at chance level, below 0
  is systematic disagreement. Krippendorff suggests relying on variables with alpha ≥ 0.800 and
  drawing only tentative conclusions from those with 0.667 ≤ alpha < 0.800.
- :func:`overall_alpha`: one summary over several items (see there for how it combines them),
  with :func:`item_alphas` giving the per-item values it summarises.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from numbers import Real
from typing import Any, Literal

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

#: unit (contact id) → the coders' values for it, None where a coder gave none
Units = Mapping[Hashable, Sequence[Any]]
#: value c → value k → o_ck
CoincidenceMatrix = dict[Any, dict[Any, float]]


def pairable_units(units: Units) -> list[list[Any]]:
    """The units' non-missing values, for the units with at least two of them."""
    result = []
    for values in units.values():
        present = [value for value in values if value is not None]
        if len(present) >= 2:
            result.append(present)
    return result


def pairable_count(units: Units) -> int:
    """n: how many values the reliability data have that can be paired within their unit."""
    return sum(len(values) for values in pairable_units(units))


def percent_agreement(units: Units) -> float | None:
    """Share of coder pairs within units that gave the same value (0 … 1).

    Every unit with m ≥ 2 values has m·(m − 1)/2 pairs of coders; the result is the agreeing
    pairs over all such pairs, pooled over the units (so a unit scored by four coders weighs
    six pairs, one scored by two coders one pair). Values agree when they are equal; there is
    no partial credit for neighbouring scale points (alpha's ordinal and interval levels give
    that). Units with fewer than two values are ignored; None when no unit has two.
    """
    pairs = agreeing = 0
    for values in pairable_units(units):
        m = len(values)
        pairs += m * (m - 1) // 2
        agreeing += sum(count * (count - 1) // 2 for count in Counter(values).values())
    return agreeing / pairs if pairs else None


def coincidence_matrix(units: Units) -> CoincidenceMatrix:
    """The coincidence matrix o_ck of the pairable values (symmetric; Σ_k o_ck = n_c)."""
    matrix: CoincidenceMatrix = {}
    for values in pairable_units(units):
        counts = Counter(values)
        weight = 1 / (len(values) - 1)
        for c, count_c in counts.items():
            row = matrix.setdefault(c, {})
            for k, count_k in counts.items():
                pairs = count_c * (count_k - 1 if c == k else count_k)
                if pairs:
                    row[k] = row.get(k, 0.0) + pairs * weight
    return matrix


def _check_numbers(values: Sequence[Any], level: str) -> None:
    for value in values:
        if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{level} alpha needs finite numbers, got {value!r}")


def _difference(level: str, marginals: Mapping[Any, float]) -> Callable[[Any, Any], float]:
    """The squared difference function δ²(c, k) of the level of measurement."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        _check_numbers(list(marginals), level)
        return lambda c, k: float(c - k) ** 2
    if level == "ratio":
        _check_numbers(list(marginals), level)
        return lambda c, k: 0.0 if c == k else ((c - k) / (c + k)) ** 2
    if level == "ordinal":
        # δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)², over the values in rank order.
        try:
            ranked = sorted(marginals)
        except TypeError as error:
            raise ValueError("ordinal alpha needs values that can be ordered") from error
        cumulative: dict[Any, float] = {}
        running = 0.0
        for value in ranked:
            running += marginals[value]
            cumulative[value] = running  # Σ n_g for g ≤ value

        def ordinal(c: Any, k: Any) -> float:
            low, high = (c, k) if cumulative[c] <= cumulative[k] else (k, c)
            between = cumulative[high] - cumulative[low] + marginals[low]
            return (between - (marginals[c] + marginals[k]) / 2) ** 2

        return ordinal
    raise ValueError(f"Unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}")


def krippendorff_alpha(units: Units, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha of one item's reliability data at its level of measurement.

    ``level``: "nominal" (yes/no and categories: values only equal or not), "ordinal" (ranks,
    e.g. a 1–5 scale: differences measured by how many values lie between), "interval"
    (numbers: squared difference) or "ratio" (numbers ≥ 0: ((c − k)/(c + k))²).

    Returns None when alpha is undefined: fewer than two pairable values (no unit has two
    values), or no variation at all among the pairable values (every coder gave the same value
    to every unit; expected disagreement D_e is 0, and Krippendorff defines alpha as undefined
    then — the data cannot show that coders distinguish anything, even if they agree
    perfectly). Raises ValueError for an unknown level, non-numbers at interval/ratio level or
    unorderable values at ordinal level.
    """
    if level not in LEVELS:
        raise ValueError(f"Unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}")
    matrix = coincidence_matrix(units)
    marginals = {value: math.fsum(row.values()) for value, row in matrix.items()}
    n = math.fsum(marginals.values())
    if n < 2 or len(marginals) < 2:
        return None
    delta = _difference(level, marginals)
    observed = math.fsum(o * delta(c, k) for c, row in matrix.items() for k, o in row.items())
    expected = math.fsum(
        n_c * n_k * delta(c, k) for c, n_c in marginals.items() for k, n_k in marginals.items()
    )
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def item_alphas(items: Mapping[Hashable, tuple[Units, Level]]) -> dict[Hashable, float | None]:
    """Alpha of each item: item id → (units, level) gives item id → alpha or None."""
    return {item: krippendorff_alpha(units, level) for item, (units, level) in items.items()}


def overall_alpha(items: Mapping[Hashable, tuple[Units, Level]]) -> float | None:
    """One summary alpha over a scorecard's items: the mean of the item alphas, weighted by n.

    ``items``: item id → (units, level), each item at its own level of measurement. The result
    is Σ_i n_i · alpha_i / Σ_i n_i over the items whose alpha is defined, where n_i is the
    item's number of pairable values; None when no item has a defined alpha.

    Why a mean of item alphas and not one alpha over pooled data:
    - items at different levels have different, incommensurable difference functions (a yes/no
      mismatch, a step on a 1–5 scale, a gap of 90 seconds), so their disagreements cannot be
      added up into one D_o and one D_e;
    - even items of one level should not be pooled into one data set: the pooled expected
      disagreement would mix the items' different value distributions (an item nearly always
      "yes" next to one nearly always "no"), count that between-item difference as chance
      disagreement and inflate alpha;
    - each item alpha is already chance-corrected on the same 0-at-chance, 1-at-perfect scale, so
      their mean reads as "the typical item's reliability".
    Weighting by pairable values lets an item scored on few contacts (mostly not applicable),
    whose alpha is unstable, move the summary less than one scored on all of them.

    Items with undefined alpha (no variation, or nothing to pair) are left out: they carry no
    evidence either way. A mean can hide one unreliable item, so show :func:`item_alphas` next
    to it and judge whether the scorecard can be relied on by its weakest item.
    """
    weighted = []
    for units, level in items.values():
        alpha = krippendorff_alpha(units, level)
        if alpha is not None:
            weighted.append((pairable_count(units), alpha))
    total = sum(n for n, _alpha in weighted)
    if not total:
        return None
    return math.fsum(n * alpha for n, alpha in weighted) / total
