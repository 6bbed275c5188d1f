"""Filters for the dashboard and the quarterly PDF."""

from __future__ import annotations

from django import template

from reporting.sentences import percent as percent_text

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """A share (0–1) in per cent, as the figures' words write it: ``7.1 %``; ``—`` for none."""
    return percent_text(share)
