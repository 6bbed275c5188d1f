"""The report form and the detail page's additions, through Django's test client."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from breaches.models import Comment, Incident
from tests.conftest import World

pytestmark = pytest.mark.django_db


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "breach",
        "summary": "Letter about a family group conference posted to an old address",
        "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "post",
        "business_unit": world.site_a1.pk,
        "occurred_precision": "unknown",
        "description": "Found out when the family rang.",
        "breach_types": ["unauthorised_disclosure"],
        "information_categories": ["care_protection", "location"],
        "individuals_affected": "2",
        "affected-TOTAL_FORMS": "2",
        "affected-INITIAL_FORMS": "0",
        "affected-MIN_NUM_FORMS": "0",
        "affected-MAX_NUM_FORMS": "20",
        "affected-0-reference": "C-204816",
        "affected-0-role": "child",
        "affected-1-reference": "",
        "affected-1-role": "",
        "submission_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def new_incidents() -> Any:
    return Incident.objects.filter(summary__startswith="Letter about a family")


def test_the_form_asks_at_most_six_required_inputs(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    form = client.get("/incidents/new/").context["form"]
    required = [n for n, f in form.fields.items() if f.required and not f.widget.is_hidden]
    assert len(required) <= 6
    assert form.initial["business_unit"] == world.site_a1.pk
    assert form.initial["aware_at"]


def test_a_report_is_created_with_its_details_and_officers_hear(
    world: World, client: Client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.reporter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/incidents/new/", form_data(world))
    incident = new_incidents().get()
    assert response.status_code == 302
    assert response["Location"] == incident.get_absolute_url()
    assert incident.reporter == world.reporter
    assert list(incident.breach_types.values_list("breach_type", flat=True)) == [
        "unauthorised_disclosure"
    ]
    assert incident.affected.get().reference == "C-204816"
    assert incident.individuals_affected == 2
    assert [m.to for m in mail.outbox] == [[world.officer_a.email]]
    assert incident.reference in mail.outbox[0].subject


def test_a_validation_error_keeps_every_value(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    future = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/incidents/new/", form_data(world, aware_at=future, channel=""))
    assert response.status_code == 400
    body = response.content.decode()
    assert "This is in the future" in body
    assert "Choose how it happened" in body
    assert 'value="Letter about a family group conference posted to an old address"' in body
    assert "Found out when the family rang." in body
    assert 'value="C-204816"' in body
    assert re.search(r'<input[^>]*value="unauthorised_disclosure"[^>]*checked', body)
    assert re.search(r'<input[^>]*value="breach"[^>]*checked', body)
    assert future in body
    assert not new_incidents().exists()


def test_an_affected_reference_that_looks_like_file_content_is_refused(
    world: World, client: Client
) -> None:
    client.force_login(world.reporter)
    response = client.post(
        "/incidents/new/",
        form_data(world, **{"affected-0-reference": "Mother says the father hit her again"}),
    )
    assert response.status_code == 400
    assert "reference number only" in response.content.decode()


def test_a_double_submit_creates_one_incident(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    data = form_data(world)
    first = client.post("/incidents/new/", data)
    second = client.post("/incidents/new/", data)
    assert new_incidents().count() == 1
    assert first["Location"] == second["Location"]


def owned(client: Client, data: dict[str, Any]) -> dict[str, Any]:
    """The form's hidden fields as the page gave them to this person."""
    form = client.get("/incidents/new/").context["form"]
    return {**data, "draft_owner": form.initial["draft_owner"]}


def test_an_expired_session_keeps_everything_typed(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    data = owned(client, form_data(world))
    Session.objects.all().delete()  # the session expires while the person is typing

    response = client.post("/incidents/new/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/incidents/new/%3Frestore%3D1")
    assert not new_incidents().exists()

    client.force_login(world.reporter)  # signing in again keeps the anonymous session's draft
    restored = client.get("/incidents/new/?restore=1")
    body = restored.content.decode()
    # A reload does not lose it.
    assert "Found out when" in client.get("/incidents/new/?restore=1").content.decode()
    assert 'value="Letter about a family group conference posted to an old address"' in body
    assert "Found out when the family rang." in body
    assert 'value="C-204816"' in body
    assert data["submission_token"] in body
    sent = client.post("/incidents/new/", data)
    assert sent.status_code == 302
    assert new_incidents().count() == 1
    # Sending it used the draft up.
    assert "Found out when" not in client.get("/incidents/new/?restore=1").content.decode()


def test_the_draft_survives_a_real_login_form(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    data = owned(client, form_data(world))
    client.logout()
    response = client.post("/incidents/new/", data)  # not signed in any more
    assert response.status_code == 302
    next_url = "/incidents/new/?restore=1"
    login_page = client.get(response["Location"])
    assert "Your session had expired" in login_page.content.decode()
    signed_in = client.post(
        "/login/",
        {"username": "reporter", "password": "correct horse battery staple", "next": next_url},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == next_url
    assert 'value="C-204816"' in client.get(next_url).content.decode()


def test_reporter_adds_information_and_a_comment(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    ref = world.incident_a.reference
    response = client.post(
        f"/incidents/{ref}/details/",
        {
            "occurred_precision": "approximate",
            "occurred_at": (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "description": "It was the Tuesday post.",
            "breach_types": ["loss"],
            "affected-TOTAL_FORMS": "1",
            "affected-INITIAL_FORMS": "0",
            "affected-0-reference": "",
            "affected-0-role": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (
        client.post(
            f"/incidents/{ref}/comments/", {"body": "Also the envelope was open."}
        ).status_code
        == 302
    )
    page = client.get(f"/incidents/{ref}/").content.decode()
    assert "It was the Tuesday post." in page
    assert "Also the envelope was open." in page
    assert "added breach type" in page
    timeline = client.get(f"/incidents/{ref}/").context["timeline"]
    assert [e.verb for e in timeline][:2] == ["reported this incident", "changed"]


def test_internal_notes_never_reach_the_reporter_page(world: World, client: Client) -> None:
    ref = world.incident_a.reference
    client.force_login(world.officer_a)
    client.post(
        f"/incidents/{ref}/comments/",
        {"body": "Check the staff member's history.", "visibility": "internal"},
    )
    client.post(
        f"/incidents/{ref}/comments/", {"body": "We are looking into it.", "visibility": "shared"}
    )
    assert Comment.objects.count() == 2
    assert "Check the staff member" in client.get(f"/incidents/{ref}/").content.decode()
    client.force_login(world.reporter)
    page = client.get(f"/incidents/{ref}/").content.decode()
    assert "We are looking into it." in page
    assert "Check the staff member" not in page
    assert "Internal" not in page


def test_reporter_cannot_post_an_internal_note(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    client.post(
        f"/incidents/{world.incident_a.reference}/comments/",
        {"body": "x", "visibility": "internal"},
    )
    assert not Comment.objects.exists()


def test_closed_incident_takes_no_more_from_the_reporter(world: World, client: Client) -> None:
    Incident.objects.filter(pk=world.incident_a.pk).update(status=Incident.Status.CLOSED)
    client.force_login(world.reporter)
    ref = world.incident_a.reference
    assert client.get(f"/incidents/{ref}/details/").status_code == 404
    client.post(f"/incidents/{ref}/comments/", {"body": "late"})
    assert not Comment.objects.exists()
    page = client.get(f"/incidents/{ref}/").content.decode()
    assert "This incident is closed." in page


def test_an_empty_comment_keeps_the_page_and_says_why(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    response = client.post(f"/incidents/{world.incident_a.reference}/comments/", {"body": "  "})
    assert response.status_code == 400
    assert "Write something before sending." in response.content.decode()


def test_everyone_may_report(world: World, client: Client) -> None:
    for persona in ["executive", "admin", "officer_b"]:
        user: User = world.persona(persona)  # type: ignore[assignment]
        client.force_login(user)
        data = form_data(
            world, submission_token=str(uuid.uuid4()), business_unit=user.business_unit_id
        )
        assert client.post("/incidents/new/", data).status_code == 302
    assert new_incidents().count() == 3


def test_a_draft_is_given_back_only_to_its_owner(world: World) -> None:
    client = Client()
    client.force_login(world.reporter)
    data = owned(client, form_data(world))
    Session.objects.all().delete()
    client.post("/incidents/new/", data)
    client.force_login(world.reporter2)  # someone else signs in on the same browser
    body = client.get("/incidents/new/?restore=1").content.decode()
    assert "Found out when" not in body
    client.force_login(world.reporter)
    assert "Found out when" not in client.get("/incidents/new/?restore=1").content.decode()


def test_an_anonymous_post_without_a_signed_owner_keeps_nothing(world: World) -> None:
    client = Client()
    response = client.post("/incidents/new/", form_data(world, draft_owner="forged"))
    assert response.status_code == 302
    assert "report_draft" not in client.session


def test_a_missing_or_mangled_token_never_gets_the_form_stuck(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    data = form_data(world, submission_token="not-a-uuid", channel="")
    response = client.post("/incidents/new/", data)
    assert response.status_code == 400
    token = response.context["form"]["submission_token"].value()
    assert uuid.UUID(str(token))
    assert (
        client.post(
            "/incidents/new/", {**data, "channel": "post", "submission_token": ""}
        ).status_code
        == 302
    )
    assert new_incidents().count() == 1


def test_the_same_token_with_different_content_is_a_new_report(
    world: World, client: Client
) -> None:
    client.force_login(world.reporter)
    data = form_data(world)
    client.post("/incidents/new/", data)
    client.post("/incidents/new/", {**data, "summary": "Letter about a family meeting, second one"})
    assert new_incidents().count() == 2


def test_a_comment_typed_when_the_session_expired_comes_back(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    url = world.incident_a.get_absolute_url()
    owner = client.get(url).context["comment_form"].initial["draft_owner"]
    Session.objects.all().delete()
    response = client.post(
        f"{url}comments/", {"body": "The envelope was open too.", "draft_owner": owner}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Comment.objects.exists()
    client.force_login(world.reporter)
    page = client.get(f"{url}?restore=1")
    assert page.context["comment_form"].initial["body"] == "The envelope was open too."
    client.post(f"{url}comments/", {"body": "The envelope was open too."})
    assert Comment.objects.get().body == "The envelope was open too."


def test_details_typed_when_the_session_expired_come_back(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    url = f"/incidents/{world.incident_a.reference}/details/"
    owner = client.get(url).context["form"].initial["draft_owner"]
    Session.objects.all().delete()
    response = client.post(url, {"description": "It was the Tuesday post.", "draft_owner": owner,
                                 "affected-TOTAL_FORMS": "1", "affected-INITIAL_FORMS": "0"})  # fmt: skip
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(world.reporter)
    page = client.get(f"{url}?restore=1").content.decode()
    assert "It was the Tuesday post." in page
    client.post(url, {"description": "It was the Tuesday post.", "affected-TOTAL_FORMS": "1",
                      "affected-INITIAL_FORMS": "0", "occurred_precision": "unknown"})  # fmt: skip
    world.incident_a.refresh_from_db()
    assert world.incident_a.description == "It was the Tuesday post."
