"""Each source of the timeline on its own: what a reporter sees, and what a handler sees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import pytest
from django.utils import timezone

from breaches.intake.services import incident_add_details, incident_create
from breaches.models import Action, Assessment, Comment, Decision, Incident, Notification
from breaches.timeline import PROVIDERS, Provider, TimelineEntry
from breaches.timeline.evidence import (
    affected_people,
    attachments,
    breach_types,
    comments,
    information_categories,
)
from breaches.timeline.incident import incident_history
from breaches.timeline.response import action_outcomes, actions, notifications
from breaches.timeline.triage import assessments, decisions
from tests.conftest import World, add_evidence

pytestmark = pytest.mark.django_db

HANDLER_ONLY = [assessments, decisions, notifications, actions, action_outcomes]


def seen(provider: Provider, incident: Incident, *, internal: bool) -> list[tuple[str, str, str]]:
    entries: Iterable[TimelineEntry] = provider(incident, include_internal=internal)
    return [(e.actor, e.verb, e.text) for e in entries]


def test_every_source_is_a_provider_and_handler_only_ones_are_last() -> None:
    assert list(PROVIDERS) == [
        incident_history,
        breach_types,
        information_categories,
        affected_people,
        comments,
        attachments,
        *HANDLER_ONLY,
    ]


# --- the incident's own history ---------------------------------------------------------------


def test_history_is_the_report_then_each_change_with_labels_not_codes(world: World) -> None:
    incident = world.incident_a
    incident._history_user = world.officer_a  # type: ignore[attr-defined]
    incident._change_reason = "Read the report"  # type: ignore[attr-defined]
    incident.status = Incident.Status.TRIAGE
    incident.business_unit = world.site_b1
    incident.save()

    for internal in (False, True):
        entries = list(incident_history(incident, include_internal=internal))
        # Made without a session, so the report is credited to its reporter.
        assert [(e.actor, e.verb) for e in entries] == [
            (str(world.reporter), "reported this incident"),
            (str(world.officer_a), "changed"),
        ]
        assert [(c.field, c.old, c.new) for c in entries[1].changes] == [
            ("business unit", "Site A1", "Site B1"),
            ("status", "Reported", "In triage"),
        ]
    # The reason for a change is the handlers' working note.
    assert [e.text for e in incident_history(incident, include_internal=False)] == ["", ""]
    assert [e.text for e in incident_history(incident, include_internal=True)] == [
        "",
        "Read the report",
    ]


def test_reporters_never_see_restriction_or_jurisdiction_change(world: World) -> None:
    incident = world.incident_a
    incident._history_user = world.cpo  # type: ignore[attr-defined]
    incident.is_restricted = True
    incident.jurisdiction = Incident.Jurisdiction.AU
    incident.save()

    assert seen(incident_history, incident, internal=False) == [
        (str(world.reporter), "reported this incident", "")
    ]
    changed = list(incident_history(incident, include_internal=True))[1]
    assert [(c.field, c.old, c.new) for c in changed.changes] == [
        ("is restricted", "No", "Yes"),
        ("jurisdiction", "—", "Australia (Notifiable Data Breaches)"),
    ]


def test_a_change_saved_without_a_user_is_the_systems(world: World) -> None:
    incident = world.incident_a
    incident.summary = "Corrected by the nightly import"
    incident.save()
    assert seen(incident_history, incident, internal=False)[1] == ("System", "changed", "")


# --- details, comments, evidence -------------------------------------------------------------


def test_details_filed_with_the_report_are_not_repeated_but_later_ones_are(world: World) -> None:
    incident = incident_create(
        reporter=world.reporter,
        kind=Incident.Kind.BREACH,
        summary="Email to the wrong caregiver",
        aware_at=world.incident_a.aware_at,
        channel=Incident.Channel.EMAIL,
        business_unit=world.site_a1,
        breach_types=["loss"],
        information_categories=["health"],
        affected=[("C-1", "client")],
    )
    details = [breach_types, information_categories, affected_people]
    for internal in (False, True):
        assert [seen(p, incident, internal=internal) for p in details] == [[], [], []]

    incident_add_details(
        incident=incident,
        actor=world.reporter,
        details={},
        breach_types=["loss", "alteration"],
        information_categories=[],
        affected=[("C-2", "child")],
    )
    who = str(world.reporter)
    for internal in (False, True):
        assert [seen(p, incident, internal=internal) for p in details] == [
            [(who, "added breach type", "Alteration")],
            [(who, "removed information category", "Health")],
            [(who, "added affected person", "C-2")],
        ]


def test_reporters_see_shared_comments_and_handlers_internal_notes_too(world: World) -> None:
    incident = world.incident_a
    now = timezone.now()
    Comment.objects.create(incident=incident, author=world.reporter, body="Posted", created_at=now)
    Comment.objects.create(
        incident=incident,
        author=world.officer_a,
        body="Check the mail merge",
        visibility=Comment.Visibility.INTERNAL,
        created_at=now,
    )

    assert seen(comments, incident, internal=False) == [
        (str(world.reporter), "commented", "Posted")
    ]
    entries = list(comments(incident, include_internal=True))
    assert [(e.actor, e.verb, e.text, e.kind, e.internal) for e in entries] == [
        (str(world.reporter), "commented", "Posted", "comment", False),
        (str(world.officer_a), "wrote an internal note", "Check the mail merge", "comment", True),
    ]


def test_evidence_is_on_everyones_timeline(world: World) -> None:
    add_evidence(world)
    for internal in (False, True):
        entries = list(attachments(world.incident_a, include_internal=internal))
        assert [(e.actor, e.verb, e.text, e.kind) for e in entries] == [
            (str(world.reporter), "attached evidence", "letter.pdf", "attachment")
        ]


# --- triage and response: handlers only ------------------------------------------------------


def _triage_and_response(world: World) -> Incident:
    incident = world.incident_a
    assessment = Assessment.objects.create(
        incident=incident,
        facts={},
        result={},
        rule_set="nz-2020.1",
        jurisdiction=Incident.Jurisdiction.NZ,
        severity="high",
        notify_regulator="yes",
        notify_individuals="uncertain",
        regulator_deadline=timezone.now(),
        created_by=world.officer_a,
    )
    first = Decision.objects.create(
        incident=incident,
        assessment=assessment,
        notify_regulator=Decision.Regulator.NOTIFY,
        notify_individuals=Decision.Individuals.DELAY,
        ground="s116",
        rationale="Police asked for time",
        decided_by=world.officer_a,
    )
    Decision.objects.create(
        incident=incident,
        assessment=assessment,
        notify_regulator=Decision.Regulator.DO_NOT_NOTIFY,
        notify_individuals=Decision.Individuals.DO_NOT_NOTIFY,
        decided_by=world.cpo,
        supersedes=first,
    )
    Notification.objects.create(
        incident=incident,
        recipient=Notification.Recipient.REGULATOR,
        method=Notification.Method.EMAIL,
        notified_at=timezone.make_aware(datetime(2026, 3, 2, 9, 30)),
        on_time=True,
        recorded_by=world.officer_a,
    )
    Notification.objects.create(
        incident=incident,
        recipient=Notification.Recipient.INDIVIDUALS,
        method=Notification.Method.NOT_NOTIFIED,
        on_time=False,
        reason="No address on file",
        recorded_by=world.officer_a,
    )
    Action.objects.create(
        incident=incident,
        title="Fix the mail merge",
        owner=world.named,
        due_date=date(2030, 1, 2),
        created_by=world.officer_a,
    )
    return incident


@pytest.mark.parametrize("provider", HANDLER_ONLY, ids=lambda p: p.__name__)
def test_reporters_see_no_triage_or_response(world: World, provider: Provider) -> None:
    incident = _triage_and_response(world)
    assert seen(provider, incident, internal=False) == []
    assert all(e.internal for e in provider(incident, include_internal=True))


def test_handlers_see_assessments_and_signed_decisions(world: World) -> None:
    incident = _triage_and_response(world)
    officer, cpo = str(world.officer_a), str(world.cpo)
    assert seen(assessments, incident, internal=True) == [
        (
            officer,
            "assessed notifiability",
            "High; regulator yes, individuals uncertain (nz-2020.1)",
        )
    ]
    assert seen(decisions, incident, internal=True) == [
        (
            officer,
            "signed a decision",
            "Notify the regulator; individuals: delay notifying (lawful ground) (ground: s116)"
            "\nRationale: Police asked for time",
        ),
        (
            cpo,
            "signed a decision, superseding the previous one",
            "Not notifiable; individuals: do not notify individuals",
        ),
    ]


def test_handlers_see_notifications_and_actions(world: World) -> None:
    incident = _triage_and_response(world)
    officer = str(world.officer_a)
    assert seen(notifications, incident, internal=True) == [
        (
            officer,
            "recorded a notification",
            "The regulator: E-mail, 02 Mar 2026 09:30 (on time)",
        ),
        (
            officer,
            "recorded a notification",
            "Affected individuals: Not notified (reason recorded) (late)\nNo address on file",
        ),
    ]
    assert seen(actions, incident, internal=True) == [
        (officer, "added an action", f"Fix the mail merge — {world.named}, due 02 Jan 2030")
    ]


def test_handlers_see_what_closing_did_with_each_open_action(world: World) -> None:
    """Issue 13: closing with open actions records, per action, done or carried over (why)."""
    from breaches.response.actions import ClosingAnswer
    from breaches.workflow.services import incident_transition

    Incident.objects.filter(pk=world.incident_a.pk).update(
        kind=Incident.Kind.NEAR_MISS, status=Incident.Status.REMEDIATION
    )
    incident = Incident.objects.get(pk=world.incident_a.pk)
    today = timezone.localdate()
    late = Action.objects.create(
        incident=incident, title="Recall the letters", owner=world.reporter,
        due_date=date(2020, 1, 2), created_by=world.officer_a,
    )  # fmt: skip
    later = Action.objects.create(
        incident=incident, title="Train the team", owner=world.officer_a,
        due_date=today.replace(year=today.year + 1), created_by=world.officer_a,
    )  # fmt: skip
    incident_transition(
        incident=incident, to=Incident.Status.CLOSED, actor=world.cpo,
        actions=[ClosingAnswer(late.pk, "done"), ClosingAnswer(later.pk, "carried_over", "Budget")],
    )  # fmt: skip
    assert seen(action_outcomes, incident, internal=False) == []
    assert seen(action_outcomes, incident, internal=True) == [
        (str(world.cpo), "marked an action done on closing",
         f"Recall the letters — {world.reporter}, due 02 Jan 2020 (overdue)"),
        (str(world.cpo), "carried over an action on closing",
         f"Train the team — {world.officer_a}, due {later.due_date:%d %b %Y}\nCarried over: Budget"),
    ]  # fmt: skip
