"""The workflow of SPEC §2, written out here rather than read from the code's own table.

Every move the spec allows works for a handler once its preconditions are met; every other
(kind, from, to), staying put included, is refused; and the code's table is exactly this one.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from breaches.models import Incident
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from breaches.workflow.services import incident_transition
from breaches.workflow.transitions import TRANSITIONS as CODE_TRANSITIONS
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

pytestmark = pytest.mark.django_db

S = Incident.Status
K = Incident.Kind

# SPEC §2: a breach goes reported → triage → assessed → (notifying) → remediation → closed, and
# an officer may reopen it, back to triage or to remediation. A near miss takes the shorter path
# reported → triage → remediation | closed, and is never notifiable.
SPEC_TRANSITIONS: dict[str, set[tuple[str, str]]] = {
    K.BREACH: {
        (S.REPORTED, S.TRIAGE),
        (S.TRIAGE, S.ASSESSED),
        (S.ASSESSED, S.NOTIFYING),
        (S.ASSESSED, S.REMEDIATION),  # decided not to notify, or notified already
        (S.NOTIFYING, S.REMEDIATION),
        (S.REMEDIATION, S.CLOSED),
        (S.CLOSED, S.REOPENED),
        (S.REOPENED, S.TRIAGE),
        (S.REOPENED, S.REMEDIATION),
    },
    K.NEAR_MISS: {
        (S.REPORTED, S.TRIAGE),
        (S.TRIAGE, S.REMEDIATION),
        (S.TRIAGE, S.CLOSED),
        (S.REMEDIATION, S.CLOSED),
        (S.CLOSED, S.REOPENED),
        (S.REOPENED, S.TRIAGE),
        (S.REOPENED, S.REMEDIATION),
    },
}


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
    pytest.param(kind, source, target, id=f"{kind}:{source}->{target}")
    for kind, moves in SPEC_TRANSITIONS.items()
    for source, target in sorted(moves)
]
FORBIDDEN = [
    pytest.param(kind, source, target, id=f"{kind}:{source}-x->{target}")
    for kind in K.values
    for source in S.values
    for target in S.values
    if (source, target) not in SPEC_TRANSITIONS[kind]
]


def test_the_codes_table_is_the_spec_table() -> None:
    code = {kind: {(t.source, t.target) for t in table} for kind, table in CODE_TRANSITIONS.items()}
    assert code == SPEC_TRANSITIONS
    # One entry per move: two entries for one move would leave which precondition wins unclear.
    assert all(len(table) == len(code[kind]) for kind, table in CODE_TRANSITIONS.items())


def test_the_spec_table_names_every_kind_and_reaches_every_status() -> None:
    assert set(SPEC_TRANSITIONS) == set(K.values)
    assert {t for moves in SPEC_TRANSITIONS.values() for _s, t in moves} == set(S.values) - {
        S.REPORTED
    }


@pytest.mark.parametrize("handler", ["officer_a", "cpo"])
@pytest.mark.parametrize(("kind", "source", "target"), ALLOWED)
def test_every_allowed_transition_works_for_a_handler_and_is_on_the_timeline(
    world: World, kind: str, source: str, target: str, handler: str
) -> None:
    actor = world.persona(handler)
    incident = prepare(world, kind, source)
    moved = incident_transition(incident=incident, to=target, actor=actor, reason="Because.")
    assert moved.status == target
    assert Incident.objects.get(pk=incident.pk).status == target
    latest = incident.history.latest("history_id")
    assert latest.status == target and latest.history_user == actor
    client = Client()
    client.force_login(actor)
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
    # Refused: the page comes back with the error at the step's own form, never a 500.
    response = client.post(url, {"to": "closed"})
    assert response.status_code == 400
    assert "cannot become closed" in response.content.decode()
    response = client.post(url, {"to": "nonsense"})
    assert response.status_code == 400 and "error" in response.content.decode()
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
