"""Fields some roles may not see: one rule per field, used by the pages and the API alike.

A page asks ``may_see(user, "client.notes")`` before it shows the field; an API schema marks the
field with ``visible_to("client.notes")`` and ``RoleAwareSchema`` leaves it out of the response
for every other role. So a field a page hides from a role is absent from that role's API
responses too (tests/core/test_api_visibility.py walks every API operation and page to check).
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_login import current_user
from marshmallow import Schema, post_dump

from qcrm.models import Role, User

#: Who sees a field, by "resource.field"; fields not named here are seen by every role that
#: may read the resource at all.
FIELD_ROLES: dict[str, frozenset[Role]] = {
    # internal remarks about a client (contracts, contacts at the client): for the quality team
    "client.notes": frozenset({Role.ADMIN, Role.MANAGER}),
}

#: The metadata key an API schema field names its rule with.
METADATA_KEY = "visible_to"


def may_see(user: User | None, rule: str) -> bool:
    """Whether the user may see the field named by ``rule`` (an unknown rule is a bug)."""
    roles = FIELD_ROLES[rule]
    return user is not None and user.role in roles


def visible_to(rule: str, description: str = "") -> dict[str, object]:
    """Field metadata for an API schema: the rule, and who sees the field (the OpenAPI
    document's ``x-visible-to`` and description)."""
    roles = sorted(role.value for role in FIELD_ROLES[rule])
    text = f"{description} (only for {', '.join(roles)}; absent for other roles)".strip()
    return {METADATA_KEY: rule, "x_visible_to": roles, "description": text}


def _requesting_user() -> User | None:
    if not has_request_context():
        return None
    from qcrm.permissions import is_api_request

    if is_api_request():
        return g.get("api_user")
    return current_user if current_user.is_authenticated else None


class RoleAwareSchema(Schema):
    """A response schema that drops the fields the requesting user's role may not see."""

    @post_dump
    def _drop_hidden_fields(self, data: dict, **kwargs: object) -> dict:
        user = _requesting_user()
        for name, field in self.dump_fields.items():
            rule = field.metadata.get(METADATA_KEY)
            if rule is not None and not may_see(user, rule):
                data.pop(field.data_key or name, None)
        return data


def init_app(app) -> None:
    """Templates ask ``may_see("client.notes")`` for the logged-in user."""
    app.jinja_env.globals["may_see"] = lambda rule: may_see(_requesting_user(), rule)
