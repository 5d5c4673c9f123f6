"""SMS and WeChat channels: the call's channel and identity hash, inbound and outbound messages

Revision ID: 0015_channels
Revises: 0010_job_runs
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_channels"
down_revision = "0010_job_runs"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: on SQLite a batch copy of ``calls`` would fail its foreign keys (surveys
    # point at it). SQLite gets the channel's CHECK only on databases created from the models.
    op.add_column("calls", sa.Column("channel", sa.String(16), nullable=False, server_default="web"))
    op.add_column("calls", sa.Column("channel_hash", sa.String(64), nullable=True))
    op.add_column("calls", sa.Column("channel_masked", sa.String(64), nullable=True))
    if not _sqlite():
        op.create_check_constraint("ck_calls_channel", "calls", "channel IN ('web', 'sms', 'wechat')")
    op.create_index("ix_calls_channel_hash", "calls", ["channel_hash"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedupe_key", sa.String(128), nullable=False, unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("channel_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extend", sa.String(32), nullable=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(255), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'processed', 'no_survey', 'awaiting_choice', 'failed')",
                           name="ck_inbound_messages_status"),
    )
    op.create_index("ix_inbound_messages_hash_received", "inbound_messages", ["channel_hash", "received_at"])
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("channel_hash", sa.String(64), nullable=False),
        sa.Column("channel_masked", sa.String(64), nullable=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'capped', 'window_closed')",
                           name="ck_outbound_messages_status"),
    )
    op.create_index("ix_outbound_messages_hash_created", "outbound_messages", ["channel_hash", "created_at"])


def downgrade() -> None:
    op.drop_table("outbound_messages")
    op.drop_table("inbound_messages")
    op.drop_index("ix_calls_channel_hash", table_name="calls")
    if not _sqlite():
        op.drop_constraint("ck_calls_channel", "calls", type_="check")
    for column in ("channel_masked", "channel_hash", "channel"):
        op.drop_column("calls", column)
