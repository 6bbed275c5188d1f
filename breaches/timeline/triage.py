"""Triage on the timeline, for handlers only: each assessment and each signed decision."""

from __future__ import annotations

from collections.abc import Iterator

from breaches.models import Decision, Incident
from breaches.timeline.entries import TimelineEntry


def assessments(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    if not include_internal:
        return
    for assessment in incident.assessments.select_related("created_by"):
        yield TimelineEntry(
            assessment.created_at,
            str(assessment.created_by),
            "assessed notifiability",
            text=(
                f"{assessment.get_severity_display()}; regulator "
                f"{assessment.notify_regulator}, individuals "
                f"{assessment.notify_individuals} ({assessment.rule_set})"
            ),
            kind="assessment",
            internal=True,
        )


def decisions(incident: Incident, *, include_internal: bool) -> Iterator[TimelineEntry]:
    if not include_internal:
        return
    for decision in incident.decisions.select_related("decided_by", "supersedes"):
        verb = "signed a decision" + (
            ", superseding the previous one" if decision.supersedes_id else ""
        )
        yield TimelineEntry(
            decision.decided_at,
            str(decision.decided_by),
            verb,
            text=_decision_text(decision),
            kind="decision",
            internal=True,
        )


def _decision_text(decision: Decision) -> str:
    text = (
        f"{decision.get_notify_regulator_display()}; individuals: "
        f"{decision.get_notify_individuals_display().lower()}"
    )
    if decision.ground:
        text += f" (ground: {decision.ground})"
    if decision.rationale:
        text += f"\nRationale: {decision.rationale}"
    return text
