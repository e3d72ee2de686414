"""media retry schedule

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: a pending file keeps the time of its next try across restarts."""
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('next_try_at', storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index('ix_media_due', ['status', 'next_try_at'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index('ix_media_due')
        batch_op.drop_column('next_try_at')
