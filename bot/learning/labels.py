"""Every cause a person gave, as training labels with provenance, and every decided appeal, as a golden set.

A person's cause is a reason row whose source is not the model: a reviewer's
label, an appeal's decision, a cause given in a historical import, or the
customer's own choice among the four options (kept with its own source; the
classifier trains on it unless it blames the agent: the customer is a party,
see ``classifiers.training.labels.NO_BLAME_FROM``). Each label keeps its source, who (the
audit trail's actor of the reason), when, and the text as stored (redacted).
Conflicting labels for one text are resolved by the training side: the
latest person's decision wins and the conflict is listed in the data card.

Decided appeals become the gate's golden set: an upheld appeal says the
agent was not to blame for those words, so a candidate model that blames the
agent again is refused (``classifiers.training.gate``).
"""
from __future__ import annotations

from sqlalchemy import String, and_, cast, select
from sqlalchemy.orm import Session, aliased

from bot.db.models import AuditLog, Reason
from bot.db.staff import Appeal
from bot.domain import AppealStatus, ReasonSource
from classifiers.training.frozen import GoldenAppeal
from classifiers.training.labels import PersonLabel

#: Our reason sources → the classifier's label sources (sources the model wrote are not labels).
LABEL_SOURCES: dict[str, str] = {
    ReasonSource.REVIEWER: "reviewer",
    ReasonSource.IMPORT: "import",
    ReasonSource.CUSTOMER: "customer_choice",
    "appeal": "appeal_upheld",
    "panel": "panel",
}


def person_labels(s: Session) -> list[PersonLabel]:
    """Every reason a person gave, oldest first, with who gave it (from the audit trail)."""
    actor = (select(AuditLog.actor).where(AuditLog.entity == "reason", AuditLog.action == "created",
                                          AuditLog.entity_id == cast(Reason.id, String))
             .limit(1).scalar_subquery())
    known = [source for source in LABEL_SOURCES if source in {str(x) for x in ReasonSource} | {"appeal", "panel"}]
    rows = s.execute(select(Reason.text, Reason.cause, Reason.source, Reason.created_at, actor.label("actor"))
                     .where(Reason.source.in_(known), Reason.text != "").order_by(Reason.id))
    return [PersonLabel(text=text, cause=cause, source=LABEL_SOURCES[source], who=who or source, at=at)
            for text, cause, source, at, who in rows]


def golden_appeals(s: Session) -> list[GoldenAppeal]:
    """Every decided appeal: the customer's words, the cause decided, and whether it was upheld."""
    appealed = aliased(Reason)
    later = aliased(Reason)
    # The decision's cause is the newest reason of the rating after the appealed one (upheld: the decider's
    # choice); a rejected appeal leaves the appealed cause standing.
    decided = (select(later.cause).where(later.rating_id == appealed.rating_id, later.id > appealed.id)
               .order_by(later.id.desc()).limit(1).scalar_subquery())
    rows = s.execute(select(appealed.text, appealed.cause, decided.label("decided"), Appeal.status)
                     .join(Appeal, and_(Appeal.reason_id == appealed.id,
                                        Appeal.status.in_([AppealStatus.UPHELD, AppealStatus.REJECTED])))
                     .order_by(Appeal.id))
    return [GoldenAppeal(text=text, cause=(new or cause) if status == AppealStatus.UPHELD else cause,
                         upheld=status == AppealStatus.UPHELD)
            for text, cause, new, status in rows if text]
