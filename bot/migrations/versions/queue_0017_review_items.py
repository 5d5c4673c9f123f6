"""review_items: the review queue's open items with their ordering key, kept by the one writer

Revision ID: queue_0017_review_items
Revises: chanpages_fact_channel
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "queue_0017_review_items"
down_revision = "chanpages_fact_channel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("reason_id", sa.Integer(), sa.ForeignKey("reasons.id"), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sort_confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("credited_agent_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("staff_confidence", sa.Float(), nullable=True),
    )
    op.create_index("ix_review_items_order", "review_items", ["rank", "sort_confidence", "created_at", "reason_id"])
    op.create_index("ix_review_items_kind_confidence", "review_items", ["kind", "sort_confidence"])
    op.create_index("ix_review_items_survey", "review_items", ["survey_id"])
    # Backfill with the canonical selection as it stands at this revision (bot.ledger.review_items.candidates),
    # frozen here: a migration never imports live application code. The first three kinds are disjoint (one OR);
    # the shadow candidates are rows of their own (one per version that read the reason otherwise).
    false, true = ("0", "1") if op.get_bind().dialect.name == "sqlite" else ("false", "true")
    for statement in _BACKFILL.format(false=false, true=true).split(";"):
        op.execute(sa.text(statement))


_RANK = """CASE WHEN sf.score <= 3 AND (r.source = 'model'
                 OR (coalesce(r.model_cause, r.cause) LIKE 'staff.%' AND r.attribution <> 'staff')
                 OR (coalesce(r.model_cause, r.cause) NOT LIKE 'staff.%' AND r.attribution = 'staff'))
            THEN 0 ELSE 1 END,
       coalesce(CASE WHEN r.source = 'model' THEN r.confidence ELSE r.model_confidence END, 0.0),
       r.created_at, r.cause, r.source, sf.credited_agent_id, sf.team_id"""
_OPEN = """NOT EXISTS (SELECT 1 FROM appeals AS a WHERE a.reason_id = r.id AND a.status = 'open')
  AND NOT EXISTS (SELECT 1 FROM review_labels AS l1 JOIN review_labels AS l2 ON l2.reason_id = l1.reason_id
                  AND l1.id < l2.id WHERE l1.reason_id = r.id AND l1.cause IS NOT NULL AND l2.cause IS NOT NULL)"""
_BACKFILL = f"""
INSERT INTO review_items (reason_id, kind, version, survey_id, rank, sort_confidence, created_at, cause, source,
                          credited_agent_id, team_id, staff_confidence)
SELECT r.id,
       CASE WHEN r.needs_review = {{true}} THEN 'uncertain' WHEN r.source = 'customer' THEN 'disagreement'
            ELSE 'near_threshold' END,
       '', sf.survey_id, {_RANK}, NULL
FROM survey_facts AS sf
JOIN reasons AS r ON r.id = sf.reason_id
WHERE ((sf.source = 'model' AND sf.needs_review = {{true}})
       OR (r.source = 'customer' AND r.model_cause IS NOT NULL AND r.model_cause <> r.cause)
       OR (r.source = 'model' AND r.attribution = 'staff' AND r.confidence IS NOT NULL AND r.needs_review = {{false}}))
  AND {_OPEN};
INSERT INTO review_items (reason_id, kind, version, survey_id, rank, sort_confidence, created_at, cause, source,
                          credited_agent_id, team_id, staff_confidence)
SELECT r.id, 'shadow', sh.version, sf.survey_id, {_RANK},
       CASE WHEN r.source = 'model' AND r.attribution = 'staff' THEN coalesce(r.confidence, -1.0) END
FROM survey_facts AS sf
JOIN reasons AS r ON r.id = sf.reason_id
JOIN shadow_readings AS sh ON sh.reason_id = r.id
WHERE sh.disagrees = {{true}} AND r.needs_review = {{false}}
  AND (r.source = 'model' OR (r.source = 'customer' AND r.model_cause = r.cause))
  AND {_OPEN}
"""


def downgrade() -> None:
    op.drop_table("review_items")
