"""claims quote the passage of the evidence that meets the criterion (its words, where it sits
and in which version, and whether a revision changed or removed it); each evidence version
keeps its readable text, so a quote's offsets index the same string for good

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('claim') as batch_op:
        batch_op.add_column(sa.Column('quote', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('quote_start', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quote_end', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quote_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quote_flag', sa.String(length=16), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('quote_was', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_claim_quote_flag_known'),
                                         "quote_flag IN ('', 'changed', 'lost')")
        batch_op.create_check_constraint(
            batch_op.f('ck_claim_quote_span'),
            'quote_start IS NULL OR (quote_start >= 0 AND quote_end > quote_start)')
    with op.batch_alter_table('evidence_version') as batch_op:
        batch_op.add_column(sa.Column('readable_json', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('evidence_version') as batch_op:
        batch_op.drop_column('readable_json')
    with op.batch_alter_table('claim') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_claim_quote_span'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_claim_quote_flag_known'), type_='check')
        batch_op.drop_column('quote_was')
        batch_op.drop_column('quote_flag')
        batch_op.drop_column('quote_version')
        batch_op.drop_column('quote_end')
        batch_op.drop_column('quote_start')
        batch_op.drop_column('quote')
