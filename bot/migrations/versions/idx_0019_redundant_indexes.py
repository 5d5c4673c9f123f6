"""Drop two indexes that a longer index starting with the same column already serves:
ix_ratings_survey_id (ix_ratings_survey_status: survey_id, status, id) and ix_reasons_rating_id
(ix_reasons_rating_current: rating_id, id)

Revision ID: idx_0019_redundant_indexes
Revises: teamday_0018_team_days
Create Date: 2026-12-07

Every lookup by the leading column alone is served by the longer index (the
same B-tree order); each insert of a rating or reason updated both. The
historical import writes about two of these rows per call.
"""
from alembic import op

revision = "idx_0019_redundant_indexes"
down_revision = "teamday_0018_team_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_ratings_survey_id", table_name="ratings")
    op.drop_index("ix_reasons_rating_id", table_name="reasons")


def downgrade() -> None:
    op.create_index("ix_reasons_rating_id", "reasons", ["rating_id"])
    op.create_index("ix_ratings_survey_id", "ratings", ["survey_id"])
