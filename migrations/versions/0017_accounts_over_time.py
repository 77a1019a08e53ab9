"""accounts over time: password reset links, temporary passwords that must be changed, and
closed (leavers') accounts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:10:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('deactivated_at', portfolio.models.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('deactivated_why', sa.String(length=200), nullable=False,
                                   server_default=''))
    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('expires_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('used_at', portfolio.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_password_reset_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_password_reset'),
        sa.UniqueConstraint('token_hash', name='uq_password_reset_token_hash'))
    op.create_index('ix_password_reset_user_id', 'password_reset', ['user_id'])


def downgrade():
    op.drop_index('ix_password_reset_user_id', table_name='password_reset')
    op.drop_table('password_reset')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('deactivated_why')
        batch.drop_column('deactivated_at')
        batch.drop_column('must_change_password')
