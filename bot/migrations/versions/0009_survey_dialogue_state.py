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
    # Conversations under way keep going: their stage is what the survey's
    # rows imply (the slots Rasa held are not readable from here). A closed
    # survey is done; an open one with a counted rating awaits its reason (a
    # high score completes the survey at once), without one its score; an
    # unopened or expired one starts afresh (a late reply is still taken). Only
    # a pending cause choice or score confirmation cannot be recovered: such a
    # customer is asked for the reason again.
    op.execute("""
        UPDATE surveys SET stage = CASE
            WHEN status IN ('completed', 'closed_no_score', 'opted_out') THEN 'done'
            WHEN status = 'in_progress' AND EXISTS (
                SELECT 1 FROM ratings WHERE ratings.survey_id = surveys.id AND ratings.status = 'valid')
                THEN 'awaiting_reason'
            WHEN status = 'in_progress' THEN 'awaiting_score'
        END
    """)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the
    # surveys table, which the ratings' foreign keys forbid once it has rows.
    for column in ("pending_reason", "retries", "stage"):
        op.drop_column("surveys", column)
