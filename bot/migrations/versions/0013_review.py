"""Review queue: the model's reading kept beside a person's cause, review labels, the queue's indexes

(The reviewer role comes with 0014_appeals_decided, disabled accounts with 0012_account_disabled.)

Revision ID: 0013_review
Revises: 0016_cases
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_review"
down_revision = "0016_cases"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Frozen here: the taxonomy's 11 codes as of this migration.
CAUSES = ("staff.attitude", "staff.competence", "staff.resolution", "company.policy", "company.product",
          "company.system", "company.network", "survey.issue", "customer.misreply", "customer.other", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (batch mode would copy tables that others refer to).
    op.add_column("reasons", sa.Column("model_cause", sa.String(32), nullable=True))
    op.add_column("reasons", sa.Column("model_confidence", sa.Float(), nullable=True))
    op.create_index("ix_reasons_source_review", "reasons", ["source", "needs_review"])
    op.create_index("ix_reasons_source_attribution_confidence", "reasons", ["source", "attribution", "confidence"])
    op.create_index("ix_reasons_source_model_cause", "reasons", ["source", "model_cause"])
    op.create_index("ix_survey_facts_source_review", "survey_facts", ["source", "needs_review"])
    op.create_index("ix_survey_facts_reason", "survey_facts", ["reason_id"])
    op.create_table(
        "review_labels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reason_id", sa.Integer(), sa.ForeignKey("reasons.id"), nullable=False),
        sa.Column("reviewer_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint(f"cause IS NULL OR {_in('cause', CAUSES)}", name="ck_review_labels_cause"),
    )
    op.create_index("ix_review_labels_reason_reviewer", "review_labels", ["reason_id", "reviewer_id"], unique=True)
    op.create_index("ix_review_labels_reviewer", "review_labels", ["reviewer_id", "at"])


def downgrade() -> None:
    op.drop_table("review_labels")
    op.drop_index("ix_survey_facts_reason", table_name="survey_facts")
    op.drop_index("ix_survey_facts_source_review", table_name="survey_facts")
    for name in ("ix_reasons_source_model_cause", "ix_reasons_source_attribution_confidence",
                 "ix_reasons_source_review"):
        op.drop_index(name, table_name="reasons")
    op.drop_column("reasons", "model_confidence")
    op.drop_column("reasons", "model_cause")
