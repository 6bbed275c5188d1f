"""Template tags that name a reporter only to whoever may know them (see
``breaches.intake.confidentiality``)."""

from __future__ import annotations

from typing import Any

from django import template

from breaches.intake import confidentiality
from breaches.models import Incident

register = template.Library()


@register.simple_tag
def reporter_label(incident: Incident, viewer: Any) -> str:
    """``{% reporter_label incident user %}``: the reporter's name, or the label hiding it."""
    return confidentiality.reporter_label(incident, viewer)


@register.simple_tag
def person_label(incident: Incident, person: Any, viewer: Any) -> str:
    """``{% person_label incident a.uploaded_by user %}``: someone who acted on the incident,
    hidden as the reporter where they are its reporter and ``viewer`` may not know it."""
    return confidentiality.person_label(incident, person, viewer)
