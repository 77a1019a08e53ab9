"""unit versions, range items on claims and decisions, withdrawn claims

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:45:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models  # noqa: F401  (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unit_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('stored_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'version', name='uq_unit_version'),
    )
    with op.batch_alter_table('portfolio', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_version', sa.String(length=64), server_default='',
                                      nullable=False))
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('range_json', sa.Text(), server_default='[]',
                                      nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', portfolio.models.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_claim_withdrawn_by_id_users', 'users',
                                    ['withdrawn_by_id'], ['id'])
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('range_json', sa.Text(), server_default='[]',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('range_json')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint('fk_claim_withdrawn_by_id_users', type_='foreignkey')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('range_json')
    with op.batch_alter_table('portfolio', schema=None) as batch_op:
        batch_op.drop_column('unit_version')
    op.drop_table('unit_version')
