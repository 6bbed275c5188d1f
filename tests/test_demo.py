"""The demo shows the product working (issue 13, item 7; SPEC §7).

``load_demo`` is run once for the module, into the test database, inside a transaction rolled
back when the module ends; every test reads what it made. It must make actions open, overdue
and done (so the action figures of last quarter are not all zero), notifications on time and
late that match the decisions, facts and dates that agree with each other, a clock on every
open breach, and last quarter's report, waiting for the executive.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from accounts.models import User
from bench.scenarios import BREACHES, NEAR_MISSES
from bench.story import REPORTER_ACTION
from breaches.intake.anonymous import follow_up_for_code, follow_up_thread
from breaches.models import (
    Action,
    Assessment,
    Decision,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    Notification,
    RegulatorDecision,
)
from breaches.models.response import CARRIED_OVER_ON_CLOSING
from breaches.triage.clock import clock_for
from breaches.workflow.transitions import TRANSITIONS
from reporting.figures import Quarter, quarter_figures
from reporting.models import QuarterlyReport

pytestmark = pytest.mark.django_db


def last_complete_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate()).previous()


@pytest.fixture(scope="module", autouse=True)
def demo(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """``load_demo`` run once, as ``make run`` runs it; its output. Rolled back at the end."""
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
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())


def test_the_demo_is_varied_and_prints_what_it_made(demo: str) -> None:
    assert "Demo accounts" in demo
    assert f"the {last_complete_quarter().label} quarterly report" in demo
    # 320 drawn, and one anonymous report followed up with its printed code.
    assert Incident.objects.count() == 321
    code = re.search(r"follow-up code \(try it at /follow-up/, signed out\): (\S+)", demo)
    assert code is not None
    follow_up = follow_up_for_code(code.group(1))
    assert follow_up is not None and follow_up.incident.reporting == "anonymous"
    assert [mine for _comment, mine in follow_up_thread(follow_up)] == [False, True]
    assert set(Incident.objects.values_list("kind", flat=True)) == {"breach", "near_miss"}
    assert set(Incident.objects.values_list("channel", flat=True)) == set(Incident.Channel.values)
    drawn = Incident.objects.exclude(reporting=Incident.Reporting.ANONYMOUS)
    assert set(drawn.values_list("cause_category", flat=True)) == set(Incident.Cause.values)
    assert len(set(Incident.objects.values_list("status", flat=True))) >= 5
    assert Incident.objects.filter(is_restricted=True).exists()
    near_miss = set(Incident.objects.filter(kind="near_miss").values_list("status", flat=True))
    assert near_miss <= {"reported", "triage", "remediation", "closed"}
    for incident in Incident.objects.order_by("?")[:50]:
        incident.full_clean()


def test_actions_are_open_overdue_and_done_owned_by_people_who_see_them() -> None:
    today = timezone.localdate()
    done = Action.objects.filter(status=Action.Status.DONE)
    assert done.exists() and not done.filter(completed_at__isnull=True).exists()
    assert Action.objects.overdue().exists()
    assert Action.objects.filter(status=Action.Status.OPEN, due_date__gte=today).exists()
    # On a sensible share of incidents, in every quarter (eight complete and the current one).
    with_actions = Incident.objects.filter(actions__isnull=False).distinct()
    assert 0.3 < with_actions.count() / Incident.objects.count() < 0.9
    for quarter in Quarter.containing(today).last(9):
        start, end = quarter.bounds()
        assert with_actions.filter(reported_at__gte=start, reported_at__lt=end).exists()
    owners: set[int] = set()
    for action in Action.objects.select_related("owner", "incident"):
        assert Incident.objects.visible_to(action.owner).filter(pk=action.incident_id).exists()
        # Set with a due date still to come, completed after it was set.
        assert action.due_date > timezone.localtime(action.created_at).date()
        assert action.completed_at is None or action.completed_at > action.created_at
        owners.add(action.owner_id)
    roles = set(User.objects.filter(pk__in=owners).values_list("role", flat=True))
    assert {User.Role.PRIVACY_OFFICER, User.Role.CHIEF_PRIVACY_OFFICER, User.Role.REPORTER} <= roles
    # A closed incident keeps an open action only when it was carried over, with its reason.
    for action in Action.objects.filter(status=Action.Status.OPEN, incident__status="closed"):
        assert action.carried_over_at is not None and action.carry_over_reason
        assert action.history.filter(history_change_reason=CARRIED_OVER_ON_CLOSING).exists()


def test_the_last_complete_quarter_has_action_figures() -> None:
    quarter = last_complete_quarter()
    figures = quarter_figures(Incident.objects.all(), quarter, scope="the whole agency")
    assert figures.actions is not None
    assert figures.actions.completed > 0
    assert figures.actions.open > 0
    assert figures.actions.overdue > 0
    assert figures.current.open_actions > 0
    assert figures.current.notifiable > 0
    # It shows what the dashboard flags: a notification made late.
    assert figures.current.notified_on_time_pct is not None
    assert figures.current.notified_on_time_pct < 100


def test_notifications_on_time_and_late_match_the_decisions() -> None:
    regulator = Notification.objects.filter(recipient=Notification.Recipient.REGULATOR)
    assert regulator.filter(on_time=True).exists()
    assert regulator.filter(on_time=False).exists()
    assert Notification.objects.filter(
        recipient=Notification.Recipient.INDIVIDUALS, notified_at__isnull=False
    ).exists()
    current = {d.incident_id: d for d in Decision.objects.current()}
    now = timezone.now()
    for n in Notification.objects.select_related("incident"):
        decision = current[n.incident_id]
        assert n.recorded_at <= now
        if n.notified_at is not None:
            assert n.incident.aware_at <= n.notified_at <= n.recorded_at
            assert n.notified_at > decision.decided_at
        if n.recipient == Notification.Recipient.REGULATOR:
            assert decision.notify_regulator == RegulatorDecision.NOTIFY
            # On time or late against the incident's own clock (SPEC §4.3).
            clock = clock_for(n.incident, now=n.notified_at)
            assert clock is not None
            assert n.on_time == (clock.left.total_seconds() >= 0)
        else:
            assert decision.notify_individuals in {
                Decision.Individuals.NOTIFY,
                Decision.Individuals.DELAY,
            }
            if n.method == Notification.Method.NOT_NOTIFIED:
                assert n.reason and decision.ground
    # A breach past notifying, decided notifiable, was notified (the clock stopped).
    for incident in Incident.objects.filter(
        kind="breach",
        decision_notify_regulator=RegulatorDecision.NOTIFY,
        status__in=["remediation", "closed", "reopened"],
    ):
        assert incident.regulator_notified_at is not None
        assert clock_for(incident) is not None and clock_for(incident).state == "stopped"  # type: ignore[union-attr]


def test_decisions_have_their_reasons() -> None:
    assert Decision.objects.filter(differs_from_recommendation=True).exists()
    for decision in Decision.objects.filter(differs_from_recommendation=True):
        assert decision.rationale
    for decision in Decision.objects.filter(notify_individuals=Decision.Individuals.DELAY):
        assert decision.ground


def test_dates_agree() -> None:
    now = timezone.now()
    assert Incident.objects.filter(contained_at__isnull=False).exists()
    assert not Incident.objects.filter(contained_at__gt=now).exists()
    assert not Incident.objects.filter(contained_at__lt=F("aware_at")).exists()
    assert not Incident.objects.filter(reported_at__lt=F("aware_at")).exists()
    assert not Incident.objects.filter(reported_at__gt=now).exists()
    assert not Incident.objects.filter(occurred_at__gt=F("aware_at")).exists()
    assert not Incident.objects.filter(contained_at__isnull=False, containment_steps="").exists()
    assert not Incident.objects.filter(kind="near_miss", contained_at__isnull=False).exists()
    assert not Incident.history.filter(history_date__gt=now).exists()
    assert not Action.objects.filter(completed_at__gt=now).exists()
    assert not Assessment.objects.filter(created_at__gt=now).exists()


def test_every_open_breach_has_its_clock() -> None:
    open_breaches = Incident.objects.open().filter(kind=Incident.Kind.BREACH)
    assert open_breaches.clock_running().exists()
    for incident in open_breaches:
        clock = clock_for(incident)
        assert clock is not None, incident.reference
        assert clock.deadline > incident.aware_at


def test_the_history_follows_the_workflow_and_ends_at_the_row() -> None:
    """Each incident's history runs through allowed transitions only, and its last row is the
    incident as it is (the story's writes and the services' saves agree)."""
    rows = defaultdict(list)
    for h in Incident.history.order_by("history_date", "history_id"):
        rows[h.id].append(h)
    allowed = {
        kind: {(t.source, t.target) for t in transitions}
        for kind, transitions in TRANSITIONS.items()
    }
    for incident in Incident.objects.all():
        history = rows[incident.pk]
        assert history[0].history_type == "+" and history[0].status == "reported"
        for before, after in itertools.pairwise(history):
            if before.status != after.status:
                assert (before.status, after.status) in allowed[incident.kind], incident.reference
        last = history[-1]
        for name in [
            "status",
            "contained_at",
            "severity",
            "regulator_deadline",
            "decision_notify_regulator",
            "regulator_notified_at",
        ]:
            assert getattr(last, name) == getattr(incident, name), (incident.reference, name)


def test_the_facts_agree_with_the_report() -> None:
    """What the officer assessed is what the summary and description say."""
    types = defaultdict(set)
    for incident_id, value in IncidentBreachType.objects.values_list("incident", "breach_type"):
        types[incident_id].add(value)
    categories = defaultdict(set)
    for incident_id, value in IncidentInformationCategory.objects.values_list(
        "incident", "category"
    ):
        categories[incident_id].add(value)
    for incident in Incident.objects.all():
        text = f"{incident.summary} {incident.description}".lower()
        assert ("email" in text) == (incident.channel == Incident.Channel.EMAIL), incident.summary
        assert ("health" in text) == ("health" in categories[incident.pk]), incident.summary
        assert ("family violence" in text) == ("family_violence" in categories[incident.pk]), (
            incident.summary
        )
    for assessment in Assessment.objects.select_related("incident"):
        facts, incident = assessment.facts, assessment.incident
        assert set(facts["breach_types"]) == types[incident.pk]
        assert set(facts["info_categories"]) == categories[incident.pk]
        assert facts["individuals_affected"] == incident.individuals_affected
        if facts["contained"] == "fully":
            assert incident.contained_at is not None
            assert incident.contained_at <= assessment.created_at
        assert (facts["harm_types"] != []) == facts["harm_occurred"]
    # And the actions set are the ones that kind of event calls for.
    scenarios = [*(s for group in BREACHES.values() for s in group), *(s for _, s in NEAR_MISSES)]
    fitting = {
        s.summary: {title for _, title in s.actions} | {REPORTER_ACTION[0]} for s in scenarios
    }
    for title, summary in Action.objects.values_list("title", "incident__summary"):
        assert title in fitting[summary], (summary, title)


def test_last_quarters_report_is_waiting_for_the_executive() -> None:
    quarter = last_complete_quarter()
    report = QuarterlyReport.objects.get(quarter=quarter.code)
    assert report.status == QuarterlyReport.Status.DONE and report.requested_by is None
    _start, end = quarter.bounds()
    assert end <= report.created_at < end + timedelta(days=1)  # made by the schedule
    with report.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert report.figures["actions"]["completed"] > 0
    client = Client()
    client.force_login(User.objects.get(username="executive"))
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert quarter.code in html and "(scheduled)" in html
    assert report.get_absolute_url() in html
    assert client.get(report.get_absolute_url()).status_code == 200
    assert client.get("/reports/dashboard/").status_code == 200


def test_loading_again_does_nothing() -> None:
    counts = (Incident.objects.count(), Action.objects.count(), Notification.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue() and "password:" not in out.getvalue()
    after = (Incident.objects.count(), Action.objects.count(), Notification.objects.count())
    assert after == counts
    assert QuarterlyReport.objects.count() == 1
