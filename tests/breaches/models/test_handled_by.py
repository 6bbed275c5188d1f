"""``handled_by`` (SQL) and ``permissions.handles`` (Python) say the same thing for every persona,
and every scoped write re-checks scope under the lock (``permissions.lock_for_write``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from breaches.intake.services import comment_add
from breaches.models import Incident
from breaches.permissions import handles, lock_for_write
from breaches.response.actions import action_create
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict
from breaches.workflow.services import incident_transition
from tests.conftest import PERSONAS, World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def _incidents(world: World) -> list[Incident]:
    # Besides the world's three: a restricted incident naming officer_b outside their units.
    named_officer = IncidentFactory(
        reporter=world.reporter, business_unit=world.site_a1, is_restricted=True
    )
    named_officer.restricted_to.set([world.officer_b])
    return [world.incident_a, world.incident_b, world.restricted, named_officer]


@pytest.mark.parametrize("persona", PERSONAS)
def test_handled_by_and_handles_agree(world: World, persona: str) -> None:
    user = world.persona(persona)
    assert user is not None
    incidents = _incidents(world)
    in_sql = set(Incident.objects.handled_by(user).values_list("pk", flat=True))
    for incident in incidents:
        fresh = Incident.objects.select_related("business_unit").get(pk=incident.pk)
        assert (fresh.pk in in_sql) == handles(user, fresh), (persona, incident.summary)


def test_handled_by_is_within_visible_to_for_everyone(world: World) -> None:
    _incidents(world)
    for persona in PERSONAS:
        user = world.persona(persona)
        handled = set(Incident.objects.handled_by(user).values_list("pk", flat=True))
        visible = set(Incident.objects.visible_to(user).values_list("pk", flat=True))
        assert handled <= visible, persona


def test_the_expected_handlers(world: World) -> None:
    incidents = _incidents(world)
    handlers = {
        incident.summary: sorted(
            p
            for p in PERSONAS
            if Incident.objects.handled_by(world.persona(p)).filter(pk=incident.pk).exists()
        )
        for incident in incidents[:3]
    }
    assert handlers["Incident A"] == ["cpo", "officer_a"]
    assert handlers["Incident B"] == ["cpo", "officer_b"]
    # Restricted to `named`, who is not an officer: only the CPO handles it.
    assert handlers[world.restricted.summary] == ["cpo"]
    assert Incident.objects.handled_by(world.officer_b).filter(pk=incidents[3].pk).exists()


def test_lock_for_write_rechecks_seeing_and_handling(world: World) -> None:
    with transaction.atomic():
        assert lock_for_write(world.incident_a, actor=world.officer_a).pk == world.incident_a.pk
        with pytest.raises(PermissionDenied):
            lock_for_write(world.incident_a, actor=world.reporter)
        # Its reporter sees it without handling it: enough where handling is not asked for.
        assert lock_for_write(world.incident_a, actor=world.reporter, handling=False)
        with pytest.raises(PermissionDenied):
            lock_for_write(world.incident_a, actor=world.reporter2, handling=False)


def test_writes_on_a_stale_copy_are_refused_once_scope_is_lost(world: World) -> None:
    """The officer's page was opened before the CPO restricted the incident away from them."""
    stale = Incident.objects.get(pk=world.incident_a.pk)
    incident_restrict(
        incident=world.incident_a, actor=world.cpo, people=[world.named], reason="conduct"
    )
    now = timezone.now()
    writes = [
        lambda: action_create(
            incident=stale, actor=world.officer_a, title="Fix", owner=world.officer_a,
            due_date=(now + timedelta(days=3)).date(),
        ),
        lambda: notification_record(
            incident=stale, actor=world.officer_a, recipient="regulator", method="online_form",
            notified_at=now,
        ),
        lambda: incident_transition(incident=stale, to="triage", actor=world.officer_a),
        lambda: comment_add(incident=stale, author=world.officer_a, body="x", visibility="internal"),
        lambda: comment_add(incident=stale, author=world.reporter, body="x", visibility="shared"),
    ]  # fmt: skip
    for write in writes:
        with pytest.raises(PermissionDenied):
            write()
    stale.refresh_from_db()
    assert stale.status == Incident.Status.REPORTED
    assert not stale.actions.exists() and not stale.notifications.exists()
    assert not stale.comments.exists()
