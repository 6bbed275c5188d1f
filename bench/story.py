"""The demo's past, played through the product's own services on a simulated clock.

Each demo incident is written once in the state its reporter left it (``reported``), then its
story is played event by event, each at the moment it happened: an officer starts triage,
assesses it (the engine sets the deadline), signs a decision, notifies the Commissioner (on
time or late) and the people affected, sets actions that their owners complete, closes it. An
event whose moment has not come yet (after ``now``) is not played, nor anything after it: the
incident stays where its story has got to.

The records the product's rules are about are made by the services a page would call:
``assessment_create``, ``decision_record`` (a decision that differs from the recommendation
has its rationale; a delay its ground), ``notification_record`` (never dated in the future;
on time or late against the incident's deadline; the clock stops), ``action_create`` (due
after the day it is set) and ``action_set_status`` (by the action's owner). Status changes and
containment dates are cheaper to write here, and the demo must load in seconds: closing goes
through ``incident_transition`` (which asks what becomes of actions still open: done, or carried
over with a reason), and any other status change
is checked against the product's transition table and its preconditions
(``breaches/workflow/transitions.py``: no closing before the regulator was notified) and then
written as ``incident_transition`` writes it, with a history row saying who, when and why, but
without the service's row lock and scope re-check, which cost a few milliseconds per change.

Past events need past timestamps, and assessments, decisions, notifications and history rows
are append-only (a database trigger refuses any UPDATE), so they cannot be backdated afterwards.
:class:`SimulatedClock` therefore sets the time the services see while an event plays: it
replaces ``django.utils.timezone.now`` (which the services, simple-history and ``auto_now``
fields call) and the ``default=timezone.now`` of the models' fields. It is for this generator
only (a single-threaded command), never for a request.

Last, the quarterly report of the last complete quarter is made by the job beat runs at 06:00 on
the first day after a quarter ends, at that moment, so an executive finds it waiting.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, partial
from typing import Any
from unittest import mock

from django.apps import apps
from django.utils import timezone

from accounts.models import User
from bench.scenarios import Scenario
from breaches.models import (
    Action,
    AffectedIndividual,
    Answer,
    Assessment,
    Decision,
    Incident,
    IndividualNotice,
    Notification,
    RegulatorDecision,
)
from breaches.response.actions import (
    ClosingAnswer,
    ClosingOutcome,
    action_create,
    action_set_status,
)
from breaches.response.notices import (
    notice_mark_sent,
    notice_record_safety_check,
    notices_plan,
)
from breaches.response.notifications import notification_record
from breaches.triage.clock import clock_for
from breaches.triage.engine import parse_facts
from breaches.triage.services import assessment_create, decision_record, differs
from breaches.workflow.services import incident_transition
from breaches.workflow.transitions import transitions_from
from reporting.figures import Quarter

S = Incident.Status
Individuals = Decision.Individuals

# The share of notifications to the Commissioner made after the deadline.
LATE_SHARE = 0.15


class SimulatedClock:
    """The time the product's code sees while :meth:`running`: ``at``, not the real time."""

    def __init__(self) -> None:
        self.at = timezone.now()

    @property
    def at(self) -> datetime:
        return self._at

    @at.setter
    def at(self, moment: datetime) -> None:
        self._at = moment
        self._calls = 0

    def __call__(self) -> datetime:
        # A microsecond later at each call until the clock is set again: two things done "at
        # the same moment" (a status written here, then a save by a service) keep their order
        # in the history, whose rows are sorted by time.
        self._calls += 1
        return self._at + timedelta(microseconds=self._calls - 1)

    @contextmanager
    def running(self) -> Iterator[SimulatedClock]:
        real_now = timezone.now
        # Model fields declared with ``default=timezone.now`` hold the function itself.
        defaults = [
            f
            for model in apps.get_models()
            for f in model._meta.concrete_fields
            if f.default is real_now
        ]
        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(timezone, "now", self))
            for f in defaults:
                stack.enter_context(mock.patch.object(f, "_get_default", self))
            yield self


@dataclass
class Tally:
    actions: int = 0
    notifications: int = 0
    report: str = ""
    # History rows of the status and containment changes written here, inserted together.
    history: list[Any] = field(default_factory=list)
    # Whether the last complete quarter has a notification made late, and an action overdue
    # at its end, yet: the quarter the dashboard opens on shows what it flags.
    late_at_end: bool = False
    overdue_at_end: bool = False


REPORTER_ACTION = ("Confirm with the team what was sent and to whom", Action.Kind.REMEDIATION)
DELAY_GROUND = (
    "Privacy Act 2020 s116(1)(a): telling the people affected now could endanger a person's "
    "safety; they are told in person once a safety plan is in place."
)
REOPEN_REASON = "New information: a copy may have been kept."
CARRY_OVER_REASON = "Booked for next quarter's team training; the team leader follows it up."


@dataclass
class Plan:
    """What the generator drew for one incident: its scenario and how far its story goes."""

    scenario: Scenario
    target: str  # the status its story reaches, if its moments have all come by now
    contained_at: datetime | None = None
    recipient: str = "unknown"
    harm_types: list[str] = field(default_factory=list)


@cache
def _historical_incident() -> Any:
    """The incident's history model (``Incident.history`` makes a manager at every access)."""
    return Incident.history.model


@cache
def _historical_fields() -> list[str]:
    """The incident's columns its history keeps (not those that follow from the others: the
    sort ranks, the unit's name)."""
    kept = {f.attname for f in _historical_incident()._meta.concrete_fields}
    return [f.attname for f in Incident._meta.concrete_fields if f.attname in kept]


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def facts_for(incident: Incident, plan: Plan, assessed_at: datetime) -> dict[str, Any]:
    """The §4.1 facts as the officer knew them when assessing: the scenario's (so they agree
    with the summary), and contained only if containment had happened by then."""
    scenario = plan.scenario
    contained = plan.contained_at is not None and plan.contained_at <= assessed_at
    return {
        "jurisdiction": incident.effective_jurisdiction(),
        "kind": incident.kind,
        "breach_types": list(scenario.breach_types),
        "info_categories": list(scenario.categories),
        "individuals_affected": incident.individuals_affected or 1,
        "vulnerable_individuals": scenario.vulnerable,
        "recipient": plan.recipient,
        "security_measures": scenario.security,
        "key_compromised": False,
        "contained": "fully" if contained else "not",
        "harm_occurred": bool(plan.harm_types),
        "harm_types": plan.harm_types,
        "backup_available": None,
        "aware_at": timezone.localtime(incident.aware_at).isoformat(),
    }


# A story is a generator: it yields the moment of its next event, and when it is resumed (the
# clock now at that moment) it plays the event and yields the moment of the one after.
Story = Generator[datetime, datetime, datetime]


@dataclass
class IncidentStory:
    """One incident's past: :meth:`lifecycle` and :meth:`containment`, played by :func:`play`."""

    incident: Incident  # the row as it is now (kept in step with the database)
    plan: Plan
    cast: Cast
    rng: random.Random
    tally: Tally
    now: datetime  # the real now: the story stops there
    assessment: Assessment | None = None  # the latest, which a decision is made against
    individuals: str = ""  # the decision on telling the people affected

    def later(self, start: datetime, low_hours: float, high_hours: float) -> datetime:
        return start + timedelta(hours=self.rng.uniform(low_hours, high_hours))

    # --- writing the incident row -----------------------------------------------------------

    def _write(self, actor: User, reason: str, **changes: Any) -> None:
        """Change the incident's row now, with the history row a save would have written."""
        row = self.incident
        changes["updated_at"] = timezone.now()
        for name, value in changes.items():
            setattr(row, name, value)
        Incident.objects.filter(pk=row.pk).update(**changes)
        self.tally.history.append(
            _historical_incident()(
                **{name: getattr(row, name) for name in _historical_fields()},
                history_date=changes["updated_at"],
                history_type="~",
                history_user_id=actor.pk,
                history_change_reason=reason,
                request_id="demo-data",
            )
        )

    def _move(self, to: str, actor: User, reason: str = "") -> None:
        """A status change, if the product's transition table allows it (see the module's
        docstring); refused loudly otherwise, as the demo must never break the rules."""
        transition = {t.target: t for t in transitions_from(self.incident)}.get(to)
        if transition is None:
            raise ValueError(f"{self.incident.reference}: {self.incident.status} → {to}")
        blocked = transition.precondition(self.incident) if transition.precondition else None
        if to == S.CLOSED and self.incident.actions.filter(status=Action.Status.OPEN).exists():
            blocked = "closing with open actions is the workflow service's to settle"
        if blocked:
            raise ValueError(f"{self.incident.reference}: {blocked}")
        self._write(actor, reason or transition.label, status=to)

    # --- the story ----------------------------------------------------------------------------

    def containment(self) -> Story:
        """Contained after the report: the officer records when, as the page would."""
        contained_at = self.plan.contained_at
        if contained_at is not None and contained_at > self.incident.reported_at:
            yield self.later(contained_at, 0, 2)
            self._write(
                self.cast.handler(self.incident),
                "",
                contained_at=contained_at,
                containment_steps=self.plan.scenario.containment,
            )
        return self.incident.reported_at

    def lifecycle(self) -> Story:
        incident, plan, rng = self.incident, self.plan, self.rng
        officer = self.cast.handler(incident)
        if plan.target == S.REPORTED:
            return incident.reported_at
        t = yield self.later(incident.reported_at, 0.3, 4)
        self._move(S.TRIAGE, officer)
        if incident.kind == Incident.Kind.NEAR_MISS:
            return (yield from self._near_miss(t, officer))
        if plan.target == S.TRIAGE and rng.random() < 0.4:
            return t
        t = yield self.later(t, 0.5, 6)
        self._assess(officer)
        if plan.target == S.TRIAGE:
            return t
        t = yield self.later(t, 0.05, 0.5)
        self._move(S.ASSESSED, officer)
        if plan.target == S.ASSESSED:
            return t
        t = yield self.later(t, 0.2, 4)
        notify = self._decide(officer)
        if notify:
            t = yield self.later(t, 0.05, 0.5)
            self._move(S.NOTIFYING, officer)
        if plan.target == S.NOTIFYING:
            # Decided, not yet notified: the clock runs (or has run out). Decided not
            # notifiable: waiting to move on to remediation.
            return t
        if notify:
            t = yield from self._notify(t, officer)
        t = yield self.later(t, 1, 48)
        self._move(S.REMEDIATION, officer)
        if plan.target == S.REMEDIATION or rng.random() < 0.7:
            t = yield from self._actions(
                t,
                officer,
                self._action_titles(),
                finish=plan.target != S.REMEDIATION,
                leave_last=plan.target == S.CLOSED and rng.random() < 0.12,
            )
        if plan.target == S.REMEDIATION:
            return t
        if plan.contained_at is not None:
            t = max(t, plan.contained_at + timedelta(hours=3))
        t = yield self.later(t, 1, 72)
        for action in self._close(officer):
            # Carried over, and done in the end by its owner.
            t = yield self.later(t, 24 * 14, 24 * 90)
            action_set_status(action=action, actor=action.owner, status=Action.Status.DONE)
        if plan.target == S.REOPENED:
            t = yield self.later(t, 24 * 3, 24 * 40)
            self._move(S.REOPENED, officer, REOPEN_REASON)
            t = yield from self._actions(t, officer, self._action_titles()[-1:], finish=False)
        return t

    def _near_miss(self, t: datetime, officer: User) -> Story:
        target = self.plan.target
        if target == S.TRIAGE:
            return t
        if target == S.REMEDIATION or self.rng.random() < 0.25:
            t = yield self.later(t, 2, 72)
            self._move(S.REMEDIATION, officer)
            t = yield from self._actions(
                t, officer, self._action_titles()[:1], finish=target == S.CLOSED
            )
            if target == S.REMEDIATION:
                return t
        t = yield self.later(t, 1, 72)
        self._close(officer)
        return t

    def _assess(self, officer: User) -> None:
        facts = parse_facts(facts_for(self.incident, self.plan, timezone.now()))
        self.assessment = assessment_create(incident=self.incident, facts=facts, actor=officer)
        self.incident = self.assessment.incident  # the row as the service saved it

    def _decide(self, officer: User) -> bool:
        """The officer's decision on the stored assessment: mostly its recommendation, an
        uncertain one either way (with a rationale, as the service requires)."""
        assessment, rng = self.assessment, self.rng
        assert assessment is not None
        if assessment.notify_regulator == Answer.UNCERTAIN:
            notify = rng.random() < 0.5
        else:
            notify = (assessment.notify_regulator == Answer.YES) != (rng.random() < 0.05)
        regulator = RegulatorDecision.NOTIFY if notify else RegulatorDecision.DO_NOT_NOTIFY
        individuals = Individuals.NOTIFY if notify else Individuals.DO_NOT_NOTIFY
        ground = ""
        if notify and self.plan.recipient == "person_posing_risk" and rng.random() < 0.6:
            individuals, ground = Individuals.DELAY, DELAY_GROUND
        rationale = ""
        if differs(assessment, notify_regulator=regulator, notify_individuals=individuals):
            rationale = "Weighed the recipient, the containment and the people affected: " + (
                "serious harm is likely." if notify else "serious harm is not likely."
            )
        decision = decision_record(
            incident=self.incident,
            assessment=assessment,
            actor=officer,
            notify_regulator=regulator,
            notify_individuals=individuals,
            rationale=rationale,
            ground=ground,
        )
        self.incident, self.individuals = decision.incident, individuals
        return notify

    def _last_quarter(self) -> tuple[datetime, datetime]:
        """The last complete quarter: the one the dashboard opens on, and last report's."""
        return Quarter.containing(timezone.localdate(self.now)).previous().bounds()

    def _record(self, officer: User, **notice: Any) -> None:
        notification = notification_record(incident=self.incident, actor=officer, **notice)
        self.incident = notification.incident
        self.tally.notifications += 1

    def _notify(self, t: datetime, officer: User) -> Story:
        """The Commissioner told on time or late, by the product's clock for the incident
        (``breaches.triage.clock``), then the people affected as the decision says."""
        rng = self.rng
        clock = clock_for(self.incident)  # at the simulated now: the moment notifying began
        assert clock is not None
        # The quarter the dashboard opens on, and its report, show a late one.
        start, end = self._last_quarter()
        first_of_last_quarter = (
            not self.tally.late_at_end and start <= self.incident.reported_at < end
        )
        self.tally.late_at_end = self.tally.late_at_end or first_of_last_quarter
        if first_of_last_quarter or rng.random() < LATE_SHARE or clock.left < timedelta(hours=2):
            notified = max(clock.deadline, t) + timedelta(hours=rng.uniform(2, 60))
        else:
            notified = t + clock.left * rng.uniform(0.1, 0.9)
        t = yield self.later(notified, 0.1, 3)
        self._record(
            officer,
            recipient=Notification.Recipient.REGULATOR,
            method=Notification.Method.ONLINE_FORM,
            notified_at=notified,
            reference_number=f"OPC-{timezone.localtime(notified).year}-{rng.randint(1000, 9999)}",
        )
        people = self.incident.individuals_affected or 1
        if self.individuals == Individuals.DELAY:
            t = yield self.later(t, 0.1, 2)
            self._record(
                officer,
                recipient=Notification.Recipient.INDIVIDUALS,
                method=Notification.Method.NOT_NOTIFIED,
                reason=DELAY_GROUND,
            )
            planned = self._plan_notices(officer)
            told = self.later(t, 24 * 5, 24 * 15)
            t = yield self.later(told, 0.5, 6)
            self._record(
                officer,
                recipient=Notification.Recipient.INDIVIDUALS,
                method=Notification.Method.IN_PERSON,
                notified_at=told,
            )
            self._send_notices(planned, officer, IndividualNotice.Channel.IN_PERSON, told)
        elif self.individuals == Individuals.NOTIFY:
            told = self.later(notified, 2, 72)
            methods = [Notification.Method.LETTER, Notification.Method.PHONE]
            methods += [Notification.Method.EMAIL, Notification.Method.IN_PERSON]
            t = yield self.later(told, 0.1, 4)
            method = Notification.Method.LETTER if people >= 12 else rng.choice(methods)
            self._record(
                officer,
                recipient=Notification.Recipient.INDIVIDUALS,
                method=method,
                notified_at=told,
            )
            channel = IndividualNotice.Channel(method)  # the same names for these four
            self._send_notices(self._plan_notices(officer), officer, channel, told)
        return t

    # Notices to each person (no random draws: the rest of the story stays as it was).
    SAFETY_CHECK = "Checked with the social worker who else lives at the address and reads mail."
    SAFE_CHANNEL = "By phone to the person's own mobile, after confirming they were alone."

    def _plan_notices(self, officer: User) -> list[IndividualNotice]:
        """A notice for each affected person recorded (none recorded: none planned)."""
        if not AffectedIndividual.objects.filter(incident=self.incident).exists():
            return []
        return notices_plan(incident=self.incident, actor=officer)

    def _send_notices(
        self, notices: list[IndividualNotice], officer: User, channel: str, sent_at: datetime
    ) -> None:
        """Each sent when the people were told, after the safety check where it is needed."""
        for notice in notices:
            if notice.safety_check_required:
                notice = notice_record_safety_check(
                    notice=notice,
                    actor=officer,
                    safety_check=self.SAFETY_CHECK,
                    safe_channel=self.SAFE_CHANNEL,
                )
                channel = IndividualNotice.Channel.PHONE
            notice_mark_sent(notice=notice, actor=officer, channel=channel, sent_at=sent_at)

    def _action_titles(self) -> list[tuple[str, str]]:
        """One or two of the actions the scenario calls for: (title, kind)."""
        choices = [(title, kind) for kind, title in self.plan.scenario.actions]
        return self.rng.sample(choices, min(len(choices), 1 if self.rng.random() < 0.7 else 2))

    def _actions(
        self,
        t: datetime,
        officer: User,
        titles: list[tuple[str, str]],
        *,
        finish: bool,
        leave_last: bool = False,
    ) -> Story:
        """Set actions after ``t``, each due a few weeks after the day it is set. With
        ``finish``, their owners complete them all (some after the due date), but the last one
        if ``leave_last``; otherwise some stay open (and once due, overdue: fewer the older the
        incident). Returns when the last was set or completed."""
        rng, incident = self.rng, self.incident
        owners = self.cast.owners(incident)
        if incident.reporter_id in {u.pk for u in owners} and rng.random() < 0.15:
            titles = [*titles, REPORTER_ACTION]
        events: list[tuple[datetime, Callable[[], None]]] = []
        for n, (title, kind) in enumerate(titles, start=1):
            created = self.later(t, 0.5, 48)
            day = timezone.localtime(created).date()
            due = day + timedelta(days=rng.randint(7, 42))
            owner = (
                incident.reporter
                if (title, kind) == REPORTER_ACTION
                else rng.choice([u for u in owners if u.pk != incident.reporter_id])
            )
            holder: dict[str, Action] = {}
            events.append(
                (created, partial(self._create_action, holder, officer, title, kind, owner, due))
            )
            age = self.now - created
            if finish:
                done_share = 0.0 if leave_last and n == len(titles) else 1.0
            else:
                # Recent ones are in hand; older ones were mostly done (some late), and none
                # has been left open for more than about eight months.
                done_share = 0.4 if age < timedelta(days=60) else 0.7
                if age > timedelta(days=240):
                    done_share = 1.0
            if rng.random() < done_share:
                lateness = 1.6 if finish else 2.5
                done = created + timedelta(days=(due - day).days * rng.uniform(0.2, lateness))
                start, end = self._last_quarter()
                if not self.tally.overdue_at_end and start <= created < end and due < _day(end):
                    # The quarter the dashboard opens on, and its report, show one overdue.
                    self.tally.overdue_at_end = True
                    done = max(done, end + timedelta(days=rng.uniform(1, 20)))
                events.append((done, partial(self._complete_action, holder, owner)))
        for when, event in sorted(events, key=lambda e: e[0]):
            t = yield when
            event()
        return t

    def _create_action(
        self,
        holder: dict[str, Action],
        officer: User,
        title: str,
        kind: str,
        owner: User,
        due: date,
    ) -> None:
        holder["action"] = action_create(
            incident=self.incident, actor=officer, title=title, owner=owner, due_date=due, kind=kind
        )
        self.tally.actions += 1

    def _complete_action(self, holder: dict[str, Action], owner: User) -> None:
        action_set_status(action=holder["action"], actor=owner, status=Action.Status.DONE)

    def _close(self, officer: User) -> list[Action]:
        """Close the incident. With actions still open, through the workflow service, which
        asks what becomes of each: the officer marks it done or carries it over, with a
        reason. Returns the actions carried over."""
        still_open = list(self.incident.actions.filter(status=Action.Status.OPEN))
        if not still_open:
            self._move(S.CLOSED, officer)
            return []
        outcome = self.rng.choice([ClosingOutcome.DONE, ClosingOutcome.CARRIED_OVER])
        reason = CARRY_OVER_REASON if outcome == ClosingOutcome.CARRIED_OVER else ""
        self.incident = incident_transition(
            incident=self.incident,
            to=S.CLOSED,
            actor=officer,
            actions=[ClosingAnswer(a.pk, outcome, reason) for a in still_open],
        )
        return still_open if outcome == ClosingOutcome.CARRIED_OVER else []


@dataclass
class Cast:
    """Who handles each incident and who may own its actions (people who can see it)."""

    users: dict[str, User]

    def handler(self, incident: Incident) -> User:
        if incident.is_restricted:
            return self.users["cpo"]
        region = incident.business_unit.path.strip("/").split("/")[1]
        officers = {"northern": self.users["officer"], "central": self.users["officer2"]}
        return officers.get(region, self.users["cpo"])

    def owners(self, incident: Incident) -> list[User]:
        """The incident's officer, the CPO and (unless it is restricted) its reporter."""
        people = [self.handler(incident), self.users["cpo"]]
        if not incident.is_restricted:
            people.append(incident.reporter)
        return list({u.pk: u for u in people}.values())


def play(
    incidents: list[tuple[Incident, Plan]],
    users: dict[str, User],
    *,
    now: datetime,
    rng: random.Random,
) -> Tally:
    """Play every incident's story up to ``now``, then make last quarter's report."""
    tally = Tally()
    cast = Cast(users)
    clock = SimulatedClock()
    with clock.running():
        for incident, plan in incidents:
            story = IncidentStory(incident, plan, cast, rng, tally, now)
            _run([story.lifecycle(), story.containment()], clock, now)
        _historical_incident().objects.bulk_create(tally.history, batch_size=500)
        tally.report = _last_quarter_report(clock, now)
    return tally


def _run(stories: list[Story], clock: SimulatedClock, now: datetime) -> None:
    """Play the stories' events in time order, each with the clock at its moment, until the
    next one would be after ``now``: the rest has not happened yet."""
    waiting: list[tuple[datetime, int, Story]] = []
    for n, story in enumerate(stories):
        with suppress(StopIteration):
            heapq.heappush(waiting, (next(story), n, story))
    while waiting:
        when, n, story = heapq.heappop(waiting)
        if when > now:
            continue
        clock.at = when
        with suppress(StopIteration):
            heapq.heappush(waiting, (story.send(when), n, story))


def _last_quarter_report(clock: SimulatedClock, now: datetime) -> str:
    """The report beat makes at 06:00 on the first day after the quarter ends, made then."""
    from reporting import jobs, tasks

    start, _ = Quarter.containing(timezone.localdate(now)).bounds()
    clock.at = min(start + timedelta(hours=6), now)
    report_id = tasks.request_previous_quarter_report()
    # Celery runs it in-process under ``make run`` once the transaction commits; inside a
    # caller's transaction it has not run yet, so it is done here (claiming makes it once).
    jobs.generate(report_id)
    return Quarter.containing(timezone.localdate(clock.at)).previous().label
