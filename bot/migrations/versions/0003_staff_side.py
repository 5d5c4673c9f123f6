"""Staff side: roles, teams with history, the team of each call, accounts, sessions, login attempts, appeals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = ("agent", "supervisor", "admin")
APPEAL_STATUSES = ("open", "upheld", "rejected")
TZ = sa.DateTime(timezone=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("agents") as b:
        b.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="agent"))
        b.create_check_constraint("ck_agents_role", _in("role", ROLES))
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("supervisor_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "team_memberships",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_to", TZ, nullable=True),
    )
    op.create_index("ix_team_memberships_agent_from", "team_memberships", ["agent_id", "valid_from"])
    op.create_index("ix_team_memberships_team_id", "team_memberships", ["team_id"])
    with op.batch_alter_table("calls") as b:
        b.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        b.create_foreign_key("fk_calls_team_id", "teams", ["team_id"], ["id"])
        b.create_index("ix_calls_team_id", ["team_id"])
    op.create_table(
        "accounts",
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("agents.id"), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_index("ix_staff_sessions_agent_id", "staff_sessions", ["agent_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reason_id", sa.Integer(), sa.ForeignKey("reasons.id"), nullable=False),
        sa.Column("agent_id", sa.String(64), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("status", APPEAL_STATUSES), name="ck_appeals_status"),
    )
    op.create_index("ix_appeals_reason_id", "appeals", ["reason_id"])
    op.create_index("ix_appeals_agent_id", "appeals", ["agent_id"])


def downgrade() -> None:
    op.drop_table("appeals")
    op.drop_table("login_attempts")
    op.drop_table("staff_sessions")
    op.drop_table("accounts")
    with op.batch_alter_table("calls") as b:
        b.drop_index("ix_calls_team_id")
        b.drop_constraint("fk_calls_team_id", type_="foreignkey")
        b.drop_column("team_id")
    op.drop_table("team_memberships")
    op.drop_table("teams")
    with op.batch_alter_table("agents") as b:
        b.drop_constraint("ck_agents_role", type_="check")
        b.drop_column("role")
