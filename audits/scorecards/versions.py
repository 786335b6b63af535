"""Scorecards: versioned lists of criteria with weights, knock-outs and targets (Soll).

A version is frozen once a scheduled wave uses it, and a frozen version is never changed:
changing the criteria then means a new version, a copy of the latest one. Only the newest
version of a scorecard can be a draft, so every evaluation can name the exact criteria it was
scored against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from audits.scorecards.models import (
    Comparison,
    DerivedMeasure,
    ItemType,
    KnockoutScope,
    MethodDimension,
    QualityDimension,
    Scorecard,
    ScorecardItem,
    ScorecardVersion,
)
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.validation import SECONDS_PER_YEAR, check_number, check_text

#: Item types that can have a threshold (and so a comparison) to earn their weight.
THRESHOLD_TYPES = (ItemType.NUMBER, ItemType.DURATION)
METHOD_ORDER = {dimension: index for index, dimension in enumerate(MethodDimension)}
MAX_WEIGHT = 100.0
#: The largest threshold of a number item (durations: a year in seconds).
MAX_THRESHOLD = 1_000_000_000
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
TEXT_LENGTH = 300
HELP_TEXT_LENGTH = 2000


# Scorecards -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardData:
    name: str
    description: str = ""


def _apply_scorecard_data(scorecard: Scorecard, data: ScorecardData) -> None:
    errors: dict[str, str] = {}
    name, description = data.name.strip(), data.description.strip()
    if not name:
        errors["name"] = _("Please enter a name.")
    elif len(name) > NAME_LENGTH:
        errors["name"] = _("At most %(n)d characters.", n=NAME_LENGTH)
    elif db.session.scalar(
        select(Scorecard.id).where(
            func.lower(Scorecard.name) == name.lower(),
            Scorecard.id != scorecard.id,
            Scorecard.archived_at.is_(None),
        )
    ):
        errors["name"] = _("A scorecard with this name already exists.")
    if len(description) > DESCRIPTION_LENGTH:
        errors["description"] = _("At most %(n)d characters.", n=DESCRIPTION_LENGTH)
    check_text(errors, "name", name)
    check_text(errors, "description", description, multi_line=True)
    if errors:
        raise ServiceError(errors)
    scorecard.name = name
    scorecard.description = description


def create_scorecard(data: ScorecardData) -> Scorecard:
    """Create a scorecard with an empty draft version 1."""
    scorecard = Scorecard()
    _apply_scorecard_data(scorecard, data)
    db.session.add(scorecard)
    db.session.add(ScorecardVersion(scorecard=scorecard, number=1))
    db.session.commit()
    return scorecard


def update_scorecard(scorecard: Scorecard, data: ScorecardData) -> Scorecard:
    """Rename or describe a scorecard; its versions and criteria stay as they are."""
    _apply_scorecard_data(scorecard, data)
    db.session.commit()
    return scorecard


def archive_scorecard(scorecard: Scorecard) -> None:
    """Take a scorecard out of the lists; waves that use it keep it."""
    if scorecard.archived_at is None:
        scorecard.archived_at = utcnow()
        db.session.commit()


def restore_scorecard(scorecard: Scorecard) -> None:
    if scorecard.archived_at is not None:
        _apply_scorecard_data(scorecard, ScorecardData(scorecard.name, scorecard.description))
        scorecard.archived_at = None
        db.session.commit()


def latest_version(scorecard: Scorecard) -> ScorecardVersion:
    return scorecard.versions[-1]


def draft_version(scorecard: Scorecard) -> ScorecardVersion | None:
    """The newest version if it can still be edited (only the newest one can)."""
    latest = latest_version(scorecard)
    return None if latest.is_frozen else latest


def new_version(scorecard: Scorecard) -> ScorecardVersion:
    """Start a draft version that copies the latest one; an existing draft is returned instead."""
    if scorecard.is_archived:
        raise ServiceError.on("scorecard", _("The scorecard is archived; restore it first."))
    latest = latest_version(scorecard)
    if not latest.is_frozen:
        return latest
    version = ScorecardVersion(scorecard=scorecard, number=latest.number + 1)
    db.session.add(version)
    for item in latest.items:
        version.items.append(_copy_item(item))
    try:
        db.session.commit()
    except IntegrityError:
        # Another request created this number a moment ago: its draft is the one to edit.
        db.session.rollback()
        return latest_version(scorecard)
    return version


def _copy_item(item: ScorecardItem) -> ScorecardItem:
    return ScorecardItem(
        position=item.position,
        method_dimension=item.method_dimension,
        quality_dimension=item.quality_dimension,
        text=item.text,
        help_text=item.help_text,
        item_type=item.item_type,
        allows_not_applicable=item.allows_not_applicable,
        weight=item.weight,
        knockout=item.knockout,
        threshold=item.threshold,
        comparison=item.comparison,
        target_pass_rate=item.target_pass_rate,
        derived=item.derived,
    )


# Items ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemData:
    """One criterion as a manager enters it; duration thresholds are in seconds."""

    method_dimension: MethodDimension
    quality_dimension: QualityDimension
    text: str
    item_type: ItemType
    help_text: str = ""
    allows_not_applicable: bool = False
    weight: float = 1.0
    knockout: KnockoutScope | None = None
    threshold: float | None = None
    comparison: Comparison | None = None
    #: The share of contacts that should pass the item (0–1).
    target_pass_rate: float | None = None
    derived: DerivedMeasure | None = None


def _check_editable(version: ScorecardVersion) -> None:
    """Refuse changes to a frozen version or an archived scorecard."""
    if version.scorecard.is_archived:
        raise ServiceError.on("scorecard", _("The scorecard is archived; restore it first."))
    # Read frozen_at again under a row lock: a wave being scheduled at this moment freezes the
    # version in its own transaction, and the two must not interleave.
    db.session.refresh(version, ["frozen_at"], with_for_update=True)
    if version.is_frozen:
        raise ServiceError.on(
            "version",
            _(
                "Version %(number)d is frozen because a scheduled wave uses it. Create a new "
                "version to change the criteria.",
                number=version.number,
            ),
        )


def _check_item(
    data: ItemData, version: ScorecardVersion, item: ScorecardItem | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    text = data.text.strip()
    if not text:
        errors["text"] = _("Please enter the criterion.")
    elif len(text) > TEXT_LENGTH:
        errors["text"] = _("At most %(n)d characters.", n=TEXT_LENGTH)
    if len(data.help_text.strip()) > HELP_TEXT_LENGTH:
        errors["help_text"] = _("At most %(n)d characters.", n=HELP_TEXT_LENGTH)

    if data.weight is None or not math.isfinite(data.weight) or data.weight <= 0:
        errors["weight"] = _("The weight must be greater than 0.")
    elif data.weight > MAX_WEIGHT:
        errors["weight"] = _("The weight must be at most %(n)d.", n=int(MAX_WEIGHT))

    has_threshold = data.threshold is not None
    if data.item_type in THRESHOLD_TYPES:
        if has_threshold and not math.isfinite(data.threshold):
            errors["threshold"] = _("Please enter a number.")
        elif has_threshold and data.item_type is ItemType.DURATION and data.threshold < 0:
            errors["threshold"] = _("A duration cannot be negative.")
        elif has_threshold and data.comparison is None:
            errors["comparison"] = _(
                "Say whether answers must be at most or at least the threshold."
            )
        elif not has_threshold and data.comparison is not None:
            errors["threshold"] = _("Enter the threshold the comparison refers to.")
        elif not has_threshold and data.knockout is not None:
            errors["knockout"] = _(
                "Without a threshold the item is not scored, so it cannot knock out anything."
            )
        elif not has_threshold and data.target_pass_rate is not None:
            errors["target_pass_rate"] = _(
                "Without a threshold the item is not scored, so it has no target."
            )
    else:
        if has_threshold:
            errors["threshold"] = _("Only number and duration items have a threshold.")
        if data.comparison is not None:
            errors["comparison"] = _("Only number and duration items have a comparison.")

    if data.derived is not None:
        if data.method_dimension is not MethodDimension.TRANSACTION:
            errors["derived"] = _("Only transaction items are derived from the timestamps.")
        elif data.item_type is not ItemType.YES_NO:
            errors["derived"] = _("Only yes/no items are derived from the timestamps.")
        elif any(other.derived is data.derived and other is not item for other in version.items):
            errors["derived"] = _("Another criterion of this version already measures this.")

    rate = data.target_pass_rate
    if rate is not None and not (math.isfinite(rate) and 0 <= rate <= 1):
        errors["target_pass_rate"] = _("A share lies between 0 and 100 %.")
    if data.item_type in THRESHOLD_TYPES:
        # durations in seconds up to a year; counts and amounts finite, not negative
        top = SECONDS_PER_YEAR if data.item_type is ItemType.DURATION else MAX_THRESHOLD
        check_number(errors, "threshold", data.threshold, 0, top)
    check_text(errors, "text", text)
    check_text(errors, "help_text", data.help_text, multi_line=True)
    return errors


def item_problems(
    version: ScorecardVersion, data: ItemData, item: ScorecardItem | None = None
) -> dict[str, str]:
    """The business-rule problems of an item, without saving it: field name → message."""
    return _check_item(data, version, item)


def _apply_item_data(item: ScorecardItem, data: ItemData) -> None:
    item.method_dimension = data.method_dimension
    item.quality_dimension = data.quality_dimension
    item.text = data.text.strip()
    item.help_text = data.help_text.strip()
    item.item_type = data.item_type
    item.allows_not_applicable = data.allows_not_applicable
    item.weight = float(data.weight)
    item.knockout = data.knockout
    item.threshold = None if data.threshold is None else float(data.threshold)
    item.comparison = data.comparison
    item.target_pass_rate = data.target_pass_rate
    item.derived = data.derived


def append_item(version: ScorecardVersion, data: ItemData) -> ScorecardItem:
    """Check an item and add it at the end of its method dimension, without committing.

    For loaders that build a whole version in one transaction; ``add_item`` is the service.
    """
    errors = _check_item(data, version, None)
    if errors:
        raise ServiceError(errors)
    item = ScorecardItem(position=len(version.items) + 1)
    _apply_item_data(item, data)
    ordered = _in_order(version)
    version.items.append(item)
    _renumber([*ordered, item])
    return item


def add_item(
    version: ScorecardVersion, data: ItemData, position: int | None = None
) -> ScorecardItem:
    """Add a criterion to a draft version, after the others of its method dimension or at
    ``position``."""
    _check_editable(version)
    item = append_item(version, data)
    if position is not None:
        _place(item, position)
    db.session.commit()
    return item


def update_item(item: ScorecardItem, data: ItemData, position: int | None = None) -> ScorecardItem:
    """Change a criterion of a draft version; a new method dimension puts it at that one's end."""
    version = item.version
    _check_editable(version)
    errors = _check_item(data, version, item)
    if errors:
        raise ServiceError(errors)
    ordered = _in_order(version)
    if data.method_dimension is not item.method_dimension:
        ordered = [*(i for i in ordered if i is not item), item]
    _apply_item_data(item, data)
    _renumber(ordered)
    if position is not None:
        _place(item, position)
    db.session.commit()
    return item


def remove_item(item: ScorecardItem) -> None:
    """Remove a criterion from a draft version; the ones after it move up."""
    version = item.version
    _check_editable(version)
    ordered = [i for i in _in_order(version) if i is not item]
    version.items.remove(item)  # delete-orphan: the row goes too
    _renumber(ordered)
    db.session.commit()


def move_item_to(item: ScorecardItem, position: int) -> ScorecardItem:
    """Put a criterion at a position (1 = first) of its draft version, inside its own group."""
    _check_editable(item.version)
    _place(item, position)
    db.session.commit()
    return item


def move_item(item: ScorecardItem, step: int) -> ScorecardItem:
    """Move a criterion ``step`` places within its method dimension (negative: up).

    At the first or last place of its group it stays where it is.
    """
    group = [i for i in _in_order(item.version) if i.method_dimension is item.method_dimension]
    index = min(max(group.index(item) + step, 0), len(group) - 1)
    return move_item_to(item, group[index].position)


def _place(item: ScorecardItem, position: int) -> None:
    """Move an item to a position inside the block of its method dimension.

    Items stay grouped by method dimension (transaction, communication, handling), so a
    position outside that block is refused.
    """
    ordered = _in_order(item.version)
    block = [i.position for i in ordered if i.method_dimension is item.method_dimension]
    first, last = min(block), max(block)
    if not first <= position <= last:
        raise ServiceError.on(
            "position",
            _(
                "Choose a position between %(first)d and %(last)d: criteria stay grouped by "
                "method dimension.",
                first=first,
                last=last,
            ),
        )
    ordered.remove(item)
    ordered.insert(position - 1, item)
    _renumber(ordered)


def _in_order(version: ScorecardVersion) -> list[ScorecardItem]:
    return sorted(version.items, key=lambda item: item.position)


def _renumber(items: list[ScorecardItem]) -> None:
    """Number the items 1, 2, 3, … grouped by method dimension, in the list's order inside it.

    Positions stay contiguous, and the order of the positions is the order of the page.
    """
    ordered = sorted(items, key=lambda item: METHOD_ORDER[item.method_dimension])
    for position, item in enumerate(ordered, start=1):
        item.position = position


# Summary --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodSummary:
    method_dimension: MethodDimension
    item_count: int
    total_weight: float
    #: This method dimension's part of the version's total weight (0–1; 0 when empty).
    weight_share: float
    knockout_count: int


@dataclass(frozen=True)
class ScorecardSummary:
    """What a version measures: per method dimension and per quality dimension."""

    methods: tuple[MethodSummary, ...]
    quality_counts: Mapping[QualityDimension, int]
    item_count: int
    total_weight: float
    knockout_count: int
    derived_count: int

    def method(self, dimension: MethodDimension) -> MethodSummary:
        return next(m for m in self.methods if m.method_dimension is dimension)


def scorecard_summary(version: ScorecardVersion) -> ScorecardSummary:
    """Count the items and add up their weights per method dimension; count per quality one."""
    items = version.items
    total_weight = sum(item.weight for item in items)
    methods = []
    for dimension in MethodDimension:
        own = [item for item in items if item.method_dimension is dimension]
        weight = sum(item.weight for item in own)
        methods.append(
            MethodSummary(
                method_dimension=dimension,
                item_count=len(own),
                total_weight=weight,
                weight_share=weight / total_weight if total_weight else 0.0,
                knockout_count=sum(1 for item in own if item.knockout is not None),
            )
        )
    return ScorecardSummary(
        methods=tuple(methods),
        quality_counts={
            dimension: sum(1 for item in items if item.quality_dimension is dimension)
            for dimension in QualityDimension
        },
        item_count=len(items),
        total_weight=total_weight,
        knockout_count=sum(1 for item in items if item.knockout is not None),
        derived_count=sum(1 for item in items if item.derived is not None),
    )


def items_by_method(version: ScorecardVersion) -> dict[MethodDimension, list[ScorecardItem]]:
    """The version's items grouped by method dimension, every dimension present, in order."""
    groups: dict[MethodDimension, list[ScorecardItem]] = {d: [] for d in MethodDimension}
    for item in _in_order(version):
        groups[item.method_dimension].append(item)
    return groups


# Queries --------------------------------------------------------------------------------------


def scorecard_list(
    *, include_archived: bool = False, search: str = ""
) -> Select[tuple[Scorecard, int]]:
    """Scorecards with their versions and the number of items of the latest one, in one query."""
    latest_number = (
        select(func.max(ScorecardVersion.number))
        .where(ScorecardVersion.scorecard_id == Scorecard.id)
        .correlate(Scorecard)
        .scalar_subquery()
    )
    item_count = (
        select(func.count(ScorecardItem.id))
        .join(ScorecardVersion, ScorecardItem.version_id == ScorecardVersion.id)
        .where(
            ScorecardVersion.scorecard_id == Scorecard.id,
            ScorecardVersion.number == latest_number,
        )
        .correlate(Scorecard)
        .scalar_subquery()
    )
    query = (
        select(Scorecard, item_count)
        .options(selectinload(Scorecard.versions))
        .order_by(func.lower(Scorecard.name))
    )
    if not include_archived:
        query = query.where(Scorecard.archived_at.is_(None))
    if search.strip():
        query = query.where(Scorecard.name.ilike(f"%{search.strip()}%"))
    return query


def usable_versions() -> Select[tuple[ScorecardVersion]]:
    """Versions a new wave may use: those of active scorecards, newest first per scorecard."""
    return (
        select(ScorecardVersion)
        .join(Scorecard, ScorecardVersion.scorecard_id == Scorecard.id)
        .where(Scorecard.archived_at.is_(None))
        .options(selectinload(ScorecardVersion.scorecard))
        .order_by(func.lower(Scorecard.name), ScorecardVersion.number.desc())
    )
