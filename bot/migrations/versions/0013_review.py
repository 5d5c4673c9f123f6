"""Review queue: the reviewer role, the model's reading kept beside a person's cause, review labels, disabled accounts

Revision ID: 0013_review
Revises: 0009_survey_dialogue_state
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_review"
down_revision = "0009_survey_dialogue_state"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
OLD_ROLES = ("agent", "supervisor", "admin")
NEW_ROLES = ("agent", "supervisor", "reviewer", "admin")
# Frozen here: the taxonomy's 11 codes as of this migration.
CAUSES = ("staff.attitude", "staff.competence", "staff.resolution", "company.policy", "company.product",
          "company.system", "company.network", "survey.issue", "customer.misreply", "customer.other", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _role_check(roles: tuple[str, ...]) -> None:
    """Replace the CHECK on agents.role.

    PostgreSQL alters the constraint in place. SQLite cannot alter a CHECK,
    and copying the agents table (batch mode) is refused once calls refer to
    its rows; SQLite documents editing the stored schema text for a change
    that leaves the rows valid, which is the case when a value is added (and
    on the way down the migration refuses when a reviewer exists).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint("ck_agents_role", "agents", type_="check")
        op.create_check_constraint("ck_agents_role", "agents", _in("role", roles))
        return
    old, new = (OLD_ROLES, NEW_ROLES) if roles == NEW_ROLES else (NEW_ROLES, OLD_ROLES)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'agents'",
                         (_in("role", old), _in("role", new)))
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    _role_check(NEW_ROLES)
    # Plain ADD COLUMN on both backends (batch mode would copy tables that others refer to).
    op.add_column("reasons", sa.Column("model_cause", sa.String(32), nullable=True))
    op.add_column("reasons", sa.Column("model_confidence", sa.Float(), nullable=True))
    op.add_column("accounts", sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
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
    if op.get_bind().execute(sa.text("SELECT count(*) FROM agents WHERE role = 'reviewer'")).scalar_one():
        raise RuntimeError("reviewer accounts exist: give them another role before downgrading")
    op.drop_table("review_labels")
    op.drop_index("ix_survey_facts_reason", table_name="survey_facts")
    op.drop_index("ix_survey_facts_source_review", table_name="survey_facts")
    for name in ("ix_reasons_source_model_cause", "ix_reasons_source_attribution_confidence",
                 "ix_reasons_source_review"):
        op.drop_index(name, table_name="reasons")
    op.drop_column("accounts", "disabled")
    op.drop_column("reasons", "model_confidence")
    op.drop_column("reasons", "model_cause")
    _role_check(OLD_ROLES)
