"""The cause classifier's promotion history (who promoted or rolled back which version, when and why)

Revision ID: 0011_model_promotions
Revises: 0014_appeals_decided
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_model_promotions"
down_revision = "0014_appeals_decided"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Frozen here (not imported from bot.db): later model changes must not rewrite this step.
    op.create_table(
        "model_promotions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_version", sa.String(64), nullable=True),
        sa.Column("to_version", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.CheckConstraint("action IN ('initial', 'promote', 'rollback')", name="ck_model_promotions_action"),
    )


def downgrade() -> None:
    op.drop_table("model_promotions")
