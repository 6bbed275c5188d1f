"""Reporting without fear: the form's and the API's confidential choice, and reports about a
colleague's conduct restricted to the chief privacy officer on arrival (issue 17 items 1 and 3,
SPEC §2 and §3)."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from breaches.intake.services import ARRIVAL_REASON, LATER_REASON, incident_add_details
from breaches.models import Incident
from breaches.timeline import incident_timeline
from tests.breaches.intake.test_pages import form_data, new_incidents
from tests.conftest import World

pytestmark = pytest.mark.django_db


def report(client: Client, world: World, callbacks: Any, **overrides: Any) -> Any:
    mail.outbox.clear()
    with callbacks(execute=True):
        return client.post("/incidents/new/", form_data(world, **overrides))


def test_the_form_offers_the_choice_named_by_default(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    page = client.get("/incidents/new/")
    html = page.content.decode()
    assert "Who may see that you reported this?" in html
    assert "Only the chief privacy officer (confidential)" in html
    assert "This is about a colleague&#x27;s conduct" in html
    assert "How did this come to light?" in html
    assert page.context["form"].initial["reporting"] == "named"
    # Still a short form: none of these is required.
    form = page.context["form"]
    assert not any(form.fields[n].required for n in ("reporting", "about_colleague"))


def test_a_confidential_report_from_the_form(
    world: World, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(world.reporter)
    response = report(
        client, world, django_capture_on_commit_callbacks,
        reporting="confidential", discovered_by="self_reported",
    )  # fmt: skip
    incident = new_incidents().get()
    assert response.status_code == 302
    assert incident.reporting == Incident.Reporting.CONFIDENTIAL
    assert incident.discovered_by == Incident.Discovery.SELF_REPORTED
    # Officers triage it as usual: not restricted, and the unit's officer is told.
    assert not incident.is_restricted
    assert [m.to for m in mail.outbox] == [[world.officer_a.email]]
    thanks = client.get(response["Location"]).content.decode()
    assert "Only the chief privacy officer can see that you reported it." in thanks


def test_leaving_the_choice_out_is_a_named_report(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    client.post("/incidents/new/", form_data(world))
    incident = new_incidents().get()
    assert incident.reporting == Incident.Reporting.NAMED and not incident.about_colleague


@pytest.mark.parametrize(
    ("field", "value"),
    [("reporting", "anonymous"), ("reporting", "everyone"), ("discovered_by", "gossip")],
)
def test_a_bad_choice_is_a_field_error_and_keeps_the_rest(
    world: World, client: Client, field: str, value: str
) -> None:
    client.force_login(world.reporter)
    response = client.post("/incidents/new/", form_data(world, **{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Letter about a family group conference" in response.content.decode()
    assert not new_incidents().exists()


@pytest.mark.parametrize(
    "overrides", [{"about_colleague": "on"}, {"cause_category": "deliberate_misuse"}]
)
def test_a_report_about_a_colleague_is_restricted_to_the_cpo_on_arrival(
    world: World,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    overrides: dict[str, str],
) -> None:
    client.force_login(world.reporter)
    response = report(client, world, django_capture_on_commit_callbacks, **overrides)
    incident = new_incidents().get()
    assert incident.is_restricted
    assert set(incident.restricted_to.all()) == {world.cpo, world.reporter}
    assert incident.about_colleague == ("about_colleague" in overrides)
    # Only the CPO hears of it; the unit's officer cannot open it.
    assert [m.to for m in mail.outbox] == [[world.cpo.email]]
    officer = Client()
    officer.force_login(world.officer_a)
    assert officer.get(incident.get_absolute_url()).status_code == 404
    assert incident.reference not in officer.get("/incidents/").content.decode()
    # The reporter follows it.
    page = client.get(response["Location"]).content.decode()
    assert "Only the chief privacy officer can see it for now." in page
    assert incident.reference in client.get("/incidents/mine/").content.decode()
    # The CPO's timeline says why.
    entries = incident_timeline(incident, include_internal=True, viewer=world.cpo)
    assert [(e.actor, e.text) for e in entries if e.text == ARRIVAL_REASON] == [
        ("System", ARRIVAL_REASON)
    ]
    cpo = Client()
    cpo.force_login(world.cpo)
    assert escape(ARRIVAL_REASON) in cpo.get(incident.get_absolute_url()).content.decode()


def test_the_cpo_then_names_others_with_the_restriction_form(world: World, client: Client) -> None:
    client.force_login(world.reporter)
    client.post("/incidents/new/", form_data(world, about_colleague="on"))
    incident = new_incidents().get()
    cpo = Client()
    cpo.force_login(world.cpo)
    url = f"/incidents/{incident.reference}/restriction/"
    assert cpo.post(url, {"lift": "1", "reason": "Assessed"}).status_code == 302
    named = {"people": [world.officer_a.pk, world.reporter.pk], "reason": "HR case"}
    assert cpo.post(url, named).status_code == 302
    incident.refresh_from_db()
    assert incident.is_restricted
    assert set(incident.restricted_to.all()) == {world.officer_a, world.reporter}
    officer = Client()
    officer.force_login(world.officer_a)
    assert officer.get(incident.get_absolute_url()).status_code == 200


def test_the_reporter_giving_deliberate_misuse_later_restricts_it(world: World) -> None:
    incident = world.incident_a
    incident_add_details(
        incident=incident, actor=world.reporter, details={"cause_category": "deliberate_misuse"}
    )
    incident.refresh_from_db()
    assert incident.is_restricted
    assert set(incident.restricted_to.all()) == {world.cpo, world.reporter}
    assert incident.history.first().history_change_reason == LATER_REASON


def test_an_officer_reclassifying_it_does_not_take_it_from_themself(world: World) -> None:
    incident = world.incident_a
    incident_add_details(
        incident=incident, actor=world.officer_a, details={"cause_category": "deliberate_misuse"}
    )
    incident.refresh_from_db()
    assert not incident.is_restricted


def api_body(world: World, **extra: Any) -> dict[str, Any]:
    data = form_data(world)
    return {
        "kind": "breach",
        "summary": data["summary"],
        "aware_at": "2026-03-02T09:30:00+13:00",
        "channel": "email",
        "business_unit": world.site_a1.code,
        **extra,
    }


def test_the_api_takes_confidential_about_colleague_and_discovered_by(world: World) -> None:
    api = APIClient()
    api.force_authenticate(world.reporter)
    made = api.post(
        "/api/v1/incidents/",
        api_body(world, confidential=True, discovered_by="colleague"),
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["reporting"] == "confidential"
    assert made.json()["reporter"] == world.reporter.username  # the reporter sees themself
    incident = new_incidents().get()
    assert incident.reporting == Incident.Reporting.CONFIDENTIAL
    assert incident.discovered_by == Incident.Discovery.COLLEAGUE
    officer = APIClient()
    officer.force_authenticate(world.officer_a)
    seen = officer.get(f"/api/v1/incidents/{incident.reference}/").json()
    assert seen["reporter"] == "Confidential reporter"

    colleague = api.post(
        "/api/v1/incidents/",
        api_body(world, summary="About a colleague", about_colleague=True),
        format="json",
    )
    assert colleague.status_code == 201
    restricted = Incident.objects.get(summary="About a colleague")
    assert restricted.is_restricted and restricted.about_colleague
    assert officer.get(f"/api/v1/incidents/{restricted.reference}/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confidential", "perhaps"),
        ("confidential", None),
        ("about_colleague", [1]),
        ("discovered_by", "gossip"),
        ("discovered_by", 3),
        ("reporting", "confidential"),  # not a field of the API: "confidential" is
    ],
)
def test_the_api_answers_bad_values_with_400_on_the_field(
    world: World, field: str, value: Any
) -> None:
    api = APIClient()
    api.force_authenticate(world.reporter)
    response = api.post("/api/v1/incidents/", api_body(world, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not new_incidents().exists()


def test_an_officer_reporting_a_colleague_in_their_own_unit_is_not_the_one_told(
    world: World, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(world.officer_a)
    report(client, world, django_capture_on_commit_callbacks, about_colleague="on")
    incident = new_incidents().get()
    assert set(incident.restricted_to.all()) == {world.cpo, world.officer_a}
    # Named on it so as to follow it, yet the alert is the CPO's, not its own reporter's.
    assert [m.to for m in mail.outbox] == [[world.cpo.email]]


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=40),
    st.sampled_from(["confidential", "named", "anonymous", "self_reported", "true", "1", ""]),
    st.lists(st.booleans(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.booleans(), max_size=2),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    extra=st.dictionaries(
        st.sampled_from(["confidential", "about_colleague", "discovered_by"]), _ANY
    )
)
def test_the_api_new_fields_never_500(world: World, extra: dict[str, Any]) -> None:
    api = APIClient()
    api.force_authenticate(world.reporter)
    response = api.post("/api/v1/incidents/", api_body(world, **extra), format="json")
    assert response.status_code in (201, 400), (extra, response.status_code)
    if response.status_code == 400:
        assert set(response.json()) <= set(extra), response.json()
