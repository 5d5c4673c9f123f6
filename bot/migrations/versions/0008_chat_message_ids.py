"""Chat transcript rows keyed by the page's message id: a resent message is stored once

Revision ID: 0008_chat_message_ids
Revises: 0007_survey_facts
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_chat_message_ids"
down_revision = "0007_survey_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_messages") as batch:
        batch.add_column(sa.Column("message_id", sa.String(64), nullable=True))
    # NULLs never collide: bot messages and messages sent without an id are not keyed.
    op.create_index("uq_chat_messages_survey_message", "chat_messages", ["survey_id", "message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_chat_messages_survey_message", table_name="chat_messages")
    with op.batch_alter_table("chat_messages") as batch:
        batch.drop_column("message_id")
