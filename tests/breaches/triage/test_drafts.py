"""Drafts per law (SPEC §4.4): each addressed to its law's regulator, with the content its
provisions require item by item; the completeness check; the content officers write for them."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessEvent
from breaches.models import (
    Incident,
    IncidentInformationCategory,
    IndividualNotice,
    NotificationContent,
)
from breaches.response.notifications import notification_content_save, notification_record
from breaches.triage.completeness import draft_checks
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

pytestmark = pytest.mark.django_db

CONTENT = {
    "contact_point": "Privacy team, privacy@agency.example, 04 555 0100",
    "likely_consequences": "The mother may be located by the father.",
    "measures_taken": "Recalled the e-mail; moved the family; told them in person.",
    "advice_to_individuals": "Tell us at once of any contact from him.",
    "other_agencies": "Police: for the family's safety.",
}


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # One line per extracted line, with runs of spaces folded, for plain `in` checks.
    return "\n".join(" ".join(page.extract_text().split()) for page in reader.pages)


def prepare(world: World, law: str, *, content: dict[str, str] | None = None) -> Incident:
    """Incident A, assessed under ``law``, decided notifiable, its report filled in."""
    Incident.objects.filter(pk=world.incident_a.pk).update(
        description="The care plan was e-mailed to the father's address.",
        containment_steps="Asked him to delete it; he refused.",
        individuals_affected=2,
    )
    IncidentInformationCategory.objects.create(
        incident=world.incident_a, category="care_protection"
    )
    facts = {
        **VALID,
        "jurisdiction": law,
        "aware_at": (timezone.now() - timedelta(hours=3)).isoformat(),
    }
    assessment = assessment_create(
        incident=world.incident_a, facts=parse_facts(facts), actor=world.officer_a
    )
    decision_record(
        incident=world.incident_a, assessment=assessment, actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="",
    )  # fmt: skip
    if content is not None:
        notification_content_save(incident=world.incident_a, actor=world.officer_a, **content)
    return Incident.objects.get(pk=world.incident_a.pk)


def download(world: World, which: str) -> tuple[str, str]:
    client = Client()
    client.force_login(world.officer_a)
    response = client.get(f"/incidents/{world.incident_a.reference}/drafts/{which}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return pdf_text(response.content), response["Content-Disposition"]


def save_pdf(world: World, which: str, name: str) -> None:
    """Kept for looking at (pdftoppm), never in the repository."""
    client = Client()
    client.force_login(world.officer_a)
    body = client.get(f"/incidents/{world.incident_a.reference}/drafts/{which}.pdf").content
    with open(f"/tmp/shots/drafts/{name}.pdf", "wb") as out:
        out.write(body)


def test_a_gdpr_incident_drafts_to_the_supervisory_authority_with_art_33_3(world: World) -> None:
    prepare(
        world,
        "GDPR",
        content={
            **CONTENT,
            "other_agencies": "Supervisory authority: Data Protection Commission (Ireland)\nPolice: safety.",
        },
    )
    text, disposition = download(world, "commissioner")
    for expected in [
        "supervisory authority", "Data Protection Commission (Ireland)", "Article 33",
        "Art. 33(3)(a)", "Art. 33(3)(b)", "Art. 33(3)(c)", "Art. 33(3)(d)", "Art. 33(4)",
        "Approximate number of data subjects", "Categories of personal data", "Care and protection",
        "privacy@agency.example", "may be located by the father", "Recalled the e-mail",
        "IN CONFIDENCE",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "privacy.org.nz" not in text and "Privacy Commissioner" not in text
    assert "gdpr-art33-authority-notification" in disposition
    letter, disposition = download(world, "letter")
    for expected in ["Art. 34(2)", "33(3)(b)", "33(3)(c)", "33(3)(d)", "may be located by the father",
                     "privacy@agency.example", "supervisory authority"]:  # fmt: skip
        assert expected in letter, expected
    assert "privacy.org.nz" not in letter and "gdpr-art34-communication" in disposition
    save_pdf(world, "commissioner", "gdpr-authority")
    save_pdf(world, "letter", "gdpr-individual")


def test_a_gdpr_draft_leaves_the_authority_blank_when_unnamed(world: World) -> None:
    prepare(world, "GDPR", content=CONTENT)
    text, _ = download(world, "commissioner")
    assert "[name of the competent (lead) supervisory authority" in text
    assert "Which supervisory authority" in text  # listed as still missing, on the draft too


def test_an_au_incident_drafts_the_s26wk_statement_and_s26wl_notice(world: World) -> None:
    prepare(world, "AU", content=CONTENT)
    text, disposition = download(world, "commissioner")
    for expected in [
        "Office of the Australian Information Commissioner", "s26WK(3)(a)", "s26WK(3)(b)",
        "s26WK(3)(c)", "s26WK(3)(d)", "privacy@agency.example", "e-mailed to the father",
        "Care and protection", "Tell us at once of any contact from him",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "privacy.org.nz" not in text and "au-s26wk-statement" in disposition
    notice, disposition = download(world, "letter")
    for expected in ["s26WL", "s26WK(3)(d)", "Tell us at once", "www.oaic.gov.au"]:
        assert expected in notice, expected
    assert "privacy.org.nz" not in notice and "au-s26wl-notice" in disposition
    save_pdf(world, "commissioner", "au-statement")
    save_pdf(world, "letter", "au-individual")


def test_an_nz_incident_drafts_s117_item_by_item(world: World) -> None:
    incident = prepare(world, "NZ", content=CONTENT)
    notification_record(
        incident=incident, actor=world.officer_a, recipient="regulator", method="online_form",
        stage="initial", notified_at=timezone.now(), reference_number="OPC-12",
    )  # fmt: skip
    text, disposition = download(world, "commissioner")
    for expected in [
        "Privacy Commissioner", "NotifyUs", "s117(1)(a)", "s117(1)(a)(i)", "s117(1)(b)",
        "s117(1)(d)", "s117(1)(e)", "Police: for the family's safety", "OPC-12", "Initial",
    ]:  # fmt: skip
        assert expected in text, expected
    assert "nz-commissioner-notification" in disposition
    letter, _ = download(world, "letter")
    for provision in ["s117(2)(a)", "s117(2)(b)", "s117(2)(c)", "s117(2)(d)", "s117(2)(f)"]:
        assert provision in letter, provision
    assert "We told the Privacy Commissioner about this breach on" in letter
    assert "right to complain" in letter and "We do not name them here" in letter
    assert AccessEvent.objects.filter(action=AccessEvent.Action.DRAFT_DOWNLOAD).count() == 2
    save_pdf(world, "commissioner", "nz-regulator")
    save_pdf(world, "letter", "nz-individual")


def missing(incident: Incident) -> dict[str, list[str]]:
    return {check.kind: [m.provision for m in check.missing] for check in draft_checks(incident)}


def test_completeness_for_a_bare_nz_report(world: World) -> None:
    gaps = missing(Incident.objects.get(pk=world.incident_a.pk))
    assert gaps["regulator"] == [
        "s113", "s114", "s117(1)(a)", "s117(1)(a)(i)", "NotifyUs", "s117(1)(b)", "s117(1)(b)",
        "s117(1)(d)", "s117(1)(e)",
    ]  # fmt: skip
    assert gaps["letter"] == ["s117(2)(a)", "s117(2)(b)", "s117(2)(c)", "s117(2)(d)", "s117(2)(f)"]
    incident = prepare(world, "NZ", content=CONTENT)
    assert missing(incident) == {"regulator": [], "letter": ["s117(2)(d)"]}
    # A public notice without its reason (s115(2)).
    IndividualNotice.objects.create(incident=incident, is_public=True, created_by=world.officer_a)
    assert missing(incident)["letter"] == ["s117(2)(d)", "s115(2)"]
    IndividualNotice.objects.update(public_reason="No current addresses for 400 people.")
    assert missing(incident)["letter"] == ["s117(2)(d)"]


def test_completeness_for_gdpr_names_the_authority_and_the_delay(world: World) -> None:
    incident = prepare(world, "GDPR", content=CONTENT)
    assert missing(incident)["regulator"] == ["Art. 33(1), Art. 55–56"]
    notification_content_save(
        incident=incident, actor=world.officer_a,
        other_agencies="Supervisory authority: CNIL (France)",
    )  # fmt: skip
    assert missing(incident)["regulator"] == []
    Incident.objects.filter(pk=incident.pk).update(
        regulator_deadline=timezone.now() - timedelta(hours=1)
    )
    incident.refresh_from_db()
    assert missing(incident)["regulator"] == ["Art. 33(1)"]  # 72 hours passed, no reasons given
    notification_record(
        incident=incident, actor=world.officer_a, recipient="regulator", method="online_form",
        stage="initial", notified_at=timezone.now(), reason="The processor told us late.",
    )  # fmt: skip
    incident.refresh_from_db()
    assert missing(incident)["regulator"] == []
    assert "The processor told us late." in download(world, "commissioner")[0]


def test_completeness_for_au_asks_for_s26wk_3_d(world: World) -> None:
    incident = prepare(world, "AU", content={**CONTENT, "advice_to_individuals": ""})
    gaps = missing(incident)
    assert gaps == {"regulator": ["s26WK(3)(d)"], "letter": ["s26WK(3)(d)"]}


def test_a_near_miss_has_no_drafts_to_check(world: World) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(kind=Incident.Kind.NEAR_MISS)
    assert draft_checks(Incident.objects.get(pk=world.incident_a.pk)) == []


def test_the_check_reads_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    incident = prepare(world, "GDPR", content=CONTENT)
    IndividualNotice.objects.create(incident=incident, is_public=True, created_by=world.officer_a)
    with django_assert_num_queries(1):
        draft_checks(incident)


def test_the_check_shows_on_the_incident_and_triage_pages(world: World, client: Client) -> None:
    client.force_login(world.officer_a)
    page = client.get(world.incident_a.get_absolute_url()).content.decode()
    section = page.split('id="notifications-heading"')[1].split("</section>")[0]
    assert "s117(1)(e)" in section and "Write what the drafts need" in section
    triage = client.get(f"/incidents/{world.incident_a.reference}/triage/").content.decode()
    assert "s117(2)(f)" in triage.split('id="drafts-heading"')[1]
    client.force_login(world.reporter)
    assert "s117(1)(e)" not in client.get(world.incident_a.get_absolute_url()).content.decode()


def test_officers_write_the_content_with_history(world: World, client: Client) -> None:
    url = f"/incidents/{world.incident_a.reference}/notification-content/"
    client.force_login(world.officer_a)
    page = client.get(url)
    assert page.status_code == 200 and "s117(1)(e)" in page.content.decode()
    assert AccessEvent.objects.filter(
        incident=world.incident_a, detail={"page": "notification-content"}
    ).exists()
    too_long = client.post(url, {**CONTENT, "measures_taken": "x" * 5001})
    assert too_long.status_code == 400
    assert "measures_taken" in too_long.context["form"].errors
    assert "Privacy team, privacy@agency.example" in too_long.content.decode()  # kept
    assert not NotificationContent.objects.exists()
    assert client.post(url, CONTENT).status_code == 302
    content = NotificationContent.objects.get(incident=world.incident_a)
    assert content.contact_point == CONTENT["contact_point"]
    assert client.post(url, {**CONTENT, "contact_point": "  The CPO  "}).status_code == 302
    rows = list(content.history.order_by("history_id"))
    assert [r.contact_point for r in rows] == [CONTENT["contact_point"], "The CPO"]
    assert {r.history_user_id for r in rows} == {world.officer_a.pk}
    assert "s117(1)(e)" not in client.get(url).content.decode()  # no longer missing
    client.force_login(world.officer_b)
    assert client.post(url, CONTENT).status_code == 404
    assert client.get(url).status_code == 404
