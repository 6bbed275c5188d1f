"""References that never run out (issue 14): ``PBR-YYYY-NNNNN`` keeps five digits at least and
takes as many more as the year needs, everywhere a reference is parsed — page and API URLs, the
register's search and sort — while a reference no counter can make is a 404, never a 500."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from breaches.intake.services import incident_create
from breaches.models import Attachment, Incident, ReferenceCounter
from breaches.models.incident import REFERENCE_MAX_DIGITS
from breaches.register.filters import IncidentFilter
from tests.conftest import World
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

# The largest number the per-year counter holds (a 64-bit signed integer): 19 digits.
COUNTER_MAX = 2**63 - 1


def report(world: World, summary: str) -> Incident:
    """A report through the service that allocates references, as the form and the API do."""
    return incident_create(
        reporter=world.reporter,
        kind=Incident.Kind.BREACH,
        summary=summary,
        aware_at=timezone.now() - timedelta(hours=1),
        channel=Incident.Channel.EMAIL,
        business_unit=world.site_a1,
    )


def after(world: World, last: int, summary: str) -> Incident:
    """The incident reported when this year's counter stands at ``last``."""
    ReferenceCounter.objects.update_or_create(
        year=timezone.localtime().year, defaults={"last": last}
    )
    return report(world, summary)


@pytest.fixture
def boundary(world: World) -> tuple[World, Incident, Incident]:
    """This year's 99,999th incident and the 100,000th after it, in officer A's region."""
    before = after(world, 99_998, "The 99,999th")
    beyond = report(world, "The 100,000th")
    return world, before, beyond


def year() -> int:
    return timezone.localtime().year


def test_the_100000th_reference_follows_the_99999th(
    boundary: tuple[World, Incident, Incident],
) -> None:
    _, before, beyond = boundary
    assert before.reference == f"PBR-{year()}-99999"
    assert beyond.reference == f"PBR-{year()}-100000"
    # Earlier references keep their five digits.
    assert report(boundary[0], "next").reference == f"PBR-{year()}-100001"
    assert after(boundary[0], 41, "early").reference == f"PBR-{year()}-00042"


def reference_routes() -> Iterator[tuple[str, set[str]]]:
    """Every named URL, page and API, that takes an incident reference: (name, other kwargs)."""

    def walk(
        patterns: list[URLPattern | URLResolver], namespace: str
    ) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, inner)
            elif p.name:
                yield namespace, p

    for namespace, pattern in walk(get_resolver().url_patterns, ""):
        # Route (``<ref:reference>``) and regex (the API router's) patterns alike.
        groups = set(pattern.pattern.regex.groupindex)
        if "reference" in groups:
            # The router's ``.json`` variants of the same names need no format here.
            yield f"{namespace}{pattern.name}", groups - {"reference", "format"}


ROUTES = sorted({(name, frozenset(others)) for name, others in reference_routes()})


def test_the_routes_are_found() -> None:
    """The walk finds the page and API routes (a walk that found nothing would prove nothing)."""
    names = {name for name, _ in ROUTES}
    assert {
        "breaches:incident-detail",
        "breaches:triage",
        "breaches:add-details",
        "breaches:access-log",
        "api:incident-detail",
        "api:incident-comments",
    } <= names, names


def url(name: str, others: frozenset[str], incident: Incident, attachment: Attachment) -> str:
    kwargs: dict[str, object] = {"reference": incident.reference}
    kwargs.update(dict.fromkeys(others, attachment.pk))  # pk / attachment_id: its evidence
    return reverse(name, kwargs=kwargs)


def evidence(incident: Incident, user: object) -> Attachment:
    attachment = Attachment(
        incident=incident,
        original_name="letter.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=user,
    )
    attachment.file.save("letter.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return attachment


@pytest.mark.parametrize(("name", "others"), ROUTES, ids=[n for n, _ in ROUTES])
def test_every_route_answers_the_100000th_as_the_99999th(
    boundary: tuple[World, Incident, Incident], name: str, others: frozenset[str]
) -> None:
    """Each page and API route, read by the incident's officer, answers the 100,000th incident
    exactly as it answers the 99,999th: the six-digit reference reaches the same view."""
    world, before, beyond = boundary
    client = Client()
    client.force_login(world.officer_a)
    statuses = []
    for incident in (before, beyond):
        response = client.get(url(name, others, incident, evidence(incident, world.reporter)))
        statuses.append(response.status_code)
    assert statuses[0] == statuses[1], statuses
    assert statuses[1] != 404 and statuses[1] < 500, statuses


def test_the_pages_and_the_api_show_the_100000th(
    boundary: tuple[World, Incident, Incident],
) -> None:
    world, _, beyond = boundary
    client = Client()
    client.force_login(world.officer_a)
    for path in ("", "triage/", "details/", "access-log/"):
        response = client.get(f"/incidents/{beyond.reference}/{path}")
        assert response.status_code == 200, path
        assert beyond.reference in response.content.decode(), path
    api = APIClient()
    api.force_authenticate(world.officer_a)
    body = api.get(f"/api/v1/incidents/{beyond.reference}/").json()
    assert body["reference"] == beyond.reference
    # The reporter reaches it too, by the same URL.
    client.force_login(world.reporter)
    assert client.get(beyond.get_absolute_url()).status_code == 200


def test_the_register_and_the_api_list_link_to_it(
    boundary: tuple[World, Incident, Incident],
) -> None:
    """Every row links to its incident: a reference the URLs refused would break the whole list
    (no reverse for it), not just its own row."""
    world, _, beyond = boundary
    client = Client()
    client.force_login(world.officer_a)
    response = client.get("/incidents/")
    assert response.status_code == 200
    assert f'href="/incidents/{beyond.reference}/"' in response.content.decode()
    home = client.get("/incidents/home/")
    assert home.status_code == 200
    api = APIClient()
    api.force_authenticate(world.officer_a)
    rows = api.get("/api/v1/incidents/").json()["results"]
    row = next(r for r in rows if r["reference"] == beyond.reference)
    assert row["url"].endswith(f"/api/v1/incidents/{beyond.reference}/")


def test_search_finds_a_six_digit_reference(boundary: tuple[World, Incident, Incident]) -> None:
    world, before, beyond = boundary
    client = Client()
    client.force_login(world.officer_a)
    api = APIClient()
    api.force_authenticate(world.officer_a)
    for query, expected in [
        (beyond.reference, {beyond.reference}),
        (before.reference, {before.reference}),
        (beyond.reference.lower(), {beyond.reference}),
        ("100000", {beyond.reference}),
        (f"PBR-{year()}-" + "1" + "0" * 39, set()),
    ]:
        page = client.get("/incidents/", {"q": query})
        assert page.status_code == 200, query
        assert {i.reference for i in page.context["incidents"]} == expected, query
        listed = api.get("/api/v1/incidents/", {"q": query})
        assert listed.status_code == 200, query
        assert {r["reference"] for r in listed.json()["results"]} == expected, query
        exported = client.get("/incidents/export.csv", {"q": query})
        assert exported.status_code == 200, query
        rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
        assert {r[0] for r in rows[1:] if r and r[0].startswith("PBR-")} == expected, query


def numeric(reference: str) -> tuple[int, int]:
    _, y, n = reference.split("-")
    return int(y), int(n)


def test_sorting_by_reference_is_by_number_not_by_text(
    boundary: tuple[World, Incident, Incident],
) -> None:
    """As text, PBR-2026-100000 sorts before PBR-2026-99999; the register sorts by number, year
    first, whichever way and wherever (page, API, CSV)."""
    world, before, beyond = boundary
    # An earlier year past 99,999 still sorts before every reference of a later year.
    IncidentFactory(
        reference="PBR-2000-100000", reporter=world.reporter, business_unit=world.site_a1
    )
    client = Client()
    client.force_login(world.cpo)
    api = APIClient()
    api.force_authenticate(world.cpo)
    for ordering, reverse_ in (("reference", False), ("-reference", True)):
        page = [i.reference for i in client.get(f"/incidents/?ordering={ordering}").context[
            "incidents"
        ]]  # fmt: skip
        assert page == sorted(page, key=numeric, reverse=reverse_), page
        assert page.index(before.reference) - page.index(beyond.reference) == (
            1 if reverse_ else -1
        )
        listed = [
            r["reference"]
            for r in api.get(f"/api/v1/incidents/?ordering={ordering}").json()["results"]
        ]
        assert listed == page
        exported = client.get(f"/incidents/export.csv?ordering={ordering}")
        rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
        assert [r[0] for r in rows[1:] if r and r[0].startswith("PBR-")] == page


def test_a_counter_past_32_bits_still_allocates(world: World) -> None:
    """The per-year counter is 64-bit: past 2,147,483,647 (PostgreSQL's ``integer``) the next
    reference is allocated, stored and reached like any other."""
    past = after(world, 2**31 - 1, "past 32 bits")
    assert past.reference == f"PBR-{year()}-2147483648"
    last = after(world, COUNTER_MAX - 1, "the counter's last")
    assert last.reference == f"PBR-{year()}-{COUNTER_MAX}"
    assert len(str(COUNTER_MAX)) == REFERENCE_MAX_DIGITS
    client = Client()
    client.force_login(world.officer_a)
    for incident in (past, last):
        incident.refresh_from_db()
        assert client.get(incident.get_absolute_url()).status_code == 200
        assert client.get(f"/api/v1/incidents/{incident.reference}/").status_code == 200


MALFORMED = [
    "PBR-2026-ABCDE",
    "PBR-2026-0004",  # four digits: never made
    "PBR-2026-0000a",
    "PBR-2026-00001%00",
    "PBR-2026-%0000001",
    "PBR-2026--00001",
    "PBR-2026-+00001",
    "PBR-2026-1e100",
    "PBR-2026-١٢٣٤٥",  # Arabic-Indic digits: \d would take them
    "PBR-2026-" + "9" * 20,  # more than the counter can hold
    "PBR-2026-" + "1" + "0" * 39,  # 40 digits
    "PBR-2026-" + "9" * 4000,
    "PBR-26-00001",
    "pbr-2026-00001",
    "PBR-2026-00001 ",
]


@pytest.mark.parametrize("reference", MALFORMED)
def test_a_malformed_reference_is_a_404_never_a_500(world: World, reference: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.cpo)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(world.cpo)
    for path in ("", "triage/", "details/", "access-log/", "comments/"):
        assert client.get(f"/incidents/{reference}/{path}").status_code == 404, path
        assert client.post(f"/incidents/{reference}/{path}", {}).status_code == 404, path
    for path in ("", "comments/", "attachments/", "access-log/", "restriction/"):
        assert api.get(f"/api/v1/incidents/{reference}/{path}").status_code == 404, path
    assert api.patch(f"/api/v1/incidents/{reference}/", {}, format="json").status_code == 404


def test_a_well_formed_reference_of_no_incident_is_a_404(world: World) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.cpo)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(world.cpo)
    for reference in (f"PBR-{year()}-100000", f"PBR-{year()}-{COUNTER_MAX}", "PBR-0000-00000"):
        assert client.get(f"/incidents/{reference}/").status_code == 404
        assert api.get(f"/api/v1/incidents/{reference}/").status_code == 404


def test_sorting_by_reference_uses_its_index(world: World) -> None:
    """``?ordering=reference`` reads ``incident_reference_order`` rather than sorting every row:
    the index holds the very keys of ``reference_order`` (on SQLite, the year's positions written
    into the SQL; a bound parameter would not match the index's expression)."""
    queryset = IncidentFilter(
        {"ordering": "-reference"}, queryset=Incident.objects.visible_to(world.cpo)
    ).qs[:50]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Three rows: make the planner show whether it can use the index at all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
    assert "incident_reference_order" in queryset.explain()
