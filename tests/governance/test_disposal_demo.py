"""Issue 15's "done when", on the demo: with a short retention rule, a disposal run removes the
personal content of the incidents due, keeps a legal-hold incident intact, leaves disposal
records, and a past quarter's report regenerates with identical figures afterwards.

``load_demo`` runs once for the module, into the test database, inside a transaction rolled
back when the module ends (as tests/test_demo.py does).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from accounts.models import User
from breaches.models import AffectedIndividual, Attachment, Comment, Incident
from governance import disposal
from governance.models import CLASSES, DisposalRecord, LegalHold
from governance.retention import hold_place, rule_decide, rule_propose
from reporting import jobs
from reporting.figures import Quarter, quarter_figures
from reporting.models import QuarterlyReport

pytestmark = pytest.mark.django_db

PASSWORD = "a demo password for the CPO"


@pytest.fixture(scope="module", autouse=True)
def demo(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    storage = tmp_path_factory.mktemp("private")
    stores = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(storage)},
        },
    }
    with override_settings(STORAGES=stores), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
        try:
            call_command("load_demo", stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())


def person(username: str) -> User:
    user = User.objects.get(username=username)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def texts(incident_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each incident's history, as the summaries and descriptions it holds."""
    rows: dict[int, list[tuple[str, str]]] = {}
    history = Incident.history.model
    for pk, summary, description in (
        history.objects.filter(id__in=incident_ids)
        .order_by("history_id")
        .values_list("id", "summary", "description")
    ):
        rows.setdefault(pk, []).append((summary, description))
    return rows


def test_a_disposal_run_on_the_demo() -> None:
    admin, cpo = person("admin"), person("cpo")
    # A short retention rule for every class: one year after closure, proposed and approved.
    for kind, notifiable in CLASSES:
        rule = rule_propose(
            actor=admin, kind=kind, notifiable=notifiable, years=1,
            authority="DA 1234, class 9 (demo)", reason="Demonstration.",
        )  # fmt: skip
        rule_decide(rule=rule, actor=cpo, approve=True, password=PASSWORD)

    now = timezone.now()
    due: Any = disposal.due_incidents(Incident.objects.all(), now=now)
    due_ids = list(due.values_list("pk", flat=True))
    assert len(due_ids) > 50, "the demo has incidents closed more than a year ago"
    held = Incident.objects.get(pk=due_ids[0])
    hold_place(incident=held, actor=cpo, reason="Complaint to the HRRT (demo).")
    held_before = texts([held.pk])[held.pk]
    held_comments = list(Comment.objects.filter(incident=held).values_list("body", flat=True))

    current = Quarter.containing(timezone.localdate(now))
    quarters = current.previous().last(8)

    def figures() -> list[dict[str, Any]]:
        agency = Incident.objects.for_agency_report()
        return [
            quarter_figures(agency, q, scope="the whole agency", now=now).to_dict()
            for q in quarters
        ]

    before = figures()

    run = disposal.run_propose(actor=cpo, now=now)
    assert run is not None and run.items.count() == len(due_ids) - 1  # all but the held one
    disposal.run_approve(run=run, actor=cpo, password=PASSWORD)
    assert disposal.carry_out(run.pk)
    run.refresh_from_db()
    assert (run.status, run.disposed, run.skipped) == ("done", len(due_ids) - 1, 0)

    # The personal content of the incidents due is gone, from their rows and their history.
    disposed = list(DisposalRecord.objects.values_list("incident_id", flat=True))
    assert sorted(disposed) == sorted(due_ids[1:])
    for rows in texts(disposed).values():
        *past, last = rows
        assert all(summary == description == "" for summary, description in past)
        assert last[0].startswith("Disposed of on ") and last[1] == ""
    assert not Incident.objects.filter(pk__in=disposed).exclude(description="").exists()
    assert not AffectedIndividual.objects.filter(incident_id__in=disposed).exists()
    assert not Attachment.objects.filter(incident_id__in=disposed).exists()
    assert not Comment.objects.filter(incident_id__in=disposed).exclude(body="").exists()

    # The held incident is intact.
    assert texts([held.pk])[held.pk] == held_before
    assert (
        list(Comment.objects.filter(incident=held).values_list("body", flat=True)) == held_comments
    )
    assert LegalHold.objects.active().filter(incident=held).exists()

    # Disposal records, one per incident, that nobody can change.
    record = DisposalRecord.objects.select_related("rule").first()
    assert record is not None and record.approved_by == cpo and record.rule.years == 1
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM governance_disposalrecord WHERE id = %s", [record.pk])

    # Every past quarter's figures are the same, and the report regenerates with them.
    assert figures() == before
    quarter = quarters[-4]  # a year back: its incidents are among those disposed of
    assert any(
        quarter.bounds()[0] <= i.reported_at < quarter.bounds()[1]
        for i in Incident.objects.filter(pk__in=disposed)
    )
    report = QuarterlyReport.objects.create(quarter=quarter.code)
    with mock.patch.object(timezone, "now", return_value=now):
        assert jobs.generate(report.pk)
    report.refresh_from_db()
    stored = json.loads(json.dumps(before[quarters.index(quarter)], cls=DjangoJSONEncoder))
    assert report.status == "done" and report.figures == stored
