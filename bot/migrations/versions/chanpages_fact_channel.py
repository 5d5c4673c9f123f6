"""survey_facts.channel: the call's channel on the fact row, so the response rate per channel reads the facts alone

Revision ID: chanpages_fact_channel
Revises: notify_0017_notifications
Create Date: 2026-12-07

Joining a period's facts to surveys and calls for the channel cost 2.2 s at 1,000,000 ratings on PostgreSQL
(benchmarks/scoring.py); the column makes it one GROUP BY over the period's fact rows like the KPIs.
"""
import sqlalchemy as sa
from alembic import op

revision = "chanpages_fact_channel"
down_revision = "notify_0017_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN with a default (no batch copy needed on SQLite); then the frozen backfill from calls.
    op.add_column("survey_facts", sa.Column("channel", sa.String(16), nullable=False, server_default="web"))
    op.execute("""
        UPDATE survey_facts SET channel = (
            SELECT calls.channel FROM surveys JOIN calls ON calls.id = surveys.call_id
            WHERE surveys.id = survey_facts.survey_id)
        WHERE EXISTS (SELECT 1 FROM surveys JOIN calls ON calls.id = surveys.call_id
                      WHERE surveys.id = survey_facts.survey_id AND calls.channel <> 'web')
    """)


def downgrade() -> None:
    with op.batch_alter_table("survey_facts") as b:
        b.drop_column("channel")
