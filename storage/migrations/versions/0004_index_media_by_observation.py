"""index media by observation

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:43:20.821520
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import storage.models


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index('ix_media_observation', ['observation_id'], unique=False)




def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index('ix_media_observation')


