"""Triage in the register: the page, assessments, decisions, the clock, reminders, drafts."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessEvent
from breaches.models import Assessment, DeadlineReminder, Decision, Incident
from breaches.triage.clock import clock_for
from breaches.triage.engine import parse_facts, registry
from breaches.triage.engine.result import Reason, Result
from breaches.triage.reminders import send_deadline_reminders
from breaches.triage.services import assessment_create, decision_record, reread
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

pytestmark = pytest.mark.django_db


def facts_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "jurisdiction": "NZ",
        "breach_types": ["unauthorised_disclosure"],
        "info_categories": ["care_protection", "family_violence", "location"],
        "individuals_affected": "1",
        "vulnerable_individuals": "on",
        "recipient": "person_posing_risk",
        "security_measures": "none",
        "contained": "not",
        "harm_occurred": "on",
        "harm_types": ["physical"],
        "backup_available": "",
        "aware_at": timezone.localtime(timezone.now() - timedelta(hours=3)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    }
    data.update(overrides)
    return data


def assessed(world: World, **overrides: Any) -> Assessment:
    facts = parse_facts(
        {**VALID, "aware_at": (timezone.now() - timedelta(hours=3)).isoformat(), **overrides}
    )
    return assessment_create(incident=world.incident_a, facts=facts, actor=world.officer_a)


def test_triage_page_prefills_and_previews(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    page = client.get(f"/incidents/{world.incident_a.reference}/triage/")
    assert page.status_code == 200
    assert page.context["preview"]["rule_set"] == "nz-privacy-act-2020@2"
    preview = client.post(
        f"/incidents/{world.incident_a.reference}/triage/", facts_form(), HTTP_X_PREVIEW="1"
    )
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "Critical" in body and "s113(b)" in body and "<html" not in body
    assert not Assessment.objects.exists()  # a preview stores nothing


def test_triage_without_javascript_updates_the_whole_page(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    response = client.post(
        f"/incidents/{world.incident_a.reference}/triage/",
        facts_form(recipient="none", contained="fully", harm_occurred="", harm_types=[]),
    )
    assert response.status_code == 200
    assert response.context["preview"]["notify_regulator"] == "no"
    assert "<html" in response.content.decode()


def test_bad_facts_are_named_beside_their_fields(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    response = client.post(
        f"/incidents/{world.incident_a.reference}/triage/",
        facts_form(recipient="neighbour", individuals_affected="-3", action="assess"),
    )
    assert response.status_code == 400
    errors = response.context["facts_form"].errors
    assert {"recipient", "individuals_affected"} <= set(errors)
    assert not Assessment.objects.exists()


def test_saving_an_assessment_stores_facts_result_and_version(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    response = client.post(
        f"/incidents/{world.incident_a.reference}/triage/", facts_form(action="assess")
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.rule_set == "nz-privacy-act-2020@2"
    assert assessment.result["severity"] == assessment.severity == "critical"
    assert assessment.facts["recipient"] == "person_posing_risk"
    world.incident_a.refresh_from_db()
    assert world.incident_a.severity == "critical"
    assert world.incident_a.regulator_deadline == assessment.regulator_deadline


def test_only_officers_in_scope_reach_triage(world: World, client: Client) -> None:
    url = f"/incidents/{world.incident_a.reference}/triage/"
    for persona, expected in [
        ("officer_a", 200), ("cpo", 200), ("reporter", 404), ("officer_b", 404),
        ("executive", 404), ("admin", 404), ("named", 404), ("reporter2", 404),
    ]:  # fmt: skip
        client.force_login(world.persona(persona))
        assert client.get(url).status_code == expected, persona
        assert client.post(url, facts_form(action="assess")).status_code in {expected, 302}
    assert Assessment.objects.filter(created_by__username__in=["officer_a", "cpo"]).count() == 2
    assert Assessment.objects.count() == 2


def test_a_decision_that_differs_needs_a_rationale(world: World) -> None:
    assessment = assessed(world)
    with pytest.raises(ValidationError) as caught:
        decision_record(
            incident=world.incident_a, assessment=assessment, actor=world.officer_a,
            notify_regulator="no", notify_individuals="no", rationale="",
        )  # fmt: skip
    assert "rationale" in caught.value.message_dict
    decision = decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="no", notify_individuals="no",
        rationale="The recipient is the victim's lawyer, not the father.",
    )  # fmt: skip
    assert decision.differs_from_recommendation


def test_agreeing_needs_no_rationale_and_an_exception_needs_a_ground(world: World) -> None:
    assessment = assessed(world)
    decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        decision_record(
            incident=world.incident_a, assessment=assessment, actor=world.officer_a,
            notify_regulator="yes", notify_individuals="exception", rationale="Safety.",
        )  # fmt: skip
    assert "ground" in caught.value.message_dict


def test_a_new_decision_supersedes_and_never_overwrites(world: World, client: Client) -> None:
    assessment = assessed(world)
    first = decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    second = decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.cpo,
        notify_regulator="yes", notify_individuals="delay",
        ground="s116(1)(a): telling her now would endanger her safety until she is moved.",
        rationale="Delay until the safe-house move is done.",
    )  # fmt: skip
    first.refresh_from_db()
    assert second.supersedes == first
    assert first.notify_individuals == "yes"  # unchanged
    assert Decision.objects.count() == 2
    client.force_login(world.officer_a)
    timeline = client.get(world.incident_a.get_absolute_url()).context["timeline"]
    verbs = [e.verb for e in timeline]
    assert "assessed notifiability" in verbs
    assert "signed a decision, superseding the previous one" in verbs
    client.force_login(world.reporter)
    reporter_view = client.get(world.incident_a.get_absolute_url()).content.decode()
    assert "assessed notifiability" not in reporter_view and "safe-house" not in reporter_view


def test_decision_through_the_page(world: World, client: Client) -> None:
    assessment = assessed(world)
    client.force_login(world.officer_a)
    url = f"/incidents/{world.incident_a.reference}/triage/decision/"
    refused = client.post(url, {"assessment": assessment.pk, "notify_regulator": "no", "notify_individuals": "no"})  # fmt: skip
    assert refused.status_code == 400
    assert "explain why" in refused.content.decode()
    ok = client.post(url, {"assessment": assessment.pk, "notify_regulator": "yes", "notify_individuals": "yes"})  # fmt: skip
    assert ok.status_code == 302
    world.incident_a.refresh_from_db()
    assert world.incident_a.decision_notify_regulator == "yes"


def test_near_miss_decisions_cannot_notify(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(kind=Incident.Kind.NEAR_MISS)
    world.incident_a.refresh_from_db()
    facts = parse_facts({**VALID, "kind": "near_miss"})
    assessment = assessment_create(incident=world.incident_a, facts=facts, actor=world.officer_a)
    assert assessment.notify_regulator == "no"
    with pytest.raises(ValidationError):
        decision_record(
            incident=world.incident_a, assessment=assessment, actor=world.officer_a,
            notify_regulator="yes", notify_individuals="yes", rationale="Because.",
        )  # fmt: skip


def test_an_old_assessment_rereads_exactly_with_its_own_version(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assessment = assessed(world, recipient="unknown", harm_occurred=False, harm_types=[])
    stored = assessment.result

    class StricterV2:
        ID = "nz-privacy-act-2020@99"
        JURISDICTION = "NZ"

        @staticmethod
        def assess(facts, **options):  # type: ignore[no-untyped-def]
            return Result(
                "NZ", "low", "no", "no", facts.aware_at, StricterV2.ID, [Reason("s112", "v2")]
            )

    monkeypatch.setitem(registry.RULE_SETS, StricterV2.ID, StricterV2)
    monkeypatch.setitem(registry.LATEST, "NZ", StricterV2.ID)
    assert reread(assessment).to_dict() == stored
    newer = assessment_create(
        incident=world.incident_a, facts=parse_facts(assessment.facts), actor=world.officer_a
    )
    assert newer.rule_set == "nz-privacy-act-2020@99"
    assert newer.result != stored


def test_the_clock(world: World) -> None:
    assessed(world)
    world.incident_a.refresh_from_db()
    deadline = world.incident_a.regulator_deadline
    assert clock_for(world.incident_a, deadline - timedelta(hours=30)).state == "ok"
    assert clock_for(world.incident_a, deadline - timedelta(hours=23)).state == "soon"
    assert clock_for(world.incident_a, deadline + timedelta(minutes=1)).state == "missed"
    Incident.objects.filter(pk=world.incident_a.pk).update(regulator_notified_at=timezone.now())
    world.incident_a.refresh_from_db()
    assert clock_for(world.incident_a).state == "stopped"


def test_register_shows_time_left(world: World, client: Client) -> None:
    assessed(world)
    client.force_login(world.officer_a)
    body = client.get("/incidents/").content.decode()
    assert "h left" in body


def test_reminders_are_sent_once_before_and_once_when_missed(world: World) -> None:
    assessed(world)
    world.incident_a.refresh_from_db()
    deadline = world.incident_a.regulator_deadline
    assert send_deadline_reminders(deadline - timedelta(hours=30)) == 0
    assert send_deadline_reminders(deadline - timedelta(hours=23)) == 1
    assert send_deadline_reminders(deadline - timedelta(hours=22)) == 0
    assert send_deadline_reminders(deadline + timedelta(minutes=5)) == 1
    assert send_deadline_reminders(deadline + timedelta(hours=5)) == 0
    assert [r.kind for r in DeadlineReminder.objects.order_by("sent_at")] == [
        "approaching",
        "missed",
    ]
    assert len(mail.outbox) == 2
    assert world.officer_a.email in mail.outbox[0].to and world.cpo.email in mail.outbox[0].to
    assert "hours left to notify the regulator" in mail.outbox[0].subject
    assert mail.outbox[1].subject.startswith("MISSED")
    assert "Incident A" not in mail.outbox[0].body  # no content in e-mails


def test_no_reminders_once_decided_not_notifiable(world: World) -> None:
    assessment = assessed(world)
    decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="no", notify_individuals="no", rationale="Recovered unread.",
    )  # fmt: skip
    world.incident_a.refresh_from_db()
    assert send_deadline_reminders(world.incident_a.regulator_deadline + timedelta(hours=1)) == 0


def pdf_text(content: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_drafts_contain_the_incidents_facts_and_are_logged(world: World, client: Client) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(
        description="The care plan was e-mailed to the father's address.",
        containment_steps="Asked him to delete it; he refused.",
        individuals_affected=2,
    )
    assessment = assessed(world)
    decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    client.force_login(world.officer_a)
    regulator = client.get(f"/incidents/{world.incident_a.reference}/drafts/commissioner.pdf")
    assert regulator.status_code == 200 and regulator["Content-Type"] == "application/pdf"
    text, pages = pdf_text(regulator.content)
    for expected in [
        "Draft notification to the Privacy Commissioner", world.incident_a.reference,
        "Incident A", "e-mailed to the father", "Asked him to delete it", "Care and protection",
        "Someone who may harm an affected person", "IN CONFIDENCE", "Notify affected individuals",
        world.officer_a.email,
    ]:  # fmt: skip
        assert expected in text, expected
    assert f"Page 1 of {pages}" in text
    letter = client.get(f"/incidents/{world.incident_a.reference}/drafts/letter.pdf")
    letter_text, _ = pdf_text(letter.content)
    for expected in ["What happened", "What we have done", "Asked him to delete it",
                     "right to complain", "Privacy Commissioner", "call 111"]:  # fmt: skip
        assert expected in letter_text, expected
    assert AccessEvent.objects.filter(action=AccessEvent.Action.DRAFT_DOWNLOAD).count() == 2
    client.force_login(world.reporter)
    assert (
        client.get(f"/incidents/{world.incident_a.reference}/drafts/letter.pdf").status_code == 404
    )


def test_no_decision_is_pre_selected_and_a_stale_assessment_is_refused(world: World) -> None:
    first = assessment_create(
        incident=world.incident_a, facts=parse_facts(VALID), actor=world.officer_a
    )
    client = Client()
    client.force_login(world.officer_a)
    url = f"/incidents/{world.incident_a.reference}/triage/"
    page = client.get(url).content.decode()
    assert 'name="notify_regulator" value="yes" checked' not in page
    assert "checked" not in page.split('id="decision"')[1].split("</form>")[0]
    # Reassessed in another tab after this page was opened: the old page's decision is refused.
    assessment_create(incident=world.incident_a, facts=parse_facts(VALID), actor=world.officer_a)
    response = client.post(
        url + "decision/",
        {"assessment": first.pk, "notify_regulator": "yes", "notify_individuals": "yes",
         "rationale": "", "ground": ""},
    )  # fmt: skip
    assert response.status_code == 400
    assert "reassessed since this page was opened" in response.content.decode()
    assert not Decision.objects.filter(incident=world.incident_a).exists()
