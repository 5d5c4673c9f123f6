"""Message receipts keyed by (survey, message id) for idempotent turns; survey funnel events

Revision ID: 0006_message_ids
Revises: 0005_dialogue
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_message_ids"
down_revision = "0005_dialogue"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
FUNNEL_STEPS = ("invited", "opened", "rated", "reason", "completed")


def upgrade() -> None:
    op.create_table(
        "message_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("state_before", sa.JSON(), nullable=False),
        sa.Column("state_after", sa.JSON(), nullable=False),
        sa.Column("responses", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("survey_id", "message_id", name="uq_message_receipts_survey_message"),
    )
    op.create_table(
        "funnel_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("survey_token", sa.String(64), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint(f"step IN ({', '.join(repr(s) for s in FUNNEL_STEPS)})", name="ck_funnel_events_step"),
    )
    op.create_index("ix_funnel_events_token_step", "funnel_events", ["survey_token", "step"])


def downgrade() -> None:
    op.drop_index("ix_funnel_events_token_step", table_name="funnel_events")
    op.drop_table("funnel_events")
    op.drop_table("message_receipts")
