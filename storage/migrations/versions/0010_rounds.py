"""fieldwork rounds and their reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: the round each organisation runs, a record of each round report
    sent (never twice), and an index to read one kind over the whole history."""
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_start', sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column('round_weeks', sa.Integer(), server_default='4', nullable=False)
        )
    op.create_table(
        'round_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('round_start', sa.Date(), nullable=False),
        sa.Column('round_end', sa.Date(), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('path', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'round_start', name='uq_round_report'),
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_observations_org_kind', ['organisation_id', 'kind', 'created_at'], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_org_kind')
    op.drop_table('round_reports')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('round_weeks')
        batch_op.drop_column('round_start')
