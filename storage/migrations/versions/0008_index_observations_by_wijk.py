"""index observations by organisation and wijk

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: the weekly picture counts each buurt wijk's observations since the
    start from this index alone, whatever the length of the history."""
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_observations_org_wijk',
            ['organisation_id', 'wijk_code', 'created_at', 'kind'],
            unique=False,
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_org_wijk')
