"""Appeals decided: deciders, panels, deadlines, escalation, second review; the ``reviewer`` role, the
``appeal`` reason source and the facts' ``appeal_open`` flag

Revision ID: 0014_appeals_decided
Revises: 0012_account_disabled
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_appeals_decided"
down_revision = "0012_account_disabled"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# Frozen copies of the vocabularies at this revision (a migration never imports the live enums).
ROLES = ("agent", "supervisor", "admin", "reviewer")
OLD_ROLES = ("agent", "supervisor", "admin")
REASON_SOURCES = ("model", "customer", "reviewer", "import", "appeal")
OLD_REASON_SOURCES = ("model", "customer", "reviewer", "import")
APPEAL_STATUSES = ("open", "escalated", "review", "upheld", "rejected")
OLD_APPEAL_STATUSES = ("open", "upheld", "rejected")
MODES = ("supervisor", "panel")
VOTES = ("uphold", "reject")
CAUSES = ("staff.attitude", "staff.competence", "staff.resolution", "company.policy", "company.product",
          "company.system", "company.network", "survey.issue", "customer.misreply", "customer.other", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite_check_replaced(create_sql: str, name: str, condition: str) -> str:
    """``create_sql`` with the body of CHECK constraint ``name`` replaced (parentheses matched, quotes skipped)."""
    head = f"CONSTRAINT {name} CHECK ("
    start = create_sql.index(head) + len(head)
    depth, i, quoted = 1, start, False
    while depth:
        ch = create_sql[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        i += 1
    return create_sql[:start] + condition + create_sql[i - 1:]


def _recheck(table: str, name: str, condition: str) -> None:
    """Replace CHECK constraint ``name`` of ``table`` by ``condition``.

    PostgreSQL: drop and add. SQLite cannot alter a constraint, and rebuilding
    ``agents`` or ``reasons`` (batch mode) fails once other tables reference
    their rows, because the connection enforces foreign keys and the PRAGMA
    cannot be turned off inside the migration's transaction. The schema text
    is edited instead, the procedure SQLite documents for changes that leave
    the stored rows valid (https://www.sqlite.org/lang_altertable.html, "otheralter");
    widening or narrowing an IN list is such a change (narrowing is only used
    by the downgrade, after the rows using the new values are gone).
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, condition)
        return
    create_sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                              {"t": table}).scalar_one()
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
                 {"sql": _sqlite_check_replaced(create_sql, name, condition), "t": table})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _recheck("agents", "ck_agents_role", _in("role", ROLES))
    _recheck("reasons", "ck_reasons_source", _in("source", REASON_SOURCES))
    with op.batch_alter_table("appeals") as b:
        b.drop_constraint("ck_appeals_status", type_="check")
        b.create_check_constraint("ck_appeals_status", _in("status", APPEAL_STATUSES))
        b.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="supervisor"))
        b.add_column(sa.Column("decider_id", sa.String(64), sa.ForeignKey("agents.id", name="fk_appeals_decider"),
                               nullable=True))
        b.add_column(sa.Column("due_at", TZ, nullable=True))
        b.add_column(sa.Column("escalated_at", TZ, nullable=True))
        b.add_column(sa.Column("escalation", sa.String(16), nullable=True))
        b.add_column(sa.Column("decided_cause", sa.String(32), nullable=True))
        b.add_column(sa.Column("review_requested_at", TZ, nullable=True))
        b.add_column(sa.Column("review_text", sa.Text(), nullable=True))
        b.add_column(sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.create_check_constraint("ck_appeals_mode", _in("mode", MODES))
        b.create_index("ix_appeals_status_due", ["status", "due_at"])
    # Appeals filed before this revision had no decider: the admin decided them, so they wait for the admin.
    op.execute("UPDATE appeals SET status = 'escalated', escalation = 'no_decider', escalated_at = created_at "
               "WHERE status = 'open'")
    op.create_table(
        "appeal_panelists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("appeal_id", sa.Integer(), sa.ForeignKey("appeals.id"), nullable=False),
        sa.Column("reviewer_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("drawn_at", TZ, nullable=False),
        sa.Column("vote", sa.String(16), nullable=True),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("voted_at", TZ, nullable=True),
        sa.UniqueConstraint("appeal_id", "reviewer_id", name="uq_appeal_panelists"),
        sa.CheckConstraint(f"vote IS NULL OR {_in('vote', VOTES)}", name="ck_appeal_panelists_vote"),
        sa.CheckConstraint(f"cause IS NULL OR {_in('cause', CAUSES)}", name="ck_appeal_panelists_cause"),
    )
    op.create_index("ix_appeal_panelists_appeal_id", "appeal_panelists", ["appeal_id"])
    op.create_index("ix_appeal_panelists_reviewer_id", "appeal_panelists", ["reviewer_id"])
    with op.batch_alter_table("survey_facts") as b:
        b.add_column(sa.Column("appeal_open", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Frozen backfill: a counted rating with a pending appeal on any of its reasons.
    op.execute("""
        UPDATE survey_facts SET appeal_open = TRUE WHERE rating_id IN (
            SELECT reasons.rating_id FROM appeals JOIN reasons ON reasons.id = appeals.reason_id
            WHERE appeals.status IN ('open', 'escalated', 'review'))
    """)


def downgrade() -> None:
    with op.batch_alter_table("survey_facts") as b:
        b.drop_column("appeal_open")
    op.drop_table("appeal_panelists")
    op.execute("UPDATE appeals SET status = 'open' WHERE status IN ('escalated', 'review')")
    with op.batch_alter_table("appeals") as b:
        b.drop_index("ix_appeals_status_due")
        b.drop_constraint("ck_appeals_mode", type_="check")
        b.drop_constraint("fk_appeals_decider", type_="foreignkey")
        for column in ("final", "review_text", "review_requested_at", "decided_cause", "escalation",
                       "escalated_at", "due_at", "decider_id", "mode"):
            b.drop_column(column)
        b.drop_constraint("ck_appeals_status", type_="check")
        b.create_check_constraint("ck_appeals_status", _in("status", OLD_APPEAL_STATUSES))
    _recheck("reasons", "ck_reasons_source", _in("source", OLD_REASON_SOURCES))
    _recheck("agents", "ck_agents_role", _in("role", OLD_ROLES))
