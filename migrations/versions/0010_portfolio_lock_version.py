"""a per-portfolio counter that serialises sign-off with changes to the portfolio

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portfolio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('portfolio', schema=None) as batch_op:
        batch_op.drop_column('lock_version')
