"""Shared input rules that services apply, so forms and the API refuse the same values.

Numbers must be finite and within a sensible range (an hour count of 1e21 overflows every
timedelta the scheduler builds); text must not carry control characters (CR/LF in a name ends
up in mail headers and makes building the mail fail).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from decimal import Decimal

from flask_babel import gettext as _

from qcrm.errors import ServiceError

#: The largest id: PostgreSQL's INTEGER (SQLite's limit, 2**63 - 1, is larger).
MAX_ID = 2**31 - 1
#: The largest page number a list accepts (far beyond any real list).
MAX_PAGE = 100_000

#: Upper bounds of durations: one year.
HOURS_PER_YEAR = 8760
MINUTES_PER_YEAR = HOURS_PER_YEAR * 60
SECONDS_PER_YEAR = MINUTES_PER_YEAR * 60

#: Whitespace a multi-line text may contain.
MULTI_LINE_ALLOWED = frozenset("\n\r\t")


def number_error(
    value: object,
    lo: float,
    hi: float,
    *,
    lo_inclusive: bool = True,
) -> str | None:
    """Why ``value`` is not a finite number within [lo, hi] (or (lo, hi]), or None if it is.

    None is not checked here: whether a value may be missing is the caller's rule.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _("Please enter a number.")
    if isinstance(value, Decimal) and not value.is_finite():
        return _("Please enter a finite number.")
    if isinstance(value, float) and not math.isfinite(value):
        return _("Please enter a finite number.")
    too_low = value < lo if lo_inclusive else value <= lo
    if too_low or value > hi:
        if lo_inclusive:
            return _("Please enter a number from %(lo)s to %(hi)s.", lo=_fmt(lo), hi=_fmt(hi))
        return _(
            "Please enter a number greater than %(lo)s and at most %(hi)s.",
            lo=_fmt(lo),
            hi=_fmt(hi),
        )
    return None


def check_number(
    errors: dict[str, str],
    field: str,
    value: object,
    lo: float,
    hi: float,
    *,
    lo_inclusive: bool = True,
    optional: bool = True,
) -> None:
    """Record on ``errors[field]`` why ``value`` is out of range (None passes if optional)."""
    if value is None and optional:
        return
    if field in errors:
        return
    message = number_error(value, lo, hi, lo_inclusive=lo_inclusive)
    if message is not None:
        errors[field] = message


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


@functools.cache
def _control_characters() -> tuple[str, ...]:
    """Every control character (Unicode category Cc), in code point order. The set is fixed by
    Unicode's stability policy and lies in the Basic Multilingual Plane, which is scanned."""
    return tuple(chr(code) for code in range(0x10000) if unicodedata.category(chr(code)) == "Cc")


@functools.cache
def text_pattern(*, multi_line: bool = False) -> str:
    """The regular expression (JSON Schema ``pattern``, also Python ``re``) that text passing
    ``text_error`` matches: no control character but, in multi-line text, \\n \\r \\t."""
    allowed = MULTI_LINE_ALLOWED if multi_line else frozenset()
    codes = [ord(c) for c in _control_characters() if c not in allowed]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    excluded = "".join(
        f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}"
        for start, end in ranges
    )
    return f"^[^{excluded}]*$"


def control_characters(text: str, *, multi_line: bool = False) -> list[str]:
    """The control characters (Unicode Cc) in ``text``; a multi-line text may hold \\n \\r \\t."""
    allowed = MULTI_LINE_ALLOWED if multi_line else frozenset()
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in allowed]


def text_error(text: object, *, multi_line: bool = False) -> str | None:
    """Why ``text`` may not be stored (control characters), or None."""
    if not isinstance(text, str) or not control_characters(text, multi_line=multi_line):
        return None
    if multi_line:
        return _("Please remove the control characters (only line breaks and tabs are allowed).")
    return _("Please enter a single line without control characters (line breaks, tabs).")


def check_text(
    errors: dict[str, str], field: str, text: object, *, multi_line: bool = False
) -> None:
    """Record on ``errors[field]`` that ``text`` holds control characters it may not hold."""
    if field in errors:
        return
    message = text_error(text, multi_line=multi_line)
    if message is not None:
        errors[field] = message


def refuse_control_characters(
    fields: dict[str, object], *, multi_line: tuple[str, ...] = ()
) -> None:
    """Raise a ServiceError naming each field of ``fields`` that holds control characters."""
    errors: dict[str, str] = {}
    for name, text in fields.items():
        check_text(errors, name, text, multi_line=name in multi_line)
    if errors:
        raise ServiceError(errors)
