"""The notices page, the incident page's summary of it and the register's "to tell" badge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AccessEvent
from breaches.models import AffectedIndividual, Incident, IndividualNotice
from breaches.response.notices import SAFETY_FIRST, notice_record_safety_check, notices_plan
from breaches.triage.services import decision_record
from config import kept_input
from tests.breaches.response.test_notices import assess, people
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def page_url(incident: Incident) -> str:
    return f"/incidents/{incident.reference}/notices/"


def signed_in(world: World, persona: str = "officer_a") -> Client:
    client = Client()
    client.force_login(getattr(world, persona))
    return client


def at_risk(world: World, *refs: str) -> Incident:
    """Incident A assessed (a person posing risk received it), decided, people recorded."""
    incident = assess(world)
    people(incident, *refs)
    decision_record(
        incident=incident, assessment=incident.assessments.get(), actor=world.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="As recommended.",
    )  # fmt: skip
    return incident


def test_the_page_is_its_handlers_and_writes_an_access_event(world: World) -> None:
    incident = at_risk(world, "C-1001")
    for persona in ["reporter", "reporter2", "officer_b", "executive", "admin", "named"]:
        assert signed_in(world, persona).get(page_url(incident)).status_code == 404, persona
    before = AccessEvent.objects.filter(incident=incident).count()
    page = signed_in(world).get(page_url(incident))
    assert page.status_code == 200
    html = page.content.decode()
    assert "C-1001" in html and "1 of 1 person still to be told" in html
    event = AccessEvent.objects.filter(incident=incident).latest("id")
    assert event.user == world.officer_a and event.detail == {"page": "notices"}
    assert AccessEvent.objects.filter(incident=incident).count() == before + 1


def test_marking_sent_before_the_safety_check_is_refused_beside_the_field(world: World) -> None:
    incident = at_risk(world, "C-1001")
    client = signed_in(world)
    assert client.post(f"{page_url(incident)}plan/").status_code == 302
    notice = IndividualNotice.objects.get(incident=incident)
    response = client.post(
        f"{page_url(incident)}{notice.pk}/sent/",
        {"channel": "letter", "sent_at": "2026-01-01T10:00"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error sits in the channel field's own error block, and the typed values stay.
    error_block = html.split(f'id="n{notice.pk}_sent_channel_error"', 1)[1].split("</div>", 1)[0]
    assert SAFETY_FIRST.replace("'", "&#x27;") in error_block
    assert 'value="letter" selected' in html
    notice.refresh_from_db()
    assert notice.outcome == "planned" and notice.safety_check_required
    # With the check recorded, the same form goes through.
    checked = client.post(
        f"{page_url(incident)}{notice.pk}/safety-check/",
        {"safety_check": "He has her old address only.", "safe_channel": "Her advocate."},
    )
    assert checked.status_code == 302 and checked["Location"].endswith(f"#notice-{notice.pk}")
    sent_at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = client.post(
        f"{page_url(incident)}{notice.pk}/sent/", {"channel": "phone", "sent_at": sent_at}
    )
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.outcome == "sent" and notice.channel == "phone"
    detail = client.get(incident.get_absolute_url()).content.decode()
    assert "0 of 1 person still to be told" in detail


def test_a_public_notice_without_a_reason_comes_back_with_the_error(world: World) -> None:
    incident = at_risk(world)
    response = signed_in(world).post(f"{page_url(incident)}public/", {"public_reason": ""})
    assert response.status_code == 400
    assert 'id="public_public_reason_error"' in response.content.decode()
    assert not IndividualNotice.objects.exists()


def test_a_notice_of_another_incident_is_not_found(world: World) -> None:
    incident = at_risk(world, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    other = world.incident_b
    response = signed_in(world, "cpo").post(
        f"{page_url(other)}{notice.pk}/sent/", {"channel": "letter"}
    )
    assert response.status_code == 404


def test_the_page_costs_the_same_queries_for_two_people_or_ten(world: World) -> None:
    incident = at_risk(world, "C-1", "C-2")
    notices_plan(incident=incident, actor=world.officer_a)
    client = signed_in(world)
    client.get(page_url(incident))  # the session's first-request reads happen once
    with CaptureQueriesContext(connection) as two:
        assert client.get(page_url(incident)).status_code == 200
    people(incident, *[f"C-{n}" for n in range(3, 11)])
    notices_plan(incident=incident, actor=world.officer_a)
    for notice in IndividualNotice.objects.filter(incident=incident)[:4]:
        notice_record_safety_check(
            notice=notice, actor=world.officer_a, safety_check="Checked.", safe_channel="Phone."
        )
    with CaptureQueriesContext(connection) as ten:
        html = client.get(page_url(incident)).content.decode()
    assert "10 of 10 people still to be told" in html
    assert len(ten) == len(two), [q["sql"] for q in ten.captured_queries]


def test_the_incident_page_links_to_the_notices_for_handlers_only(world: World) -> None:
    incident = at_risk(world, "C-1", "C-2")
    officer = signed_in(world).get(incident.get_absolute_url()).content.decode()
    assert "2 of 2 people still to be told" in officer
    assert f'href="{page_url(incident)}"' in officer
    reporter = signed_in(world, "reporter").get(incident.get_absolute_url()).content.decode()
    assert page_url(incident) not in reporter and "still to be told" not in reporter


def test_the_register_badge_counts_people_to_tell_for_officers_only(world: World) -> None:
    incident = at_risk(world, "C-1", "C-2", "C-3")
    first, *_ = notices_plan(incident=incident, actor=world.officer_a)
    notice_record_safety_check(
        notice=first, actor=world.officer_a, safety_check="Checked.", safe_channel="Phone."
    )
    register = signed_in(world).get("/incidents/").content.decode()
    assert "3 to tell" in register
    IndividualNotice.objects.filter(pk=first.pk).update(outcome="sent", sent_at=timezone.now())
    assert "2 to tell" in signed_in(world).get("/incidents/").content.decode()
    mine = signed_in(world, "reporter").get("/incidents/mine/").content.decode()
    assert incident.reference in mine and "to tell" not in mine


def test_the_register_badge_costs_no_query_and_stays_out_of_the_count(world: World) -> None:
    """One annotation on the page's rows: the same queries for one incident with people to
    tell or sixteen (one page), and the paginator's count does not compute it."""
    at_risk(world, "C-1", "C-2")
    client = signed_in(world)
    client.get("/incidents/")
    with CaptureQueriesContext(connection) as few:
        client.get("/incidents/")
    for n in range(15):
        extra = IncidentFactory(reporter=world.reporter, business_unit=world.site_a1)
        AffectedIndividual.objects.create(incident=extra, reference=f"C-9{n}", role="child")
        notices_plan(incident=extra, actor=world.officer_a)
    with CaptureQueriesContext(connection) as many:
        html = client.get("/incidents/").content.decode()
    assert html.count("1 to tell") == 15
    assert len(many) == len(few)
    counts = [
        q["sql"]
        for q in many.captured_queries
        if q["sql"].startswith(("SELECT COUNT(*)", "SELECT (SELECT COUNT(*)"))
    ]
    rows = [q["sql"] for q in many.captured_queries if "LIMIT 16" in q["sql"]]
    assert len(rows) == 1 and "breaches_affectedindividual" in rows[0]
    assert counts and not any("breaches_affectedindividual" in sql for sql in counts), counts


def test_a_notice_form_posted_after_the_session_expired_is_kept(world: World) -> None:
    incident = at_risk(world, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    client = Client()
    response = client.post(
        f"{page_url(incident)}{notice.pk}/safety-check/",
        {
            "safety_check": "Lives with her sister now",
            "safe_channel": "Text to 021 555 0199",
            "draft_owner": kept_input.owner_token(world.officer_a.pk),
        },
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    client.force_login(world.officer_a)
    html = client.get(f"{page_url(incident)}?restore=1").content.decode()
    assert "Lives with her sister now</textarea>" in html
    assert 'value="Text to 021 555 0199"' in html
    notice.refresh_from_db()
    assert notice.safety_checked_at is None


def test_deadline_passed_shows_late(world: World) -> None:
    incident = at_risk(world, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    IndividualNotice.objects.filter(pk=notice.pk).update(
        outcome="sent", sent_at=notice.due_at + timedelta(hours=1) if notice.due_at else None
    )
    html = signed_in(world).get(page_url(incident)).content.decode()
    assert "Sent late" in html
    assert "1 sent late" in signed_in(world).get(incident.get_absolute_url()).content.decode()


@pytest.mark.parametrize("form", ["safety-check", "sent", "outcome", "../plan", "../public"])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_row_forms_of_a_real_notice_never_500(world: World, form: str, data: Any) -> None:
    """The site-wide fuzz test rarely hits a real notice's id: these do, for each state."""
    savepoint = transaction.savepoint()  # each example starts from the same world
    try:
        _post_to_a_real_notice(world, form, data)
    finally:
        transaction.savepoint_rollback(savepoint)


def _post_to_a_real_notice(world: World, form: str, data: Any) -> None:
    incident = at_risk(world, "C-1")
    (notice,) = notices_plan(incident=incident, actor=world.officer_a)
    state = data.draw(st.sampled_from(["planned", "sent", "returned", "withheld", "delivered"]))
    IndividualNotice.objects.filter(pk=notice.pk).update(outcome=state)
    names = {
        "safety-check": ["safety_check", "safe_channel"],
        "sent": ["channel", "sent_at"],
        "outcome": ["outcome", "outcome_at", "withheld_ground"],
        "../plan": ["affected"],
        "../public": ["public_reason"],
    }[form]
    values = data.draw(
        st.dictionaries(
            st.sampled_from(names),
            st.one_of(
                st.text(max_size=50),
                st.sampled_from(
                    ["", "letter", "withheld", "delivered", "2026-13-45", "9999-12-31T23:59",
                     "0001-01-01", "\x00", str(2**70), "-1", str(notice.affected_id)]
                ),
            ),
        )
    )  # fmt: skip
    url = (
        f"{page_url(incident)}{form[3:]}/"
        if form.startswith("../")
        else f"{page_url(incident)}{notice.pk}/{form}/"
    )
    response = signed_in(world).post(url, values)
    assert response.status_code in {302, 400}, (values, response.status_code)


def test_the_api_lists_the_notices_for_handlers_only(world: World) -> None:
    from rest_framework.test import APIClient

    incident = at_risk(world, "C-1", "C-2")
    first, _ = notices_plan(incident=incident, actor=world.officer_a)
    IndividualNotice.objects.filter(pk=first.pk).update(
        outcome="sent", sent_at=(first.due_at or timezone.now()) + timedelta(hours=1)
    )
    url = f"/api/v1/incidents/{incident.reference}/notices/"
    api = APIClient()
    for persona in ["reporter", "officer_b", "executive", "admin", "named"]:
        api.force_authenticate(getattr(world, persona))
        assert api.get(url).status_code == 404, persona
    api.force_authenticate(world.officer_a)
    with CaptureQueriesContext(connection) as two:
        body = api.get(url).json()
    rows = {row["affected_reference"]: row for row in body["results"]}
    assert (rows["C-1"]["outcome"], rows["C-1"]["is_late"]) == ("sent", True)
    assert rows["C-2"]["safety_check_required"] and not rows["C-2"]["is_late"]
    assert rows["C-2"]["affected_role"] == "client"
    event = AccessEvent.objects.filter(incident=incident).latest("id")
    assert event.detail == {"endpoint": "notices"}
    people(incident, *[f"C-{n}" for n in range(3, 9)])
    notices_plan(incident=incident, actor=world.officer_a)
    with CaptureQueriesContext(connection) as eight:
        assert api.get(url).json()["count"] == 8
    assert len(eight) == len(two)
