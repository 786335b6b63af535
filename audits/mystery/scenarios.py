"""Scenarios: the test stories testers follow, with the correct answer and what counts as solved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from audits.mystery.models import Difficulty, Scenario, ScenarioCategory
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import ChannelType
from qcrm.validation import check_text

E = TypeVar("E", bound=Enum)

SCENARIO_CATEGORY_LABELS = {
    ScenarioCategory.QUESTION: _l("Question"),
    ScenarioCategory.COMPLAINT: _l("Complaint"),
    ScenarioCategory.ORDER: _l("Order"),
    ScenarioCategory.INFORMATION_REQUEST: _l("Information request"),
    ScenarioCategory.CANCELLATION: _l("Cancellation"),
    ScenarioCategory.TECHNICAL_PROBLEM: _l("Technical problem"),
    ScenarioCategory.OTHER: _l("Other"),
}
DIFFICULTY_LABELS = {
    Difficulty.EASY: _l("Easy"),
    Difficulty.MEDIUM: _l("Medium"),
    Difficulty.HARD: _l("Hard"),
}
#: The languages a script can be written in (the UI languages).
SCENARIO_LANGUAGES = ("de", "en")

TITLE_MAX = 200
TEXT_MAX = 20_000


@dataclass(frozen=True)
class ScenarioData:
    """What a manager enters for a scenario."""

    title: str
    category: ScenarioCategory | str
    script: str
    expected_answer: str = ""
    solved_criteria: str = ""
    difficulty: Difficulty | str = Difficulty.MEDIUM
    #: ChannelType members or values; empty means the scenario suits every channel type.
    channel_types: tuple[ChannelType | str, ...] = ()
    language: str = "de"


def scenario_data(scenario: Scenario) -> ScenarioData:
    """The current state of a scenario, e.g. to merge a partial change into."""
    return ScenarioData(
        title=scenario.title,
        category=scenario.category,
        script=scenario.script,
        expected_answer=scenario.expected_answer,
        solved_criteria=scenario.solved_criteria,
        difficulty=scenario.difficulty,
        channel_types=tuple(scenario.channel_types or ()),
        language=scenario.language,
    )


def _member(enum_cls: type[E], value: E | str) -> E | None:
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        return None


def normalize_channel_types(values: Iterable[ChannelType | str]) -> list[str] | None:
    """ChannelType values in the enum's order without duplicates; None if one is unknown."""
    chosen = set()
    for value in values:
        member = _member(ChannelType, value)
        if member is None:
            return None
        chosen.add(member)
    return [member.value for member in ChannelType if member in chosen]


def _apply_scenario_data(scenario: Scenario, data: ScenarioData) -> None:
    """Check everything first, naming every wrong field; change the scenario only if all is well."""
    errors: dict[str, str] = {}
    title, script = data.title.strip(), data.script.strip()
    if not title:
        errors["title"] = _("Please enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("At most %(n)d characters.", n=TITLE_MAX)
    if not script:
        errors["script"] = _("Please enter the script the tester follows.")
    for name in ("script", "expected_answer", "solved_criteria"):
        if name not in errors and len(getattr(data, name).strip()) > TEXT_MAX:
            errors[name] = _("At most %(n)d characters.", n=TEXT_MAX)
    check_text(errors, "title", title)
    for name in ("script", "expected_answer", "solved_criteria"):
        check_text(errors, name, getattr(data, name), multi_line=True)
    category = _member(ScenarioCategory, data.category)
    if category is None:
        errors["category"] = _("Choose a category.")
    difficulty = _member(Difficulty, data.difficulty)
    if difficulty is None:
        errors["difficulty"] = _("Choose a difficulty.")
    if data.language not in SCENARIO_LANGUAGES:
        errors["language"] = _("Unknown language.")
    channel_types = normalize_channel_types(data.channel_types)
    if channel_types is None:
        errors["channel_types"] = _("Unknown channel type.")
    if "title" not in errors and "language" not in errors:
        duplicate = db.session.scalar(
            select(Scenario.id).where(
                func.lower(Scenario.title) == func.lower(title),
                Scenario.language == data.language,
                Scenario.id != scenario.id,
                Scenario.archived_at.is_(None),
            )
        )
        if duplicate is not None:
            errors["title"] = _("A scenario with this title already exists in this language.")
    if errors:
        raise ServiceError(errors)
    scenario.title = title
    scenario.category = category
    scenario.script = script
    scenario.expected_answer = data.expected_answer.strip()
    scenario.solved_criteria = data.solved_criteria.strip()
    scenario.difficulty = difficulty
    scenario.channel_types = channel_types
    scenario.language = data.language


def add_scenario(data: ScenarioData) -> Scenario:
    """Check and add a scenario to the session without committing (for loading several)."""
    scenario = Scenario()
    with db.session.no_autoflush:
        _apply_scenario_data(scenario, data)
    db.session.add(scenario)
    db.session.flush()
    return scenario


def create_scenario(data: ScenarioData) -> Scenario:
    scenario = add_scenario(data)
    db.session.commit()
    return scenario


def update_scenario(scenario: Scenario, data: ScenarioData) -> Scenario:
    """Change a scenario; waves that use it show the new text from now on."""
    with db.session.no_autoflush:
        _apply_scenario_data(scenario, data)
    db.session.commit()
    return scenario


def archive_scenario(scenario: Scenario) -> None:
    """Take a scenario out of planning; waves that used it keep it."""
    if scenario.archived_at is None:
        scenario.archived_at = utcnow()
        db.session.commit()


def restore_scenario(scenario: Scenario) -> None:
    """Bring a scenario back, unless an active one has taken its title meanwhile."""
    if scenario.archived_at is not None:
        with db.session.no_autoflush:
            _apply_scenario_data(scenario, scenario_data(scenario))
        scenario.archived_at = None
        db.session.commit()


def scenario_list(
    *,
    include_archived: bool = False,
    search: str = "",
    category: ScenarioCategory | None = None,
    language: str | None = None,
    difficulty: Difficulty | None = None,
) -> Select[tuple[Scenario]]:
    """Scenarios by title, filtered; the search looks into title and script."""
    query = select(Scenario).order_by(func.lower(Scenario.title), Scenario.language, Scenario.id)
    if not include_archived:
        query = query.where(Scenario.archived_at.is_(None))
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(Scenario.title.ilike(pattern) | Scenario.script.ilike(pattern))
    if category is not None:
        query = query.where(Scenario.category == category)
    if language:
        query = query.where(Scenario.language == language)
    if difficulty is not None:
        query = query.where(Scenario.difficulty == difficulty)
    return query
