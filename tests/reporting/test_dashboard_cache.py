"""The dashboard's figures cache (reporting/cache.py): served again for the same quarter and
scope, never across scopes, and never after a write that changes them.

These tests commit (``transaction=True``): inside a transaction the cache is neither read nor
written, so in a test wrapped in one nothing would be cached. Each test starts with an empty
cache. The clock is not frozen here: data is placed relative to now, in the last complete
quarter (the one the dashboard opens on) or the quarter in progress. Time-bound entries are
tested in test_dashboard_cache_time.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import BusinessUnit, User
from breaches.intake.services import comment_add, incident_create
from breaches.models import Action, Comment, Incident, IndividualNotice, Notification
from breaches.response.actions import action_create, action_set_status
from breaches.response.notifications import notification_record
from breaches.response.restriction import incident_restrict
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record
from breaches.workflow.services import incident_transition
from reporting import cache as figures_cache
from reporting.figures import Quarter, QuarterFigures, quarter_figures
from tests.breaches.triage.engine.test_facts import VALID
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/reports/dashboard/"
# Queries of a dashboard served from the cache: the session and the person, the organisation's
# settings' history (the target in force, part of the key); and for a privacy officer the units
# they cover. The picker's quarters are cached too, and the session is saved at most once a
# minute, not at each request (accounts.middleware).
WARM = 3
WARM_OFFICER = WARM + 1


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # The database is emptied after each of these tests without a signal: so is the cache.
    cache.clear()
    yield
    cache.clear()


@dataclass
class Cast:
    """Two regions with a site each; an executive, the CPO, two officers of region A (one of
    them named on a restricted incident in region B), one of region B, a reporter in each."""

    site_a: BusinessUnit
    site_b: BusinessUnit
    executive: User
    cpo: User
    officer_a: User
    officer_a2: User
    officer_b: User
    reporter_a: User
    reporter_b: User


@pytest.fixture
def cast() -> Cast:
    national = BusinessUnitFactory(name="National Office", code="national")
    region_a = BusinessUnitFactory(name="Region A", code="region-a", parent=national)
    region_b = BusinessUnitFactory(name="Region B", code="region-b", parent=national)
    site_a = BusinessUnitFactory(name="Site A", code="site-a", parent=region_a)
    site_b = BusinessUnitFactory(name="Site B", code="site-b", parent=region_b)

    def officer(name: str, region: BusinessUnit) -> User:
        return UserFactory(
            username=name,
            role=User.Role.PRIVACY_OFFICER,
            business_unit=region,
            assigned_units=[region],
        )

    return Cast(
        site_a=site_a,
        site_b=site_b,
        executive=UserFactory(username="exec", role=User.Role.EXECUTIVE, business_unit=national),
        cpo=UserFactory(
            username="cpo", role=User.Role.CHIEF_PRIVACY_OFFICER, business_unit=national
        ),
        officer_a=officer("officer_a", region_a),
        officer_a2=officer("officer_a2", region_a),
        officer_b=officer("officer_b", region_b),
        reporter_a=UserFactory(username="reporter_a", business_unit=site_a),
        reporter_b=UserFactory(username="reporter_b", business_unit=site_b),
    )


def last_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate()).previous()


def this_quarter() -> Quarter:
    return Quarter.containing(timezone.localdate())


def in_last_quarter(days: int, hours: int = 10) -> datetime:
    return last_quarter().bounds()[0] + timedelta(days=days, hours=hours)


def breach(unit: BusinessUnit, reporter: User, reported: datetime, **fields: Any) -> Incident:
    """A breach reported at ``reported``, aware two hours before."""
    return IncidentFactory(
        reporter=reporter,
        business_unit=unit,
        reported_at=reported,
        aware_at=reported - timedelta(hours=2),
        **fields,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def figures_of(client: Client, quarter: Quarter | None = None) -> tuple[QuarterFigures, int]:
    """The figures the dashboard shows, and how many queries it made."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"quarter": quarter.code} if quarter else {})
    assert response.status_code == 200
    return response.context["figures"], len(queries)


def fresh(user: User, quarter: Quarter) -> QuarterFigures:
    """What the figures are, computed without the cache."""
    scope = "your units" if user.is_privacy_officer else "the whole agency"
    return quarter_figures(
        Incident.objects.countable_by(user), quarter, scope=scope, notifiable_rows=0
    )


def test_the_second_request_for_the_same_quarter_and_scope_is_served_from_the_cache(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    first, cold = figures_of(client)
    with django_assert_num_queries(WARM):
        response = client.get(URL)
    assert response.context["figures"] == first
    assert first.current.breaches == 1
    assert cold >= WARM + 9  # the figures alone take nine queries at least
    # Another quarter is another entry.
    other, queries = figures_of(client, last_quarter().previous())
    # Computed again (the picker's quarters, already cached by the first request, are not).
    assert queries >= WARM + 9 and other.current.breaches == 0


def test_executives_and_the_cpo_share_the_agency_figures(cast: Cast) -> None:
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    figures, _ = figures_of(signed_in(cast.executive))
    cpo = signed_in(cast.cpo)
    shared, queries = figures_of(cpo)
    assert queries == WARM and shared == figures


def test_an_officer_never_gets_another_scopes_figures(cast: Cast) -> None:
    for day in (3, 4):
        breach(cast.site_a, cast.reporter_a, in_last_quarter(day))
    breach(cast.site_b, cast.reporter_b, in_last_quarter(5))
    # Restricted to officer_a2 alone: counted by them, not by officer_a of the same units (nor
    # by officer_b of its unit).
    restricted = breach(cast.site_b, cast.reporter_b, in_last_quarter(6), is_restricted=True)
    restricted.restricted_to.set([cast.officer_a2])
    a, b, a2 = (signed_in(u) for u in (cast.officer_a, cast.officer_b, cast.officer_a2))
    figures_a, _ = figures_of(a)
    figures_b, cold_b = figures_of(b)
    figures_a2, cold_a2 = figures_of(a2)
    assert (figures_a.current.breaches, figures_b.current.breaches) == (2, 1)
    assert [u.unit for u in figures_a.units] == ["Site A"]
    assert [u.unit for u in figures_b.units] == ["Site B"]
    assert figures_a2.current.breaches == 3
    assert cold_b > WARM_OFFICER and cold_a2 > WARM_OFFICER  # none taken from another's entry
    for user, client, figures in [
        (cast.officer_a, a, figures_a),
        (cast.officer_b, b, figures_b),
        (cast.officer_a2, a2, figures_a2),
    ]:
        again, queries = figures_of(client)
        assert queries == WARM_OFFICER and again == figures == fresh(user, last_quarter())


def test_a_new_incident_shows_at_once_and_leaves_the_last_quarter_cached(cast: Cast) -> None:
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    to_date, _ = figures_of(client, this_quarter())
    incident_create(
        reporter=cast.reporter_a, kind=Incident.Kind.BREACH, summary="Sent to the wrong person",
        aware_at=timezone.now() - timedelta(hours=1), channel=Incident.Channel.EMAIL,
        business_unit=cast.site_a, breach_types=["unauthorised_disclosure"],
        information_categories=["contact_details"], submission_token=uuid.uuid4(),
    )  # fmt: skip
    now, queries = figures_of(client, this_quarter())
    assert queries > WARM and now.current.breaches == to_date.current.breaches + 1
    assert now.breach_types == [("Unauthorised disclosure", 1)]
    # The last complete quarter counts nothing reported since it ended: still cached, still true.
    after, queries = figures_of(client)
    assert queries == WARM and after == before == fresh(cast.executive, last_quarter())


@pytest.fixture
def assessed(cast: Cast) -> Incident:
    """A breach of the last quarter, in triage and assessed, its deadline passed, undecided."""
    incident = breach(
        cast.site_a, cast.reporter_a, in_last_quarter(5),
        regulator_deadline=in_last_quarter(8), status=Incident.Status.TRIAGE,
    )  # fmt: skip
    assessment_create(incident=incident, facts=parse_facts(VALID), actor=cast.officer_a)
    incident.refresh_from_db()
    return incident


def test_a_status_change_is_seen_at_once(cast: Cast, assessed: Incident) -> None:
    client = signed_in(cast.executive)
    figures_of(client)
    incident_transition(incident=assessed, to=Incident.Status.ASSESSED, actor=cast.officer_a)
    after, queries = figures_of(client)
    assert queries > WARM and after == fresh(cast.executive, last_quarter())


def test_a_decision_is_seen_at_once(cast: Cast, assessed: Incident) -> None:
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    assert (before.current.notifiable, before.current.missed_undecided) == (0, 1)
    decision_record(
        incident=assessed, assessment=assessed.assessments.get(), actor=cast.officer_a,
        notify_regulator="yes", notify_individuals="yes", rationale="As recommended.",
    )  # fmt: skip
    after, _ = figures_of(client)
    assert (after.current.notifiable, after.current.missed_undecided) == (1, 0)
    assert after == fresh(cast.executive, last_quarter())


def test_a_notification_is_seen_at_once(cast: Cast) -> None:
    incident = breach(
        cast.site_a, cast.reporter_a, in_last_quarter(5),
        regulator_deadline=in_last_quarter(8), decision_notify_regulator="yes",
    )  # fmt: skip
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    assert (before.current.on_time, before.current.missed) == (0, 1)
    notification_record(
        incident=incident, actor=cast.officer_a, recipient=Notification.Recipient.REGULATOR,
        method=Notification.Method.ONLINE_FORM, notified_at=in_last_quarter(6),
    )  # fmt: skip
    after, _ = figures_of(client)
    assert (after.current.on_time, after.current.missed) == (1, 0)
    assert after.current.median_hours_to_notification == 24 + 2.0
    assert after == fresh(cast.executive, last_quarter())


def test_a_notice_to_a_person_is_seen_at_once_in_every_quarter(cast: Cast) -> None:
    """Notices are counted by when they were sent and fell due, not by when their incident
    was reported (issue 16): a write to one reaches every quarter's cached figures."""
    incident = breach(cast.site_a, cast.reporter_a, timezone.now() - timedelta(minutes=5))
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    assert (before.current.notices_sent, before.current.notices_late) == (0, 0)
    # Recorded now, for an incident of this quarter, as sent late in the last quarter.
    notice = IndividualNotice.objects.create(
        incident=incident, is_public=True, created_by=cast.officer_a,
        created_at=in_last_quarter(1), due_at=in_last_quarter(2), sent_at=in_last_quarter(3),
        outcome=IndividualNotice.Outcome.SENT,
    )  # fmt: skip
    after, _ = figures_of(client)
    assert (after.current.notices_sent, after.current.notices_late) == (1, 1)
    assert after == fresh(cast.executive, last_quarter())
    notice.sent_at = None
    notice.outcome = IndividualNotice.Outcome.PLANNED
    notice.save()
    unsent, _ = figures_of(client)
    assert (unsent.current.notices_sent, unsent.current.notices_overdue) == (0, 1)
    assert unsent == fresh(cast.executive, last_quarter())


def test_adding_and_completing_an_action_is_seen_at_once(cast: Cast) -> None:
    incident = breach(cast.site_a, cast.reporter_a, timezone.now() - timedelta(minutes=5))
    client = signed_in(cast.executive)
    before, _ = figures_of(client, this_quarter())
    assert before.current.open_actions == 0
    action = action_create(
        incident=incident, actor=cast.officer_a, title="Recall the letter",
        owner=cast.officer_a, due_date=timezone.localdate() + timedelta(days=7),
    )  # fmt: skip
    added, _ = figures_of(client, this_quarter())
    assert added.current.open_actions == 1
    action_set_status(action=action, actor=cast.officer_a, status=Action.Status.DONE)
    done, _ = figures_of(client, this_quarter())
    assert done.current.open_actions == 0
    assert done.actions is not None and done.actions.completed == 1
    assert done == fresh(cast.executive, this_quarter())


def test_an_old_action_cancelled_now_changes_the_last_quarter(cast: Cast) -> None:
    """An action created in the last quarter counts among its open ones at its end until it is
    cancelled, whenever that is: a write to it reaches that quarter's cached figures."""
    incident = breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    action = Action.objects.create(
        incident=incident, title="Recall the letter", owner=cast.officer_a,
        created_by=cast.officer_a, due_date=timezone.localdate() + timedelta(days=30),
        created_at=in_last_quarter(6),
    )  # fmt: skip
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    assert before.current.open_actions == 1
    action_set_status(action=action, actor=cast.officer_a, status=Action.Status.CANCELLED)
    after, _ = figures_of(client)
    assert after.current.open_actions == 0
    assert after == fresh(cast.executive, last_quarter())


def test_a_restriction_reaches_the_officers_it_leaves_out(cast: Cast) -> None:
    incident = breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.officer_a)
    before, _ = figures_of(client)
    assert before.current.breaches == 1
    incident_restrict(incident=incident, actor=cast.cpo, people=[cast.cpo], reason="Staff file")
    after, _ = figures_of(client)
    assert after.current.breaches == 0
    assert after == fresh(cast.officer_a, last_quarter())


def test_naming_someone_on_a_restricted_incident_reaches_their_figures(cast: Cast) -> None:
    incident = breach(cast.site_a, cast.reporter_a, in_last_quarter(5), is_restricted=True)
    incident.restricted_to.set([cast.cpo])
    client = signed_in(cast.officer_a)
    before, _ = figures_of(client)
    assert before.current.breaches == 0
    incident.restricted_to.add(cast.officer_a)  # the incident row itself is not written
    after, _ = figures_of(client)
    assert after.current.breaches == 1


def test_a_renamed_unit_is_seen_at_once(cast: Cast) -> None:
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    assert [u.unit for u in before.units] == ["Site A"]
    cast.site_a.name = "Site Alpha"
    cast.site_a.save()
    after, _ = figures_of(client)
    assert [u.unit for u in after.units] == ["Site Alpha"]


def test_a_comment_leaves_the_figures_cached(cast: Cast) -> None:
    """Only writes that can change a figure invalidate; a comment cannot."""
    incident = breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    before, _ = figures_of(client)
    comment_add(
        incident=incident, author=cast.officer_a, body="Called the recipient.",
        visibility=Comment.Visibility.INTERNAL,
    )  # fmt: skip
    after, queries = figures_of(client)
    assert queries == WARM and after == before


def test_a_bulk_write_is_seen_once_announced(cast: Cast) -> None:
    """``QuerySet.update()`` sends no signal: the code that uses one on what figures read calls
    ``figures_changed()``."""
    incident = breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    figures_of(client)
    Incident.objects.filter(pk=incident.pk).update(kind=Incident.Kind.NEAR_MISS)
    stale, _ = figures_of(client)
    assert stale.current.breaches == 1  # unannounced: the cache cannot know
    figures_cache.figures_changed(since=incident.reported_at)
    after, _ = figures_of(client)
    assert (after.current.breaches, after.current.near_misses) == (0, 1)


def test_figures_inside_a_transaction_are_neither_read_nor_kept(cast: Cast) -> None:
    """They may count a write that is then rolled back."""
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    incidents = Incident.objects.countable_by(cast.executive)
    with transaction.atomic():
        breach(cast.site_a, cast.reporter_a, in_last_quarter(6))
        inside = figures_cache.dashboard_figures(
            incidents, last_quarter(), scope="the whole agency"
        )
        assert inside.current.breaches == 2
        transaction.set_rollback(True)
    after, _ = figures_of(signed_in(cast.executive))
    assert after.current.breaches == 1


def test_an_unreachable_cache_fails_neither_the_page_nor_a_write(cast: Cast) -> None:
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    client = signed_in(cast.executive)
    with override_settings(CACHES=unreachable):
        breach(cast.site_a, cast.reporter_a, in_last_quarter(6))
        figures, _ = figures_of(client)
    assert figures.current.breaches == 2


def test_the_pickers_quarters_are_cached_and_follow_writes(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    incidents = Incident.objects.countable_by(cast.executive)
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5))
    assert figures_cache.quarters_with_data(incidents) == [last_quarter()]
    with django_assert_num_queries(0):
        assert figures_cache.quarters_with_data(incidents) == [last_quarter()]
    # Reported now: the quarter in progress has data (a write confined to it).
    breach(cast.site_a, cast.reporter_a, timezone.now() - timedelta(minutes=1))
    assert figures_cache.quarters_with_data(incidents) == [this_quarter(), last_quarter()]
    # Reported long ago (a bulk load, say): a write beyond the quarter in progress.
    old = Quarter(2019, 2)
    breach(cast.site_b, cast.reporter_b, old.bounds()[0] + timedelta(days=3))
    assert figures_cache.quarters_with_data(incidents)[-1] == old
    # Another scope, its own answer.
    officer_a = Incident.objects.countable_by(cast.officer_a)
    assert figures_cache.quarters_with_data(officer_a) == [this_quarter(), last_quarter()]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL)")
def test_figures_come_back_whole_from_redis(cast: Cast) -> None:
    """Production's cache is Redis: an entry is pickled there and read back by any process."""
    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    breach(cast.site_a, cast.reporter_a, in_last_quarter(5), regulator_deadline=in_last_quarter(8))
    with override_settings(CACHES=redis):
        client = signed_in(cast.executive)
        first, _ = figures_of(client)
        again, queries = figures_of(client)
        assert queries == WARM and again == first == fresh(cast.executive, last_quarter())
        breach(cast.site_b, cast.reporter_b, in_last_quarter(6))
        after, _ = figures_of(client)
        assert after.current.breaches == 2
