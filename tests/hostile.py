"""Hostile input values shared by the hardening tests: overflowing and non-finite numbers,
control characters, NUL bytes, ids beyond the database's integers, huge page numbers and
characters XML forbids."""

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


NUL = "\x00"
#: One beyond PostgreSQL's INTEGER.
ID_BEYOND_INT32 = 2**31
#: One beyond SQLite's (and PostgreSQL's BIGINT) integers.
ID_BEYOND_INT64 = 2**63
HUGE_IDS = (ID_BEYOND_INT32, ID_BEYOND_INT64)
#: An id in range that no object has.
MISSING_ID = 999_999
HUGE_PAGE = 10**12
#: A page whose offset no database integer holds.
OVERFLOWING_PAGE = 10**20
#: Characters XML 1.0 forbids; a lone surrogate can only arrive through a JSON escape.
XML_NONCHARACTERS = "\ufffe\uffff"
LONE_SURROGATE = "\ud800"

#: The corpus every form and API field is tried with (tests/core/test_hostile_corpus.py), one
#: value per class: a control character, a text of 100,000 characters, a date no calendar has,
#: an integer beyond 2**63, a value no choice has. Emoji and a right-to-left override are
#: ordinary text: a field takes them (in the corpus' valid requests) and keeps them as they are.
CONTROL_CHARACTER = "\x1b"
LONG_TEXT = "x" * 100_000
IMPOSSIBLE_DATE = "2031-02-30"
HUGE_INTEGER = 2**63
NOT_A_CHOICE = "kein-eintrag"
TOLERATED_TEXT = "Aue 🙂 \u202eeuA\u202c"
