"""The figures of a report as one JSON document: what the page, the PDF, the XLSX and the API
all read, and what publishing stores, so that every output of a report shows the same numbers.

``build_snapshot`` computes a scope's figures (reports/analysis.py, reports/methods.py) and its
SWOT (reports/swot.py) and turns them into plain JSON: dataclasses become objects, enums their
values, dates ISO strings, mappings with other than string keys lists of their values, and every
``qcrm.statistics.Figure`` an object that also carries its derived verdicts (meets its target,
significantly above/below it, small sample, and the ``verdict`` every table shows), so a reader
never recomputes a statistic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from audits.mystery.models import Wave
from audits.mystery.waves import previous_comparable_wave
from qcrm.extensions import db
from qcrm.statistics import Figure, Interval
from reports.analysis import ReportScope, compare_waves, mystery_figures
from reports.methods import method_disagreements, method_matrix, survey_figures
from reports.swot import Finding, Quadrant, Rule, Subject, Unit, channel_facts, swot

#: Raised when the document's shape changes, so that stored snapshots can be told apart.
VERSION = 1


def figure_json(figure: Figure) -> dict[str, Any]:
    """A figure with its n, interval, target and the verdicts the report shows."""
    return {
        "value": figure.value,
        "n": figure.n,
        "low": figure.interval.low if figure.interval else None,
        "high": figure.interval.high if figure.interval else None,
        "target": figure.target,
        "higher_is_better": figure.higher_is_better,
        "meets_target": figure.meets_target,
        "significantly_above_target": figure.significantly_above_target,
        "significantly_below_target": figure.significantly_below_target,
        "small_sample": figure.small_sample,
        "verdict": figure.verdict.value,
    }


def to_json(value: Any) -> Any:
    """Plain JSON of the analysis' result types (see the module docstring)."""
    if isinstance(value, Figure):
        return figure_json(value)
    if isinstance(value, Interval):
        return {"low": value.low, "high": value.high}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if all(isinstance(key, str) for key in value):
            return {key: to_json(item) for key, item in value.items()}
        if all(isinstance(key, int | enum.Enum) for key in value):
            return {str(to_json(key)): to_json(item) for key, item in value.items()}
        return [to_json(item) for item in value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__}")


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    """A stored finding back as the rule produced it (to write its sentence in any language)."""
    interval = data.get("interval")
    return Finding(
        quadrant=Quadrant(data["quadrant"]),
        rule=Rule(data["rule"]),
        subject=Subject(data["subject"]),
        figure=data.get("figure"),
        n=data["n"],
        target=data.get("target"),
        unit=Unit(data["unit"]),
        interval=tuple(interval) if interval is not None else None,  # type: ignore[arg-type]
        higher_is_better=data.get("higher_is_better", True),
        params=data.get("params") or {},
        link=data.get("link") or {},
    )


def scope_json(scope: ReportScope) -> dict[str, Any]:
    return to_json(scope)


def scope_from_json(data: Mapping[str, Any]) -> ReportScope:
    period = data.get("period")
    return ReportScope(
        client_id=data["client_id"],
        wave_ids=tuple(data.get("wave_ids") or ()),
        period=(dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1]))
        if period
        else None,
        channel_ids=tuple(data.get("channel_ids") or ()),
    )


class ComparisonBasis(enum.Enum):
    """What a snapshot's change figures are measured against."""

    #: The previous comparable wave (DOMAIN.md), found by the rule.
    PREVIOUS_COMPARABLE = "previous_comparable"
    #: A closed wave of the client a manager picked on the draft.
    CHOSEN = "chosen"
    #: A manager chose to compare with nothing.
    NONE = "none"
    #: The rule found no wave to compare with (or the scope is not one wave).
    NO_PREVIOUS = "no_previous"


def comparison_wave(
    scope: ReportScope, chosen_wave_id: int | None = None, no_comparison: bool = False
) -> tuple[int | None, ComparisonBasis]:
    """The wave a scope's change is measured against, and why that one.

    A manager's choice wins (another closed wave of the client, or none); otherwise a scope of
    exactly one wave is compared with its previous comparable wave — the one rule the wave page,
    the dashboard and the report share (``audits.waves.previous_comparable_wave``).
    """
    if no_comparison:
        return None, ComparisonBasis.NONE
    if chosen_wave_id is not None:
        return chosen_wave_id, ComparisonBasis.CHOSEN
    if len(scope.wave_ids) == 1:
        wave = db.session.get(Wave, scope.wave_ids[0])
        previous = previous_comparable_wave(wave) if wave is not None else None
        if previous is not None:
            return previous.id, ComparisonBasis.PREVIOUS_COMPARABLE
    return None, ComparisonBasis.NO_PREVIOUS


def build_snapshot(
    scope: ReportScope,
    now: dt.datetime,
    comparison: tuple[int | None, ComparisonBasis] | None = None,
) -> dict[str, Any]:
    """Every figure of a scope and its generated SWOT, as JSON.

    ``comparison`` is the wave to compare with and why (see :func:`comparison_wave`; by
    default the rule's choice); it is compared over the same channels.
    """
    previous_id, basis = comparison or comparison_wave(scope)
    mystery = mystery_figures(scope)
    survey = survey_figures(scope)
    matrix = method_matrix(mystery, survey)
    disagreements = method_disagreements(matrix)
    previous_scope = None
    comparison_figures = None
    if previous_id is not None:
        previous_scope = ReportScope(
            client_id=scope.client_id, wave_ids=(previous_id,), channel_ids=scope.channel_ids
        )
        comparison_figures = compare_waves(previous_scope, scope)
    findings = swot(
        mystery,
        comparison_figures,
        matrix,
        disagreements,
        channel_facts(scope),
        survey,
        previous_scope,
    )
    return {
        "version": VERSION,
        "generated_at": now.isoformat(),
        "scope": scope_json(scope),
        "previous_scope": scope_json(previous_scope) if previous_scope else None,
        "comparison_basis": basis.value,
        "mystery": to_json(mystery),
        "survey": to_json(survey),
        "matrix": {
            "columns": to_json(matrix.columns),
            "rows": to_json(matrix.rows),
            "cells": to_json(list(matrix.cells.values())),
            "methods_used": to_json(matrix.methods_used),
            "too_few_methods": matrix.too_few_methods,
            "mystery_overall": to_json(matrix.mystery_overall),
            "survey_ids": list(matrix.survey_ids),
        },
        "disagreements": to_json(disagreements),
        "comparison": to_json(comparison_figures),
        "swot": to_json(findings),
    }
