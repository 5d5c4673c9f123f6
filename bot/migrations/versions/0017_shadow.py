"""Shadow mode of the cause classifier: which candidate reads live reasons, and what it read

Revision ID: shadow_0017_shadow
Revises: 0013_review
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "shadow_0017_shadow"
down_revision = "0013_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Frozen here (not imported from bot.db): later model changes must not rewrite this step.
    op.create_table(
        "shadow_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "shadow_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reason_id", sa.Integer(), sa.ForeignKey("reasons.id"), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("attribution", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("needs_confirmation", sa.Boolean(), nullable=False),
        sa.Column("live_cause", sa.String(32), nullable=False),
        sa.Column("live_version", sa.String(64), nullable=True),
        sa.Column("disagrees", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("reason_id", "version", name="uq_shadow_readings_reason_version"),
    )
    op.create_index("ix_shadow_readings_version_disagrees", "shadow_readings", ["version", "disagrees"])


def downgrade() -> None:
    op.drop_index("ix_shadow_readings_version_disagrees", table_name="shadow_readings")
    op.drop_table("shadow_readings")
    op.drop_table("shadow_runs")
