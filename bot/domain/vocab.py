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
    REVIEWER = "reviewer"  # an admin relabelled it
    IMPORT = "import"  # given in a historical import (counts as confirmed)


class Attribution(StrEnum):
    """Coarse attribution used by scoring (the values of ``classifiers.labels.ATTRIBUTION``)."""

    STAFF = "staff"
    NON_STAFF = "non_staff"
    NONE = "none"


class Role(StrEnum):
    """What a staff account may see and do."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AppealStatus(StrEnum):
    """An agent's appeal against a staff attribution."""

    OPEN = "open"
    UPHELD = "upheld"  # the staff attribution is removed from the agent's KPI
    REJECTED = "rejected"


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
    "AppealStatus",
    "CAUSES",
    "CLOSED_SURVEY_STATUSES",
    "NON_STAFF_CAUSES",
    "OPEN_SURVEY_STATUSES",
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
