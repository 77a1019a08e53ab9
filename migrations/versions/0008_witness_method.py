"""a witness link says which of the unit's witness methods it asks for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:59:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('witness_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=64),
                                      server_default='witness_testimony', nullable=False))


def downgrade():
    with op.batch_alter_table('witness_request', schema=None) as batch_op:
        batch_op.drop_column('method')
