"""Outbound notifications (deliveries per channel), owners of non-staff causes, inbox links to appeals

Revision ID: notify_0017_notifications
Revises: shadow_0017_shadow
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "notify_0017_notifications"
down_revision = "shadow_0017_shadow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, both nullable. SQLite cannot add a foreign key to an existing table (alembic would
    # need a batch copy): there the key exists only on databases created from the models.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("notifications", sa.Column("appeal_id", sa.Integer(), nullable=True))
    if not sqlite:
        op.create_foreign_key("fk_notifications_appeal_id", "notifications", "appeals", ["appeal_id"], ["id"])
    op.add_column("notifications", sa.Column("link", sa.String(255), nullable=True))
    op.create_table(
        "cause_owners",
        sa.Column("cause", sa.String(32), primary_key=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("webhook_kind", sa.String(16), nullable=True),
        sa.Column("webhook_url", sa.String(512), nullable=True),
        sa.Column("webhook_secret", sa.String(128), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.CheckConstraint("webhook_kind IS NULL OR webhook_kind IN ('wecom', 'dingtalk')",
                           name="ck_cause_owners_webhook"),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("owner_cause", sa.String(32), sa.ForeignKey("cause_owners.cause", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'skipped')",
                           name="ck_notification_deliveries_status"),
        sa.CheckConstraint("channel IN ('wecom', 'dingtalk', 'email')", name="ck_notification_deliveries_channel"),
    )
    op.create_index("ix_notification_deliveries_status_next", "notification_deliveries",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("notification_deliveries")
    op.drop_table("cause_owners")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("link")
        batch.drop_column("appeal_id")
