"""Reading a recipients CSV: the encoding chain, the delimiter, the columns and the size limits.

Only the shape of the file is checked here; whether each address may be invited is decided by
``surveys.invitations.check_recipients``. Line numbers are those a spreadsheet shows: the
header is line 1, and a quoted value spanning several lines still counts as one row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qcrm.errors import ServiceError

#: Largest upload and most data rows: a clear message beyond, never a slow request.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000

#: The encodings a manager can choose; "auto" tries UTF-8 (with or without BOM), then
#: Windows-1252, which is what German Excel writes for "CSV (Trennzeichen-getrennt)".
ENCODING_LABELS = {
    "auto": _l("Detect (UTF-8, else Windows-1252)"),
    "utf-8": _l("UTF-8"),
    "cp1252": _l("Windows-1252 (Excel on Windows)"),
}

#: Accepted header spellings, compared without case, spaces, hyphens and underscores.
EMAIL_HEADERS = frozenset({"email", "mail", "emailaddress", "emailadresse", "mailadresse"})
CHANNEL_HEADERS = frozenset({"channel", "channelid", "kanal"})


@dataclass(frozen=True)
class RecipientRow:
    """One recipient as given: ``position`` is the line in the file (or the index in a list)."""

    position: int
    email: str
    channel: str = ""


def decode(data: bytes, encoding: str = "auto") -> str:
    """The file's text; a file that is not in the chosen encoding is refused, never garbled."""
    if encoding not in ENCODING_LABELS:
        raise ServiceError.on("encoding", _("Choose one of the offered encodings."))
    if encoding in ("auto", "utf-8"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if encoding == "utf-8":
                raise ServiceError.on(
                    "file",
                    _(
                        "The file is not valid UTF-8 (at byte %(position)d). Choose "
                        "“Windows-1252” if it was saved by Excel on Windows.",
                        position=error.start + 1,
                    ),
                ) from error
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ServiceError.on(
            "file",
            _(
                "The file is neither UTF-8 nor Windows-1252 text (at byte %(position)d). Save "
                "it as “CSV UTF-8” and upload it again.",
                position=error.start + 1,
            ),
        ) from error


def _delimiter(text: str) -> str:
    """German Excel separates with “;”, most other programs with “,”: the header decides."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _normal_header(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " -_.")


def _expected_columns() -> str:
    return _(
        "The file needs a column “email” (or “E-Mail”) and may have a column “channel” "
        "(a channel's name or number)."
    )


def parse_recipients(data: bytes, encoding: str = "auto") -> list[RecipientRow]:
    """The rows of an uploaded recipients file, each with its line; blank rows are skipped."""
    if len(data) > MAX_BYTES:
        raise ServiceError.on(
            "file",
            _(
                "The file is larger than %(mb)d MB; split it into smaller files.",
                mb=MAX_BYTES >> 20,
            ),
        )
    text = decode(data, encoding)
    if not text.strip():
        raise ServiceError.on("file", _("The file is empty.") + " " + _expected_columns())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader)
        columns = [_normal_header(name) for name in header]
        email_columns = [i for i, name in enumerate(columns) if name in EMAIL_HEADERS]
        channel_columns = [i for i, name in enumerate(columns) if name in CHANNEL_HEADERS]
        if len(email_columns) != 1 or len(channel_columns) > 1:
            found = ", ".join(f"“{name.strip()}”" for name in header if name.strip()) or "–"
            raise ServiceError.on(
                "file", _expected_columns() + " " + _("Found: %(columns)s.", columns=found)
            )
        email_at, channel_at = email_columns[0], (channel_columns or [None])[0]
        rows: list[RecipientRow] = []
        for line, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(rows) == MAX_ROWS:
                raise ServiceError.on(
                    "file",
                    _(
                        "The file has more than %(max)d recipients; split it into smaller files.",
                        max=MAX_ROWS,
                    ),
                )
            rows.append(
                RecipientRow(
                    position=line,
                    email=_cell(values, email_at),
                    channel=_cell(values, channel_at) if channel_at is not None else "",
                )
            )
    except csv.Error as error:
        raise ServiceError.on(
            "file", _("The file is not a readable CSV file: %(error)s", error=str(error))
        ) from error
    if not rows:
        raise ServiceError.on("file", _("The file has a header but no recipients."))
    return rows


def _cell(values: list[str], index: int) -> str:
    return values[index].strip() if index < len(values) else ""
