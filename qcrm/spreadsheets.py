"""Spreadsheet cells that stay data: formula-injection safe text, numbers kept as numbers.

A text cell that starts with =, +, -, @, a tab or a carriage return would be run as a formula by
a spreadsheet. In CSV such text gets a leading apostrophe; in XLSX it is stored as a string cell
(never a formula) with Excel's quote prefix. Numbers, booleans and dates are written as they are.
Used by the survey exports and the report's XLSX.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from qcrm.input_guard import xml_safe

#: Cell values a row may hold; None is an empty cell.
Cell = str | int | float | bool | dt.date | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel's limit for a sheet's name.
SHEET_TITLE_MAX = 31


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before a formula-like start."""
    return "'" + text if is_formula_like(text) else text


def xlsx_cell(sheet, value: Cell):
    """A value for ``sheet.append`` of a write-only sheet: text always as a string cell."""
    if not isinstance(value, str):
        return value
    # Characters XML forbids (control characters, U+FFFE, U+FFFF, lone surrogates) would make
    # the file unreadable; they carry no meaning in user text, and old data may hold them.
    value = xml_safe(value)
    cell = WriteOnlyCell(sheet, value=value)
    # Always a string cell: openpyxl would otherwise store "=…" as a formula.
    cell.data_type = "s"
    if is_formula_like(value):
        cell.quotePrefix = True
    return cell


def workbook_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Cell]]]]) -> bytes:
    """An XLSX workbook with one sheet per (title, rows), written row by row (openpyxl's
    write-only mode keeps only the current row in memory); numbers stay numbers."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(_sheet_title(title))
        for row in rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
    file = io.BytesIO()
    workbook.save(file)
    return file.getvalue()


def _sheet_title(title: str) -> str:
    # []:*?/\ are not allowed in a sheet's name
    # and what XML forbids would make the file unreadable
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in xml_safe(title)).strip()
    return cleaned[:SHEET_TITLE_MAX] or "Sheet"
