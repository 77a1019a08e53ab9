"""suggested criteria the learner set aside, kept for the assessor to see

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import portfolio.models


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'suggestion_dismissal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('evidence_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.String(length=16), nullable=False),
        sa.Column('evidence_version', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False, server_default=''),
        sa.Column('dismissed_by_id', sa.Integer(), nullable=False),
        sa.Column('dismissed_at', portfolio.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'],
                                name='fk_suggestion_dismissal_evidence_id_evidence'),
        sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'],
                                name='fk_suggestion_dismissal_dismissed_by_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_suggestion_dismissal'),
        sa.UniqueConstraint('evidence_id', 'criterion_id',
                            name='uq_suggestion_dismissal_evidence_criterion'))
    op.create_index('ix_suggestion_dismissal_evidence_id', 'suggestion_dismissal',
                    ['evidence_id'])


def downgrade():
    op.drop_index('ix_suggestion_dismissal_evidence_id', table_name='suggestion_dismissal')
    op.drop_table('suggestion_dismissal')
