"""Who may know who reported an incident (SPEC §2 "Confidential report", issue 17).

One rule, read by every door that could name a reporter — the incident page, its timeline and
evidence list, the access log, the API and its sub-resources:

- a *named* report: everyone who sees the incident sees its reporter;
- a *confidential* report: only the chief privacy officer, and the reporter themself;
- an *anonymous* report: nobody (its ``reporter`` is the register's anonymous account, never the
  sender), so everyone reads "Anonymous".

Everyone else reads :data:`CONFIDENTIAL_LABEL` where the reporter's name would have been.
"""

from __future__ import annotations

from typing import Any

from breaches.models import Incident

CONFIDENTIAL_LABEL = "Confidential reporter"
ANONYMOUS_LABEL = "Anonymous"


def may_see_reporter(incident: Incident, viewer: Any) -> bool:
    """May ``viewer`` (a user, or None for no one in particular) know who reported ``incident``?"""
    reporting = incident.reporting
    if reporting == Incident.Reporting.NAMED:
        return True
    if reporting == Incident.Reporting.ANONYMOUS:
        return False
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if not viewer.is_active:
        return False
    return bool(viewer.pk == incident.reporter_id or viewer.is_chief_privacy_officer)


def hidden_label(incident: Incident) -> str:
    """What is shown instead of the reporter's name to whoever may not see it."""
    if incident.reporting == Incident.Reporting.ANONYMOUS:
        return ANONYMOUS_LABEL
    return CONFIDENTIAL_LABEL


def reporter_label(incident: Incident, viewer: Any) -> str:
    """The reporter as ``viewer`` may know them: their name, or the label that hides it."""
    if may_see_reporter(incident, viewer):
        return str(incident.reporter)
    return hidden_label(incident)


def person_label(incident: Incident, person: Any, viewer: Any) -> str:
    """Someone who acted on ``incident`` (wrote a comment, uploaded evidence, opened it), as
    ``viewer`` may know them: the reporter is hidden as :func:`reporter_label` says."""
    if person is None:
        return "System"
    if person.pk == incident.reporter_id and not may_see_reporter(incident, viewer):
        return hidden_label(incident)
    return str(person)


def restricts_on_arrival(*, cause_category: str, about_colleague: bool) -> bool:
    """A report about a colleague's conduct is restricted to the chief privacy officer on arrival
    (SPEC §3): its reporter ticked so, or its cause is deliberate misuse by staff."""
    return about_colleague or cause_category == Incident.Cause.DELIBERATE_MISUSE
