"""The base of API schemas: ids and versions in range, multi-line text, OpenAPI names and the
control-character patterns every input string declares."""

from __future__ import annotations

import marshmallow
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import Schema, fields, validate

from qcrm.validation import MAX_ID, text_pattern


class Id(fields.Integer):
    """An object's id in a body or query: 1 … 2**31 - 1, what PostgreSQL's INTEGER holds, so
    a larger number is a field error instead of an overflow in the database."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


#: A version counter sent back for optimistic locking: bounded like an id.
VERSION_RANGE = validate.Range(min=0, max=MAX_ID)


def schema_name(schema: type[Schema] | Schema) -> str:
    """OpenAPI component names: ClientSchema → Client; a partial ClientSchema → ClientPatch."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    return name + "Patch" if getattr(schema, "partial", False) else name


class MultiLineText(fields.String):
    """A text field that may hold line breaks and tabs (its service checks it with
    ``multi_line``); every other input string is single-line."""


def _text_pattern(converter, field, ret, **kwargs) -> dict:
    """Declare on every input string the control characters its service refuses (the pattern
    comes from the same rule, ``qcrm.validation.text_pattern``). Choices carry their ``enum``,
    a field with a pattern of its own keeps it; output-only fields get no pattern."""
    if not isinstance(field, fields.String) or field.dump_only or "enum" in ret or "pattern" in ret:
        return {}
    is_input = (
        field.required
        or field.load_default is not marshmallow.missing
        or any(isinstance(v, validate.Length) for v in field.validators)
    )
    if not is_input:
        return {}
    return {"pattern": text_pattern(multi_line=isinstance(field, MultiLineText))}


class ApiMarshmallowPlugin(MarshmallowPlugin):
    """Documents a change's body (a partial schema) as needing at least one field, and the
    control characters each input string refuses."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.converter.add_attribute_function(_text_pattern)

    def schema_helper(self, name, _, schema=None, **kwargs):
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        if json_schema is not None and getattr(schema, "partial", False):
            json_schema["minProperties"] = 1
        return json_schema
