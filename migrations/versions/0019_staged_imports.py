"""CSV imports of learners held between the preview and the administrator's confirmation

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staged_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('admin_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('content_json', sa.Text(), nullable=False),
        sa.Column('created_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('expires_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.Column('imported_at', portfolio.models.UTCDateTime(), nullable=True),
        sa.Column('result_json', sa.Text(), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['admin_id'], ['users.id'],
                                name='fk_staged_import_admin_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_staged_import'),
        sa.UniqueConstraint('token_hash', name='uq_staged_import_token_hash'))
    op.create_index('ix_staged_import_admin_id', 'staged_import', ['admin_id'])
    op.create_index('ix_staged_import_expires_at', 'staged_import', ['expires_at'])


def downgrade():
    op.drop_index('ix_staged_import_expires_at', table_name='staged_import')
    op.drop_index('ix_staged_import_admin_id', table_name='staged_import')
    op.drop_table('staged_import')
