"""wrong sign-ins at addresses with no account, locked like an account's

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'unknown_sign_in',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('locked_until', portfolio.models.UTCDateTime(), nullable=True),
        sa.Column('updated_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key_hash', name='pk_unknown_sign_in'))
    op.create_index('ix_unknown_sign_in_updated_at', 'unknown_sign_in', ['updated_at'])


def downgrade():
    op.drop_index('ix_unknown_sign_in_updated_at', table_name='unknown_sign_in')
    op.drop_table('unknown_sign_in')
