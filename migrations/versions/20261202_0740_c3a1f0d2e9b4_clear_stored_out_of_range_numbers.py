"""clear stored out-of-range numbers (issue 11, point 2)

Before the ranges were checked, a wave could store 1e21, 1e309 (infinity) or NaN for its
second-attempt delay, answer timeouts and targets, and a survey for its targets; such a row
made the scheduler jobs and report publishing fail. Forms and API refuse them now; this clears
what is stored already: an out-of-range number becomes "not set" (NULL, or the key is dropped
from the JSON of answer timeouts and dimension targets, so the default applies). Nothing to
undo on downgrade.

Revision ID: c3a1f0d2e9b4
Revises: b558c8a0aab3
Create Date: 2026-12-02 07:40:00

"""
import json
import math

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3a1f0d2e9b4'
down_revision = 'b558c8a0aab3'
branch_labels = None
depends_on = None

HOURS_PER_YEAR = 8760
#: (table, column, lowest, highest, lowest allowed itself) as qcrm.validation checks them now.
RANGES = [
    ('waves', 'second_attempt_after_hours', 0, HOURS_PER_YEAR, False),
    ('waves', 'target_frt_within_hours', 0, HOURS_PER_YEAR, False),
    ('waves', 'target_frt_median_minutes', 0, HOURS_PER_YEAR * 60, False),
    ('waves', 'target_answer_rate', 0, 1, True),
    ('waves', 'target_frt_within_share', 0, 1, True),
    ('waves', 'target_total_score', 0, 100, True),
    ('surveys', 'target_csat', 0, 1, True),
    ('surveys', 'target_nps', -100, 100, True),
    ('surveys', 'target_ces', 1, 7, True),
]
#: JSON maps of numbers: (table, column, lowest, highest, lowest allowed itself).
JSON_RANGES = [
    ('waves', 'answer_timeouts', 0, HOURS_PER_YEAR, False),
    ('waves', 'target_dimension_scores', 0, 100, True),
]


def _in_range(value, low, high, low_allowed) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not math.isfinite(value):
        return False
    return (value >= low if low_allowed else value > low) and value <= high


def clear_out_of_range(connection) -> int:
    """Set every stored out-of-range number to "not set"; returns how many were cleared."""
    cleared = 0
    for table, column, low, high, low_allowed in RANGES:
        col = sa.column(column, sa.Float)
        lower = col >= low if low_allowed else col > low
        # NaN and infinity fail the range on PostgreSQL too (NaN sorts above every number);
        # SQLite stores NaN as NULL already.
        cleared += connection.execute(
            sa.table(table, col).update()
            .where(col.is_not(None), sa.not_(sa.and_(lower, col <= high)))
            .values({column: None})
        ).rowcount
    for table, column, low, high, low_allowed in JSON_RANGES:
        rows = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.Text))
        for row_id, text in connection.execute(
            sa.select(rows.c.id, sa.cast(rows.c[column], sa.Text))
        ).all():
            values = json.loads(text) if text else None
            if not isinstance(values, dict):
                continue
            kept = {k: v for k, v in values.items() if _in_range(v, low, high, low_allowed)}
            if kept != values:
                cleared += len(values) - len(kept)
                table_json = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.JSON))
                connection.execute(
                    table_json.update().where(table_json.c.id == row_id).values({column: kept})
                )
    return cleared


def upgrade():
    clear_out_of_range(op.get_bind())


def downgrade():
    pass
