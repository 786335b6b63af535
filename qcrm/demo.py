"""A realistic demo data set for trying Q-CRM; loading it twice changes nothing."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from qcrm import accounts, two_factor
from qcrm.extensions import db
from qcrm.models import Channel, ChannelType, Client, ClientKind, Role, User

WEEKDAYS_8_18 = {day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
EXTENDED = {
    **{d: ["07:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "sat": ["09:00-14:00"],
}
ALWAYS = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
STORE = {
    **{d: ["09:00-18:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "sat": ["09:00-13:00"],
}

#: (client name, kind, notes, [(channel type, name, address, business hours)])
CLIENTS = [
    (
        "Stadtwerke Elbtal GmbH",
        ClientKind.OWN,
        "Regional energy and water supplier, about 180,000 household customers.",
        [
            (ChannelType.PHONE, "Service-Hotline", "+49 351 4401 0", EXTENDED),
            (
                ChannelType.EMAIL,
                "Kundenservice E-Mail",
                "service@stadtwerke-elbtal.example",
                ALWAYS,
            ),
            (
                ChannelType.WEB_FORM,
                "Kontaktformular",
                "https://www.stadtwerke-elbtal.example/kontakt",
                ALWAYS,
            ),
            (
                ChannelType.FACEBOOK,
                "Facebook-Seite",
                "facebook.com/stadtwerke.elbtal",
                WEEKDAYS_8_18,
            ),
            (ChannelType.X, "X-Account", "@swelbtal", WEEKDAYS_8_18),
            (
                ChannelType.LIVE_CHAT,
                "Website-Chat",
                "https://www.stadtwerke-elbtal.example/chat",
                WEEKDAYS_8_18,
            ),
        ],
    ),
    (
        "Stadtwerke Elbtal – Kundencenter Pirna",
        ClientKind.BRANCH,
        "Walk-in customer centre in the town centre.",
        [
            (ChannelType.IN_PERSON, "Kundencenter", "Markt 7, 01796 Pirna", STORE),
            (ChannelType.PHONE, "Telefon Kundencenter", "+49 3501 7712 0", STORE),
        ],
    ),
    (
        "Energie Direkt AG",
        ClientKind.COMPETITOR,
        "Online-only competitor, benchmark for response times.",
        [
            (ChannelType.EMAIL, "Support-Mail", "hilfe@energie-direkt.example", ALWAYS),
            (ChannelType.WHATSAPP, "WhatsApp-Service", "+49 151 2233 4455", EXTENDED),
            (ChannelType.INSTAGRAM, "Instagram", "@energiedirekt", WEEKDAYS_8_18),
        ],
    ),
    (
        "Sparkasse Mittelland",
        ClientKind.OWN,
        "Savings bank; audit of the central customer service centre.",
        [
            (ChannelType.PHONE, "KundenServiceCenter", "+49 391 5870 0", EXTENDED),
            (
                ChannelType.EMAIL,
                "Service-Postfach",
                "service@sparkasse-mittelland.example",
                WEEKDAYS_8_18,
            ),
            (
                ChannelType.LINKEDIN,
                "LinkedIn",
                "linkedin.com/company/sparkasse-mittelland",
                WEEKDAYS_8_18,
            ),
            (ChannelType.SMS, "SMS-Service", "+49 160 9988 7766", WEEKDAYS_8_18),
        ],
    ),
]

#: (role, e-mail, name, sees all clients, names of the clients given)
USERS = [
    (Role.ADMIN, "admin@demo.q-crm.example", "Anja Admin", False, []),
    (Role.MANAGER, "manager@demo.q-crm.example", "Markus Brandt", True, []),
    (Role.TESTER, "tester@demo.q-crm.example", "Lena Vogt", False, []),
    (
        Role.EXECUTIVE,
        "executive@demo.q-crm.example",
        "Dr. Petra Hoffmann",
        False,
        ["Stadtwerke Elbtal GmbH", "Stadtwerke Elbtal – Kundencenter Pirna"],
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def load_demo(instance_path: str) -> list[DemoLogin]:
    """Create what is missing of the demo data and return the demo logins.

    Passwords are random per installation and kept in instance/demo-logins.txt, so running the
    command again prints the same logins; a demo user whose stored password no longer works gets
    a new one.
    """
    clients = {
        name: _ensure_client(name, kind, notes, channels) for name, kind, notes, channels in CLIENTS
    }
    stored = _read_logins(Path(instance_path) / "demo-logins.txt")
    logins = []
    users: dict[Role, User] = {}
    for role, email, name, all_clients, client_names in USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        password = stored.get(email)
        if user is None:
            password = password or secrets.token_urlsafe(9)
            user = User(email=email, name=name, role=role, all_clients=all_clients)
            user.clients = [clients[n] for n in client_names]
            user.password_hash = accounts.hash_password(password)
            db.session.add(user)
        elif password is None or not accounts.password_matches(user.password_hash, password):
            password = secrets.token_urlsafe(9)
            user.password_hash = accounts.hash_password(password)
            user.active = True
        logins.append(DemoLogin(role.value, email, password))
        users[role] = user
    db.session.commit()
    two_factor.leave_optional_for_demo()
    for step in current_app.extensions.get(DEMO_STEPS_KEY, []):
        step(DemoContext(clients=clients, users=users))
        db.session.commit()
    _write_logins(Path(instance_path) / "demo-logins.txt", logins)
    return logins


DEMO_STEPS_KEY = "qcrm_demo_steps"


@dataclass(frozen=True)
class DemoContext:
    """What the core demo data created, for the feature packages' demo steps."""

    clients: dict[str, Client]
    #: the demo user of each role
    users: dict[Role, User]


def register_demo_step(app: Flask, step: Callable[[DemoContext], None]) -> None:
    """Let a feature package add its demo data; steps run in order and must be idempotent."""
    app.extensions.setdefault(DEMO_STEPS_KEY, []).append(step)


def _ensure_client(name, kind, notes, channels) -> Client:
    client = db.session.scalar(select(Client).where(Client.name == name))
    if client is None:
        client = Client(name=name, kind=kind, notes=notes)
        db.session.add(client)
    existing = {channel.name for channel in client.channels}
    for channel_type, channel_name, address, hours in channels:
        if channel_name not in existing:
            db.session.add(
                Channel(
                    client=client,
                    type=channel_type,
                    name=channel_name,
                    address=address,
                    business_hours=hours,
                    time_zone="Europe/Berlin",
                )
            )
    return client


def _read_logins(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    logins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            logins[parts[1]] = parts[2]
    return logins


def _write_logins(path: Path, logins: list[DemoLogin]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(f"{login.role} {login.email} {login.password}\n" for login in logins),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
