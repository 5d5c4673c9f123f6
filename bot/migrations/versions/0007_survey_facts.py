"""KPI fact table survey_facts: one row per survey, materialised from the canonical per-survey query

Revision ID: 0007_survey_facts
Revises: 0006_message_ids
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_survey_facts"
down_revision = "0006_message_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_facts",
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("surveys.id"), primary_key=True, autoincrement=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credited_agent_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("survey_status", sa.String(32), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reason_id", sa.Integer(), nullable=True),
        sa.Column("attribution", sa.String(16), nullable=True),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=True),
        sa.Column("appeal_upheld", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(24), nullable=True),
    )
    op.create_index("ix_survey_facts_ended_at", "survey_facts", ["ended_at"])
    op.create_index("ix_survey_facts_team_ended", "survey_facts", ["team_id", "ended_at"])
    op.create_index("ix_survey_facts_agent_ended", "survey_facts", ["credited_agent_id", "ended_at"])
    # Backfill with the canonical per-survey query as it stood at this revision, frozen here: a migration must
    # never import live application code (a later column in the live query would break old upgrades).
    false, true = ("0", "1") if op.get_bind().dialect.name == "sqlite" else ("false", "true")
    op.execute(sa.text(_BACKFILL.format(false=false, true=true)))


_BACKFILL = """
INSERT INTO survey_facts (survey_id, ended_at, credited_agent_id, team_id, survey_status, rating_id, score, reason_id,
                          attribution, cause, source, needs_review, appeal_upheld, late, corrected, bucket)
SELECT surveys.id, calls.ended_at, calls.credited_agent_id, calls.team_id, surveys.status, ratings.id, ratings.score,
       reasons.id, reasons.attribution, reasons.cause, reasons.source, reasons.needs_review,
       upheld_appeals.reason_id IS NOT NULL,
       (SELECT count(*) FROM ratings AS r1 WHERE r1.survey_id = surveys.id AND r1.status = 'late'),
       (SELECT count(*) FROM ratings AS r2 WHERE r2.survey_id = surveys.id AND r2.status = 'corrected'),
       CASE WHEN ratings.id IS NULL THEN NULL
            WHEN ratings.score > 3 THEN NULL
            WHEN ratings.score <= 3 AND reasons.attribution = 'staff'
                 AND (reasons.source IN ('customer', 'reviewer', 'import')
                      OR reasons.source = 'model' AND reasons.needs_review IS {false})
                 AND upheld_appeals.reason_id IS NULL THEN 'staff_low'
            WHEN reasons.attribution = 'staff'
                 AND (reasons.source IN ('customer', 'reviewer', 'import')
                      OR reasons.source = 'model' AND reasons.needs_review IS {false}) THEN 'appeal_upheld'
            WHEN reasons.source = 'model' AND reasons.needs_review IS {true} THEN 'unattributed_low'
            WHEN reasons.attribution = 'non_staff' THEN 'non_staff_low'
            ELSE 'unattributed_low' END
FROM calls
JOIN surveys ON surveys.call_id = calls.id
LEFT OUTER JOIN ratings ON ratings.survey_id = surveys.id AND ratings.status = 'valid'
     AND NOT EXISTS (SELECT 1 FROM ratings AS r3 WHERE r3.survey_id = ratings.survey_id AND r3.status = 'valid'
                     AND r3.id > ratings.id)
LEFT OUTER JOIN reasons ON reasons.rating_id = ratings.id
     AND NOT EXISTS (SELECT 1 FROM reasons AS later WHERE later.rating_id = reasons.rating_id AND later.id > reasons.id)
LEFT OUTER JOIN (SELECT DISTINCT reason_id FROM appeals WHERE status = 'upheld') AS upheld_appeals
     ON upheld_appeals.reason_id = reasons.id
"""


def downgrade() -> None:
    op.drop_table("survey_facts")
