"""fieldwork observations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:31:05.381619
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import storage.models


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table('geocode_cache',
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('query', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'query')
    )
    op.create_table('walks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=40), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('started_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=20), nullable=True),
    sa.Column('focus', sa.String(length=20), nullable=True),
    sa.Column('live_message_id', sa.BigInteger(), nullable=True),
    sa.Column('live_until', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_point_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sharing_stopped_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('prompts_sent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('walks', schema=None) as batch_op:
        batch_op.create_index('ix_walks_open', ['ended_at', 'member_id'], unique=False)
        batch_op.create_index('ix_walks_org_started', ['organisation_id', 'started_at'], unique=False)

    op.create_table('observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('theme', sa.String(length=20), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('location_source', sa.String(length=10), nullable=True),
    sa.Column('wijk_code', sa.Integer(), nullable=True),
    sa.Column('municipality_nis', sa.Integer(), nullable=True),
    sa.Column('in_brussels', sa.Boolean(), nullable=True),
    sa.Column('in_buurt', sa.Boolean(), nullable=True),
    sa.Column('walk_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('follow_up_sent_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.ForeignKeyConstraint(['walk_id'], ['walks.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chat_id', 'message_id', name='uq_observation_message')
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_follow_up', ['follow_up_on', 'follow_up_sent_at'], unique=False)
        batch_op.create_index('ix_observations_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_observations_org_created', ['organisation_id', 'created_at'], unique=False)

    op.create_table('track_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('walk_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('wijk_code', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['walk_id'], ['walks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('walk_id', 'recorded_at', 'lat', 'lon', name='uq_track_point')
    )
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('file_id', sa.String(length=200), nullable=False),
    sa.Column('file_unique_id', sa.String(length=100), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('mime_type', sa.String(length=100), nullable=True),
    sa.Column('path', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['observation_id'], ['observations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index('ix_media_status', ['status', 'id'], unique=False)




def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index('ix_media_status')

    op.drop_table('media_files')
    op.drop_table('track_points')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_org_created')
        batch_op.drop_index('ix_observations_member_created')
        batch_op.drop_index('ix_observations_follow_up')

    op.drop_table('observations')
    with op.batch_alter_table('walks', schema=None) as batch_op:
        batch_op.drop_index('ix_walks_org_started')
        batch_op.drop_index('ix_walks_open')

    op.drop_table('walks')
    op.drop_table('geocode_cache')

