"""Inter-rater agreement: Krippendorff's worked examples, hand-computed cases, properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits.evaluations.agreement import (
    LEVELS,
    coincidence_matrix,
    item_alphas,
    krippendorff_alpha,
    overall_alpha,
    pairable_count,
    percent_agreement,
)

_ = None  # a missing value ("*" in the paper)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four coders
# (rows) × twelve units (columns), values 1–5, "*" missing.
CODER_A = [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _]
CODER_B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3]
CODER_C = [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _]
CODER_D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _]
PAPER = {
    unit: [a, b, c, d]
    for unit, (a, b, c, d) in enumerate(zip(CODER_A, CODER_B, CODER_C, CODER_D, strict=True), 1)
}


def by_unit(*coders: list) -> dict[int, list]:
    """Reliability data from one list of values per coder."""
    return {unit: list(values) for unit, values in enumerate(zip(*coders, strict=True), 1)}


# --- Krippendorff's worked examples ---------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_paper_example_alphas(level: str, expected: float) -> None:
    assert round(krippendorff_alpha(PAPER, level), 3) == expected


def test_paper_example_nominal_alpha_exactly() -> None:
    # n = 40 pairable values (unit 12 has one value only); n_c = 9, 13, 10, 5, 3 for 1…5.
    # Disagreeing ordered pairs, each divided by m_u − 1: unit 2 (2,2,3,2): 6/3 = 2;
    # unit 6 (1,2,3,4): 12/3 = 4; unit 8 (1,1,2,1): 6/3 = 2; together 8.
    # alpha = 1 − (n − 1)·8 / (n² − Σ n_c²) = 1 − 39·8 / (1600 − 384) = 904/1216.
    assert pairable_count(PAPER) == 40
    assert krippendorff_alpha(PAPER, "nominal") == pytest.approx(904 / 1216, abs=1e-12)
    # The exact fractions of the other levels (the paper's 0.815 and 0.849 rounded).
    assert krippendorff_alpha(PAPER, "ordinal") == pytest.approx(108577 / 133160, abs=1e-12)
    assert krippendorff_alpha(PAPER, "interval") == pytest.approx(951 / 1120, abs=1e-12)


def test_paper_example_coincidence_matrix() -> None:
    third = 1 / 3
    expected = {
        1: {1: 7, 2: 4 * third, 3: third, 4: third},
        2: {1: 4 * third, 2: 10, 3: 4 * third, 4: third},
        3: {1: third, 2: 4 * third, 3: 8, 4: third},
        4: {1: third, 2: third, 3: third, 4: 4},
        5: {5: 3},
    }
    matrix = coincidence_matrix(PAPER)
    assert matrix.keys() == expected.keys()
    for c, row in expected.items():
        assert matrix[c] == pytest.approx(row, abs=1e-12)
    assert {c: sum(row.values()) for c, row in matrix.items()} == pytest.approx(
        {1: 9, 2: 13, 3: 10, 4: 5, 5: 3}
    )


def test_paper_binary_example_two_observers() -> None:
    # Krippendorff (2011), section A: binary data, two observers, no missing values.
    # n = 20, n_0 = 14, n_1 = 6; units 1, 3, 6 and 9 disagree, so o_01 = 4.
    # alpha = 1 − (n − 1)·o_01 / (n_0·n_1) = 1 − 19·4 / 84 = 0.095.
    units = by_unit([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0])
    assert krippendorff_alpha(units, "nominal") == pytest.approx(1 - 76 / 84, abs=1e-12)
    assert round(krippendorff_alpha(units, "nominal"), 3) == 0.095


# --- hand-computed cases --------------------------------------------------------------------

# Two reviewers answer a yes/no item ("greeting by name") on ten contacts:
#   contact:    1  2  3  4  5  6  7  8  9  10
#   reviewer 1: y  y  n  n  y  n  y  y  n  y
#   reviewer 2: y  n  n  n  y  n  y  y  y  y
# Percent agreement: contacts 2 and 9 differ, 8 of 10 pairs agree = 0.8.
# Alpha: n = 20 values, n_yes = 6 + 6 = 12, n_no = 4 + 4 = 8. Each differing contact adds 1
# to o_yes,no and 1 to o_no,yes (one ordered pair each way, divided by m_u − 1 = 1), so
# o_yes,no = 2. D_o = 2·2/20, D_e = 2·12·8/(20·19), and
# alpha = 1 − (n − 1)·o_yes,no / (n_yes·n_no) = 1 − 19·2/96 = 58/96 = 0.6041…
YES_NO = by_unit(list("yynnynyyny"), list("ynnnynyyyy"))


def test_two_reviewers_yes_no_by_hand() -> None:
    assert percent_agreement(YES_NO) == 0.8
    assert krippendorff_alpha(YES_NO, "nominal") == pytest.approx(58 / 96, abs=1e-12)
    # Coded as booleans or as 1/0 instead of letters: the same.
    as_bools = {unit: [v == "y" for v in values] for unit, values in YES_NO.items()}
    assert krippendorff_alpha(as_bools, "nominal") == pytest.approx(58 / 96, abs=1e-12)


def test_paper_example_percent_agreement_by_hand() -> None:
    # Pairs per unit m(m−1)/2 and agreeing pairs (unit 12 has one value and is ignored):
    # u1 (1,1,1) 3/3, u2 (2,2,3,2) 3/6, u3 6/6, u4 6/6, u5 6/6, u6 (1,2,3,4) 0/6, u7 6/6,
    # u8 (1,1,2,1) 3/6, u9 6/6, u10 (5,5,5) 3/3, u11 (1,1) 1/1 → 43 of 55 pairs.
    assert percent_agreement(PAPER) == pytest.approx(43 / 55)


def test_percent_agreement_ignores_missing_and_single_values() -> None:
    units = {"a": ["y", "y", None], "b": ["y", None, None], "c": [None, "n", "y"], "d": []}
    assert percent_agreement(units) == 0.5  # a: 1 of 1, c: 0 of 1
    assert percent_agreement({"a": ["y"], "b": [None, "n"]}) is None
    assert percent_agreement({}) is None


@pytest.mark.parametrize("level", LEVELS)
def test_perfect_agreement_is_one(level: str) -> None:
    units = by_unit([1, 2, 3, 4, 5, 3], [1, 2, 3, 4, 5, 3], [1, 2, _, 4, 5, 3])
    assert krippendorff_alpha(units, level) == 1.0
    assert percent_agreement(units) == 1.0


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_is_undefined_without_variation_or_pairs(level: str) -> None:
    # All coders gave the same value everywhere: perfect agreement, but nothing distinguished.
    assert krippendorff_alpha(by_unit([4, 4, 4], [4, 4, _]), level) is None
    # Fewer than two pairable values.
    assert krippendorff_alpha({"a": [3, None], "b": [None, 5]}, level) is None
    assert krippendorff_alpha({}, level) is None
    # A value only in a unit without a partner does not count as variation.
    assert krippendorff_alpha({"a": [2, 2], "b": [5, None]}, level) is None


def test_systematic_disagreement_is_negative() -> None:
    units = by_unit(["y", "n", "y", "n"], ["n", "y", "n", "y"])
    assert krippendorff_alpha(units, "nominal") < 0
    assert percent_agreement(units) == 0.0


def test_ordinal_and_interval_give_partial_credit_for_near_misses() -> None:
    # Scale 1–5: the coders are always one step apart on a wide spread of values.
    near = by_unit([1, 2, 3, 4, 5, 1, 5], [2, 3, 4, 5, 4, 2, 4])
    assert percent_agreement(near) == 0.0
    assert krippendorff_alpha(near, "nominal") < 0
    assert krippendorff_alpha(near, "ordinal") > 0.5
    assert krippendorff_alpha(near, "interval") > 0.5


def test_invalid_level_or_values() -> None:
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(PAPER, "cardinal")
    with pytest.raises(ValueError, match="numbers"):
        krippendorff_alpha(YES_NO, "interval")
    with pytest.raises(ValueError, match="ordered"):
        krippendorff_alpha({"a": ["y", 1], "b": [2, 2]}, "ordinal")


# --- combining items ------------------------------------------------------------------------


def test_overall_alpha_is_the_mean_weighted_by_pairable_values() -> None:
    items = {
        "scale": (PAPER, "nominal"),  # n = 40, alpha = 113/152
        "greeting": (YES_NO, "nominal"),  # n = 20, alpha = 29/48
        "minutes": (PAPER, "interval"),  # n = 40, alpha = 951/1120
        "closing": (by_unit(["y"] * 5, ["y"] * 5), "nominal"),  # no variation: undefined
    }
    # (40·113/152 + 20·29/48 + 40·951/1120) / 100 = 15119/19950
    assert overall_alpha(items) == pytest.approx(15119 / 19950, abs=1e-12)
    alphas = item_alphas(items)
    assert alphas["closing"] is None
    assert alphas["greeting"] == pytest.approx(29 / 48)
    assert min(a for a in alphas.values() if a is not None) == alphas["greeting"]


def test_overall_alpha_of_nothing_defined_is_none() -> None:
    assert overall_alpha({}) is None
    assert overall_alpha({"closing": (by_unit(["y"] * 3, ["y"] * 3), "nominal")}) is None


# --- properties -----------------------------------------------------------------------------

SCALE = st.one_of(st.none(), st.integers(1, 5))
RELIABILITY_DATA = st.lists(st.lists(SCALE, min_size=2, max_size=5), max_size=25).map(
    lambda rows: dict(enumerate(rows))
)


@given(RELIABILITY_DATA)
def test_alpha_at_most_one_and_percent_agreement_a_share(units: dict) -> None:
    for level in LEVELS:
        alpha = krippendorff_alpha(units, level)
        assert alpha is None or alpha <= 1 + 1e-12
    share = percent_agreement(units)
    assert share is None or 0 <= share <= 1


@given(RELIABILITY_DATA, st.permutations([1, 2, 3, 4, 5]), st.randoms())
def test_nominal_alpha_ignores_labels_and_coder_order(units: dict, labels: list, rng) -> None:
    relabelled = {
        u: [None if v is None else labels[v - 1] for v in values] for u, values in units.items()
    }
    shuffled = {u: rng.sample(values, len(values)) for u, values in units.items()}
    alpha = krippendorff_alpha(units, "nominal")
    for other in (relabelled, shuffled):
        other_alpha = krippendorff_alpha(other, "nominal")
        assert (alpha is None) == (other_alpha is None)
        if alpha is not None:
            assert other_alpha == pytest.approx(alpha, abs=1e-9)


@given(RELIABILITY_DATA, st.integers(-100, 100), st.integers(1, 7))
def test_interval_alpha_ignores_linear_rescaling(units: dict, shift: int, factor: int) -> None:
    rescaled = {
        u: [None if v is None else v * factor + shift for v in values]
        for u, values in units.items()
    }
    alpha = krippendorff_alpha(units, "interval")
    if alpha is None:
        assert krippendorff_alpha(rescaled, "interval") is None
    else:
        assert krippendorff_alpha(rescaled, "interval") == pytest.approx(alpha, abs=1e-9)
        # Ordinal alpha only sees the rank order, which a positive factor keeps.
        assert krippendorff_alpha(rescaled, "ordinal") == pytest.approx(
            krippendorff_alpha(units, "ordinal"), abs=1e-9
        )


# --- cross-check with the reference implementation (PyPI "krippendorff"), when installed -----


def _reference_alpha(units: dict, level: str) -> float:
    krippendorff = pytest.importorskip("krippendorff")
    numpy = pytest.importorskip("numpy")
    coders = max(len(values) for values in units.values())
    matrix = [
        [
            math.nan if i >= len(values) or values[i] is None else float(values[i])
            for values in units.values()
        ]
        for i in range(coders)
    ]
    return float(
        krippendorff.alpha(
            reliability_data=numpy.array(matrix, dtype=float), level_of_measurement=level
        )
    )


@pytest.mark.parametrize("level", LEVELS)
def test_paper_example_matches_reference_implementation(level: str) -> None:
    assert krippendorff_alpha(PAPER, level) == pytest.approx(
        _reference_alpha(PAPER, level), abs=1e-9
    )


@given(RELIABILITY_DATA)
def test_random_data_match_reference_implementation(units: dict) -> None:
    for level in LEVELS:
        alpha = krippendorff_alpha(units, level)
        if alpha is not None:
            assert alpha == pytest.approx(_reference_alpha(units, level), abs=1e-9)
