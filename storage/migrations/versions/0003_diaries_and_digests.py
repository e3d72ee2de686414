"""diaries and digests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 01:38:00.328958
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import storage.models


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table('digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('iso_year', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('path', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'iso_year', 'iso_week', name='uq_digest_week')
    )
    op.create_table('diarists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('consent_version', sa.String(length=40), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reminder_time', sa.String(length=5), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('stopped_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('home_wijk', sa.Integer(), nullable=True),
    sa.Column('last_reminded_on', sa.Date(), nullable=True),
    sa.Column('summary_sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('diarists', schema=None) as batch_op:
        batch_op.create_index('ix_diarists_due', ['stopped_at', 'reminder_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_diarists_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('digest_time', sa.String(length=5), server_default='09:00', nullable=False))
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), server_default='24', nullable=False))




def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
        batch_op.drop_column('digest_time')
        batch_op.drop_column('digest_weekday')

    with op.batch_alter_table('diarists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diarists_organisation_id'))
        batch_op.drop_index('ix_diarists_due')

    op.drop_table('diarists')
    op.drop_table('digests')

