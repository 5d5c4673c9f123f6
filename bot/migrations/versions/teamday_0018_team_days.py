"""KPI day sums per local day and call team (survey_fact_team_days): survey_fact_days summed over the agents;
an index of survey_fact_days by agent and day

Revision ID: teamday_0018_team_days
Revises: dayagg_0017_survey_fact_days
Create Date: 2026-12-07

Filled here from ``survey_fact_days`` by a frozen GROUP BY (a sum of the
stored sums: exact, and no application code in a migration), so a database
whose day sums are built keeps serving exact team and centre rows at once.
On a database whose day sums are not built (no zone row) both stay empty
until ``feedbackbot facts rebuild``.
"""
import sqlalchemy as sa
from alembic import op

revision = "teamday_0018_team_days"
down_revision = "dayagg_0017_survey_fact_days"
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
        "survey_fact_team_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("team_id", sa.Integer(), primary_key=True, autoincrement=False),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in MEASURES),
        sqlite_with_rowid=False,  # SQLite: rows in key order, a period is one sequential range
    )
    # A staff page reads its agents' day rows (bot.scoring.board.score_scope), not the whole month's.
    op.create_index("ix_survey_fact_days_agent_day", "survey_fact_days", ["credited_agent_id", "day"])
    names = ", ".join(MEASURES)
    sums = ", ".join(f"SUM({name})" for name in MEASURES)
    op.execute(f"INSERT INTO survey_fact_team_days (day, team_id, {names}) "
               f"SELECT day, team_id, {sums} FROM survey_fact_days GROUP BY day, team_id")


def downgrade() -> None:
    op.drop_index("ix_survey_fact_days_agent_day", table_name="survey_fact_days")
    op.drop_table("survey_fact_team_days")
