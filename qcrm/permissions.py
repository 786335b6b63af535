"""Who may use which view: every endpoint declares its rule, and undeclared endpoints are refused.

Two levels, as in Indico: a coarse role gate declared on the view (``allow``/``public``) and
enforced for every request in ``enforce_access``; and fine object rules (``visible_clients`` and
the ``*_or_404`` helpers) so that another client's object answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from qcrm.extensions import db
from qcrm.models import Channel, Client, Role, User, user_clients

F = TypeVar("F", bound=Callable)

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class AccessRule:
    """Roles that may use a view; ``public`` views need no login at all."""

    roles: frozenset[Role]
    public: bool = False

    def permits(self, user: User | None) -> bool:
        if self.public:
            return True
        return user is not None and user.role in self.roles


PUBLIC = AccessRule(roles=ALL_ROLES, public=True)

#: Rules for endpoints whose view functions we do not write (static files, the OpenAPI document).
_declared_endpoints: dict[str, AccessRule] = {}


def allow(*roles: Role) -> Callable[[F], F]:
    """Declare which roles may call a view function or MethodView method."""
    if not roles:
        raise ValueError("allow() needs at least one role; use public for open views")
    rule = AccessRule(roles=frozenset(roles))

    def decorate(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Declare a view open to everyone, logged in or not (login page, survey links, health)."""
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def declare_endpoint(endpoint: str, rule: AccessRule) -> None:
    _declared_endpoints[endpoint] = rule


def rule_for(app: Flask, endpoint: str, method: str) -> AccessRule | None:
    """The declared rule of an endpoint for one HTTP method, or None when nothing is declared."""
    if endpoint in _declared_endpoints:
        return _declared_endpoints[endpoint]
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        return getattr(handler, "access_rule", None)
    return getattr(view, "access_rule", None)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def enforce_access() -> None:
    """Before every request: apply the endpoint's declared rule (fail closed)."""
    if request.endpoint is None or request.method == "OPTIONS":
        return  # 404/405 follow from routing
    rule = rule_for(current_app, request.endpoint, request.method)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule: refused", request.endpoint)
        abort(403)
    if rule.public:
        return
    user = g.get("api_user") if is_api_request() else _session_user()
    if user is None:
        if is_api_request():
            abort(401)
        return _redirect_to_login()
    if not rule.permits(user):
        abort(403)
    for name, value in (request.view_args or {}).items():
        loader = _scoped_params.get(name)
        if loader is not None:
            loader(user, value)
    return None


#: URL parameters naming an object whose visibility is checked before the view (and before
#: input validation) runs: another client's object answers 404, never 422 or 403.
_scoped_params: dict[str, Callable[[User, int], object]] = {}


def scope_url_parameter(name: str, loader: Callable[[User, int], object]) -> None:
    """Check every URL parameter called ``name`` with ``loader`` (which aborts with 404)."""
    _scoped_params[name] = loader


def _session_user() -> User | None:
    return current_user if current_user.is_authenticated else None


def _redirect_to_login():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def acting_user() -> User:
    """The user behind this request, from the API token or the session."""
    user = g.get("api_user") if is_api_request() else _session_user()
    if user is None:
        abort(401)
    return user


def visible_clients(user: User) -> Select[tuple[Client]]:
    """Clients the user may see; every query for client data starts from here."""
    query = select(Client)
    if not user.sees_all_clients:
        query = query.where(
            Client.id.in_(select(user_clients.c.client_id).where(user_clients.c.user_id == user.id))
        )
    return query


def can_see_client(user: User, client_id: int) -> bool:
    if user.sees_all_clients:
        return True
    return any(client.id == client_id for client in user.clients)


def get_client_or_404(user: User, client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None or not can_see_client(user, client.id):
        abort(404)
    return client


def get_channel_or_404(user: User, channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id)
    if channel is None or not can_see_client(user, channel.client_id):
        abort(404)
    return channel


scope_url_parameter("client_id", get_client_or_404)
scope_url_parameter("channel_id", get_channel_or_404)
