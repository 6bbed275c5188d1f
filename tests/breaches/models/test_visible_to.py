"""``Incident.objects.visible_to`` implements the SPEC §3 table, role by role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from breaches.models import Incident
from tests.conftest import World
from tests.factories import BusinessUnitFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def refs(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return set(queryset.values_list("summary", flat=True))


EXPECTED = {
    # persona: summaries of the incidents visible_to returns
    "reporter": {"Incident A"},  # not the restricted one they reported: they are not named
    "reporter2": {"Incident B"},
    "officer_a": {"Incident A"},  # region A, but not the restricted incident in region A
    "officer_b": {"Incident B"},
    "cpo": {"Incident A", "Incident B", "Incident R"},
    "executive": set(),
    "admin": set(),
    "named": {"Incident R"},
}


@pytest.mark.parametrize("persona", EXPECTED)
def test_visible_to_follows_the_table(world: World, persona: str) -> None:
    assert refs(Incident.objects.visible_to(world.persona(persona))) == EXPECTED[persona]


def test_anonymous_and_inactive_see_nothing(world: World) -> None:
    assert not Incident.objects.visible_to(AnonymousUser()).exists()
    world.cpo.is_active = False
    world.cpo.save()
    assert not Incident.objects.visible_to(world.cpo).exists()


def test_officer_sees_the_whole_subtree_of_each_assigned_unit(world: World) -> None:
    deep = BusinessUnitFactory(code="deep", parent=world.site_b2)
    IncidentFactory(reporter=UserFactory(business_unit=deep), summary="Deep in B")
    multi = UserFactory(
        role=User.Role.PRIVACY_OFFICER,
        business_unit=world.national,
        assigned_units=[world.site_a1, world.site_b2],
    )
    assert refs(Incident.objects.visible_to(multi)) == {"Incident A", "Deep in B"}
    assert "Deep in B" in refs(Incident.objects.visible_to(world.officer_b))
    assert "Deep in B" not in refs(Incident.objects.visible_to(world.officer_a))


def test_unit_with_a_similar_code_prefix_is_not_inside_the_subtree(world: World) -> None:
    # "/national/region-a/" must not match "/national/region-ab/".
    lookalike = BusinessUnitFactory(code="region-ab", parent=world.national)
    IncidentFactory(reporter=UserFactory(business_unit=lookalike), summary="Look-alike")
    assert "Look-alike" not in refs(Incident.objects.visible_to(world.officer_a))


def test_named_officer_sees_a_restricted_incident_outside_their_units(world: World) -> None:
    world.restricted.restricted_to.add(world.officer_b)
    assert "Incident R" in refs(Incident.objects.visible_to(world.officer_b))


def test_restriction_hides_from_counts_and_lists(world: World) -> None:
    assert Incident.objects.visible_to(world.officer_a).count() == 1
    assert Incident.objects.countable_by(world.officer_a).count() == 1
    world.restricted.is_restricted = False
    world.restricted.save()
    assert Incident.objects.visible_to(world.officer_a).count() == 2


def test_no_duplicates_when_several_people_are_named(world: World) -> None:
    world.restricted.restricted_to.add(world.cpo, world.officer_a, world.reporter)
    assert Incident.objects.visible_to(world.officer_a).filter(pk=world.restricted.pk).count() == 1
    assert Incident.objects.visible_to(world.cpo).count() == 3


def test_countable_by(world: World) -> None:
    assert Incident.objects.countable_by(world.executive).count() == 3
    assert Incident.objects.countable_by(world.cpo).count() == 3
    assert Incident.objects.countable_by(world.reporter).count() == 0
    assert Incident.objects.countable_by(world.admin).count() == 0


def test_moving_a_unit_moves_its_subtree(world: World) -> None:
    world.region_b.parent = world.region_a
    world.region_b.save()
    world.site_b1.refresh_from_db()
    assert world.site_b1.path == "/national/region-a/region-b/site-b1/"
    assert world.site_b1.depth == 3
    assert "Incident B" in refs(Incident.objects.visible_to(world.officer_a))


@pytest.mark.parametrize("url_name", ["breaches:register", "breaches:my-reports"])
def test_list_pages_make_the_same_number_of_queries_for_10_and_50(
    client,
    settings,
    url_name: str,  # type: ignore[no-untyped-def]
) -> None:
    settings.REGISTER_PAGE_SIZE = 100
    unit = BusinessUnitFactory()
    officer = UserFactory(role=User.Role.PRIVACY_OFFICER, business_unit=unit, assigned_units=[unit])
    reporters = UserFactory.create_batch(5, business_unit=unit)
    client.force_login(officer)

    def queries_for(total: int) -> int:
        while Incident.objects.count() < total:
            n = Incident.objects.count()
            IncidentFactory(reporter=reporters[n % 5] if url_name.endswith("register") else officer)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        assert len(response.context["incidents"]) == total
        return len(ctx.captured_queries)

    assert queries_for(10) == queries_for(50)
