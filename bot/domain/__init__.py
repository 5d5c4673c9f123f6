"""The product's vocabulary: statuses, sources, attributions, roles, cause codes and cause choices.

Every module that stores or compares one of these values imports it from
here, so a value is spelled in exactly one place. The enums are ``StrEnum``:
their members are the strings stored in the database and compare equal to
them.
"""
from bot.domain.choices import CAUSE_CHOICES, CauseChoice, choice_by_key, choice_by_title
from bot.domain.vocab import (
    ATTRIBUTION,
    CAUSES,
    CLOSED_SURVEY_STATUSES,
    NON_STAFF_CAUSES,
    OPEN_SURVEY_STATUSES,
    PENDING_APPEAL_STATUSES,
    STAFF_CAUSES,
    AppealMode,
    AppealStatus,
    AppealVote,
    Attribution,
    FlagKind,
    FunnelStep,
    JobStatus,
    NotificationKind,
    RatingStatus,
    ReasonSource,
    Role,
    SurveyStatus,
)

__all__ = [
    "ATTRIBUTION",
    "CAUSES",
    "CAUSE_CHOICES",
    "CLOSED_SURVEY_STATUSES",
    "NON_STAFF_CAUSES",
    "OPEN_SURVEY_STATUSES",
    "STAFF_CAUSES",
    "AppealMode",
    "AppealStatus",
    "AppealVote",
    "PENDING_APPEAL_STATUSES",
    "Attribution",
    "CauseChoice",
    "FlagKind",
    "FunnelStep",
    "JobStatus",
    "NotificationKind",
    "RatingStatus",
    "ReasonSource",
    "Role",
    "SurveyStatus",
    "choice_by_key",
    "choice_by_title",
]
