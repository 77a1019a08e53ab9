"""when a learner's programme ended (so its records are kept RETENTION_YEARS, then may be
erased), and portfolio numbers never reused on SQLite

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

END_HAS_REASON = ("(ended_on IS NULL AND end_reason = '') OR (ended_on IS NOT NULL AND "
                  "end_reason IN ('completed', 'withdrawn', 'transferred'))")


def upgrade():
    # On SQLite the table is rebuilt with AUTOINCREMENT, so that the number of an erased
    # portfolio (its anonymised audit trail keeps it) is never given to a new one; other
    # databases never reuse a sequence's numbers, and only gain the columns.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('portfolio', recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=20), server_default='',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_portfolio_end_has_reason'),
                                         END_HAS_REASON)


def downgrade():
    with op.batch_alter_table('portfolio') as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_portfolio_end_has_reason'), type_='check')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_on')
