"""Enumerations of every stored status, source, attribution and role.

Cause codes come from the classifier's labels (``classifiers.labels``), the
one place the taxonomy's 11 codes are written down.
"""
from __future__ import annotations

from enum import StrEnum

from classifiers.labels import ATTRIBUTION, CAUSES, NON_STAFF_CAUSES, STAFF_CAUSES


class SurveyStatus(StrEnum):
    """Life cycle of one survey."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED_NO_SCORE = "closed_no_score"
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"


OPEN_SURVEY_STATUSES: tuple[SurveyStatus, ...] = (SurveyStatus.PENDING, SurveyStatus.IN_PROGRESS)
CLOSED_SURVEY_STATUSES: tuple[SurveyStatus, ...] = tuple(s for s in SurveyStatus if s not in OPEN_SURVEY_STATUSES)


class RatingStatus(StrEnum):
    """Whether a stored score counts: only ``valid`` ones can (see ``bot.ledger.counting``)."""

    VALID = "valid"
    LATE = "late"  # after the survey window: kept, never scored
    CORRECTED = "corrected"  # superseded by a newer score of the same survey
    OPTED_OUT = "opted_out"


class ReasonSource(StrEnum):
    """Who decided a reason's cause."""

    MODEL = "model"
    CUSTOMER = "customer"  # the customer chose the cause
    REVIEWER = "reviewer"  # a reviewer (or an admin adjudicating) labelled it in the review queue
    IMPORT = "import"  # given in a historical import (counts as confirmed)
    APPEAL = "appeal"  # chosen by whoever upheld the agent's appeal (supervisor, panel majority or admin)


class Attribution(StrEnum):
    """Coarse attribution used by scoring (the values of ``classifiers.labels.ATTRIBUTION``)."""

    STAFF = "staff"
    NON_STAFF = "non_staff"
    NONE = "none"


class Role(StrEnum):
    """What a staff account may see and do."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    REVIEWER = "reviewer"  # QA: labels the review queue, sits on appeal panels; sees no team figures
    ADMIN = "admin"


class AppealStatus(StrEnum):
    """An agent's appeal against a staff attribution (``bot.staff.appeals`` moves it along)."""

    OPEN = "open"  # with its decider: the supervisor or the panel
    ESCALATED = "escalated"  # overdue, split panel or no decider: the admin decides
    REVIEW = "review"  # rejected, the agent asked the admin for a second (final) review
    UPHELD = "upheld"  # the rating leaves the agent's attributed KPI
    REJECTED = "rejected"


#: Appeals still waiting for someone: shown as 申诉中, counted as ``appeal_open``.
PENDING_APPEAL_STATUSES: tuple[AppealStatus, ...] = (AppealStatus.OPEN, AppealStatus.ESCALATED, AppealStatus.REVIEW)


class AppealMode(StrEnum):
    """Who decides a centre's appeals first (``FEEDBACKBOT_APPEAL_MODE``)."""

    SUPERVISOR = "supervisor"  # the supervisor of the agent's team at the call
    PANEL = "panel"  # a blind panel of reviewers, majority


class AppealVote(StrEnum):
    """A panel member's vote."""

    UPHOLD = "uphold"
    REJECT = "reject"


class FlagKind(StrEnum):
    """Why a survey needs a supervisor's follow-up."""

    COMPLAINT = "complaint"
    FOLLOWUP = "followup"  # the customer asked about their case (refund, repair ...): pass it on


class FunnelStep(StrEnum):
    """Steps of the survey funnel, in order (``invited`` comes from the surveys table, the rest from Rasa's events)."""

    INVITED = "invited"
    OPENED = "opened"
    RATED = "rated"
    REASON = "reason"
    COMPLETED = "completed"


assert set(ATTRIBUTION.values()) == {a.value for a in Attribution}, "attribution vocabulary drifted"

__all__ = [
    "ATTRIBUTION",
    "AppealMode",
    "AppealStatus",
    "AppealVote",
    "CAUSES",
    "CLOSED_SURVEY_STATUSES",
    "NON_STAFF_CAUSES",
    "OPEN_SURVEY_STATUSES",
    "PENDING_APPEAL_STATUSES",
    "STAFF_CAUSES",
    "Attribution",
    "FlagKind",
    "FunnelStep",
    "RatingStatus",
    "ReasonSource",
    "Role",
    "SurveyStatus",
]


class JobStatus(StrEnum):
    """Where a background job run is: queued, running, then succeeded or failed (retrying between attempts)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"


class NotificationKind(StrEnum):
    """What a staff notification (in-app inbox row and its outbound deliveries) is about."""

    APPEAL_TO_DECIDE = "appeal_to_decide"  # a supervisor, panel member or admin must decide an appeal
    APPEAL_DECIDED = "appeal_decided"  # the agent's own appeal has an outcome
    APPEAL_ESCALATED = "appeal_escalated"  # an appeal went to the admin (overdue, split panel, no decider)
    CASE_ASSIGNED = "case_assigned"
    CASE_ESCALATED = "case_escalated"
    DIGEST = "digest"  # the weekly digest of a non-staff cause owner (admins read it in-app)
