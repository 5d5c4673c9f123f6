"""CHECK constraints for the vocabulary columns and the indexes the KPI queries need

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The value lists are frozen here on purpose: a migration must mean the same
thing forever. ``tests/storage/test_schema.py`` checks that they accept every
member of today's enums in ``bot.domain`` and refuse anything else.
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SURVEY_STATUSES = ("pending", "in_progress", "completed", "closed_no_score", "opted_out", "expired")
RATING_STATUSES = ("valid", "late", "corrected", "opted_out")
REASON_SOURCES = ("model", "customer", "reviewer", "import")
ATTRIBUTIONS = ("staff", "non_staff", "none")
CAUSES = ("staff.attitude", "staff.competence", "staff.resolution", "company.policy", "company.product",
          "company.system", "company.network", "survey.issue", "customer.misreply", "customer.other", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("surveys") as b:
        b.create_check_constraint("ck_surveys_status", _in("status", SURVEY_STATUSES))
        b.create_index("ix_surveys_status", ["status"])
    with op.batch_alter_table("ratings") as b:
        b.create_check_constraint("ck_ratings_status", _in("status", RATING_STATUSES))
        b.create_check_constraint("ck_ratings_score", "score BETWEEN 1 AND 5")
        b.create_index("ix_ratings_survey_status", ["survey_id", "status", "id"])
    with op.batch_alter_table("reasons") as b:
        b.create_check_constraint("ck_reasons_source", _in("source", REASON_SOURCES))
        b.create_check_constraint("ck_reasons_attribution", _in("attribution", ATTRIBUTIONS))
        b.create_check_constraint("ck_reasons_cause", _in("cause", CAUSES))
        b.create_index("ix_reasons_rating_current", ["rating_id", "id"])
        b.create_index("ix_reasons_needs_review", ["needs_review"])
    with op.batch_alter_table("calls") as b:
        b.create_index("ix_calls_credited_agent_ended", ["credited_agent_id", "ended_at"])
        b.create_index("ix_calls_ended_at", ["ended_at"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as b:
        b.drop_index("ix_calls_ended_at")
        b.drop_index("ix_calls_credited_agent_ended")
    with op.batch_alter_table("reasons") as b:
        b.drop_index("ix_reasons_needs_review")
        b.drop_index("ix_reasons_rating_current")
        b.drop_constraint("ck_reasons_cause", type_="check")
        b.drop_constraint("ck_reasons_attribution", type_="check")
        b.drop_constraint("ck_reasons_source", type_="check")
    with op.batch_alter_table("ratings") as b:
        b.drop_index("ix_ratings_survey_status")
        b.drop_constraint("ck_ratings_score", type_="check")
        b.drop_constraint("ck_ratings_status", type_="check")
    with op.batch_alter_table("surveys") as b:
        b.drop_index("ix_surveys_status")
        b.drop_constraint("ck_surveys_status", type_="check")
