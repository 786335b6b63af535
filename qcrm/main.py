"""The start page every role lands on after login."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from qcrm.clients import (
    CHANNEL_TYPE_LABELS,
    CLIENT_KIND_LABELS,
    WEEKDAY_LABELS,
    WEEKDAY_SHORT_LABELS,
    summarize_business_hours,
)
from qcrm.extensions import db
from qcrm.forms import ROLE_LABELS
from qcrm.models import Channel, Client
from qcrm.permissions import ALL_ROLES, allow, public, visible_clients

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@allow(*ALL_ROLES)
def home():
    """Show the user's start page with what their role works on."""
    clients = visible_clients(current_user).where(Client.archived_at.is_(None)).subquery()
    counts = db.session.execute(
        select(
            func.count(func.distinct(clients.c.id)),
            func.count(Channel.id),
        )
        .select_from(clients)
        .outerjoin(Channel, (Channel.client_id == clients.c.id) & Channel.archived_at.is_(None))
    ).one()
    return render_template("home.html", client_count=counts[0], channel_count=counts[1])


@bp.app_context_processor
def labels() -> dict[str, object]:
    """Translated names of the enums, for every template."""
    return {
        "role_labels": ROLE_LABELS,
        "kind_labels": CLIENT_KIND_LABELS,
        "channel_type_labels": CHANNEL_TYPE_LABELS,
        "weekday_labels": WEEKDAY_LABELS,
        "weekday_short_labels": WEEKDAY_SHORT_LABELS,
        "summarize_hours": summarize_business_hours,
    }
