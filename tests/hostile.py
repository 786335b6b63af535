"""Hostile input values shared by the tests of ranges and text (and of other hardening)."""

from __future__ import annotations

import json

#: Numbers (as JSON or form text) that no numeric field may accept: overflow and non-finite.
#: JSON ``1e309`` and ``Infinity`` both parse to inf in Python's json; ``NaN`` to nan.
HOSTILE_NUMBERS_JSON: tuple[object, ...] = (1e21, float("inf"), float("-inf"), float("nan"))
HOSTILE_NUMBERS_RAW_JSON: tuple[str, ...] = ("1e309", "Infinity", "-Infinity", "NaN", "1e21")
HOSTILE_NUMBERS_FORM: tuple[str, ...] = ("1e21", "1e309", "Infinity", "-Infinity", "NaN", "inf")

#: Text with control characters: none belongs in a single-line field.
CONTROL_TEXTS: tuple[str, ...] = (
    "Aue\r\nBcc: x@y.example",
    "Aue\nBcc: x@y.example",
    "Aue\rX",
    "Aue\tX",
    "Aue\x00X",
    "Aue\x1bX",
    "Aue\x7fX",
    "Aue\x85X",
)
#: Control characters a multi-line text may not hold either (line breaks and tabs it may).
MULTI_LINE_CONTROL_TEXTS: tuple[str, ...] = ("Hallo\x00Welt", "Hallo\x1bWelt", "Hallo\x7f")
MULTI_LINE_ALLOWED_TEXT = "Zeile eins\r\nZeile zwei\n\tEingerückt"


def raw_json(template: dict, field: str, literal: str) -> str:
    """``template`` as JSON with ``field`` set to an unquoted literal such as ``1e309``."""
    marker = "__HOSTILE__"
    return json.dumps({**template, field: marker}).replace(f'"{marker}"', literal)
