"""Issue 13, actions: a due date in the past is refused; the owner list offers exactly the people
who can see the incident, grouped by business unit, and any other owner is refused at the field
(page and API); the list costs one query however many people it holds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from breaches.models import Action, Incident
from breaches.response.actions import (
    PAST_DUE_DATE,
    action_create,
    action_set_status,
    owner_candidates,
)
from breaches.response.restriction import incident_restrict
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def action_url(incident: Incident) -> str:
    return f"/incidents/{incident.reference}/actions/"


def api_action_url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.reference}/actions/"


def has_error(page: str, field_id: str) -> bool:
    """Does the wrapper of the field (``#field-…``) say it holds an error?"""
    tag = re.search(rf'<[a-z]+\b[^>]*\bid="field-{field_id}"[^>]*>', page)
    return tag is not None and "has-error" in tag.group(0)


def page_action(world: World, **fields: str) -> dict[str, str]:
    return {"title": "Lock the cabinet", "kind": "remediation", "owner": "reporter",
            "due_date": timezone.localdate().isoformat(), **fields}  # fmt: skip


# --- 1. the due date --------------------------------------------------------------------------


def test_a_due_date_in_the_past_is_refused_by_the_service(world: World) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        action_create(
            incident=world.incident_a, actor=world.officer_a, title="Fix", owner=world.reporter,
            due_date=yesterday,
        )  # fmt: skip
    assert caught.value.message_dict == {"due_date": [PAST_DUE_DATE]}
    assert PAST_DUE_DATE == "The due date cannot be in the past."
    assert not Action.objects.exists()


def test_today_in_new_zealand_is_allowed_even_when_it_is_still_yesterday_in_utc(
    world: World,
) -> None:
    # 11:30 UTC on 3 March is 00:30 on 4 March in Auckland (daylight time, UTC+13).
    instant = datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=instant):
        assert timezone.localdate() == date(2026, 3, 4)
        action = action_create(
            incident=world.incident_a, actor=world.officer_a, title="Fix", owner=world.reporter,
            due_date=date(2026, 3, 4),
        )  # fmt: skip
        assert action.due_date == date(2026, 3, 4)
        # The UTC date is already the past in New Zealand.
        with pytest.raises(ValidationError) as caught:
            action_create(
                incident=world.incident_a, actor=world.officer_a, title="Fix",
                owner=world.reporter, due_date=date(2026, 3, 3),
            )  # fmt: skip
        assert caught.value.message_dict == {"due_date": [PAST_DUE_DATE]}


def test_the_page_refuses_a_past_due_date_beside_the_field_and_keeps_the_rest(
    world: World,
) -> None:
    client = signed_in(world.officer_a)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        action_url(world.incident_a),
        page_action(world, due_date=yesterday, title="Recall the letters"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    field = page[page.index('id="field-action_due_date"') :]
    field = field[: field.index("</div>")]
    assert has_error(page, "action_due_date") and not has_error(page, "action_owner")
    assert "The due date cannot be in the past." in unescape(field)
    assert 'id="error-summary"' in page and "The action was not added" in page
    assert 'value="Recall the letters"' in page and f'value="{yesterday}"' in page
    assert not Action.objects.exists()
    # Today is fine.
    ok = client.post(action_url(world.incident_a), page_action(world))
    assert ok.status_code == 302
    assert Action.objects.get().due_date == timezone.localdate()


def test_the_api_refuses_a_past_due_date_as_a_field_error(world: World) -> None:
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = {"title": "Fix", "owner": "reporter", "due_date": yesterday}
    refused = api(world.officer_a).post(api_action_url(world.incident_a), body, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"due_date": [PAST_DUE_DATE]}
    today = {**body, "due_date": timezone.localdate().isoformat()}
    assert api(world.officer_a).post(api_action_url(world.incident_a), today, format="json").status_code == 201  # fmt: skip


def test_an_action_whose_date_has_passed_can_still_be_changed(world: World) -> None:
    """Only a date being set is checked: the stored one, passed since, never blocks a change."""
    action = action_create(
        incident=world.incident_a, actor=world.officer_a, title="Fix", owner=world.reporter,
        due_date=timezone.localdate(),
    )  # fmt: skip
    Action.objects.filter(pk=action.pk).update(due_date=timezone.localdate() - timedelta(days=9))
    action.refresh_from_db()
    assert action.is_overdue
    # Officers cancel and reopen it on the page and through the API; the owner marks it done.
    client = signed_in(world.officer_a)
    client.post(f"/incidents/actions/{action.pk}/status/", {"status": "cancelled"})
    assert Action.objects.get(pk=action.pk).status == Action.Status.CANCELLED
    reopened = api(world.officer_a).post(
        f"/api/v1/actions/{action.pk}/status/", {"status": "open"}, format="json"
    )
    assert reopened.status_code == 200
    done = action_set_status(action=action, actor=world.reporter, status=Action.Status.DONE)
    assert done.status == Action.Status.DONE
    assert done.due_date == timezone.localdate() - timedelta(days=9)


# --- 2. who may own an action -----------------------------------------------------------------


def _more_people(world: World) -> list[User]:
    """People at the edges of the rule: an executive who reported an incident of their own, an
    officer of everything, an officer who left, and a restricted incident naming an officer
    and a reporter."""
    nationwide = UserFactory(
        username="officer_all", role=User.Role.PRIVACY_OFFICER, business_unit=world.national,
        assigned_units=[world.national],
    )  # fmt: skip
    gone = UserFactory(
        username="officer_gone", role=User.Role.PRIVACY_OFFICER, business_unit=world.region_a,
        assigned_units=[world.region_a], is_active=False,
    )  # fmt: skip
    cpo2 = UserFactory(username="cpo2", role=User.Role.CHIEF_PRIVACY_OFFICER, business_unit=world.national)  # fmt: skip
    IncidentFactory(reporter=world.executive, business_unit=world.site_b2, summary="Exec's own")
    IncidentFactory(
        reporter=world.reporter2, business_unit=world.site_b1, summary="Named two",
        is_restricted=True, restricted_to=[world.officer_a, world.reporter],
    )  # fmt: skip
    return [nationwide, gone, cpo2]


def test_the_candidates_are_exactly_who_visible_to_shows_the_incident_to(world: World) -> None:
    _more_people(world)
    people = list(User.objects.all())
    for incident in Incident.objects.select_related("business_unit"):
        seeing = {p.username for p in people if Incident.objects.visible_to(p).filter(pk=incident.pk).exists()}  # fmt: skip
        assert {u.username for u in owner_candidates(incident)} == seeing, incident.summary


def test_the_candidates_of_incident_a_by_name(world: World) -> None:
    _more_people(world)
    names = {u.username for u in owner_candidates(world.incident_a)}
    # Its reporter, its region's officer, the officer of everything, the chief privacy
    # officers; never reporter2, officer_b, the executive, the administrator, named, or
    # anyone who has left.
    assert names == {"reporter", "officer_a", "officer_all", "cpo", "cpo2"}
    assert {u.username for u in owner_candidates(world.restricted)} == {"named", "cpo", "cpo2"}


def test_the_owner_list_on_the_page_is_grouped_by_business_unit(world: World) -> None:
    page = signed_in(world.officer_a).get(world.incident_a.get_absolute_url()).content.decode()
    select = re.search(r'<select name="owner"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert "data-owner-picker" in select.group(0)
    groups = {
        label: re.findall(r'<option value="([^"]+)"', body)
        for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(1), re.S)
    }  # fmt: skip
    assert groups == {
        "National Office": ["cpo"],
        "Region A": ["officer_a"],
        "Site A1": ["reporter"],
    }
    assert "(reported it)" in select.group(1) and "(privacy officer)" in select.group(1)
    # The searchable list's script is served from 'self' (CSP: no inline script).
    assert '<script src="/static/js/owner-picker.js" defer></script>' in page


def test_an_owner_who_cannot_see_the_incident_is_refused_at_the_field_on_the_page(
    world: World,
) -> None:
    client = signed_in(world.officer_a)
    for outsider in (world.reporter2, world.executive, world.admin):
        response = client.post(action_url(world.incident_a), page_action(world, owner=outsider.username))  # fmt: skip
        assert response.status_code == 400
        page = unescape(response.content.decode())
        assert has_error(page, "action_owner") and not has_error(page, "action_due_date")
        assert f"{outsider} cannot see this incident: choose someone who can." in page
    unknown = client.post(action_url(world.incident_a), page_action(world, owner="nobody"))
    assert (
        unknown.status_code == 400 and "Choose someone from the list." in unknown.content.decode()
    )
    assert not Action.objects.exists()


def test_an_owner_who_cannot_see_the_incident_is_refused_by_the_api(world: World) -> None:
    due = timezone.localdate().isoformat()
    for outsider in ("reporter2", "executive", "admin", "officer_b"):
        body = {"title": "Fix", "owner": outsider, "due_date": due}
        refused = api(world.officer_a).post(api_action_url(world.incident_a), body, format="json")
        assert refused.status_code == 400, outsider
        assert list(refused.json()) == ["owner"]
        assert "cannot see this incident" in refused.json()["owner"][0]
    assert not Action.objects.exists()
    for insider in ("reporter", "officer_a", "cpo"):
        body = {"title": "Fix", "owner": insider, "due_date": due}
        assert api(world.officer_a).post(api_action_url(world.incident_a), body, format="json").status_code == 201  # fmt: skip


def test_the_owner_is_checked_on_the_incident_as_it_is_when_written(world: World) -> None:
    """The page listed the reporter; the CPO restricted the incident before the form came."""
    stale = Incident.objects.get(pk=world.incident_a.pk)
    incident_restrict(incident=world.incident_a, actor=world.cpo, people=[world.named], reason="x")
    with pytest.raises(ValidationError) as caught:
        action_create(
            incident=stale, actor=world.cpo, title="Fix", owner=world.reporter,
            due_date=timezone.localdate(),
        )  # fmt: skip
    assert list(caught.value.message_dict) == ["owner"]
    action_create(
        incident=stale, actor=world.cpo, title="Fix", owner=world.named,
        due_date=timezone.localdate(),
    )  # fmt: skip


def test_the_incident_page_costs_the_same_queries_whatever_the_number_of_candidates(
    world: World,
) -> None:
    client = signed_in(world.officer_a)
    url = world.incident_a.get_absolute_url()

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(12):
        unit = BusinessUnitFactory(name=f"Office {i}", code=f"office-{i}", parent=world.region_a)
        UserFactory(
            username=f"officer_{i}", role=User.Role.PRIVACY_OFFICER, business_unit=unit,
            assigned_units=[world.region_a],
        )  # fmt: skip
    many = count()
    assert many == few
    page = client.get(url).content.decode()
    assert page.count('<optgroup label="Office ') == 12
