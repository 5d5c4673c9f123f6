"""A partial index for a team page's quotes: survey_facts (team_id, cause, reason_id, ended_at) of the
non-staff low ratings

Revision ID: idx_0020_team_quotes
Revises: idx_0019_redundant_indexes
Create Date: 2026-12-08

The cause report of a team (its supervisor's page) quotes the newest reasons of
each non-staff cause among the team's calls. Without this index the planner
walked the team's rows of the period (``ix_survey_facts_team_ended``), about
17,000 a month for a team of 20 at 10,000,000 ratings, for each of the seven
causes (SQLite: 140 of the page's 190 ms). Only ``non_staff_low`` rows are in
it, about a tenth of the table, so the facts' writers maintain little more.
"""
from alembic import op
from sqlalchemy import text

revision = "idx_0020_team_quotes"
down_revision = "idx_0019_redundant_indexes"
branch_labels = None
depends_on = None

WHERE = "bucket = 'non_staff_low'"  # bot.db.survey_facts.TEAM_QUOTES_WHERE when this was written


def upgrade() -> None:
    op.create_index("ix_survey_facts_team_quotes", "survey_facts", ["team_id", "cause", "reason_id", "ended_at"],
                    sqlite_where=text(WHERE), postgresql_where=text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_survey_facts_team_quotes", table_name="survey_facts")
