"""hypotheses and the observations marked as evidence for them

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-03 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: hypotheses, their evidence, their voice notes, the staff setting."""
    op.create_table(
        "hypotheses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_member_id", sa.Integer(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("wijken", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hypotheses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hypotheses_org_status", ["organisation_id", "status"], unique=False
        )
    op.create_table(
        "hypothesis_links",
        sa.Column("hypothesis_id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=12), nullable=False),
        sa.Column("marked_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_by_member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["hypothesis_id"], ["hypotheses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["marked_by_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["observation_id"], ["observations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hypothesis_id", "observation_id"),
    )
    with op.batch_alter_table("hypothesis_links", schema=None) as batch_op:
        batch_op.create_index("ix_hypothesis_links_observation", ["observation_id"], unique=False)
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hypothesis_id", sa.Integer(), nullable=True))
        batch_op.alter_column("observation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_media_files_hypothesis_id_hypotheses",
            "hypotheses",
            ["hypothesis_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index("ix_media_hypothesis", ["hypothesis_id"], unique=False)
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("staff_hypotheses", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Revert this revision (voice notes of hypotheses go with them)."""
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("staff_hypotheses")
    op.execute("DELETE FROM media_files WHERE observation_id IS NULL")
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_index("ix_media_hypothesis")
        batch_op.drop_constraint("fk_media_files_hypothesis_id_hypotheses", type_="foreignkey")
        batch_op.alter_column("observation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("hypothesis_id")
    with op.batch_alter_table("hypothesis_links", schema=None) as batch_op:
        batch_op.drop_index("ix_hypothesis_links_observation")
    op.drop_table("hypothesis_links")
    with op.batch_alter_table("hypotheses", schema=None) as batch_op:
        batch_op.drop_index("ix_hypotheses_org_status")
    op.drop_table("hypotheses")
