"""Once an incident's personal content is disposed of, nothing new goes into it: no reopening,
no comments, no evidence, no officer's write (breaches.permissions.DISPOSED)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from breaches.intake.services import attachment_add, comment_add
from breaches.models import Comment, Incident
from breaches.permissions import DISPOSED, can_contribute, lock_for_write
from breaches.workflow.services import available_transitions, incident_transition
from governance import disposal
from governance.models import RetentionRule
from tests.conftest import World
from tests.governance.conftest import PASSWORD, add_personal_content, closed_incident, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def disposed(world: World, rules: dict[str, RetentionRule], private_storage: Path) -> Incident:
    incident = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, incident)
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    assert disposal.carry_out(run.pk)
    incident.refresh_from_db()
    assert incident.disposed_at is not None
    return incident


def test_a_disposed_incident_cannot_be_reopened(world: World, disposed: Incident) -> None:
    assert available_transitions(disposed, world.cpo) == []
    with pytest.raises(PermissionDenied, match="disposed of"):
        incident_transition(
            incident=disposed, to=Incident.Status.REOPENED, actor=world.cpo, reason="more"
        )
    disposed.refresh_from_db()
    assert disposed.status == Incident.Status.CLOSED


def test_nobody_adds_comments_or_evidence(world: World, disposed: Incident) -> None:
    for person in (world.cpo, disposed.reporter):
        assert not can_contribute(person, disposed)
    with pytest.raises(PermissionDenied):
        comment_add(
            incident=disposed, author=world.cpo, body="new personal detail", visibility="shared"
        )
    with pytest.raises(PermissionDenied):
        attachment_add(
            incident=disposed,
            uploaded_by=world.cpo,
            upload=SimpleUploadedFile("note.txt", b"new personal detail", "text/plain"),
        )
    assert not Comment.objects.filter(incident=disposed, body__contains="new personal").exists()


def test_every_officer_write_is_refused_at_the_lock(world: World, disposed: Incident) -> None:
    with pytest.raises(PermissionDenied) as refused, transaction.atomic():
        lock_for_write(disposed, actor=world.cpo)
    assert str(refused.value) == DISPOSED


def test_the_page_says_so_and_offers_nothing(world: World, disposed: Incident) -> None:
    client = Client()
    client.force_login(world.cpo)
    page = client.get(disposed.get_absolute_url()).content.decode()
    assert "was disposed of on" in page
    assert "Reopen" not in page and "Add comment" not in page and ">Attach<" not in page
    refused = client.post(
        f"/incidents/{disposed.reference}/comments/", {"body": "new personal detail"}
    )
    assert refused.status_code in {302, 400, 403}
    assert not Comment.objects.filter(incident=disposed, body__contains="new personal").exists()
