"""The demo-data generator makes valid, varied data, and loading it is idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import BusinessUnit, User
from bench.generate import generate
from breaches.models import Incident

pytestmark = pytest.mark.django_db

NEAR_MISS_STATUSES = {"reported", "triage", "remediation", "closed"}


def test_generator_makes_valid_varied_data() -> None:
    result = generate(incidents=320, password="demo-pass-123")
    assert result.incidents == Incident.objects.count() == 320
    # national office → 4 regions → at least 12 sites
    assert BusinessUnit.objects.filter(depth=0).count() == 1
    assert BusinessUnit.objects.filter(depth=1).count() >= 4
    assert BusinessUnit.objects.filter(depth=2).count() >= 12
    assert set(Incident.objects.values_list("kind", flat=True)) == {"breach", "near_miss"}
    assert set(Incident.objects.values_list("channel", flat=True)) == set(Incident.Channel.values)
    assert set(Incident.objects.values_list("cause_category", flat=True)) == set(
        Incident.Cause.values
    )
    assert len(set(Incident.objects.values_list("status", flat=True))) >= 5
    assert Incident.objects.filter(is_restricted=True).exists()
    assert (
        set(Incident.objects.filter(kind="near_miss").values_list("status", flat=True))
        <= NEAR_MISS_STATUSES
    )
    # spread over eight quarters
    dates = Incident.objects.order_by("reported_at").values_list("reported_at", flat=True)
    assert (dates.last() - dates.first()).days > 7 * 91 - 30
    for incident in Incident.objects.all()[:50]:
        incident.full_clean()
        assert incident.aware_at <= incident.reported_at
    for user in User.objects.all():
        user.full_clean(exclude=["password"])
    assert User.objects.get(username="officer").check_password("demo-pass-123")
    assert Incident.history.filter(history_type="+").count() == 320


def test_load_demo_is_idempotent_and_prints_the_password_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEMO_PASSWORD", "chosen-demo-password")
    first, second = StringIO(), StringIO()
    call_command("load_demo", "--incidents", "30", stdout=first)
    call_command("load_demo", "--incidents", "30", stdout=second)
    assert "chosen-demo-password" in first.getvalue()
    for name in ["reporter", "reporter2", "officer", "officer2", "cpo", "executive", "admin"]:
        assert name in first.getvalue()
    assert "chosen-demo-password" not in second.getvalue()
    assert Incident.objects.count() == 30
    assert User.objects.get(username="cpo").check_password("chosen-demo-password")
