"""each portfolio's list figures kept in portfolio_summary; indexes for the hot filters

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portfolio_summary',
        sa.Column('portfolio_id', sa.Integer(), nullable=False),
        sa.Column('lock_version', sa.Integer(), nullable=False),
        sa.Column('unit_version', sa.String(length=64), nullable=False),
        sa.Column('valid_through', sa.Date(), nullable=True),
        sa.Column('met', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('outcomes_json', sa.Text(), nullable=False),
        sa.Column('awaiting', sa.Integer(), nullable=False),
        sa.Column('referred', sa.Integer(), nullable=False),
        sa.Column('disputed', sa.Integer(), nullable=False),
        sa.Column('resubmitted', sa.Integer(), nullable=False),
        sa.Column('complete', sa.Boolean(), nullable=False),
        sa.Column('judged_json', sa.Text(), nullable=False),
        sa.Column('computed_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['portfolio_id'], ['portfolio.id'], ),
        sa.PrimaryKeyConstraint('portfolio_id'))
    op.create_index('ix_notification_user_read', 'notification', ['user_id', 'read_at'])
    op.create_index('ix_audit_event_portfolio_time', 'audit_event',
                    ['portfolio_id', 'created_at'])


def downgrade():
    op.drop_index('ix_audit_event_portfolio_time', table_name='audit_event')
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_table('portfolio_summary')
