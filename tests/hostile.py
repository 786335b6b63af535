"""Hostile values for the input-guard tests: NUL bytes, ids beyond the database's integers,
huge page numbers and characters XML forbids."""

from __future__ import annotations

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
