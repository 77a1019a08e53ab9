"""signing in with the college account (OpenID Connect): the identity provider's issuer and
subject each account was matched to at its first such sign-in

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch.create_unique_constraint('uq_users_oidc_issuer', ['oidc_issuer', 'oidc_subject'])


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('uq_users_oidc_issuer', type_='unique')
        batch.drop_column('oidc_subject')
        batch.drop_column('oidc_issuer')
