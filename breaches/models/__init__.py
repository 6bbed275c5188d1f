"""The record (SPEC §2): the incident with its scoping queryset, evidence, triage, response.

Modules by sub-domain; everything is importable from ``breaches.models`` as before, including
``_attachment_path``, which existing migrations name.
"""

from breaches.models.evidence import (
    AffectedIndividual,
    Attachment,
    Comment,
    IncidentBreachType,
    IncidentInformationCategory,
    _attachment_path,
)
from breaches.models.incident import (
    Answer,
    Incident,
    IncidentQuerySet,
    ReferenceCounter,
    RegulatorDecision,
    Severity,
)
from breaches.models.response import (
    Action,
    ActionQuerySet,
    AnonymousFollowUp,
    IndividualNotice,
    Notification,
    NotificationContent,
)
from breaches.models.triage import (
    Assessment,
    AssessmentQuerySet,
    DeadlineReminder,
    Decision,
    DecisionQuerySet,
)

__all__ = [
    "Action",
    "ActionQuerySet",
    "AffectedIndividual",
    "AnonymousFollowUp",
    "Answer",
    "Assessment",
    "AssessmentQuerySet",
    "Attachment",
    "Comment",
    "DeadlineReminder",
    "Decision",
    "DecisionQuerySet",
    "Incident",
    "IncidentBreachType",
    "IncidentInformationCategory",
    "IncidentQuerySet",
    "IndividualNotice",
    "Notification",
    "NotificationContent",
    "ReferenceCounter",
    "RegulatorDecision",
    "Severity",
    "_attachment_path",
]
