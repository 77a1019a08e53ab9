"""indexes for "did this person assess it": decisions, records and signatures by their author

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 13:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_decision_assessor_id', 'decision', ['assessor_id'])
    op.create_index('ix_evidence_author_id', 'evidence', ['author_id'])
    op.create_index('ix_signature_signer_id', 'signature', ['signer_id'])


def downgrade():
    op.drop_index('ix_signature_signer_id', table_name='signature')
    op.drop_index('ix_evidence_author_id', table_name='evidence')
    op.drop_index('ix_decision_assessor_id', table_name='decision')
