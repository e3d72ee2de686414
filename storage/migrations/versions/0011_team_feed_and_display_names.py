"""team feed and display names

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03 13:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0011'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision: display names, linked team groups, the feed and its comments."""
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=64), nullable=True))
    op.create_table(
        'team_groups',
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_member_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('linked_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.ForeignKeyConstraint(
            ['requested_by_member_id'], ['members.id'], ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('chat_id'),
    )
    with op.batch_alter_table('team_groups', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_team_groups_organisation_id'), ['organisation_id'], unique=False
        )
    op.create_table(
        'feed_posts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('oldest_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('feed_posts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_feed_posts_chat_created', ['chat_id', 'created_at'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_feed_posts_outbox_id'), ['outbox_id'], unique=False)
    op.create_table(
        'feed_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('observation_id', sa.Integer(), nullable=True),
        sa.Column('walk_id', sa.Integer(), nullable=True),
        sa.Column('removed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['observation_id'], ['observations.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['post_id'], ['feed_posts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['walk_id'], ['walks.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('observation_id'),
        sa.UniqueConstraint('walk_id'),
    )
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.create_index('ix_feed_items_post', ['post_id'], unique=False)
    op.create_table(
        'feed_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('observation_id', sa.Integer(), nullable=True),
        sa.Column('walk_id', sa.Integer(), nullable=True),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('message_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['observation_id'], ['observations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['walk_id'], ['walks.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('chat_id', 'message_id', name='uq_feed_comment_message'),
    )
    with op.batch_alter_table('feed_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_comments_member_id'), ['member_id'])
        batch_op.create_index(batch_op.f('ix_feed_comments_observation_id'), ['observation_id'])
        batch_op.create_index(batch_op.f('ix_feed_comments_walk_id'), ['walk_id'])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('feed_comments')
    op.drop_table('feed_items')
    op.drop_table('feed_posts')
    op.drop_table('team_groups')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('display_name')
