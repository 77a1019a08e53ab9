"""exports found by their key in the store; jobs' queue ids and signs of life

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=255), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('queue_id', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('beat_at', portfolio.models.UTCDateTime(),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_column('beat_at')
        batch_op.drop_column('queue_id')
        batch_op.drop_column('key')
