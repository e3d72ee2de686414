"""index observations by walk

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 06:02:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: a walk's notes are counted and listed without a table scan."""
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_walk', ['walk_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_walk')
