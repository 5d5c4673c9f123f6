"""KPI day sums survey_fact_days (per local day, credited agent and call team), the zone they are keyed by,
and the cause report's quotes index

Revision ID: dayagg_0017_survey_fact_days
Revises: queue_0017_review_items (main's head at the merge; 0013_review when written)
Create Date: 2026-12-07

On an empty fact table the zone (FEEDBACKBOT_TIMEZONE, default
Asia/Shanghai) is recorded at once, so every write from the first on keeps
the sums (the zone is that of the settings). On a database that already holds facts the table is left unbuilt
(scoring reads the facts, exact but slower) until ``feedbackbot facts
rebuild`` fills it: the fill is the application's query, kept out of a
frozen migration.
"""
import os

import sqlalchemy as sa
from alembic import op

revision = "dayagg_0017_survey_fact_days"
down_revision = "queue_0017_review_items"
branch_labels = None
depends_on = None

# Frozen here: the counted measures as of this migration (bot.ledger.day_counts.MEASURES).
MEASURES = ("invited", "responses", "satisfied", "neutral", "dissatisfied", "staff_low", "non_staff_low",
            "unattributed_low", "opted_out", "appeal_upheld", "late", "corrected", "appeal_open",
            "ns_company_policy", "ns_company_product", "ns_company_system", "ns_company_network",
            "ns_survey_issue", "ns_customer_misreply", "ns_customer_other",
            "st_staff_attitude", "st_staff_competence", "st_staff_resolution")


def upgrade() -> None:
    op.create_table(
        "survey_fact_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("credited_agent_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_ended", sa.DateTime(timezone=True), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in MEASURES),
        sqlite_with_rowid=False,  # SQLite: rows in key order, a period is one sequential range
    )
    op.create_table(
        "survey_fact_days_zone",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_index("ix_survey_facts_quotes", "survey_facts", ["bucket", "cause", "reason_id", "ended_at"])
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM survey_facts")).scalar() == 0:
        # The setting FEEDBACKBOT_TIMEZONE and its default (bot.settings); migrations import no application code.
        tz = os.environ.get("FEEDBACKBOT_TIMEZONE") or "Asia/Shanghai"
        bind.execute(sa.text("INSERT INTO survey_fact_days_zone (id, timezone) VALUES (1, :tz)"), {"tz": tz})
    else:
        print("survey_fact_days created empty: run `feedbackbot facts rebuild` to fill it "
              "(until then scoring reads survey_facts)")


def downgrade() -> None:
    op.drop_index("ix_survey_facts_quotes", table_name="survey_facts")
    op.drop_table("survey_fact_days_zone")
    op.drop_table("survey_fact_days")
