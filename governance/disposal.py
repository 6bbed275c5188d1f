"""Disposal runs: what falls due, the chief privacy officer's approval, and the disposal itself
(SPEC §9, docs/governance.md).

- **Due**: a closed incident (never one reopened and not closed again) whose class has a rule in
  force, closed at least that rule's years ago, not on legal hold, not disposed of yet, and not
  waiting in an approved run already. "Closed" is read from the incident's own history: the
  first history row of its last closure (:func:`closed_at`).
- **A run** lists the incidents due with the rule that makes each due. Beat proposes one monthly
  (``governance.tasks.propose_disposal_run``), the chief privacy officer on demand; a newer
  proposal supersedes one still waiting. Nothing is disposed of until the chief privacy officer
  approves, having typed their password again.
- **Carrying it out** is a job as a row (STYLE habit 5): approving queues
  :data:`CARRY_OUT_TASK` once the transaction commits; the task claims the run with a
  conditional UPDATE, then disposes of each incident in a transaction of its own, on the locked
  incident row, after checking again that it is still due under the same rule. A retried or
  duplicated task picks up where the last one stopped, and does nothing twice.
- **Disposing** of an incident removes its personal content (:data:`FIELDS` says what, field by
  field) from its row, its children, its files in storage and its history, and keeps the
  categorical facts the quarterly figures read, so a past quarter reproduces. The append-only
  record (``DisposalRecord``) is written first: only then do the database's triggers let the
  personal columns of the append-only tables be blanked (``accounts.append_only``).
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.append_only import REDACTABLE, redact_disposed, redaction_left
from accounts.history import stamp_history
from accounts.models import User
from breaches.models import (
    Action,
    AffectedIndividual,
    AnonymousFollowUp,
    Attachment,
    Incident,
    IndividualNotice,
    NotificationContent,
)
from breaches.permissions import lock_for_write
from breaches.selectors import cpo_emails
from config.celery import enqueue_on_commit
from governance.models import (
    DisposalItem,
    DisposalRecord,
    DisposalRun,
    LegalHold,
    RetentionRule,
    years_after,
    years_before,
)

logger = logging.getLogger(__name__)

# The task that carries out an approved run (governance/tasks.py), queued by its name.
CARRY_OUT_TASK = "governance.tasks.carry_out_disposal_run"

# The history's change reason on the rows disposal writes (who: the approver).
DISPOSED_REASON = "disposed of"
# What a required text field of a live row holds once disposed of.
REMOVED_TEXT = "Removed: disposed of"


@dataclass(frozen=True)
class Treatment:
    """What disposal does with a model's text fields: blanks (or deletes with its rows) the
    personal ones, keeps the categorical ones. ``rows_deleted``: the live rows themselves go."""

    removed: tuple[str, ...]
    kept: tuple[str, ...]
    rows_deleted: bool = False


#: Every text field of the incident and of the records that hang from it, and what disposal
#: does with it (docs/governance.md has the same table, with the reasons). A test checks that
#: every text field of every model pointing at an incident is here, so a field added later is
#: decided on, not forgotten; and that the append-only tables blank exactly the ``removed``
#: columns (``accounts.append_only.REDACTABLE``).
FIELDS: dict[str, Treatment] = {
    "breaches.Incident": Treatment(
        removed=("summary", "description", "cause_detail", "containment_steps"),
        kept=(
            "reference", "kind", "status", "occurred_precision", "channel", "cause_category",
            "jurisdiction", "severity", "decision_notify_regulator", "unit_name", "reporting",
            "discovered_by",
        ),
    ),
    "breaches.AffectedIndividual": Treatment(
        removed=("reference",), kept=("role",), rows_deleted=True
    ),
    "breaches.Attachment": Treatment(
        removed=("original_name", "file", "sha256"), kept=("content_type",), rows_deleted=True
    ),
    "breaches.Comment": Treatment(removed=("body",), kept=("visibility",)),
    "breaches.Action": Treatment(
        removed=("title", "description", "carry_over_reason", "reminder_error"),
        kept=("kind", "status"),
    ),
    "breaches.Notification": Treatment(
        removed=("reason",), kept=("recipient", "method", "stage", "reference_number")
    ),
    "breaches.Decision": Treatment(
        removed=("ground", "rationale"), kept=("notify_regulator", "notify_individuals")
    ),
    # A notice keeps its row, channel, outcome and dates (past quarters' late-notice figures);
    # the person it named goes with the affected people.
    "breaches.IndividualNotice": Treatment(
        removed=("public_reason", "withheld_ground", "safety_check", "safe_channel"),
        kept=("channel", "outcome"),
    ),
    "breaches.NotificationContent": Treatment(
        removed=(
            "contact_point", "likely_consequences", "measures_taken", "advice_to_individuals",
            "other_agencies",
        ),
        kept=(),
    ),
    # The follow-up code's hash goes with its row: nobody can follow up a disposed-of report.
    "breaches.AnonymousFollowUp": Treatment(removed=("code_hash",), kept=(), rows_deleted=True),
    "breaches.Assessment": Treatment(
        removed=(),
        kept=(
            "facts", "result", "rule_set", "jurisdiction", "severity", "notify_regulator",
            "notify_individuals",
        ),
    ),
    "breaches.IncidentBreachType": Treatment(removed=(), kept=("breach_type",)),
    "breaches.IncidentInformationCategory": Treatment(removed=(), kept=("category",)),
    "breaches.DeadlineReminder": Treatment(removed=(), kept=("kind", "recipients")),
    "accounts.AccessEvent": Treatment(removed=("detail",), kept=("action", "path", "request_id")),
}  # fmt: skip

#: The history rows' own text columns: the change reason is an officer's free text on the
#: incident (why reopened, why restricted) and goes; on the other records it is a fixed phrase.
HISTORY_REMOVED: dict[str, tuple[str, ...]] = {"breaches.Incident": ("history_change_reason",)}
HISTORY_KEPT = ("history_type", "request_id", "history_change_reason")


# --- what is due ------------------------------------------------------------------------------


def closed_at() -> Subquery:
    """When the outer incident was last closed: the earliest history row of its last closure
    (a closed row with no later row in another status). An incident reopened since has a later
    row that is not closed; closed again, its closure counts from the new one. An incident with
    no history row saying it was closed (rows loaded in bulk) has none, and is never due."""
    history = Incident.history.model
    later_open = (
        history.objects.filter(id=OuterRef("id"))
        .exclude(status=Incident.Status.CLOSED)
        .filter(
            Q(history_date__gt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id"))
        )
    )
    closing = (
        history.objects.filter(id=OuterRef("pk"), status=Incident.Status.CLOSED)
        .exclude(Exists(later_open))
        .order_by("history_date", "history_id")
        .values("history_date")[:1]
    )
    return Subquery(closing)


def _waiting_in_approved_runs() -> QuerySet[DisposalItem]:
    return DisposalItem.objects.filter(
        incident_id=OuterRef("pk"),
        status=DisposalItem.Status.LISTED,
        run__status__in=[
            DisposalRun.Status.APPROVED,
            DisposalRun.Status.RUNNING,
            DisposalRun.Status.FAILED,
        ],
    )


def due_incidents(
    incidents: QuerySet[Incident], *, now: datetime, rules: list[RetentionRule] | None = None
) -> QuerySet[Incident]:
    """The incidents of ``incidents`` due for disposal at ``now``, each annotated with
    ``closed_at`` and ``due_rule`` (the id of the rule in force that makes it due), oldest
    closure first. ``rules``: the rules in force, when the caller has read them already."""
    if rules is None:
        rules = list(RetentionRule.objects.in_force())
    # An incident is closed after it is reported: one reported after a rule's cutoff cannot be
    # due under it, and that is read from an index before any history is.
    cutoffs = {rule.pk: years_before(now, rule.years) for rule in rules}
    which_rule: Any = Case(
        *[
            When(
                rule.matches()
                & Q(reported_at__lte=cutoffs[rule.pk], closed_at__lte=cutoffs[rule.pk]),
                then=rule.pk,
            )
            for rule in rules
        ],
        default=Value(None),
        output_field=BigIntegerField(),
    )
    if not rules:  # the same columns, no rows: without a rule in force nothing is ever due
        return incidents.annotate(
            closed_at=closed_at(), due_rule=Value(None, output_field=BigIntegerField())
        ).none()
    return (
        incidents.filter(status=Incident.Status.CLOSED, reported_at__lte=max(cutoffs.values()))
        .exclude(Exists(LegalHold.objects.active().filter(incident_id=OuterRef("pk"))))
        .exclude(Exists(DisposalRecord.objects.filter(incident_id=OuterRef("pk"))))
        .exclude(Exists(_waiting_in_approved_runs()))
        .annotate(closed_at=closed_at())
        .annotate(due_rule=which_rule)
        .filter(due_rule__isnull=False)
        .order_by("closed_at", "pk")
    )


# --- runs: proposing, approving, cancelling ---------------------------------------------------


def may_run_disposal(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_chief_privacy_officer


def run_propose(*, actor: User | None, now: datetime | None = None) -> DisposalRun | None:
    """List what is due now in a new run waiting for approval (superseding any still waiting);
    None when nothing is due. ``actor``: the chief privacy officer, or None for beat."""
    if actor is not None and not may_run_disposal(actor):
        raise PermissionDenied("Only the chief privacy officer proposes a disposal run.")
    now = now or timezone.now()
    # Beat reads for the agency as a whole; a person through their own scope (the CPO: all).
    incidents = Incident.objects.all() if actor is None else Incident.objects.visible_to(actor)
    try:
        with transaction.atomic():
            for waiting in DisposalRun.objects.select_for_update().filter(
                status=DisposalRun.Status.PROPOSED
            ):
                waiting.status = DisposalRun.Status.SUPERSEDED
                stamp_history(waiting, user=actor, reason="superseded by a newer proposal")
                waiting.save()
            run = DisposalRun(proposed_by=actor, as_of=now)
            stamp_history(run, user=actor, reason="proposed")
            run.save()
            listed = _list_due(run, incidents, now=now)
            if not listed:
                # Nothing due: no run, and the one waiting (if any) stays as it was.
                transaction.set_rollback(True)
                return None
            DisposalRun.objects.filter(pk=run.pk).update(listed=listed)
            run.listed = listed
    except IntegrityError:  # a second proposal at the same moment (one may wait at a time)
        raise ValidationError("Another disposal run was proposed at the same moment.") from None
    return run


def _list_due(run: DisposalRun, incidents: QuerySet[Incident], *, now: datetime) -> int:
    """Write the run's items: the incidents due, in one INSERT … SELECT (at 100,000 incidents
    a first run can list tens of thousands: never loaded into Python). Returns how many."""
    rules = list(RetentionRule.objects.in_force())
    if not rules:
        return 0
    # Any: the type checker does not follow the annotations due_incidents adds.
    found: Any = due_incidents(incidents, now=now, rules=rules)
    due = found.order_by().values_list("pk", "closed_at", "due_rule")
    select, params = due.query.sql_with_params()
    quote = connection.ops.quote_name
    files = DisposalItem._meta.get_field("files").db_type(connection)
    columns = ", ".join(
        quote(c)
        for c in ["run_id", "incident_id", "closed_at", "rule_id", "status", "note", "files"]
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner cannot estimate the history look-ups, prices the statement in the
            # millions and compiles it (JIT): 2.6 of 4.4 s at 100,000 incidents, for a
            # statement that runs in 1.8 s as it is (docs/governance.md). For this
            # transaction only.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"INSERT INTO {quote(DisposalItem._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT %s, due.*, %s, '', CAST('[]' AS {files}) FROM ({select}) due",
            [run.pk, DisposalItem.Status.LISTED.value, *params],
        )
        return max(cursor.rowcount, 0)


def _password(actor: User, password: str) -> None:
    if not actor.check_password(password):
        raise ValidationError({"password": "That is not your password."})


def run_approve(*, run: DisposalRun, actor: User, password: str) -> DisposalRun:
    """Approve a waiting run: the worker disposes of its incidents once this commits."""
    if not may_run_disposal(actor):
        raise PermissionDenied("Only the chief privacy officer approves a disposal run.")
    _password(actor, password)
    with transaction.atomic():
        locked = DisposalRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != DisposalRun.Status.PROPOSED:
            raise ValidationError(
                f"This run is no longer waiting for approval: "
                f"{locked.get_status_display().lower()}."
            )
        locked.status = DisposalRun.Status.APPROVED
        locked.approved_by, locked.approved_at = actor, timezone.now()
        stamp_history(locked, user=actor, reason="approved")
        locked.save()
        enqueue_on_commit(CARRY_OUT_TASK, locked.pk)
    return locked


#: A run may be cancelled until a worker has started on it (a failed one: what is left of it).
CANCELLABLE = (DisposalRun.Status.PROPOSED, DisposalRun.Status.APPROVED, DisposalRun.Status.FAILED)


def run_cancel(*, run: DisposalRun, actor: User, reason: str) -> DisposalRun:
    if not may_run_disposal(actor):
        raise PermissionDenied("Only the chief privacy officer cancels a disposal run.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the run is cancelled."})
    with transaction.atomic():
        # The row lock makes a worker's claim wait, then find the run cancelled.
        locked = DisposalRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in CANCELLABLE:
            raise ValidationError(
                f"This run cannot be cancelled now: {locked.get_status_display().lower()}."
            )
        locked.status = DisposalRun.Status.CANCELLED
        locked.cancelled_by, locked.cancelled_at = actor, timezone.now()
        locked.cancel_reason = reason.strip()
        stamp_history(locked, user=actor, reason="cancelled")
        locked.save()
    return locked


def run_resume(*, run: DisposalRun, actor: User) -> DisposalRun:
    """Queue an approved run again: one that failed, or whose task never reached a worker."""
    if not may_run_disposal(actor):
        raise PermissionDenied("Only the chief privacy officer restarts a disposal run.")
    if run.status not in (DisposalRun.Status.APPROVED, DisposalRun.Status.FAILED):
        raise ValidationError(
            f"Only an approved or failed run is started again; this one is "
            f"{run.get_status_display().lower()}."
        )
    with transaction.atomic():
        enqueue_on_commit(CARRY_OUT_TASK, run.pk)
    return run


def notify_proposed(run: DisposalRun) -> int:
    """E-mail the chief privacy officers that a run waits for their approval (how many, and a
    link; no incident's content). Returns how many were told; a failure is logged, not raised:
    the run waits on its page all the same."""
    recipients = cpo_emails()
    if not recipients:
        return 0
    count = run.items.count()
    link = settings.SITE_URL.rstrip("/") + run.get_absolute_url()
    try:
        send_mail(
            subject=f"Disposal run {run.pk}: {count} incidents past retention wait for approval",
            message=(
                f"The monthly disposal run lists {count} closed incidents past their retention "
                "period. Nothing is disposed of until you preview and approve the run.\n\n"
                f"Preview it: {link}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except (OSError, smtplib.SMTPException):
        logger.warning("disposal run %s: could not e-mail the chief privacy officers", run.pk)
        return 0
    return len(recipients)


def requeue_approved(*, older_than: timedelta) -> int:
    """The outbox sweep: queue again the approved (or failed) runs no worker holds, approved
    more than ``older_than`` ago. Claiming makes a duplicate harmless."""
    cutoff = timezone.now() - older_than
    ids = list(
        DisposalRun.objects.filter(
            status__in=[DisposalRun.Status.APPROVED, DisposalRun.Status.FAILED],
            approved_at__lte=cutoff,
        ).values_list("pk", flat=True)
    )
    for run_id in ids:
        enqueue_on_commit(CARRY_OUT_TASK, run_id)
    return len(ids)


# --- carrying out an approved run -------------------------------------------------------------


def _stale_after() -> timedelta:
    """How long a RUNNING run must be silent before another delivery may take it over."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def claim(run_id: int, task_id: str = "") -> bool:
    """Take the run, unless another delivery has it, it is done, or it was cancelled."""
    running = Q(status=DisposalRun.Status.RUNNING)
    claimable = (
        Q(status__in=[DisposalRun.Status.APPROVED, DisposalRun.Status.FAILED])
        | (running & Q(started_at__lt=timezone.now() - _stale_after()))
        | (running & Q(task_id=task_id) & ~Q(task_id=""))
    )
    return bool(
        DisposalRun.objects.filter(claimable, pk=run_id).update(
            status=DisposalRun.Status.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            last_error="",
            task_id=task_id,
        )
    )


def carry_out(run_id: int, task_id: str = "", *, budget_seconds: float | None = None) -> bool:
    """Dispose of a claimed run's incidents. Returns False when there was nothing to claim.

    Works for at most ``budget_seconds`` (half the task's soft time limit by default); a run not
    finished by then is handed back (APPROVED) and queued again, to go on where it stopped.
    """
    if not claim(run_id, task_id):
        return False
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT / 2 if budget_seconds is None else budget_seconds
    started = time.monotonic()
    run = DisposalRun.objects.select_related("approved_by").get(pk=run_id)
    pending = (
        run.items.filter(
            Q(status=DisposalItem.Status.LISTED)
            | (Q(status=DisposalItem.Status.DISPOSED) & ~Q(files=[]))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for item_id in list(pending):
        if time.monotonic() - started > budget:
            with transaction.atomic():
                DisposalRun.objects.filter(pk=run_id, status=DisposalRun.Status.RUNNING).update(
                    status=DisposalRun.Status.APPROVED
                )
                enqueue_on_commit(CARRY_OUT_TASK, run_id)
            return True
        item = DisposalItem.objects.select_related("incident", "rule").get(pk=item_id)
        if item.status == DisposalItem.Status.LISTED:
            dispose(item=item, run=run)
        _delete_files(item)
    counts = {
        s: run.items.filter(status=s).count()
        for s in (DisposalItem.Status.DISPOSED, DisposalItem.Status.SKIPPED)
    }
    with transaction.atomic():
        locked = DisposalRun.objects.select_for_update().get(pk=run_id)
        locked.status = DisposalRun.Status.DONE
        locked.finished_at = timezone.now()
        locked.disposed = counts[DisposalItem.Status.DISPOSED]
        locked.skipped = counts[DisposalItem.Status.SKIPPED]
        stamp_history(locked, user=None, reason="carried out")
        locked.save()
    return True


def fail(run_id: int, error: BaseException) -> None:
    DisposalRun.objects.filter(pk=run_id, status=DisposalRun.Status.RUNNING).update(
        status=DisposalRun.Status.FAILED,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )


def why_not_due(incident: Incident, item: DisposalItem, *, now: datetime) -> str:
    """Why the (locked) incident must be kept after all, or '' when it is still due under the
    rule the run listed it with."""
    rule = item.rule
    if DisposalRecord.objects.filter(incident=incident).exists():
        return "Already disposed of."
    if incident.status != Incident.Status.CLOSED:
        return "Reopened since the run was proposed."
    if LegalHold.objects.active().filter(incident=incident).exists():
        return "On legal hold."
    closed = Incident.objects.filter(pk=incident.pk).annotate(closed=closed_at()).values("closed")
    if closed[0]["closed"] != item.closed_at:
        return "Closed again since the run was proposed: its retention starts again."
    current = RetentionRule.objects.filter(pk=rule.pk).values_list("status", flat=True).first()
    if current != RetentionRule.Status.IN_FORCE:
        return "The retention rule changed since the run was proposed."
    if not Incident.objects.filter(rule.matches(), pk=incident.pk).exists():
        return "Its notification decision changed: another rule applies."
    if years_after(item.closed_at, rule.years) > now:
        return "Not due yet."
    return ""


def _skip(item: DisposalItem, note: str) -> bool:
    item.status, item.note = DisposalItem.Status.SKIPPED, note[:300]
    item.save(update_fields=["status", "note"])
    return False


def disposal_note(rule: RetentionRule, when: datetime) -> str:
    """What a disposed-of incident's summary says instead (the register shows it)."""
    text = (
        f"Disposed of on {format_date(timezone.localtime(when), 'j M Y')} under retention "
        f"rule {rule.pk}: {rule.class_label.lower()}, {_years(rule.years)} after closure "
        f"({rule.authority})"
    )
    return text if len(text) <= 200 else f"{text[:199]}…"


def _years(years: int) -> str:
    return f"{years} year" if years == 1 else f"{years} years"


def dispose(*, item: DisposalItem, run: DisposalRun) -> bool:
    """Dispose of one listed incident, in a transaction of its own, if it is still due under
    the same rule; else mark the item skipped with the reason. Returns whether it was."""
    approver = run.approved_by
    if approver is None or run.approved_at is None:  # never: only approved runs are claimed
        raise PermissionDenied("A disposal run must be approved before anything is disposed of.")
    now = timezone.now()
    with transaction.atomic():
        try:
            incident = lock_for_write(item.incident, actor=approver)
        except PermissionDenied:
            return _skip(item, "The approver no longer handles this incident.")
        problem = why_not_due(incident, item, now=now)
        if problem:
            return _skip(item, problem)
        rule = item.rule
        removed = _removed_counts(incident)
        # First: the record is what lets the database blank the append-only rows.
        DisposalRecord.objects.create(
            incident=incident, reference=incident.reference, run=run, rule=rule,
            rule_text=str(rule)[:300], closed_at=item.closed_at, approved_by=approver,
            approved_at=run.approved_at, disposed_at=now, removed=removed,
        )  # fmt: skip
        blanked = redact_disposed(connection, incident.pk)
        if blanked != removed["rows_blanked"]:
            # Rows appeared between counting and blanking: roll back, the retry counts again.
            raise RuntimeError(f"{incident.reference}: blanked {blanked} rows, counted otherwise")
        files = _remove_live_content(incident, approver=approver, rule=rule, now=now)
        # From now on nothing can be added to it (breaches.permissions.lock_for_write).
        Incident.objects.filter(pk=incident.pk).update(disposed_at=now)
        item.status, item.files, item.note = DisposalItem.Status.DISPOSED, files, ""
        item.save(update_fields=["status", "files", "note"])
    return True


def _removed_counts(incident: Incident) -> dict[str, Any]:
    """What disposing of ``incident`` removes, counted before it is (the record says it)."""
    rows = 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, redactable in REDACTABLE.items():
            left = redaction_left(connection, redactable)
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608 (names from REDACTABLE)
                f"WHERE {quote(redactable.incident_column)} = %s AND ({left})",
                [incident.pk],
            )
            rows += int(cursor.fetchone()[0])
    attachments = Attachment.objects.filter(incident=incident)
    return {
        # Rows deleted, and files deleted from storage.
        "affected_people": AffectedIndividual.objects.filter(incident=incident).count(),
        "attachments": attachments.count(),
        "files": attachments.exclude(file="").count(),
        # Rows whose personal fields were blanked: live ones, then the history and the other
        # append-only records (comments, notifications, decisions) with something to blank.
        "comments": incident.comments.count(),
        "actions": Action.objects.filter(incident=incident).count(),
        "notices": IndividualNotice.objects.filter(incident=incident).count(),
        "rows_blanked": rows,
        "fields": {label: list(t.removed) for label, t in FIELDS.items() if t.removed},
    }


def _remove_live_content(
    incident: Incident, *, approver: User, rule: RetentionRule, now: datetime
) -> list[str]:
    """Blank the incident's row and its ordinary children, each change credited to the
    approver on the history; delete its affected people (its notices let go of them first),
    attachments and anonymous follow-up code. Returns the storage names of the files to delete
    once this commits."""
    for notice in IndividualNotice.objects.filter(incident=incident):
        # The person goes below (their row is protected while a notice names them); the
        # notice's outcome and dates stay for the figures.
        notice.affected = None
        notice.public_reason = notice.withheld_ground = ""
        notice.safety_check = notice.safe_channel = ""
        stamp_history(notice, user=approver, reason=DISPOSED_REASON)
        notice.save()
    for content in NotificationContent.objects.filter(incident=incident):
        content.contact_point = content.likely_consequences = content.measures_taken = ""
        content.advice_to_individuals = content.other_agencies = ""
        stamp_history(content, user=approver, reason=DISPOSED_REASON)
        content.save()
    AnonymousFollowUp.objects.filter(incident=incident).delete()
    for person in AffectedIndividual.objects.filter(incident=incident):
        # Blanked before the delete, so the history row the delete writes holds nothing.
        person.reference = ""
        stamp_history(person, user=approver, reason=DISPOSED_REASON)
        person.delete()
    files = []
    for attachment in Attachment.objects.filter(incident=incident):
        if attachment.file.name:
            files.append(attachment.file.name)
        attachment.original_name = attachment.sha256 = ""
        attachment.file.name = ""
        stamp_history(attachment, user=approver, reason=DISPOSED_REASON)
        attachment.delete()
    for action in Action.objects.filter(incident=incident):
        action.title = REMOVED_TEXT
        action.description = action.carry_over_reason = action.reminder_error = ""
        stamp_history(action, user=approver, reason=DISPOSED_REASON)
        action.save(update_fields=["title", "description", "carry_over_reason", "reminder_error"])
    incident.summary = disposal_note(rule, now)
    incident.description = incident.cause_detail = incident.containment_steps = ""
    incident.updated_at = now
    stamp_history(incident, user=approver, reason=f"{DISPOSED_REASON} under rule {rule.pk}")
    incident.save(
        update_fields=["summary", "description", "cause_detail", "containment_steps", "updated_at"]
    )
    return files


def _delete_files(item: DisposalItem) -> None:
    """Delete the disposed incident's files from storage, forgetting each once it is gone (a
    failure leaves the rest for the retry)."""
    if not item.files:
        return
    # Attachment.file uses the default (private) storage.
    storage = default_storage
    left = list(item.files)
    while left:
        storage.delete(left[0])
        left.pop(0)
        DisposalItem.objects.filter(pk=item.pk).update(files=left)
    item.files = []
