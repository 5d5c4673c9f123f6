"""KPI fact table survey_facts: one row per survey, materialised from the canonical per-survey query

Revision ID: 0007_survey_facts
Revises: 0006_message_ids
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_survey_facts"
down_revision = "0006_message_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_facts",
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), primary_key=True, autoincrement=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credited_agent_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("survey_status", sa.String(32), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reason_id", sa.Integer(), nullable=True),
        sa.Column("attribution", sa.String(16), nullable=True),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=True),
        sa.Column("appeal_upheld", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(24), nullable=True),
    )
    op.create_index("ix_survey_facts_ended_at", "survey_facts", ["ended_at"])
    op.create_index("ix_survey_facts_team_ended", "survey_facts", ["team_id", "ended_at"])
    op.create_index("ix_survey_facts_agent_ended", "survey_facts", ["credited_agent_id", "ended_at"])
    # Backfill from the canonical query (the one definition lives in the application, not here).
    from sqlalchemy.orm import Session

    from bot.services.facts import refresh_facts

    with Session(bind=op.get_bind()) as s:
        refresh_facts(s, None)
        s.flush()


def downgrade() -> None:
    op.drop_table("survey_facts")
