from django import template

from breaches.models import Incident
from breaches.triage.clock import Clock, clock_for

register = template.Library()


@register.simple_tag
def deadline_state(incident: Incident) -> Clock | None:
    """The regulator clock of a register row (no queries: it reads the row's own columns)."""
    return clock_for(incident)
