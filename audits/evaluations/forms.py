"""The evaluation form: the items of a scorecard version travel as ``item_<id>`` fields beside
the version the evaluator saw."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField

from audits.scorecards.models import ItemType, ScorecardVersion
from audits.scorecards.scoring import Answer


class EvaluationForm(FlaskForm):
    """Only the version travels in a field; the items are read from the request by the view."""

    version = HiddenField()


def answers_from_request(version: ScorecardVersion) -> dict[int, Answer]:
    """Read a scorecard version's answers from the request (fields ``item_<id>`` and
    ``item_<id>_na``); the scoring rules check them."""
    answers = {}
    for item in version.items:
        if item.derived is not None:
            continue
        raw = request.form.get(f"item_{item.id}", "").strip()
        if request.form.get(f"item_{item.id}_na"):
            answers[item.id] = Answer(item.id, None, not_applicable=True)
        elif not raw:
            continue
        elif item.item_type is ItemType.YES_NO:
            answers[item.id] = Answer(item.id, {"yes": True, "no": False}.get(raw, raw))
        elif item.item_type is ItemType.SCALE:
            answers[item.id] = Answer(item.id, int(raw) if raw.isdigit() else raw)
        else:
            try:
                number = float(raw.replace(",", "."))
            except ValueError:
                answers[item.id] = Answer(item.id, raw)
                continue
            minutes = item.item_type is ItemType.DURATION
            answers[item.id] = Answer(item.id, number * 60 if minutes else number)
    return answers
