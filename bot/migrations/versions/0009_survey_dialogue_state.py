"""The survey's dialogue state (stage, retries, pending reason) kept on its row instead of in Rasa's slots

Revision ID: 0009_survey_dialogue_state
Revises: 0008_chat_message_ids
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_survey_dialogue_state"
down_revision = "0008_chat_message_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("stage", sa.String(32), nullable=True))
        batch.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pending_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("pending_reason")
        batch.drop_column("retries")
        batch.drop_column("stage")
