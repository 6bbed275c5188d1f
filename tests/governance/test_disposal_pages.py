"""The disposal pages: the CPO's alone; preview, approve (password again, and a confirmation)
or cancel; field errors, never a 500; the same number of queries however long the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from governance.models import DisposalRecord, DisposalRun, LegalHold, RetentionRule
from tests.conftest import World
from tests.governance.conftest import (
    PASSWORD,
    SECRET,
    add_personal_content,
    closed_incident,
    years_ago,
)

pytestmark = pytest.mark.django_db

PAGES = ["/governance/disposal/", "/governance/disposal/{pk}/"]


@pytest.fixture
def run(world: World, rules: dict[str, RetentionRule], private_storage: Path) -> DisposalRun:
    incident = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, incident)
    closed_incident(world, closed=years_ago(1), decision="no")  # not due: 2 years
    from governance.disposal import run_propose

    proposed = run_propose(actor=world.cpo)
    assert proposed is not None
    return proposed


@pytest.mark.parametrize(
    "persona", ["officer_a", "officer_b", "admin", "executive", "reporter", "named"]
)
def test_disposal_pages_are_the_cpos_alone(
    world: World, client: Client, run: DisposalRun, persona: str
) -> None:
    client.force_login(world.persona(persona))  # type: ignore[arg-type]
    for page in PAGES:
        assert client.get(page.format(pk=run.pk)).status_code == 404
    for action, data in [
        ("propose/", {}),
        (f"{run.pk}/approve/", {"confirm": "on", "password": PASSWORD}),
        (f"{run.pk}/cancel/", {"reason": "x"}),
        (f"{run.pk}/resume/", {}),
    ]:
        assert client.post(f"/governance/disposal/{action}", data).status_code == 404
    assert DisposalRun.objects.get().status == "proposed"
    anonymous = Client()
    assert anonymous.get(f"/governance/disposal/{run.pk}/").status_code == 302
    assert anonymous.post(f"/governance/disposal/{run.pk}/approve/", {}).status_code == 302


def test_the_cpo_previews_then_approves(world: World, client: Client, run: DisposalRun) -> None:
    client.force_login(world.cpo)
    listing = client.get("/governance/disposal/")
    assert listing.status_code == 200 and f"Run {run.pk}" in listing.content.decode()
    preview = client.get(f"/governance/disposal/{run.pk}/").content.decode()
    incident = run.items.get().incident
    assert incident.reference in preview and "What would be disposed of" in preview
    assert "7 years" in preview and "DA 1234, class 2.1" in preview
    assert f'action="/governance/disposal/{run.pk}/approve/"' in preview
    response = client.post(
        f"/governance/disposal/{run.pk}/approve/", {"confirm": "on", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == f"/governance/disposal/{run.pk}/"
    assert DisposalRun.objects.get().status == "approved"
    # The task runs once the request's transaction commits; here, by hand.
    from governance.disposal import carry_out

    assert carry_out(run.pk)
    done = client.get(f"/governance/disposal/{run.pk}/").content.decode()
    assert "Disposed of" in done and SECRET not in done
    assert DisposalRecord.objects.get().approved_by == world.cpo
    # The register now shows the disposal, not empty fields.
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Disposed of on" in page and SECRET not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": PASSWORD}, "confirm", "This field is required."),
        ({"confirm": "on"}, "password", "This field is required."),
        ({"confirm": "on", "password": "wrong"}, "password", "That is not your password."),
    ],
)
def test_approval_errors_are_beside_the_fields(
    world: World, client: Client, run: DisposalRun, data: dict[str, str], field: str, message: str
) -> None:
    client.force_login(world.cpo)
    response = client.post(f"/governance/disposal/{run.pk}/approve/", data)
    assert response.status_code == 400
    assert response.context["approval_form"].errors[field] == [message]
    assert DisposalRun.objects.get().status == "proposed"


def test_cancelling_needs_a_reason_and_disposes_of_nothing(
    world: World, client: Client, run: DisposalRun
) -> None:
    client.force_login(world.cpo)
    missing = client.post(f"/governance/disposal/{run.pk}/cancel/", {"reason": " "})
    assert missing.status_code == 400
    assert missing.context["cancel_form"].errors["reason"] == ["This field is required."]
    response = client.post(f"/governance/disposal/{run.pk}/cancel/", {"reason": "Audit first."})
    assert response.status_code == 302
    assert DisposalRun.objects.get().status == "cancelled"
    # Approving a cancelled run: told so on the page, not a 500, nothing disposed of.
    late = client.post(
        f"/governance/disposal/{run.pk}/approve/", {"confirm": "on", "password": PASSWORD}
    )
    assert late.status_code == 400
    assert "no longer waiting for approval" in late.content.decode()
    assert not DisposalRecord.objects.exists()


def test_proposing_from_the_page(
    world: World, client: Client, rules: dict[str, RetentionRule]
) -> None:
    client.force_login(world.cpo)
    nothing = client.post("/governance/disposal/propose/")
    assert nothing.status_code == 302 and nothing["Location"] == "/governance/disposal/"
    assert not DisposalRun.objects.exists()
    closed_incident(world, closed=years_ago(9))
    response = client.post("/governance/disposal/propose/")
    run = DisposalRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/governance/disposal/{run.pk}/"
    assert run.proposed_by == world.cpo and run.items.count() == 1


def test_unknown_runs_are_404(world: World, client: Client) -> None:
    client.force_login(world.cpo)
    assert client.get("/governance/disposal/999999/").status_code == 404
    assert client.post("/governance/disposal/999999/approve/", {}).status_code == 404


def test_a_held_incident_says_so_in_the_preview(
    world: World, client: Client, run: DisposalRun
) -> None:
    incident = run.items.get().incident
    LegalHold.objects.create(incident=incident, reason="Court", placed_by=world.cpo)
    client.force_login(world.cpo)
    assert (
        "On legal hold: will be kept"
        in client.get(f"/governance/disposal/{run.pk}/").content.decode()
    )


def test_the_preview_costs_the_same_queries_at_any_length(
    world: World, client: Client, rules: dict[str, RetentionRule]
) -> None:
    from governance.disposal import run_propose

    def queries(count: int) -> int:
        for _ in range(count):
            closed_incident(world, closed=years_ago(9))
        run = run_propose(actor=world.cpo)
        assert run is not None and run.items.count() >= count
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/governance/disposal/{run.pk}/").status_code == 200
        return len(captured)

    client.force_login(world.cpo)
    assert queries(2) == queries(12)


def test_every_page_renders_for_its_people(world: World, client: Client, run: DisposalRun) -> None:
    """Each page, as the people who use it see it, without an error."""
    cases: list[tuple[str, str]] = [
        ("cpo", "/governance/retention/"), ("admin", "/governance/retention/"),
        ("cpo", "/governance/disposal/"), ("cpo", f"/governance/disposal/{run.pk}/"),
        ("cpo", "/governance/holds/"), ("officer_a", "/governance/holds/"),
    ]  # fmt: skip
    for persona, url in cases:
        client.force_login(world.persona(persona))  # type: ignore[arg-type]
        response = client.get(url)
        assert response.status_code == 200, (persona, url)
        assert b"<script>" not in response.content and b"style=" not in response.content
