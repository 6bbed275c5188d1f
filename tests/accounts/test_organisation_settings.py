"""Organisation settings in the product, with history (issue 15, item 4; SPEC §9).

Administrators edit the default jurisdiction, the NZ notification target, the reminder points
and the agency's name on /settings/; the environment gives the first values only. A change
applies from the moment it is saved and never alters a past assessment, a deadline already
set, or the figures of a past quarter (docs/settings.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import organisation
from accounts.models import JURISDICTION_CHOICES, OrganisationSettings, User
from accounts.organisation import Organisation, settings_update
from breaches.models import Incident
from breaches.triage.clock import clock_for
from breaches.triage.drafts import _context as draft_context
from breaches.triage.engine import parse_facts, registry
from breaches.triage.services import assessment_create, reread
from reporting import cache as figures_cache
from reporting.figures import Quarter, quarter_figures
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/settings/"


@pytest.fixture(autouse=True)
def _first_values(settings: Any) -> Iterator[None]:
    """The environment's values, said here so the tests do not depend on the machine's."""
    settings.AGENCY_NAME = "Ministry for Children"
    settings.REGISTER_DEFAULT_JURISDICTION = "NZ"
    settings.TRIAGE_NZ_TARGET_HOURS = 72
    settings.TRIAGE_REMINDER_HOURS = [24]
    cache.clear()  # the dashboard's figures, which one test reads
    yield
    cache.clear()


def change(world: World | User, reason: str = "Board decision 12/2026", **values: Any) -> None:
    """Save the settings in force with ``values`` changed, as the administrator."""
    now = organisation.current()
    settings_update(
        actor=world if isinstance(world, User) else world.admin,
        values=Organisation(**{**now.__dict__, **values}),
        reason=reason,
        from_version=organisation.version(),
    )


def form(**overrides: Any) -> dict[str, str]:
    data = {
        "agency_name": "Ministry for Children",
        "default_jurisdiction": "NZ",
        "nz_target_hours": "48",
        "reminder_hours": "24, 4",
        "reason": "OPC guidance for our agency",
        "version": "0",
    }
    data.update(overrides)
    return data


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


# --- the first values and the accessor ------------------------------------------------------


def test_until_the_first_save_the_environment_gives_the_values_and_a_read_writes_nothing(
    settings: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):  # one SELECT, no INSERT
        assert organisation.current() == Organisation("Ministry for Children", "NZ", 72, (24,))
    settings.TRIAGE_NZ_TARGET_HOURS = 60
    assert organisation.current().nz_target_hours == 60
    assert not OrganisationSettings.objects.exists()
    assert not OrganisationSettings.history.exists()


def test_after_the_first_save_the_environment_is_ignored(world: World, settings: Any) -> None:
    change(world, nz_target_hours=48)
    settings.TRIAGE_NZ_TARGET_HOURS = 96
    settings.AGENCY_NAME = "Someone else"
    assert organisation.current() == Organisation("Ministry for Children", "NZ", 48, (24,))


def test_a_request_reads_the_settings_once_whatever_it_asks(
    world: World, django_assert_num_queries: Any
) -> None:
    change(world, nz_target_hours=48)
    moments = [timezone.now() - timedelta(days=d) for d in range(5)]
    with organisation.held(), django_assert_num_queries(2):  # the row, and the history
        for _ in range(20):
            assert organisation.current().nz_target_hours == 48
        assert [organisation.as_of(m).nz_target_hours for m in moments] == [48, 72, 72, 72, 72]


def test_the_register_marks_close_deadlines_by_the_largest_reminder_point(world: World) -> None:
    incident = world.incident_a
    incident.kind = Incident.Kind.BREACH
    incident.regulator_deadline = timezone.now() + timedelta(hours=30)
    assert (clock := clock_for(incident)) is not None and clock.state == "ok"
    change(world, reminder_hours=(48, 4))
    assert (clock := clock_for(incident)) is not None and clock.state == "soon"


def test_the_jurisdictions_are_the_engines_and_the_incidents() -> None:
    assert list(JURISDICTION_CHOICES) == list(Incident.Jurisdiction.choices)
    assert {code for code, _ in JURISDICTION_CHOICES} == set(registry.LATEST)


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reporter", "officer_a", "cpo", "executive", "named"])
def test_only_administrators_reach_the_page(world: World, persona: str) -> None:
    client = Client()
    client.force_login(getattr(world, persona))
    assert client.get(URL).status_code == 404
    assert client.post(URL, form()).status_code == 404
    assert not OrganisationSettings.objects.exists()
    with pytest.raises(PermissionDenied):
        settings_update(
            actor=getattr(world, persona), values=organisation.current(), reason="x",
            from_version=0,
        )  # fmt: skip


def test_the_page_shows_the_settings_in_force_and_links_the_retention_rules(
    world: World,
) -> None:
    response = admin_client(world).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "72 hours from awareness" in html and "New Zealand (Privacy Act 2020)" in html
    assert "first values, from the server" in html
    assert 'href="/governance/retention/"' in html
    assert 'href="/settings/"' in html  # the administrator's navigation
    assert "No change has been saved yet." in html
    assert response.context["form"]["version"].value() == 0


def test_a_change_is_saved_with_who_when_and_why_and_shown_on_the_history(world: World) -> None:
    client = admin_client(world)
    response = client.post(URL, form())
    assert response.status_code == 302
    row = OrganisationSettings.objects.get()
    assert (row.nz_target_hours, row.reminder_hours, row.version) == (48, "24,4", 1)
    [entry] = OrganisationSettings.history.all()
    assert entry.history_user == world.admin
    assert entry.history_change_reason == "OPC guidance for our agency"
    assert organisation.current().reminder_hours == (24, 4)
    # The second change, made from version 1.
    assert client.post(URL, form(agency_name="Oranga Tamariki", version="1",
                                 reason="New name")).status_code == 302  # fmt: skip
    html = client.get(URL).content.decode()
    assert "72 hours from awareness → <strong>48 hours from awareness</strong>" in html
    assert "24 hours before the deadline → <strong>24, 4 hours before the deadline</strong>" in html
    assert "Ministry for Children → <strong>Oranga Tamariki</strong>" in html
    assert html.index("New name") < html.index("OPC guidance for our agency")  # newest first
    assert "first values, from the server" not in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nz_target_hours": "0"}, "nz_target_hours", "greater than or equal to 1"),
        ({"nz_target_hours": "99999999999999999999999"}, "nz_target_hours", "less than or equal"),
        ({"nz_target_hours": "soon"}, "nz_target_hours", "whole number"),
        ({"reminder_hours": "a day"}, "reminder_hours", "Whole numbers of hours only"),
        ({"reminder_hours": " , "}, "reminder_hours", "at least one reminder point"),
        ({"reminder_hours": "1,2,3,4,5,6"}, "reminder_hours", "At most 5"),
        ({"reminder_hours": "0"}, "reminder_hours", "1 and 720"),
        ({"default_jurisdiction": "XX"}, "default_jurisdiction", "Select a valid choice"),
        ({"agency_name": " "}, "agency_name", "required"),
        ({"reason": ""}, "reason", "required"),
        ({"reason": "x" * 101}, "reason", "at most 100"),
    ],
)
def test_bad_input_is_answered_beside_its_field_and_nothing_is_saved(
    world: World, overrides: dict[str, str], field: str, message: str
) -> None:
    response = admin_client(world).post(URL, form(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert f'id="field-{field}"' in response.content.decode()
    assert not OrganisationSettings.objects.exists()


def test_a_change_from_a_stale_page_is_refused_and_can_then_be_sent_again(world: World) -> None:
    client = admin_client(world)
    change(world, agency_name="Oranga Tamariki")  # someone else, meanwhile
    stale = client.post(URL, form(version="0"))
    assert stale.status_code == 400
    assert "Someone else changed the settings" in stale.content.decode()
    assert organisation.current().nz_target_hours == 72
    resent = stale.context["form"]
    assert resent["version"].value() == "1" and resent["nz_target_hours"].value() == "48"
    assert client.post(URL, resent.data).status_code == 302
    assert organisation.current().nz_target_hours == 48


def test_a_change_that_changes_nothing_is_refused(world: World) -> None:
    response = admin_client(world).post(URL, form(nz_target_hours="72", reminder_hours="24"))
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert not OrganisationSettings.history.exists()


def test_the_history_is_append_only(world: World) -> None:
    change(world, nz_target_hours=48)
    entry = OrganisationSettings.history.get()
    entry.history_change_reason = "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()


# --- a change never alters the past -----------------------------------------------------------


AWARE = (timezone.now() - timedelta(hours=3)).isoformat()


def assess(world: World) -> Any:
    facts = parse_facts({**VALID, "aware_at": AWARE})
    return assessment_create(incident=world.incident_a, facts=facts, actor=world.officer_a)


def test_a_past_assessment_keeps_its_result_and_a_new_one_uses_the_new_target(
    world: World,
) -> None:
    old = assess(world)
    stored = dict(old.result)
    aware = parse_facts(old.facts).aware_at
    assert old.regulator_deadline == aware + timedelta(hours=72)
    change(world, nz_target_hours=48)
    old.refresh_from_db()
    assert old.result == stored and old.regulator_deadline == aware + timedelta(hours=72)
    assert reread(old).to_dict() == stored  # re-read with the settings it was made under
    new = assess(world)
    assert new.regulator_deadline == aware + timedelta(hours=48)
    assert "target 48 hours" in str(new.result["reasons"])


def test_a_deadline_already_set_stays_and_a_new_report_gets_the_new_target(world: World) -> None:
    aware = timezone.now() - timedelta(hours=1)
    before = IncidentFactory(reporter=world.reporter, business_unit=world.site_a1,
                             kind=Incident.Kind.BREACH, aware_at=aware, jurisdiction="")  # fmt: skip
    before.regulator_deadline = before.provisional_deadline()
    before.save()
    change(world, nz_target_hours=48, default_jurisdiction="GDPR")
    before.refresh_from_db()
    assert before.regulator_deadline == aware + timedelta(hours=72)
    after = IncidentFactory(reporter=world.reporter, business_unit=world.site_a1,
                            kind=Incident.Kind.BREACH, aware_at=aware, jurisdiction="")  # fmt: skip
    assert after.effective_jurisdiction() == "GDPR"  # GDPR's own 72 hours
    change(world, default_jurisdiction="NZ")
    assert after.provisional_deadline() == aware + timedelta(hours=48)


def _notified_breach(world: World | None, reported: Any) -> Incident:
    """A breach notified 80 hours after awareness (before its deadline)."""
    aware = reported - timedelta(hours=2)
    unit = world.site_a1 if world else BusinessUnitFactory()
    reporter = world.reporter if world else UserFactory(business_unit=unit)
    return IncidentFactory(
        reporter=reporter, business_unit=unit, kind=Incident.Kind.BREACH,
        reported_at=reported, aware_at=aware, decision_notify_regulator="yes",
        regulator_deadline=aware + timedelta(hours=90),
        regulator_notified_at=aware + timedelta(hours=80),
    )  # fmt: skip


def test_a_past_quarters_figures_keep_their_target_and_the_quarter_in_progress_takes_the_new(
    world: World,
) -> None:
    this = Quarter.containing(timezone.localdate())
    last = this.previous()
    _notified_breach(world, last.bounds()[0] + timedelta(days=3))
    incidents = Incident.objects.all()
    past = quarter_figures(incidents, last, scope="agency")
    assert past.current.notification_target_hours == 72
    assert past.current.notification_above_target  # 80 hours against 72
    change(world, nz_target_hours=96)
    again = quarter_figures(incidents, last, scope="agency")
    assert again == past  # the quarter's report regenerates with the same figures
    now = quarter_figures(incidents, this, scope="agency")
    assert now.current.notification_target_hours == 96
    assert now.previous.notification_target_hours == 72  # last quarter, as it stood


# The dashboard's cache is neither read nor written inside a transaction: committed writes.
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_is_never_served_figures_made_with_an_old_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    this = Quarter.containing(timezone.localdate())
    reported = timezone.now() - timedelta(hours=90)  # notified 80 hours after awareness
    if reported < this.bounds()[0]:
        pytest.skip("the quarter is too young for a breach notified in it")
    _notified_breach(None, reported)
    national = BusinessUnitFactory()
    executive = UserFactory(role=User.Role.EXECUTIVE, business_unit=national)
    admin = UserFactory(role=User.Role.ADMINISTRATOR, business_unit=national, is_staff=True)
    incidents = Incident.objects.countable_by(executive)
    computed = []
    compute = figures_cache.figures.dashboard_figures

    def counted(*args: Any, **kwargs: Any) -> Any:
        computed.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(figures_cache.figures, "dashboard_figures", counted)
    kept = figures_cache.dashboard_figures(incidents, this, scope="agency")
    assert kept.current.notification_target_hours == 72
    assert figures_cache.dashboard_figures(incidents, this, scope="agency") == kept
    assert len(computed) == 1  # the second was served from the cache
    change(admin, nz_target_hours=96)
    fresh = figures_cache.dashboard_figures(incidents, this, scope="agency")
    assert len(computed) == 2
    assert fresh.current.notification_target_hours == 96
    assert not fresh.current.notification_above_target


def test_the_api_and_the_cli_assess_with_the_settings_in_force(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change(world, default_jurisdiction="AU", nz_target_hours=48)
    facts = {k: v for k, v in VALID.items() if k != "jurisdiction"}
    client = APIClient()
    client.force_authenticate(world.officer_a)
    assert (
        client.post("/api/v1/triage/assess/", facts, format="json").json()["jurisdiction"] == "AU"
    )
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    call_command("assess", str(path))
    assert json.loads(capsys.readouterr().out)["jurisdiction"] == "AU"
    path.write_text(json.dumps(VALID))  # NZ, named
    call_command("assess", str(path))
    deadline = json.loads(capsys.readouterr().out)["regulator_deadline"]
    aware = datetime.fromisoformat(VALID["aware_at"])
    assert datetime.fromisoformat(deadline) == aware + timedelta(hours=48)


def test_drafts_print_the_agency_name_in_force(world: World) -> None:
    change(world, agency_name="Oranga Tamariki")
    assert (
        draft_context(world.incident_a, world.officer_a, "regulator")["agency"] == "Oranga Tamariki"
    )


def test_the_services_checks_hold_without_the_form(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        settings_update(
            actor=world.admin,
            values=Organisation("", "XX", 0, ()),
            reason="",
            from_version=0,
        )
    assert set(refused.value.message_dict) == {
        "agency_name", "default_jurisdiction", "nz_target_hours", "reminder_hours",
    }  # fmt: skip
