"""The JSON API under /api/v1: bearer tokens, RFC 9457 problem documents, an OpenAPI document.

Resources call the same service functions as the pages and declare their roles the same way.
The package holds what every resource module uses — ``base`` (blueprints, the Api, roles),
``problems``, ``pagination``, ``schemas`` — and the core's own resources (``clients``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Create the Api with the core's resources; the feature packages add theirs."""
    # imported here: resource modules import this package's modules, and so may the core
    from qcrm.api.base import QcrmApi
    from qcrm.api.clients import API_BLUEPRINTS
    from qcrm.api.schemas import ApiMarshmallowPlugin, schema_name
    from qcrm.permissions import PUBLIC, declare_endpoint

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {
                "description": "Create a personal token on your profile page and send it as "
                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem documents."
            },
        },
    )
    api = QcrmApi(
        app,
        spec_kwargs={"marshmallow_plugin": ApiMarshmallowPlugin(schema_name_resolver=schema_name)},
    )
    for blp in API_BLUEPRINTS:
        api.register_blueprint(blp)
    declare_endpoint("api-docs.openapi_json", PUBLIC)

    app.extensions["qcrm_api"] = api
