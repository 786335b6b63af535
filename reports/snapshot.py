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

from qcrm.statistics import Figure, Interval
from reports.analysis import (
    ReportScope,
    compare_waves,
    mystery_figures,
    previous_comparable_wave,
)
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


def build_snapshot(scope: ReportScope, now: dt.datetime) -> dict[str, Any]:
    """Every figure of a scope and its generated SWOT, as JSON.

    The previous comparable wave (for trends) is looked up when the scope is exactly one wave;
    it is compared over the same channels.
    """
    mystery = mystery_figures(scope)
    survey = survey_figures(scope)
    matrix = method_matrix(mystery, survey)
    disagreements = method_disagreements(matrix)
    previous_scope = None
    comparison = None
    if len(scope.wave_ids) == 1:
        previous_id = previous_comparable_wave(scope.wave_ids[0])
        if previous_id is not None:
            previous_scope = ReportScope(
                client_id=scope.client_id, wave_ids=(previous_id,), channel_ids=scope.channel_ids
            )
            comparison = compare_waves(previous_scope, scope)
    findings = swot(
        mystery,
        comparison,
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
        "comparison": to_json(comparison),
        "swot": to_json(findings),
    }
