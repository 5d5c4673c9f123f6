"""Complaint and follow-up cases, and the staff's in-app notifications

Revision ID: 0016_cases
Revises: 0011_model_promotions
Create Date: 2026-12-07

The brief named ``0009_survey_dialogue_state`` as the parent; this branch
already holds 0010 and 0015, so the parent is the current head (one head
keeps ``upgrade head`` working). The chain is fixed at merge.
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_cases"
down_revision = "0011_model_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flag_id", sa.Integer(), sa.ForeignKey("flags.id"), nullable=False, unique=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("credited_agent_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("handler_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regulator", sa.String(16), nullable=True),
        sa.Column("regulator_due", sa.Date(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'answered', 'resolved')", name="ck_cases_status"),
    )
    op.create_index("ix_cases_status_due", "cases", ["status", "due_at"])
    op.create_index("ix_cases_survey_id", "cases", ["survey_id"])
    op.create_index("ix_cases_credited_agent_id", "cases", ["credited_agent_id"])
    op.create_index("ix_cases_team_id", "cases", ["team_id"])
    op.create_index("ix_cases_handler_id", "cases", ["handler_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("text", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_agent_read", "notifications", ["agent_id", "read_at"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("cases")
