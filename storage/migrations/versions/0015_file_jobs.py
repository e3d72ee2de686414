"""file jobs: exports, pictures and round reports made outside the dispatcher's step

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: the file jobs a step records and a file worker carries out."""
    op.create_table(
        "file_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("file_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_file_jobs_status", ["status", "not_before"], unique=False)
        batch_op.create_index("ix_file_jobs_member", ["member_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("file_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_file_jobs_member")
        batch_op.drop_index("ix_file_jobs_status")
    op.drop_table("file_jobs")
