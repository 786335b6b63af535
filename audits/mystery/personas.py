"""Personas: the anonymous identities testers use, and the clients a tester must never audit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, insert, select

from audits.mystery.models import Persona, tester_excluded_clients
from qcrm.accounts import check_email
from qcrm.clients import CHANNEL_TYPE_LABELS
from qcrm.db import utcnow
from qcrm.errors import ServiceError
from qcrm.extensions import db
from qcrm.models import ChannelType, Client, Role, User
from qcrm.permissions import visible_clients
from qcrm.validation import check_text

#: Platforms a persona can have a handle on, keyed like the channel types they match.
SOCIAL_PLATFORMS = {
    member.value: CHANNEL_TYPE_LABELS[member]
    for member in (ChannelType.X, ChannelType.FACEBOOK, ChannelType.INSTAGRAM, ChannelType.LINKEDIN)
}
#: Words that give a test inquiry away when they appear in a persona's details.
REVEALING_WORDS = ("mystery", "test", "audit", "qcrm", "q-crm", "pruef", "prüf")

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
HANDLE_MAX = 100
NOTES_MAX = 5000
_PHONE = re.compile(r"^\+?[0-9 ()/.\-]+$")


@dataclass(frozen=True)
class PersonaData:
    """What a manager enters for a persona."""

    display_name: str
    email: str | None = None
    phone: str | None = None
    #: Platform (a key of SOCIAL_PLATFORMS) → handle; empty handles are dropped.
    social_handles: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    #: Testers who may use the persona; empty means every tester may.
    tester_ids: tuple[int, ...] = ()


def persona_data(persona: Persona) -> PersonaData:
    """The current state of a persona, e.g. to merge a partial change into or to check it."""
    return PersonaData(
        display_name=persona.display_name,
        email=persona.email,
        phone=persona.phone,
        social_handles=dict(persona.social_handles or {}),
        notes=persona.notes,
        tester_ids=tuple(tester.id for tester in persona.testers),
    )


def _revealing_word(text: str | None) -> str | None:
    folded = (text or "").casefold()
    return next((word for word in REVEALING_WORDS if word in folded), None)


def persona_warnings(data: PersonaData) -> list[str]:
    """Details that could reveal the audit to the audited company, one message per field.

    Only a warning: "Testa" may be a real surname, so the persona is saved all the same.
    """
    checked = [
        (_("The display name"), data.display_name),
        (_("The e-mail address"), data.email),
        (_("The phone number"), data.phone),
    ]
    for platform, handle in data.social_handles.items():
        label = SOCIAL_PLATFORMS.get(platform, platform)
        checked.append((_("The %(platform)s handle", platform=label), handle))
    warnings = []
    for label, text in checked:
        word = _revealing_word(text)
        if word is not None:
            warnings.append(
                _(
                    "%(field)s contains “%(word)s”, which can reveal the audit to the "
                    "audited company.",
                    field=label,
                    word=word,
                )
            )
    return warnings


def _clean_handles(handles: Mapping[str, str], errors: dict[str, str]) -> dict[str, str]:
    cleaned = {}
    for platform, handle in handles.items():
        name = f"social_handles.{platform}"
        handle = (handle or "").strip()
        if platform not in SOCIAL_PLATFORMS:
            errors[name] = _("Unknown platform.")
        elif len(handle) > HANDLE_MAX:
            errors[name] = _("At most %(n)d characters.", n=HANDLE_MAX)
        elif any(char.isspace() for char in handle):
            errors[name] = _("A handle contains no spaces.")
        elif handle:
            cleaned[platform] = handle
    return {platform: cleaned[platform] for platform in SOCIAL_PLATFORMS if platform in cleaned}


def _load_testers(
    persona: Persona, tester_ids: Iterable[int], errors: dict[str, str]
) -> list[User]:
    """Active testers; one already given the persona may stay after being deactivated."""
    wanted = set(tester_ids)
    kept = {tester.id for tester in persona.testers}
    testers = list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(wanted),
                User.role == Role.TESTER,
                User.active.is_(True) | User.id.in_(kept),
            )
            .order_by(User.id)
        )
    )
    if len(testers) != len(wanted):
        errors["tester_ids"] = _("A chosen tester does not exist or is inactive.")
    return testers


def _apply_persona_data(persona: Persona, data: PersonaData) -> None:
    """Check everything first, naming every wrong field; change the persona only if all is well."""
    errors: dict[str, str] = {}
    name = data.display_name.strip()
    if not name:
        errors["display_name"] = _("Please enter a name.")
    elif len(name) > NAME_MAX:
        errors["display_name"] = _("At most %(n)d characters.", n=NAME_MAX)
    email = (data.email or "").strip() or None
    if email is not None:
        try:
            email = check_email(email)
        except ServiceError as error:
            errors.update({k: v[0] for k, v in error.errors.items()})
        else:
            if len(email) > EMAIL_MAX:
                errors["email"] = _("At most %(n)d characters.", n=EMAIL_MAX)
    phone = (data.phone or "").strip() or None
    if phone is not None:
        if len(phone) > PHONE_MAX:
            errors["phone"] = _("At most %(n)d characters.", n=PHONE_MAX)
        elif not _PHONE.match(phone) or not any(char.isdigit() for char in phone):
            errors["phone"] = _("A phone number has digits, spaces and + ( ) / - only.")
    handles = _clean_handles(data.social_handles, errors)
    if len(data.notes.strip()) > NOTES_MAX:
        errors["notes"] = _("At most %(n)d characters.", n=NOTES_MAX)
    for field_name, text in (("display_name", name), ("phone", phone), ("email", email)):
        check_text(errors, field_name, text)
    for platform, handle in data.social_handles.items():
        check_text(errors, f"social_handles.{platform}", handle)
    check_text(errors, "notes", data.notes, multi_line=True)
    testers = _load_testers(persona, data.tester_ids, errors)
    if errors:
        raise ServiceError(errors)
    persona.display_name = name
    persona.email = email
    persona.phone = phone
    persona.social_handles = handles
    persona.notes = data.notes.strip()
    persona.testers = testers


def create_persona(data: PersonaData) -> Persona:
    persona = Persona()
    with db.session.no_autoflush:
        _apply_persona_data(persona, data)
    db.session.add(persona)
    db.session.commit()
    return persona


def update_persona(persona: Persona, data: PersonaData) -> Persona:
    with db.session.no_autoflush:
        _apply_persona_data(persona, data)
    db.session.commit()
    return persona


def archive_persona(persona: Persona) -> None:
    """Stop planning with a persona; inquiries already sent under it keep it."""
    if persona.archived_at is None:
        persona.archived_at = utcnow()
        db.session.commit()


def restore_persona(persona: Persona) -> None:
    if persona.archived_at is not None:
        persona.archived_at = None
        db.session.commit()


def persona_list(
    *, include_archived: bool = False, search: str = "", tester_id: int | None = None
) -> Select[tuple[Persona]]:
    """Personas by name; the search looks into name, e-mail and phone.

    With ``tester_id``: only personas that tester may use (those open to every tester included).
    """
    query = select(Persona).order_by(func.lower(Persona.display_name), Persona.id)
    if not include_archived:
        query = query.where(Persona.archived_at.is_(None))
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(
            Persona.display_name.ilike(pattern)
            | Persona.email.ilike(pattern)
            | Persona.phone.ilike(pattern)
        )
    if tester_id is not None:
        query = query.where(Persona.testers.any(User.id == tester_id) | ~Persona.testers.any())
    return query


def active_testers() -> Select[tuple[User]]:
    return (
        select(User)
        .where(User.role == Role.TESTER, User.active.is_(True))
        .order_by(func.lower(User.name), User.id)
    )


# Clients a tester must not audit -----------------------------------------------------------


def excluded_client_ids(tester: User) -> set[int]:
    return set(
        db.session.scalars(
            select(tester_excluded_clients.c.client_id).where(
                tester_excluded_clients.c.user_id == tester.id
            )
        )
    )


def set_excluded_clients(
    tester: User, client_ids: Iterable[int], acting: User | None = None
) -> None:
    """Replace the clients a tester must never audit (they are known or work there).

    With ``acting``, only the clients that user sees are changed: exclusions of clients hidden
    from them stay as they are.
    """
    if tester.role is not Role.TESTER:
        raise ServiceError.on("user_id", _("Only testers can have excluded clients."))
    wanted = set(client_ids)
    clients = (
        select(Client.id)
        if acting is None
        else visible_clients(acting).with_only_columns(Client.id)
    )
    allowed = set(db.session.scalars(clients))
    if not wanted <= allowed:
        raise ServiceError.on("client_ids", _("Unknown client."))
    current = excluded_client_ids(tester)
    keep = current - allowed  # hidden from the acting user: not theirs to change
    target = keep | wanted
    removed, added = current - target, target - current
    if removed:
        db.session.execute(
            delete(tester_excluded_clients).where(
                tester_excluded_clients.c.user_id == tester.id,
                tester_excluded_clients.c.client_id.in_(removed),
            )
        )
    if added:
        db.session.execute(
            insert(tester_excluded_clients),
            [{"user_id": tester.id, "client_id": client_id} for client_id in sorted(added)],
        )
    db.session.commit()


def tester_exclusions(acting: User) -> list[tuple[User, list[Client]]]:
    """Every tester (active first) with the excluded clients the acting user may see."""
    testers = db.session.scalars(
        select(User)
        .where(User.role == Role.TESTER)
        .order_by(User.active.desc(), func.lower(User.name), User.id)
    ).all()
    visible = visible_clients(acting).subquery()
    rows = db.session.execute(
        select(tester_excluded_clients.c.user_id, Client)
        .join(Client, Client.id == tester_excluded_clients.c.client_id)
        .where(Client.id.in_(select(visible.c.id)))
        .order_by(func.lower(Client.name))
    )
    excluded: dict[int, list[Client]] = {}
    for user_id, client in rows:
        excluded.setdefault(user_id, []).append(client)
    return [(tester, excluded.get(tester.id, [])) for tester in testers]
