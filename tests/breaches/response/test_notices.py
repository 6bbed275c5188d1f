"""Notices to affected people, one by one, told safely (SPEC §4.4): the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from breaches.models import AffectedIndividual, Incident, IndividualNotice
from breaches.response.notices import (
    DEFAULT_DUE,
    NEAR_MISS,
    SAFETY_FIRST,
    is_late,
    notice_due_at,
    notice_mark_sent,
    notice_public_create,
    notice_record_outcome,
    notice_record_safety_check,
    notice_summary,
    notices_plan,
    safety_check_needed,
)
from breaches.response.restriction import incident_restrict
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

pytestmark = pytest.mark.django_db

Outcome = IndividualNotice.Outcome


def assess(world: World, incident: Incident | None = None, **facts: Any) -> Incident:
    """Assess the incident (incident A) with the SPEC's example facts, changed by ``facts``."""
    incident = incident or world.incident_a
    aware = (timezone.now() - timedelta(hours=3)).isoformat()
    assessment_create(
        incident=incident,
        facts=parse_facts({**VALID, "aware_at": aware, **facts}),
        actor=world.officer_a,
    )
    incident.refresh_from_db()
    return incident


def people(incident: Incident, *refs: str) -> list[AffectedIndividual]:
    return [
        AffectedIndividual.objects.create(incident=incident, reference=ref, role="client")
        for ref in refs
    ]


def fresh(notice: IndividualNotice) -> IndividualNotice:
    return IndividualNotice.objects.get(pk=notice.pk)


def test_a_notice_to_a_person_at_risk_cannot_be_sent_before_the_safety_check(
    world: World,
) -> None:
    incident = assess(world)  # recipient: a person posing risk
    people(incident, "C-1001")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    assert notice.safety_check_required
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        notice_mark_sent(notice=notice, actor=world.officer_a, channel="letter", sent_at=now)
    assert refused.value.message_dict == {"channel": [SAFETY_FIRST]}
    assert fresh(notice).outcome == Outcome.PLANNED and fresh(notice).sent_at is None
    with pytest.raises(ValidationError) as missing:
        notice_record_safety_check(
            notice=notice, actor=world.officer_a, safety_check=" ", safe_channel=""
        )
    assert set(missing.value.message_dict) == {"safety_check", "safe_channel"}
    notice_record_safety_check(
        notice=notice, actor=world.officer_a,
        safety_check="The father has her old address; she moved in May.",
        safe_channel="Phone call to her own mobile, via her advocate.",
    )  # fmt: skip
    sent = notice_mark_sent(notice=notice, actor=world.officer_a, channel="phone", sent_at=now)
    assert (sent.outcome, sent.channel, sent.sent_at) == (Outcome.SENT, "phone", now)
    stored = fresh(notice)
    assert stored.safety_checked_by == world.officer_a and stored.safety_checked_at is not None
    # Every change is in the notice's history, credited to the officer, with what it was.
    history = list(stored.history.order_by("history_date", "history_id"))
    assert [h.history_change_reason for h in history] == [
        "notice planned", "safety check recorded", "notice sent",
    ]  # fmt: skip
    assert {h.history_user for h in history} == {world.officer_a}
    assert [h.outcome for h in history] == ["planned", "planned", "sent"]


def test_the_requirement_is_derived_again_before_sending_and_then_stays(world: World) -> None:
    incident = world.incident_a
    people(incident, "C-1001")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    assert not notice.safety_check_required  # no facts yet
    assess(world)  # now the facts say a person posing risk received it
    with pytest.raises(ValidationError, match="safety check"):
        notice_mark_sent(
            notice=notice, actor=world.officer_a, channel="letter", sent_at=timezone.now()
        )
    # The refusal did not undo what it found: the notice needs the check from now on ...
    assert fresh(notice).safety_check_required
    # ... even when later facts say otherwise.
    assess(world, recipient="none", vulnerable_individuals=False)
    assert not safety_check_needed(incident)
    with pytest.raises(ValidationError, match="safety check"):
        notice_mark_sent(
            notice=notice, actor=world.officer_a, channel="letter", sent_at=timezone.now()
        )


@pytest.mark.parametrize(
    ("facts", "needed"),
    [
        ({}, True),  # a person posing risk
        ({"recipient": "known_individual"}, True),  # vulnerable, family violence, reached someone
        ({"recipient": "none"}, False),  # reached nobody
        ({"recipient": "known_individual", "vulnerable_individuals": False}, False),
        ({"recipient": "known_individual", "info_categories": ["contact"]}, False),
        ({"recipient": "trusted_external", "info_categories": ["care_protection"]}, True),
        ({"recipient": "person_posing_risk", "vulnerable_individuals": False}, True),
    ],
)
def test_when_a_safety_check_is_needed(world: World, facts: dict[str, Any], needed: bool) -> None:
    assert not safety_check_needed(world.incident_a)  # not assessed: nothing says so
    assert safety_check_needed(assess(world, **facts)) is needed


def test_plan_for_everyone_without_a_notice_or_for_one_person(world: World) -> None:
    incident = world.incident_a
    with pytest.raises(ValidationError, match="No affected people"):
        notices_plan(incident=incident, actor=world.officer_a)
    first, second, third = people(incident, "C-1", "C-2", "C-3")
    (one,) = notices_plan(incident=incident, actor=world.officer_a, affected=second)
    assert one.affected == second
    with pytest.raises(ValidationError) as again:
        notices_plan(incident=incident, actor=world.officer_a, affected=second)
    assert "affected" in again.value.message_dict
    (stranger,) = people(world.incident_b, "C-9")
    with pytest.raises(ValidationError, match="not affected by this incident"):
        notices_plan(incident=incident, actor=world.officer_a, affected=stranger)
    planned = notices_plan(incident=incident, actor=world.officer_a)
    assert [n.affected for n in planned] == [first, third]
    with pytest.raises(ValidationError, match="Everyone affected already has a notice"):
        notices_plan(incident=incident, actor=world.officer_a)
    assert IndividualNotice.objects.filter(incident=incident).count() == 3


def test_a_public_notice_needs_its_reason(world: World) -> None:
    with pytest.raises(ValidationError) as missing:
        notice_public_create(incident=world.incident_a, actor=world.officer_a, public_reason="  ")
    assert "public_reason" in missing.value.message_dict
    notice = notice_public_create(
        incident=world.incident_a, actor=world.officer_a,
        public_reason="Former clients who cannot be reached: a notice on the website.",
    )  # fmt: skip
    assert notice.is_public and notice.affected is None
    assert notice.channel == IndividualNotice.Channel.PUBLIC_NOTICE
    assert notice.history.get().history_user == world.officer_a


def test_withholding_needs_its_ground_and_is_never_late(world: World) -> None:
    incident = world.incident_a
    people(incident, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    with pytest.raises(ValidationError) as missing:
        notice_record_outcome(notice=notice, actor=world.officer_a, outcome="withheld")
    assert "withheld_ground" in missing.value.message_dict
    withheld = notice_record_outcome(
        notice=notice, actor=world.officer_a, outcome="withheld",
        withheld_ground="s116: telling her now would tell him where she lives.",
    )  # fmt: skip
    assert withheld.outcome == Outcome.WITHHELD and withheld.outcome_at is not None
    assert not is_late(withheld)
    assert notice_summary(incident).to_tell == 0
    # Withheld is final for sending: it cannot be marked sent or delivered afterwards.
    with pytest.raises(ValidationError):
        notice_record_outcome(
            notice=notice, actor=world.officer_a, outcome="delivered", outcome_at=timezone.now()
        )


def test_delivered_or_returned_only_after_sending_and_returned_is_still_to_tell(
    world: World,
) -> None:
    incident = world.incident_a
    people(incident, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    now = timezone.now()
    with pytest.raises(ValidationError) as early:
        notice_record_outcome(
            notice=notice, actor=world.officer_a, outcome="returned", outcome_at=now
        )
    assert "outcome" in early.value.message_dict
    notice_mark_sent(notice=notice, actor=world.officer_a, channel="letter", sent_at=now)
    assert notice_summary(incident).to_tell == 0
    with pytest.raises(ValidationError) as when:
        notice_record_outcome(notice=notice, actor=world.officer_a, outcome="returned")
    assert "outcome_at" in when.value.message_dict
    with pytest.raises(ValidationError) as before:
        notice_record_outcome(
            notice=notice, actor=world.officer_a, outcome="returned",
            outcome_at=now - timedelta(days=2),
        )  # fmt: skip
    assert "outcome_at" in before.value.message_dict
    notice_record_outcome(notice=notice, actor=world.officer_a, outcome="returned", outcome_at=now)
    assert notice_summary(incident).to_tell == 1  # returned: still to be told
    # Sent again (another way): told.
    notice_mark_sent(notice=notice, actor=world.officer_a, channel="in_person", sent_at=now)
    assert notice_summary(incident).to_tell == 0


def test_sent_needs_a_channel_and_a_believable_time(world: World) -> None:
    people(world.incident_a, "C-1")
    (notice,) = notices_plan(incident=world.incident_a, actor=world.officer_a)
    for channel, sent_at, field in [
        ("pigeon", timezone.now(), "channel"),
        ("letter", None, "sent_at"),
        ("letter", timezone.now() + timedelta(days=2), "sent_at"),
        ("letter", world.incident_a.aware_at - timedelta(days=3), "sent_at"),
    ]:
        with pytest.raises(ValidationError) as refused:
            notice_mark_sent(notice=notice, actor=world.officer_a, channel=channel, sent_at=sent_at)
        assert field in refused.value.message_dict, (channel, sent_at)
    assert fresh(notice).outcome == Outcome.PLANNED


def test_a_near_miss_is_never_notifiable(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(kind=Incident.Kind.NEAR_MISS)
    world.incident_a.refresh_from_db()
    people(world.incident_a, "C-1")
    for attempt in [
        lambda: notices_plan(incident=world.incident_a, actor=world.officer_a),
        lambda: notice_public_create(
            incident=world.incident_a, actor=world.officer_a, public_reason="Website."
        ),
    ]:
        with pytest.raises(ValidationError, match="never notifiable") as refused:
            attempt()
        assert NEAR_MISS in str(refused.value)
    assert not IndividualNotice.objects.exists()
    assert notice_summary(world.incident_a).applies is False


@pytest.mark.parametrize("persona", ["reporter", "officer_b", "executive", "admin", "named"])
def test_only_the_incidents_handlers_write_notices(world: World, persona: str) -> None:
    people(world.incident_a, "C-1")
    (notice,) = notices_plan(incident=world.incident_a, actor=world.cpo)  # the CPO handles all
    actor = getattr(world, persona)
    with pytest.raises(PermissionDenied):
        notices_plan(incident=world.incident_a, actor=actor)
    with pytest.raises(PermissionDenied):
        notice_mark_sent(notice=notice, actor=actor, channel="letter", sent_at=timezone.now())
    with pytest.raises(PermissionDenied):
        notice_record_safety_check(notice=notice, actor=actor, safety_check="x", safe_channel="y")
    assert fresh(notice).outcome == Outcome.PLANNED


def test_scope_is_checked_again_on_the_locked_incident(world: World) -> None:
    """The officer loaded the notice; the incident was restricted before they sent the form."""
    people(world.incident_a, "C-1")
    (notice,) = notices_plan(incident=world.incident_a, actor=world.officer_a)
    loaded = IndividualNotice.objects.select_related("incident").get(pk=notice.pk)
    incident_restrict(
        incident=world.incident_a, actor=world.cpo, people=[world.named], reason="Staff conduct."
    )
    with pytest.raises(PermissionDenied):
        notice_mark_sent(
            notice=loaded, actor=world.officer_a, channel="letter", sent_at=timezone.now()
        )
    assert fresh(notice).outcome == Outcome.PLANNED and fresh(notice).history.count() == 1


def test_due_is_the_regulator_target_else_72_hours_and_late_is_after_it(world: World) -> None:
    incident = world.incident_a
    assert incident.regulator_deadline is None
    assert notice_due_at(incident) == incident.aware_at + DEFAULT_DUE
    incident = assess(world, recipient="known_individual", vulnerable_individuals=False)
    assert incident.regulator_deadline is not None
    assert notice_due_at(incident) == incident.regulator_deadline
    people(incident, "C-1", "C-2")
    first, second = notices_plan(incident=incident, actor=world.officer_a)
    assert first.due_at == incident.regulator_deadline
    # Sent at the deadline: on time; a second after it: late.
    due = first.due_at
    assert due is not None
    IndividualNotice.objects.filter(pk=first.pk).update(outcome="sent", sent_at=due)
    IndividualNotice.objects.filter(pk=second.pk).update(
        outcome="sent", sent_at=due + timedelta(seconds=1)
    )
    assert not is_late(fresh(first)) and is_late(fresh(second))
    assert notice_summary(incident).late == 1


def test_people_still_to_tell_once_telling_them_is_in_hand(world: World) -> None:
    incident = assess(world)
    people(incident, "C-1", "C-2", "C-3")
    summary = notice_summary(incident)
    # Assessed, not decided, nothing planned: not (yet) to be told.
    assert (summary.people, summary.untold, summary.to_tell, summary.in_hand) == (3, 3, 0, False)
    assessment = incident.assessments.get()
    decision_record(
        incident=incident, assessment=assessment, actor=world.officer_a, notify_regulator="yes",
        notify_individuals="yes", rationale="As recommended.",
    )  # fmt: skip
    assert notice_summary(incident).to_tell == 3
    first, *_ = notices_plan(incident=incident, actor=world.officer_a)
    notice_record_outcome(
        notice=first, actor=world.officer_a, outcome="withheld", withheld_ground="s116."
    )
    summary = notice_summary(incident)
    assert (summary.to_tell, summary.notices, summary.awaiting_safety_check) == (2, 3, 2)
