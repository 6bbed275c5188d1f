"""What each draft notification still lacks before it is sent (SPEC §4.4)."""

from __future__ import annotations

from typing import Any

from breaches.models import Incident


def draft_checks(incident: Incident) -> list[Any]:
    """Each draft of the incident's jurisdiction with the items it still lacks."""
    return []
