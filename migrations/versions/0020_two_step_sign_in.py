"""two-step sign-in: each person's TOTP secret (encrypted) and single-use recovery codes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_totp',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_sealed', sa.String(length=255), nullable=False),
        sa.Column('created_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('enabled_at', portfolio.models.UTCDateTime(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_user_totp_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_user_totp'),
        sa.UniqueConstraint('user_id', name='uq_user_totp_user_id'))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('used_at', portfolio.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_recovery_code_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_recovery_code'),
        sa.UniqueConstraint('code_hash', name='uq_recovery_code_code_hash'))
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'])


def downgrade():
    op.drop_index('ix_recovery_code_user_id', table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_table('user_totp')
