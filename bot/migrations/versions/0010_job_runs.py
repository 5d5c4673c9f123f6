"""Background jobs: the job log an admin reads (job_runs) and the workers' heartbeats

Revision ID: 0010_job_runs
Revises: 0009_survey_dialogue_state
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_job_runs"
down_revision = "0009_survey_dialogue_state"
branch_labels = None
depends_on = None

# Frozen here (not imported from bot.domain): a later vocabulary must come with its own migration.
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "retrying")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("args_summary", sa.String(300), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("progress_note", sa.String(200), nullable=True),
        sa.CheckConstraint("status IN (" + ", ".join(repr(s) for s in JOB_STATUSES) + ")",
                           name="ck_job_runs_status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_job_runs_progress"),
    )
    op.create_index("ix_job_runs_enqueued_at", "job_runs", ["enqueued_at"])
    op.create_index("ix_job_runs_job_enqueued_at", "job_runs", ["job", "enqueued_at"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(128), primary_key=True),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_worker_heartbeats_beat_at", "worker_heartbeats", ["beat_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_heartbeats_beat_at", table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_job_runs_job_enqueued_at", table_name="job_runs")
    op.drop_index("ix_job_runs_enqueued_at", table_name="job_runs")
    op.drop_table("job_runs")
