"""The transition table: every allowed move works for a handler, everything else is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from breaches.models import Incident
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from breaches.workflow.services import incident_transition
from breaches.workflow.transitions import TRANSITIONS
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

pytestmark = pytest.mark.django_db

S = Incident.Status


def prepare(
    world: World, kind: str, status: str, *, notify: str = "yes", notified: bool = True
) -> Incident:
    """Incident A as a ``kind`` in ``status``, with whatever its preconditions need."""
    Incident.objects.filter(pk=world.incident_a.pk).update(kind=kind, status=S.TRIAGE)
    incident = Incident.objects.get(pk=world.incident_a.pk)
    facts = parse_facts({**VALID, "kind": kind})
    assessment = assessment_create(incident=incident, facts=facts, actor=world.officer_a)
    if kind == Incident.Kind.BREACH:
        decision_record(
            incident=incident, assessment=assessment, actor=world.officer_a,
            notify_regulator=notify, notify_individuals=notify,
            rationale="" if notify == "yes" else "Recovered unread.",
        )  # fmt: skip
    Incident.objects.filter(pk=incident.pk).update(
        status=status,
        regulator_notified_at=timezone.now() if notified and notify == "yes" else None,
    )
    return Incident.objects.get(pk=incident.pk)


ALLOWED = [
    pytest.param(kind, t.source, t.target, id=f"{kind}:{t.source}->{t.target}")
    for kind, table in TRANSITIONS.items()
    for t in table
]
FORBIDDEN = [
    pytest.param(kind, source, target, id=f"{kind}:{source}-x->{target}")
    for kind, table in TRANSITIONS.items()
    for source in S.values
    for target in S.values
    if source != target and (source, target) not in {(t.source, t.target) for t in table}
]


@pytest.mark.parametrize(("kind", "source", "target"), ALLOWED)
def test_every_allowed_transition_works_for_a_handler_and_is_on_the_timeline(
    world: World, kind: str, source: str, target: str
) -> None:
    incident = prepare(world, kind, source)
    moved = incident_transition(
        incident=incident, to=target, actor=world.officer_a, reason="Because."
    )
    assert moved.status == target
    latest = incident.history.latest("history_id")
    assert latest.status == target and latest.history_user == world.officer_a
    client = Client()
    client.force_login(world.officer_a)
    timeline = client.get(incident.get_absolute_url()).context["timeline"]
    assert any(c.field == "status" for e in timeline for c in e.changes)


@pytest.mark.parametrize(("kind", "source", "target"), ALLOWED)
@pytest.mark.parametrize("persona", ["reporter", "officer_b", "executive", "admin", "named"])
def test_nobody_but_a_handler_moves_it(
    world: World, kind: str, source: str, target: str, persona: str
) -> None:
    incident = prepare(world, kind, source)
    with pytest.raises(PermissionDenied):
        incident_transition(incident=incident, to=target, actor=world.persona(persona), reason="x")
    assert Incident.objects.get(pk=incident.pk).status == source


@pytest.mark.parametrize(("kind", "source", "target"), FORBIDDEN)
def test_every_other_transition_is_refused_with_a_clear_message(
    world: World, kind: str, source: str, target: str
) -> None:
    incident = prepare(world, kind, source)
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=target, actor=world.cpo, reason="x")
    assert "cannot become" in caught.value.message_dict["to"][0]
    assert Incident.objects.get(pk=incident.pk).status == source


def test_a_near_miss_is_never_notifying(world: World) -> None:
    incident = prepare(world, Incident.Kind.NEAR_MISS, S.TRIAGE)
    with pytest.raises(ValidationError):
        incident_transition(incident=incident, to=S.ASSESSED, actor=world.officer_a)
    with pytest.raises(ValidationError):
        incident_transition(incident=incident, to=S.NOTIFYING, actor=world.officer_a)


def test_preconditions_say_what_is_missing(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(status=S.TRIAGE)
    incident = Incident.objects.get(pk=world.incident_a.pk)
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=S.ASSESSED, actor=world.officer_a)
    assert "assessment first" in caught.value.message_dict["to"][0]
    incident = prepare(world, Incident.Kind.BREACH, S.ASSESSED, notify="no")
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=S.NOTIFYING, actor=world.officer_a)
    assert "not to notify" in caught.value.message_dict["to"][0]


def test_reopening_needs_a_reason(world: World) -> None:
    incident = prepare(world, Incident.Kind.BREACH, S.CLOSED)
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=S.REOPENED, actor=world.officer_a, reason=" ")
    assert "reason" in caught.value.message_dict


def test_the_page_shows_only_the_moves_allowed_now(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    page = client.get(world.incident_a.get_absolute_url()).content.decode()
    assert 'value="triage"' in page and "Start triage" in page
    assert 'value="closed"' not in page
    client.force_login(world.reporter)
    assert "Start triage" not in client.get(world.incident_a.get_absolute_url()).content.decode()


def test_the_page_refuses_with_a_message_and_no_500(world: World) -> None:
    client = Client()
    client.force_login(world.officer_a)
    url = f"/incidents/{world.incident_a.reference}/transition/"
    response = client.post(url, {"to": "closed"}, follow=True)
    assert response.status_code == 200
    assert "cannot become closed" in response.content.decode()
    assert client.post(url, {"to": "nonsense"}, follow=True).status_code == 200
    assert client.post(url, {"to": "triage"}).status_code == 302
    assert Incident.objects.get(pk=world.incident_a.pk).status == S.TRIAGE
    client.force_login(world.reporter2)
    assert client.post(url, {"to": "assessed"}).status_code == 404


@pytest.mark.parametrize(
    ("source", "target"),
    [(S.ASSESSED, S.REMEDIATION), (S.NOTIFYING, S.REMEDIATION), (S.REMEDIATION, S.CLOSED)],
)
def test_a_notifiable_breach_cannot_move_on_unnotified(
    world: World, source: str, target: str
) -> None:
    incident = prepare(world, Incident.Kind.BREACH, source, notified=False)
    with pytest.raises(ValidationError) as caught:
        incident_transition(incident=incident, to=target, actor=world.officer_a)
    assert "Record the notification" in caught.value.message_dict["to"][0]
