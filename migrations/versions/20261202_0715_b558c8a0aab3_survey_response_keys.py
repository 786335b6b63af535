"""survey response keys: an opaque random id per response (issue 11, anonymity)

Revision ID: b558c8a0aab3
Revises: b0bfda7b68e6
Create Date: 2026-12-02 07:15:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b558c8a0aab3'
down_revision = 'b0bfda7b68e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=32), nullable=True))
    responses = sa.table('survey_responses', sa.column('id', sa.Integer), sa.column('key', sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(responses.c.id)).scalars().all()
    for start in range(0, len(ids), 1000):
        connection.execute(
            responses.update().where(responses.c.id == sa.bindparam('response_id')),
            [{'response_id': i, 'key': secrets.token_hex(16)} for i in ids[start : start + 1000]],
        )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_survey_responses_key'), ['key'])


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_responses_key'), type_='unique')
        batch_op.drop_column('key')
