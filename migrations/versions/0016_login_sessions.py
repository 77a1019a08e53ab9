"""sign-ins held on the server (signing out ends a session, so a copied cookie stops working),
and a lock after repeated wrong passwords

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:45:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('locked_until', portfolio.models.UTCDateTime(),
                                   nullable=True))
    op.create_table(
        'login_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('ended_at', portfolio.models.UTCDateTime(), nullable=True),
        sa.Column('ended_why', sa.String(length=40), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name='fk_login_session_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_login_session'),
        sa.UniqueConstraint('key_hash', name='uq_login_session_key_hash'))
    op.create_index('ix_login_session_user_id', 'login_session', ['user_id'])


def downgrade():
    op.drop_index('ix_login_session_user_id', table_name='login_session')
    op.drop_table('login_session')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('locked_until')
        batch.drop_column('failed_logins')
