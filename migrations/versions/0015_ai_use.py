"""the learner's statement of their use of AI tools on each item they write

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # ai_used stays NULL on existing items: nobody has answered for them yet.
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ai_used', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('ai_tools', sa.String(length=300), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('ai_purposes_json', sa.Text(), server_default='[]',
                                      nullable=False))
        batch_op.add_column(sa.Column('ai_other', sa.String(length=300), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('ai_other')
        batch_op.drop_column('ai_purposes_json')
        batch_op.drop_column('ai_tools')
        batch_op.drop_column('ai_used')
