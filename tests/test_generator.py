"""The data generator: the benchmark volume in bulk, the simulated clock its demo plays on, and
``load_demo`` idempotent. What the demo itself holds is tests/test_demo.py's."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from accounts.models import BusinessUnit, User
from bench.generate import generate
from bench.story import Cast, IncidentStory, Plan, SimulatedClock, Tally
from breaches.models import Action, Assessment, Incident, IncidentInformationCategory
from reporting.models import QuarterlyReport

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=ZoneInfo("Pacific/Auckland"))


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def test_the_benchmark_volume_is_written_in_bulk_and_agrees_with_itself() -> None:
    result = generate(incidents=400, password="demo-pass-123", now=NOW, with_history=False)
    assert result.incidents == Incident.objects.count() == 400
    # national office → 4 regions → at least 12 sites
    assert BusinessUnit.objects.filter(depth=0).count() == 1
    assert BusinessUnit.objects.filter(depth=1).count() >= 4
    assert BusinessUnit.objects.filter(depth=2).count() >= 12
    assert set(Incident.objects.values_list("channel", flat=True)) == set(Incident.Channel.values)
    assert len(set(Incident.objects.values_list("status", flat=True))) >= 5
    # Spread over eight complete quarters and the current one; no story, history or report.
    dates = Incident.objects.order_by("reported_at").values_list("reported_at", flat=True)
    assert (dates.last() - dates.first()).days > 8 * 91 - 30
    assert not Incident.history.exists() and not Action.objects.exists()
    assert not QuarterlyReport.objects.exists()
    assert not Incident.objects.filter(contained_at__gt=NOW).exists()
    assert not Incident.objects.filter(contained_at__lt=F("aware_at")).exists()
    assert not Incident.objects.filter(kind="breach", regulator_deadline__isnull=True).exists()
    for assessment in Assessment.objects.select_related("incident")[:100]:
        categories = IncidentInformationCategory.objects.filter(incident=assessment.incident)
        assert set(assessment.facts["info_categories"]) == set(
            categories.values_list("category", flat=True)
        )
    for user in User.objects.all():
        user.full_clean(exclude=["password"])
    assert User.objects.get(username="officer").check_password("demo-pass-123")


def test_the_simulated_clock_is_what_the_product_sees_and_only_while_it_runs() -> None:
    clock = SimulatedClock()
    clock.at = NOW
    with clock.running():
        # A microsecond later at each call, so things done "at once" keep their order.
        assert timezone.now() == NOW
        assert timezone.now() == NOW + timedelta(microseconds=1)
        assert timezone.localdate() == NOW.date()
        assert Action._meta.get_field("created_at").get_default() == NOW + timedelta(microseconds=3)
        clock.at = NOW
        assert timezone.now() == NOW
    assert timezone.now() > NOW
    assert Action._meta.get_field("created_at").get_default() > NOW


def test_a_story_may_not_break_the_workflow() -> None:
    """A status change the transition table refuses is refused, not written."""
    generate(incidents=12, password="x", now=NOW, with_history=False)
    incident = Incident.objects.filter(kind="breach", status="reported").first() or (
        Incident.objects.filter(kind="breach").first()
    )
    assert incident is not None
    users = {u.username: u for u in User.objects.all()}
    plan = Plan(scenario=None, target="closed")  # type: ignore[arg-type]
    story = IncidentStory(incident, plan, Cast(users), random.Random(1), Tally(), NOW)
    with pytest.raises(ValueError):
        story._move("closed", users["cpo"])
    assert Incident.objects.get(pk=incident.pk).status == incident.status


def test_load_demo_is_idempotent_and_prints_the_password_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEMO_PASSWORD", "chosen-demo-password")
    first, second = StringIO(), StringIO()
    call_command("load_demo", "--incidents", "30", stdout=first)
    call_command("load_demo", "--incidents", "30", stdout=second)
    assert "chosen-demo-password" in first.getvalue()
    for name in ["reporter", "reporter2", "officer", "officer2", "cpo", "executive", "admin"]:
        assert name in first.getvalue()
    assert "chosen-demo-password" not in second.getvalue()
    assert "already loaded" in second.getvalue()
    assert Incident.objects.count() == 31  # and the anonymous report, once
    assert QuarterlyReport.objects.count() == 1
    assert User.objects.get(username="cpo").check_password("chosen-demo-password")
    # A forgotten password: a new one, printed, for every demo account.
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-password")
    third = StringIO()
    call_command("load_demo", "--reset-passwords", stdout=third)
    assert "another-demo-password" in third.getvalue()
    assert User.objects.get(username="executive").check_password("another-demo-password")
    assert Incident.objects.count() == 31
