"""A disposal run: nothing disposed of before the CPO approves; then the personal content of
the incidents due is gone from every table and from storage, their categorical facts stay, a
held incident is untouched, each leaves an append-only disposal record, and a past quarter's
figures are the same as before."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from breaches.models import (
    Action,
    AffectedIndividual,
    Attachment,
    Comment,
    Decision,
    Incident,
    Notification,
)
from governance import disposal
from governance.models import DisposalItem, DisposalRecord, DisposalRun, LegalHold, RetentionRule
from governance.tasks import propose_disposal_run
from reporting.figures import Quarter, quarter_figures
from tests.conftest import World
from tests.governance.conftest import (
    HELD_SECRET,
    PASSWORD,
    SECRET,
    add_personal_content,
    closed_incident,
    tables_holding,
    years_ago,
)

pytestmark = pytest.mark.django_db

R = DisposalRun.Status


def approve_and_carry_out(world: World, run: DisposalRun) -> DisposalRun:
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    assert disposal.carry_out(run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def due_and_held(
    world: World, rules: dict[str, RetentionRule], private_storage: Path
) -> tuple[Incident, Incident]:
    """A notifiable breach closed eight years ago with personal content everywhere, and another
    like it on legal hold."""
    due = closed_incident(world, closed=years_ago(8))
    add_personal_content(world, due)
    held = closed_incident(world, closed=years_ago(8), secret=HELD_SECRET)
    add_personal_content(world, held, HELD_SECRET)
    LegalHold.objects.create(incident=held, reason="HRRT 12/2026", placed_by=world.officer_a)
    return due, held


def test_nothing_is_disposed_of_without_approval(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    due, _ = due_and_held
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None and run.status == R.PROPOSED
    assert list(run.items.values_list("incident", flat=True)) == [due.pk]
    # A task for a run not approved finds nothing to claim.
    assert disposal.carry_out(run.pk) is False
    disposal.run_cancel(run=run, actor=world.cpo, reason="Not this month.")
    assert disposal.carry_out(run.pk) is False
    with pytest.raises(ValidationError, match="no longer waiting"):
        disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    assert not DisposalRecord.objects.exists()
    assert "breaches_incident" in tables_holding(SECRET)
    due.refresh_from_db()
    assert SECRET in due.description


@pytest.mark.parametrize("persona", ["officer_a", "admin", "executive", "reporter"])
def test_only_the_cpo_proposes_approves_and_cancels(
    world: World, due_and_held: tuple[Incident, Incident], persona: str
) -> None:
    actor = world.persona(persona)
    assert actor is not None
    with pytest.raises(PermissionDenied):
        disposal.run_propose(actor=actor)
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    with pytest.raises(PermissionDenied):
        disposal.run_approve(run=run, actor=actor, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        disposal.run_cancel(run=run, actor=actor, reason="x")
    assert DisposalRun.objects.get().status == R.PROPOSED


def test_approval_asks_for_the_password_again(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    with pytest.raises(ValidationError) as caught:
        disposal.run_approve(run=run, actor=world.cpo, password="wrong")
    assert "password" in caught.value.message_dict
    assert DisposalRun.objects.get().status == R.PROPOSED


def test_after_approval_the_personal_content_is_gone_everywhere(
    world: World, due_and_held: tuple[Incident, Incident], private_storage: Path
) -> None:
    due, held = due_and_held
    files = {
        a.incident_id: private_storage / str(a.file.name)
        for a in Attachment.objects.filter(incident__in=[due, held])
    }
    assert all(path.exists() for path in files.values())
    before = tables_holding(SECRET)
    # Everywhere an incident keeps personal content, append-only tables included.
    assert {
        "breaches_incident", "breaches_historicalincident", "breaches_affectedindividual",
        "breaches_historicalaffectedindividual", "breaches_attachment",
        "breaches_historicalattachment", "breaches_comment", "breaches_historicalcomment",
        "breaches_action", "breaches_historicalaction", "breaches_notification",
        "breaches_decision", "accounts_accessevent",
    } <= before  # fmt: skip
    # Released, the held incident is listed; held again after the run was proposed, it is kept.
    LegalHold.objects.filter(incident=held).update(released_at=timezone.now())
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None and run.items.count() == 2
    LegalHold.objects.create(incident=held, reason="HRRT 13/2026", placed_by=world.officer_a)
    run = approve_and_carry_out(world, run)
    assert (run.status, run.disposed, run.skipped) == (R.DONE, 1, 1)

    # Gone: from every table of the database, and the file from storage.
    assert tables_holding(SECRET) == set()
    assert not files[due.pk].exists()
    # The held incident is untouched, file and all.
    assert tables_holding(HELD_SECRET) == before
    assert files[held.pk].exists()
    assert DisposalItem.objects.get(incident=held).note == "On legal hold."

    # What the register shows instead, and who did it (the approver, on the history).
    due.refresh_from_db()
    rule = DisposalRecord.objects.get().rule
    assert due.summary.startswith(f"Disposed of on {timezone.localdate():%-d %b %Y} under ")
    assert f"retention rule {rule.pk}" in due.summary
    assert (due.description, due.cause_detail, due.containment_steps) == ("", "", "")
    last = due.history.latest("history_id")
    assert (last.history_user, last.history_change_reason) == (
        world.cpo,
        f"disposed of under rule {rule.pk}",
    )
    assert not AffectedIndividual.objects.filter(incident=due).exists()
    assert not Attachment.objects.filter(incident=due).exists()
    assert Comment.objects.get(incident=due).body == ""
    assert Action.objects.get(incident=due).title == disposal.REMOVED_TEXT


def test_the_categorical_facts_stay(world: World, due_and_held: tuple[Incident, Incident]) -> None:
    due, _ = due_and_held
    keep = [
        "reference", "kind", "status", "reported_at", "aware_at", "occurred_at", "channel",
        "cause_category", "individuals_affected", "individuals_affected_is_estimate",
        "contained_at", "business_unit_id", "reporter_id", "is_restricted", "severity",
        "regulator_deadline", "decision_notify_regulator", "regulator_notified_at",
    ]  # fmt: skip
    facts = Incident.objects.filter(pk=due.pk).values(*keep).get()
    children = {
        "breach types": list(due.breach_types.values_list("breach_type", flat=True)),
        "categories": list(due.information_categories.values_list("category", flat=True)),
        "actions": list(Action.objects.filter(incident=due).values_list("status", "due_date", "completed_at", "created_at", "owner_id")),
        "notifications": list(Notification.objects.filter(incident=due).values_list("recipient", "method", "notified_at", "on_time", "reference_number")),
        "decisions": list(Decision.objects.filter(incident=due).values_list("notify_regulator", "notify_individuals", "decided_at")),
        "comments": list(Comment.objects.filter(incident=due).values_list("author_id", "created_at", "visibility")),
        "assessments": list(due.assessments.values_list("facts", "result", "severity")),
    }  # fmt: skip
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    approve_and_carry_out(world, run)
    assert DisposalRecord.objects.filter(incident=due).exists()
    assert Incident.objects.filter(pk=due.pk).values(*keep).get() == facts
    assert children == {
        "breach types": list(due.breach_types.values_list("breach_type", flat=True)),
        "categories": list(due.information_categories.values_list("category", flat=True)),
        "actions": list(Action.objects.filter(incident=due).values_list("status", "due_date", "completed_at", "created_at", "owner_id")),
        "notifications": list(Notification.objects.filter(incident=due).values_list("recipient", "method", "notified_at", "on_time", "reference_number")),
        "decisions": list(Decision.objects.filter(incident=due).values_list("notify_regulator", "notify_individuals", "decided_at")),
        "comments": list(Comment.objects.filter(incident=due).values_list("author_id", "created_at", "visibility")),
        "assessments": list(due.assessments.values_list("facts", "result", "severity")),
    }  # fmt: skip


def test_each_disposal_leaves_an_append_only_record(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    due, held = due_and_held
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    run = approve_and_carry_out(world, run)
    record = DisposalRecord.objects.get()
    assert (record.incident, record.reference, record.run, record.approved_by) == (
        due, due.reference, run, world.cpo,
    )  # fmt: skip
    assert record.approved_at == run.approved_at
    assert record.rule.years == 7 and "7 years after closure" in record.rule_text
    assert record.removed["attachments"] == 1 and record.removed["affected_people"] == 1
    assert record.removed["rows_blanked"] > 5
    assert not DisposalRecord.objects.filter(incident=held).exists()
    # Refused by the model...
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        DisposalRecord.objects.filter(pk=record.pk).update(reference="x")
    # ... and by the database, whoever asks.
    for sql in [
        "UPDATE governance_disposalrecord SET reference = 'x' WHERE id = %s",
        "UPDATE governance_disposalrecord SET disposed_at = disposed_at WHERE id = %s",
        "DELETE FROM governance_disposalrecord WHERE id = %s",
    ]:
        with (
            pytest.raises((DatabaseError, IntegrityError), match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    assert DisposalRecord.objects.get().reference == due.reference


def test_a_past_quarter_reads_the_same_figures_after_disposal(
    world: World, rules: dict[str, RetentionRule], private_storage: Path
) -> None:
    now = timezone.now()
    quarter = Quarter.containing(timezone.localdate(years_ago(8, now=now)))
    start, end = quarter.bounds()
    made = []
    for i, (kind, decision) in enumerate(
        [("breach", "yes"), ("breach", "no"), ("breach", ""), ("near_miss", "")] * 2
    ):
        reported = start + timedelta(days=3 + 9 * i, hours=i)
        secret = HELD_SECRET if i == 0 else SECRET
        incident = closed_incident(
            world, closed=reported + timedelta(days=40), reported=reported, kind=kind,
            decision=decision, unit=world.site_a1 if i % 2 else world.site_b1, secret=secret,
        )  # fmt: skip
        add_personal_content(world, incident, secret)
        made.append(incident)
    held = made[0]
    LegalHold.objects.create(incident=held, reason="Court order", placed_by=world.cpo)
    assert all(start <= i.reported_at < end for i in made)

    def figures(q: Quarter) -> dict[str, Any]:
        return quarter_figures(
            Incident.objects.for_agency_report(), q, scope="the whole agency", now=now
        ).to_dict()

    quarters = [quarter, quarter.next(), quarter.next().next()]
    before = [figures(q) for q in quarters]
    assert before[0]["current"]["breaches"] == 6 and before[0]["current"]["near_misses"] == 2
    assert before[0]["notifiable_total"] > 0 and before[0]["current"]["notifiable"] == 2

    run = disposal.run_propose(actor=world.cpo, now=now)
    assert run is not None
    run = approve_and_carry_out(world, run)
    assert (run.disposed, run.skipped) == (7, 0)  # all but the held one, never listed
    assert tables_holding(SECRET) == set()
    assert "breaches_incident" in tables_holding(HELD_SECRET)
    assert DisposalRecord.objects.count() == 7
    assert [figures(q) for q in quarters] == before


def test_an_incident_reopened_after_approval_is_kept(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    due, _ = due_and_held
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    due.status = Incident.Status.REOPENED
    due.save()
    assert disposal.carry_out(run.pk)
    assert DisposalItem.objects.get(incident=due).note == "Reopened since the run was proposed."
    assert not DisposalRecord.objects.exists()
    due.refresh_from_db()
    assert SECRET in due.description


def test_a_rule_changed_after_approval_keeps_the_incident(
    world: World, due_and_held: tuple[Incident, Incident], rules: dict[str, RetentionRule]
) -> None:
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    RetentionRule.objects.filter(pk=rules["notifiable"].pk).update(status="superseded")
    disposal.carry_out(run.pk)
    assert set(DisposalItem.objects.values_list("status", "note")) == {
        ("skipped", "The retention rule changed since the run was proposed.")
    }
    assert not DisposalRecord.objects.exists()


def test_a_duplicate_task_does_nothing_twice(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    approve_and_carry_out(world, run)
    history_rows = Incident.history.count()
    assert disposal.carry_out(run.pk, task_id="another") is False
    assert Incident.history.count() == history_rows
    assert DisposalRecord.objects.count() == 1


def test_a_run_out_of_time_is_handed_back_and_goes_on_later(
    world: World, due_and_held: tuple[Incident, Incident], django_capture_on_commit_callbacks: Any
) -> None:
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    with django_capture_on_commit_callbacks() as queued:
        assert disposal.carry_out(run.pk, budget_seconds=0)
    run.refresh_from_db()
    assert run.status == R.APPROVED and len(queued) == 1
    assert not DisposalRecord.objects.exists()
    assert disposal.carry_out(run.pk)
    run.refresh_from_db()
    assert (run.status, run.disposed, run.attempts) == (R.DONE, 1, 2)


def test_approving_queues_the_worker_after_commit(
    world: World, due_and_held: tuple[Incident, Incident], django_capture_on_commit_callbacks: Any
) -> None:
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    with django_capture_on_commit_callbacks(execute=True) as queued:
        disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
        assert DisposalRun.objects.get().status == R.APPROVED  # not before the commit
    assert queued
    run.refresh_from_db()
    assert run.status == R.DONE and run.disposed == 1


def test_a_newer_proposal_supersedes_the_one_waiting(
    world: World, due_and_held: tuple[Incident, Incident]
) -> None:
    first = disposal.run_propose(actor=world.cpo)
    second = disposal.run_propose(actor=world.cpo)
    assert first is not None and second is not None
    first.refresh_from_db()
    assert (first.status, second.status) == (R.SUPERSEDED, R.PROPOSED)
    # An incident waiting in an approved run is not listed again.
    disposal.run_approve(run=second, actor=world.cpo, password=PASSWORD)
    assert disposal.run_propose(actor=world.cpo) is None


def test_beat_proposes_monthly_and_tells_the_cpo_but_disposes_of_nothing(
    world: World, due_and_held: tuple[Incident, Incident], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_id = propose_disposal_run.apply().get()
    run = DisposalRun.objects.get(pk=run_id)
    assert (run.status, run.proposed_by, run.items.count()) == (R.PROPOSED, None, 1)
    assert not DisposalRecord.objects.exists()
    assert [m.to for m in mail.outbox] == [[world.cpo.email]]
    assert f"/governance/disposal/{run.pk}/" in mail.outbox[0].body
    assert SECRET not in mail.outbox[0].body
    assert "governance.tasks.propose_disposal_run" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_nothing_due_proposes_nothing(world: World, rules: dict[str, RetentionRule]) -> None:
    closed_incident(world, closed=years_ago(3))  # notifiable: 7 years
    assert disposal.run_propose(actor=world.cpo) is None
    assert propose_disposal_run.apply().get() is None
    assert not DisposalRun.objects.exists()


def test_a_file_that_could_not_be_deleted_is_deleted_on_the_retry(
    world: World, due_and_held: tuple[Incident, Incident], private_storage: Path
) -> None:
    due, _ = due_and_held
    path = private_storage / str(Attachment.objects.get(incident=due).file.name)
    run = disposal.run_propose(actor=world.cpo)
    assert run is not None
    disposal.run_approve(run=run, actor=world.cpo, password=PASSWORD)
    with (
        mock.patch.object(disposal.default_storage, "delete", side_effect=OSError("disk")),
        pytest.raises(OSError),
    ):
        disposal.carry_out(run.pk)
    disposal.fail(run.pk, OSError("disk"))  # as the task does before retrying
    item = DisposalItem.objects.get(incident=due)
    assert item.status == "disposed" and item.files and path.exists()
    assert DisposalRun.objects.get().status == R.FAILED
    assert disposal.carry_out(run.pk)  # the retry
    assert not path.exists()
    assert DisposalItem.objects.get(incident=due).files == []
    assert DisposalRun.objects.get().status == R.DONE
