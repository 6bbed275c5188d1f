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
from breaches.models.incident import Answer, Incident, IncidentQuerySet, ReferenceCounter, Severity
from breaches.models.response import Action, ActionQuerySet, Notification
from breaches.models.triage import Assessment, DeadlineReminder, Decision

__all__ = [
    "Action",
    "ActionQuerySet",
    "AffectedIndividual",
    "Answer",
    "Assessment",
    "Attachment",
    "Comment",
    "DeadlineReminder",
    "Decision",
    "Incident",
    "IncidentBreachType",
    "IncidentInformationCategory",
    "IncidentQuerySet",
    "Notification",
    "ReferenceCounter",
    "Severity",
    "_attachment_path",
]
