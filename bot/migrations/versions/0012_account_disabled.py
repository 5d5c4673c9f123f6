"""Staff accounts can be disabled: refused at login, every session ended

Revision ID: 0012_account_disabled
Revises: 0015_channels
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_account_disabled"
down_revision = "0015_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("disabled")
