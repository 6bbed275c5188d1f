"""Disposal and the notices to people (SPEC §4.4, §9): a disposed-of incident keeps each
notice's outcome and dates (past quarters' late-notice figures) and loses their text, the
people they named, the drafts' content and the anonymous follow-up code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from breaches.models import (
    AffectedIndividual,
    AnonymousFollowUp,
    IndividualNotice,
    NotificationContent,
)
from governance import disposal
from governance.models import RetentionRule
from tests.conftest import World
from tests.governance.conftest import (
    PASSWORD,
    SECRET,
    add_personal_content,
    closed_incident,
    tables_holding,
    years_ago,
)

pytestmark = pytest.mark.django_db

FACTS = ("outcome", "channel", "due_at", "sent_at", "outcome_at", "is_public",
         "safety_check_required", "safety_checked_at", "safety_checked_by_id", "created_by_id")  # fmt: skip


def test_a_disposed_incident_keeps_its_notices_facts_and_loses_their_text(
    world: World, rules: dict[str, RetentionRule], private_storage: Path
) -> None:
    incident = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, incident)
    person = AffectedIndividual.objects.get(incident=incident)
    sent = incident.reported_at + timedelta(days=4)
    IndividualNotice.objects.create(
        incident=incident, affected=person, channel="phone", outcome="delivered",
        due_at=incident.reported_at + timedelta(days=3), sent_at=sent,
        outcome_at=sent + timedelta(hours=1), safety_check_required=True,
        safety_check=f"{SECRET}'s former partner has the old address.",
        safe_channel=f"{SECRET}'s own mobile", safety_checked_at=sent - timedelta(hours=2),
        safety_checked_by=world.officer_a, created_by=world.officer_a,
    )  # fmt: skip
    IndividualNotice.objects.create(
        incident=incident, is_public=True, channel="public_notice", outcome="withheld",
        public_reason=f"Clients like {SECRET} cannot be reached.",
        withheld_ground=f"s116: {SECRET} at risk.", due_at=incident.reported_at,
        outcome_at=sent, created_by=world.officer_a,
    )  # fmt: skip
    NotificationContent.objects.create(
        incident=incident, contact_point=f"Call about {SECRET}", likely_consequences=SECRET,
        measures_taken=SECRET, advice_to_individuals=SECRET, other_agencies=f"Police ({SECRET})",
    )  # fmt: skip
    AnonymousFollowUp.objects.create(incident=incident, code_hash="a" * 64)
    facts = list(IndividualNotice.objects.filter(incident=incident).values_list(*FACTS))
    assert {"breaches_individualnotice", "breaches_notificationcontent"} <= tables_holding(SECRET)

    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    assert disposal.carry_out(run.pk)

    assert tables_holding(SECRET) == set()  # history tables included
    assert list(IndividualNotice.objects.filter(incident=incident).values_list(*FACTS)) == facts
    for notice in IndividualNotice.objects.filter(incident=incident):
        assert notice.affected_id is None
        assert (notice.public_reason, notice.withheld_ground) == ("", "")
        assert (notice.safety_check, notice.safe_channel) == ("", "")
        last = notice.history.latest("history_id")
        assert (last.history_user, last.history_change_reason) == (
            world.cpo, disposal.DISPOSED_REASON,
        )  # fmt: skip
    content = NotificationContent.objects.get(incident=incident)
    assert (content.contact_point, content.other_agencies) == ("", "")
    assert not AnonymousFollowUp.objects.filter(incident=incident).exists()
    assert not AffectedIndividual.objects.filter(incident=incident).exists()
