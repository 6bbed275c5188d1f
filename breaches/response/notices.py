"""Notices to affected people, one by one, told safely (SPEC §4.4)."""

from __future__ import annotations

from typing import Any

from breaches.models import Incident


def notice_summary(incident: Incident) -> Any:
    """How many people are still to be told, for the incident page."""
    return None
