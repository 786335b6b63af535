"""Pagination of API lists: page sizes, the X-Pagination header, and one query paged in SQL."""

from __future__ import annotations

from qcrm.extensions import db
from qcrm.validation import MAX_PAGE

PAGE_SIZE = 25


MAX_PAGE_SIZE = 200


#: The X-Pagination header as it is sent: a JSON object in a string.
PAGINATION_HEADER = {
    "description": "Pagination metadata, a JSON object: "
    '{"total": 37, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, '
    '"next_page": 2} (previous_page and next_page only where there is one)',
    "schema": {"type": "string"},
}


def paginate(query, pagination_parameters):
    """One page of ``query``, counted and limited in SQL, for flask-smorest's ``@paginate()``
    (it sets the X-Pagination header from the count)."""
    if pagination_parameters.page > MAX_PAGE:
        # far beyond any list: empty, and no offset the database's integers cannot hold
        counted = db.paginate(query, page=1, per_page=1, error_out=False, count=True)
        pagination_parameters.item_count = counted.total or 0
        return []
    page = db.paginate(
        query,
        page=pagination_parameters.page,
        per_page=pagination_parameters.page_size,
        error_out=False,
        count=True,
    )
    pagination_parameters.item_count = page.total or 0
    return page.items
