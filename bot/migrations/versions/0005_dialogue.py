"""Customer chat: transcript of each survey (for reloads) and the hashed opt-out list

Revision ID: 0005_dialogue
Revises: 0004_staff_extra
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_dialogue"
down_revision = "0004_staff_extra"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("sender IN ('customer', 'bot')", name="ck_chat_messages_sender"),
    )
    op.create_index("ix_chat_messages_survey", "chat_messages", ["survey_id", "id"])
    op.create_table(
        "opt_outs",
        sa.Column("channel_hash", sa.String(64), primary_key=True),
        sa.Column("opted_out_at", TZ, nullable=False),
        sa.Column("opted_in_at", TZ, nullable=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
    op.drop_index("ix_chat_messages_survey", table_name="chat_messages")
    op.drop_table("chat_messages")
