"""Calibration: several reviewers score the same contacts independently; where do they differ?

The primary evaluation (the tester's) and every calibration evaluation of a contact are the
coders of that unit. Per scorecard item: percent agreement and Krippendorff's alpha at the
item's level of measurement (yes/no nominal, scale ordinal, numbers and durations interval),
and one overall alpha. Calibration evaluations never count in reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from audits.evaluations import agreement
from audits.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind
from audits.mystery.models import Inquiry, Wave
from audits.scorecards.models import ItemType, ScorecardItem
from qcrm.extensions import db

LEVELS = {
    ItemType.YES_NO: "nominal",
    ItemType.SCALE: "ordinal",
    ItemType.NUMBER: "interval",
    ItemType.DURATION: "interval",
}
#: Krippendorff's rule of thumb: below this, conclusions from the item are doubtful.
ALPHA_ACCEPTABLE = 0.667


@dataclass(frozen=True)
class ItemAgreement:
    item: ScorecardItem
    units: int  # contacts scored by at least two reviewers on this item
    percent: float | None
    alpha: float | None


@dataclass(frozen=True)
class CalibrationReport:
    items: list[ItemAgreement]
    overall_alpha: float | None
    #: contacts that have at least one calibration evaluation
    contacts: int


def calibration_report(wave: Wave) -> CalibrationReport:
    calibrated = (
        select(Evaluation.inquiry_id)
        .join(Inquiry, Evaluation.inquiry_id == Inquiry.id)
        .where(Inquiry.wave_id == wave.id, Evaluation.kind == EvaluationKind.CALIBRATION)
        .distinct()
    )
    rows = db.session.execute(
        select(EvaluationAnswer.item_id, Evaluation.inquiry_id, EvaluationAnswer.value)
        .join(Evaluation, EvaluationAnswer.evaluation_id == Evaluation.id)
        .where(
            Evaluation.inquiry_id.in_(calibrated),
            EvaluationAnswer.not_applicable.is_(False),
            EvaluationAnswer.derived.is_(False),
        )
    ).all()
    units: dict[int, dict[int, list[float | None]]] = defaultdict(lambda: defaultdict(list))
    for item_id, inquiry_id, value in rows:
        units[item_id][inquiry_id].append(value)
    items = [i for i in wave.scorecard_version.items if i.derived is None]
    results, for_overall = [], {}
    for item in items:
        data = dict(units.get(item.id, {}))
        level = LEVELS[item.item_type]
        pairable = sum(1 for values in data.values() if len(values) >= 2)
        results.append(
            ItemAgreement(
                item=item,
                units=pairable,
                percent=agreement.percent_agreement(data),
                alpha=agreement.krippendorff_alpha(data, level),
            )
        )
        for_overall[item.id] = (data, level)
    contacts = db.session.scalar(select(func.count()).select_from(calibrated.subquery()))
    return CalibrationReport(results, agreement.overall_alpha(for_overall), contacts or 0)
