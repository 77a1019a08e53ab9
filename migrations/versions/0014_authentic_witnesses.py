"""witnesses who are who they say: links passed on by the assessor, one link a request, the
witness's relationship and competence, flags, and the assessor's verification

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('last_login_ip', sa.String(length=64), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('witness_request') as batch:
        batch.alter_column('token_hash', existing_type=sa.String(length=64), nullable=True)
        batch.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('passed_on_at', portfolio.models.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column('passed_on_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('relationship_kind', sa.String(length=20), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('competence', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('signed_ip', sa.String(length=64), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('verified_how', sa.String(length=20), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('verified_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('verified_note', sa.String(length=500), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('verified_at', portfolio.models.UTCDateTime(),
                                   nullable=True))
        batch.create_unique_constraint('uq_witness_request_request_key', ['request_key'])
        batch.create_foreign_key('fk_witness_request_passed_on_by_id_users', 'users',
                                 ['passed_on_by_id'], ['id'])
        batch.create_foreign_key('fk_witness_request_verified_by_id_users', 'users',
                                 ['verified_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('witness_request') as batch:
        batch.drop_constraint('fk_witness_request_verified_by_id_users', type_='foreignkey')
        batch.drop_constraint('fk_witness_request_passed_on_by_id_users', type_='foreignkey')
        batch.drop_constraint('uq_witness_request_request_key', type_='unique')
        for column in ('verified_at', 'verified_by_id', 'verified_note', 'verified_on',
                       'verified_how', 'signed_ip', 'competence', 'relationship_kind',
                       'passed_on_by_id', 'passed_on_at', 'request_key'):
            batch.drop_column(column)
        batch.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('users') as batch:
        batch.drop_column('last_login_ip')
