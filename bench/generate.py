"""Realistic synthetic data: the demo for ``make run`` and the volume for benchmarks.

``generate(incidents=320)`` makes the demo: each incident is drawn from a scenario whose summary,
description and facts agree (``bench/scenarios.py``), written as its reporter left it, and then
its story is played through the product's own services up to now (``bench/story.py``): triage,
decisions, notifications, actions, closing, and last quarter's report.
``generate(incidents=100_000, with_history=False)`` fills a benchmark database in bulk.
Everything is deterministic for a given ``seed`` and ``now``. No real person's details appear:
references are made up, summaries are generic.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import organisation
from accounts.models import BusinessUnit, User
from bench.scenarios import BREACHES, NEAR_MISSES, NOTICED, Scenario
from bench.story import Cast, Plan, facts_for, play
from breaches.models import (
    AffectedIndividual,
    Assessment,
    Decision,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    ReferenceCounter,
)
from reporting.cache import figures_changed
from reporting.figures import Quarter

# national office → regions → sites
REGIONS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "northern": (
        "Northern Region",
        [
            ("akl-central", "Auckland Central"),
            ("manukau", "Manukau"),
            ("whangarei", "Whangārei"),
            ("waitakere", "Waitākere"),
        ],
    ),
    "midland": (
        "Midland Region",
        [("hamilton", "Hamilton"), ("tauranga", "Tauranga"), ("rotorua", "Rotorua")],
    ),
    "central": (
        "Central Region",
        [
            ("wellington", "Wellington"),
            ("palmerston-north", "Palmerston North"),
            ("napier", "Napier"),
        ],
    ),
    "southern": (
        "Southern Region",
        [
            ("christchurch", "Christchurch"),
            ("dunedin", "Dunedin"),
            ("invercargill", "Invercargill"),
        ],
    ),
}

DEMO_ACCOUNTS = [
    # username, role, unit code, assigned unit codes, display name
    ("reporter", User.Role.REPORTER, "akl-central", [], ("Aroha", "Ngata")),
    ("reporter2", User.Role.REPORTER, "wellington", [], ("Ben", "Taylor")),
    ("officer", User.Role.PRIVACY_OFFICER, "northern", ["northern"], ("Olivia", "Chen")),
    ("officer2", User.Role.PRIVACY_OFFICER, "central", ["central"], ("Oscar", "Wiremu")),
    ("cpo", User.Role.CHIEF_PRIVACY_OFFICER, "national", [], ("Catherine", "Park")),
    ("executive", User.Role.EXECUTIVE, "national", [], ("Eru", "Hohaia")),
    ("admin", User.Role.ADMINISTRATOR, "national", [], ("Amelia", "Singh")),
]

BREACH_STATUSES = [
    Incident.Status.REPORTED,
    Incident.Status.TRIAGE,
    Incident.Status.ASSESSED,
    Incident.Status.NOTIFYING,
    Incident.Status.REMEDIATION,
    Incident.Status.CLOSED,
    Incident.Status.REOPENED,
]
NEAR_MISS_STATUSES = [
    Incident.Status.REPORTED,
    Incident.Status.TRIAGE,
    Incident.Status.REMEDIATION,
    Incident.Status.CLOSED,
]


# Eight complete quarters and the current one.
QUARTERS = 9
HOT_INCIDENTS = 8
# Where the "hot" breaches of the last three days have got to: their clocks run (or ran out).
HOT_STATUSES = [
    Incident.Status.REPORTED,
    Incident.Status.TRIAGE,
    Incident.Status.ASSESSED,
    Incident.Status.NOTIFYING,
]
LATE_STAGES = {Incident.Status.REMEDIATION, Incident.Status.CLOSED, Incident.Status.REOPENED}
NORTHERN_HOT = ["akl-central", "manukau", "whangarei"]


@dataclass
class Generated:
    units: dict[str, BusinessUnit]
    users: dict[str, User]
    incidents: int
    by_kind: Counter[str] = field(default_factory=Counter)
    actions: int = 0
    notifications: int = 0
    report: str = ""  # the quarter whose report was made ("2026 Q3"), if one was


def build_units() -> dict[str, BusinessUnit]:
    """The unit tree, created if missing; returns units by code."""
    units: dict[str, BusinessUnit] = {}
    national, _ = BusinessUnit.objects.get_or_create(
        code="national", defaults={"name": "National Office"}
    )
    units["national"] = national
    for code, (name, sites) in REGIONS.items():
        region, _ = BusinessUnit.objects.get_or_create(
            code=code, defaults={"name": name, "parent": national}
        )
        units[code] = region
        for site_code, site_name in sites:
            units[site_code], _ = BusinessUnit.objects.get_or_create(
                code=site_code, defaults={"name": site_name, "parent": region}
            )
    return units


def build_users(units: dict[str, BusinessUnit], password: str) -> dict[str, User]:
    """The seven demo accounts (one password for all) plus two staff members per site."""
    hashed = make_password(password)
    users: dict[str, User] = {}
    for username, role, unit_code, assigned, (first, last) in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "business_unit": units[unit_code],
                "first_name": first,
                "last_name": last,
                "email": f"{username}@agency.example",
                "is_staff": role == User.Role.ADMINISTRATOR,
                "is_superuser": role == User.Role.ADMINISTRATOR,
                "password": hashed,
            },
        )
        if created and assigned:
            user.assigned_units.set([units[c] for c in assigned])
        users[username] = user
    site_codes = [c for _, (_, sites) in REGIONS.items() for c, _ in sites]
    staff = [
        User(
            username=f"staff.{code}.{n}",
            role=User.Role.REPORTER,
            business_unit=units[code],
            first_name="Staff",
            last_name=f"{units[code].name} {n}",
            email=f"staff.{code}.{n}@agency.example",
            password="!",  # unusable: these accounts exist only as reporters of demo data
        )
        for code in site_codes
        for n in (1, 2)
    ]
    User.objects.bulk_create(staff, ignore_conflicts=True)
    for user in User.objects.filter(username__startswith="staff."):
        users[user.username] = user
    return users


def generate(
    *,
    incidents: int = 320,
    seed: int = 20261125,
    now: datetime | None = None,
    password: str = "demo",
    with_history: bool = True,
    batch_size: int = 2000,
) -> Generated:
    """``_generate`` (below), reading the organisation's settings once for the whole run rather
    than once a save (hundreds of thousands of queries at the benchmark's volume)."""
    with organisation.held():
        return _generate(
            incidents=incidents,
            seed=seed,
            now=now,
            password=password,
            with_history=with_history,
            batch_size=batch_size,
        )


def _generate(
    *,
    incidents: int = 320,
    seed: int = 20261125,
    now: datetime | None = None,
    password: str = "demo",
    with_history: bool = True,
    batch_size: int = 2000,
) -> Generated:
    """Create units, users and ``incidents`` incidents over the last eight complete quarters and
    the current one (so the last complete quarter's eight-quarter trend is full).

    With ``with_history`` (the demo), each incident is written as its reporter left it and its
    story is then played through the product's own services up to ``now`` (``bench/story.py``):
    triage, decisions, notifications, actions, closing; last quarter's report is made as beat
    would have made it. Without it (benchmark volume), incidents are written in bulk in their
    final state with their assessments and decisions, and nothing else.
    """
    rng = random.Random(seed)
    # Its own sequence, so that adding what the reporting-culture figures read left every other
    # draw (and so the demo's figures) as it was.
    culture = random.Random(seed + 1)
    now = now or timezone.now()
    with transaction.atomic():
        units = build_units()
        users = build_users(units, password)
    sites = [u for u in units.values() if u.depth == 2]
    staff_by_unit: dict[int, list[User]] = {}
    for user in users.values():
        if user.username.startswith("staff."):
            staff_by_unit.setdefault(user.business_unit_id, []).append(user)
    start, _ = Quarter.containing(timezone.localdate(now)).last(QUARTERS)[0].bounds()
    span = (now - start).total_seconds()
    # The first incidents take every scenario once (every cause and every channel appears);
    # the breaches come first, so the "hot" incidents among them are breaches.
    breaches = [(cause, s) for cause, scenarios in BREACHES.items() for s in scenarios]
    rng.shuffle(breaches)
    every_scenario = [(Incident.Kind.BREACH, c, s) for c, s in breaches] + [
        (Incident.Kind.NEAR_MISS, c, s) for c, s in NEAR_MISSES
    ]

    year_counts: Counter[int] = Counter({c.year: c.last for c in ReferenceCounter.objects.all()})
    result = Generated(units=units, users=users, incidents=0)
    stories: list[tuple[Incident, Plan]] = []
    for batch_start in range(0, incidents, batch_size):
        count = min(batch_size, incidents - batch_start)
        drawn: list[tuple[Incident, Plan, dict[str, Any]]] = []
        for i in range(batch_start, batch_start + count):
            if i < len(every_scenario):
                kind, cause, scenario = every_scenario[i]
            else:
                kind = Incident.Kind.NEAR_MISS if rng.random() < 0.42 else Incident.Kind.BREACH
                if kind == Incident.Kind.BREACH:
                    cause = rng.choice(list(BREACHES))
                    scenario = rng.choice(BREACHES[cause])
                else:
                    cause, scenario = rng.choice(NEAR_MISSES)
            hot = i < HOT_INCIDENTS
            if hot:
                # A few breaches of the last three days, so the demo has clocks running
                # (and one or two already missed).
                reported_at = now - timedelta(hours=rng.uniform(2, 80))
                aware_at = reported_at - timedelta(hours=rng.uniform(0, 6))
                reporter = rng.choice(staff_by_unit[units[rng.choice(NORTHERN_HOT)].pk])
            else:
                reported_at = start + timedelta(seconds=rng.random() * span)
                aware_at = reported_at - timedelta(hours=rng.uniform(0, 48))
                # The named demo reporters report a steady share, so their pages are lively.
                if i % 23 == 0:
                    reporter = users["reporter"]
                elif i % 29 == 0:
                    reporter = users["reporter2"]
                else:
                    reporter = rng.choice(staff_by_unit[rng.choice(sites).pk])
            incident, plan, extra = _draw(
                rng, kind, cause, scenario, reported_at, aware_at, reporter, hot=hot, now=now
            )
            _reporting_culture(incident, cause, culture)
            drawn.append((incident, plan, extra))
            result.by_kind[kind] += 1
        # References in the order the reports came in.
        drawn.sort(key=lambda d: d[0].reported_at)
        triaged: list[Triaged] = []
        for incident, plan, _extra in drawn:
            year = timezone.localtime(incident.reported_at).year
            year_counts[year] += 1
            incident.reference = f"PBR-{year}-{year_counts[year]:05d}"
            if not with_history:
                _final_state(incident, plan, now)
        if not with_history:
            # Triaged before the rows are written, so each is inserted once in its final state
            # (no UPDATE of 100,000 rows afterwards).
            triaged = _triage([d[0] for d in drawn], [d[1] for d in drawn], users, now, rng)
        for incident, _plan, _extra in drawn:
            incident.unit_name = incident.business_unit.name  # as Incident.save() would
        with transaction.atomic():
            created = Incident.objects.bulk_create([d[0] for d in drawn], batch_size=batch_size)
            # Created and last updated when reported, not when the demo was loaded.
            Incident.objects.filter(pk__in=[i.pk for i in created]).update(
                created_at=F("reported_at"), updated_at=F("reported_at")
            )
            for incident in created:
                incident.created_at = incident.updated_at = incident.reported_at
            plans = [d[1] for d in drawn]
            _create_children(created, [d[2] for d in drawn], users)
            if with_history:
                _create_history(created)
            else:
                _create_triage(triaged)
        stories += zip(created, plans, strict=True)
        result.incidents += len(created)

    for year, last in year_counts.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
    if with_history:
        tally = play(stories, users, now=now, rng=rng)
        result.actions, result.notifications, result.report = (
            tally.actions,
            tally.notifications,
            tally.report,
        )
    # Written in bulk, past the signals that tell the dashboard's cache its figures changed.
    figures_changed()
    return result


def _draw(
    rng: random.Random,
    kind: str,
    cause: str,
    scenario: Scenario,
    reported_at: datetime,
    aware_at: datetime,
    reporter: User,
    *,
    hot: bool,
    now: datetime,
) -> tuple[Incident, Plan, dict[str, Any]]:
    """One incident as its reporter wrote it, and how far its story will go."""
    occurred_known = rng.random()
    if occurred_known < 0.6:
        occurred_at, precision = aware_at - timedelta(hours=rng.uniform(0, 72)), "exact"
    elif occurred_known < 0.85:
        occurred_at, precision = aware_at - timedelta(days=rng.uniform(1, 20)), "approximate"
    else:
        occurred_at, precision = None, "unknown"
    statuses = NEAR_MISS_STATUSES if kind == Incident.Kind.NEAR_MISS else BREACH_STATUSES
    late_stage = [s for s in statuses if s in LATE_STAGES]
    age_days = (now - reported_at).days
    if hot:
        target = rng.choice(HOT_STATUSES)
    elif age_days > 60:
        # Old incidents are closed, or still being remediated (never still in triage).
        target = Incident.Status.CLOSED if rng.random() < 0.85 else rng.choice(late_stage)
    elif age_days > 7:
        # Past triage within a week: officers do not leave a breach's clock run out.
        target = rng.choice(late_stage)
    else:
        target = rng.choice(statuses)
    contained_at = None
    if kind == Incident.Kind.BREACH and (
        target in {Incident.Status.CLOSED, Incident.Status.REOPENED} or rng.random() < 0.75
    ):
        contained_at = aware_at + timedelta(hours=rng.uniform(1, 96))
    harm: list[str] = []
    if scenario.harm_types and rng.random() < 0.15:
        harm = rng.sample(list(scenario.harm_types), rng.randint(1, len(scenario.harm_types)))
    plan = Plan(
        scenario=scenario,
        target=target,
        contained_at=contained_at,
        recipient=rng.choice(scenario.recipients),
        harm_types=harm,
    )
    people = rng.choice(scenario.people)
    # Known when it was reported: containment that came before the report.
    contained_before = contained_at is not None and contained_at <= reported_at
    incident = Incident(
        kind=kind,
        status=Incident.Status.REPORTED,
        occurred_at=occurred_at,
        occurred_precision=precision,
        aware_at=aware_at,
        reported_at=reported_at,
        summary=scenario.summary,
        description=scenario.description(rng.choice(NOTICED)),
        channel=scenario.channel,
        cause_category=cause,
        cause_detail=scenario.cause_detail if rng.random() < 0.6 else "",
        individuals_affected=people,
        individuals_affected_is_estimate=people >= 12 and rng.random() < 0.5,
        containment_steps=scenario.containment if contained_before else "",
        contained_at=contained_at if contained_before else None,
        business_unit=reporter.business_unit,
        reporter=reporter,
        # A report of a colleague's deliberate misuse is restricted on arrival (SPEC §3).
        is_restricted=not hot
        and rng.random() < (1.0 if cause == Incident.Cause.DELIBERATE_MISUSE else 0.02),
        officers_notified_at=reported_at,
    )
    # The clock starts at awareness, before anyone has assessed the report (as at intake).
    incident.regulator_deadline = incident.provisional_deadline()
    roles = scenario.roles
    extra = {
        "breach_types": list(scenario.breach_types),
        "categories": list(scenario.categories),
        "affected": [
            (f"C-{rng.randint(100000, 999999)}", roles[n % len(roles)])
            for n in range(min(people, rng.choice([0, 1, 1, 2])))
        ],
    }
    return incident, plan, extra


# How incidents come to light, in the demo: mostly people owning up or noticing (the register
# wants those), some clients, audits and alerts, and some reports that do not say.
DISCOVERY = [
    (Incident.Discovery.SELF_REPORTED, 30),
    (Incident.Discovery.COLLEAGUE, 20),
    (Incident.Discovery.CLIENT_OR_PUBLIC, 20),
    (Incident.Discovery.AUDIT, 10),
    (Incident.Discovery.SYSTEM_ALERT, 8),
    ("", 12),
]
# The share of reports made confidentially (only the CPO sees who reported them).
CONFIDENTIAL_SHARE = 0.08


def _reporting_culture(incident: Incident, cause: str, rng: random.Random) -> None:
    """How it came to light, whether it was reported confidentially, whether it is about a
    colleague's conduct (restricted on arrival)."""
    values, weights = zip(*DISCOVERY, strict=True)
    incident.discovered_by = rng.choices(values, weights)[0]
    if rng.random() < CONFIDENTIAL_SHARE:
        incident.reporting = Incident.Reporting.CONFIDENTIAL
    incident.about_colleague = cause == Incident.Cause.DELIBERATE_MISUSE and incident.is_restricted


def _final_state(incident: Incident, plan: Plan, now: datetime) -> None:
    """Benchmark volume: the incident as its story would leave it, without playing it."""
    incident.status = plan.target
    if plan.contained_at is not None and plan.contained_at <= now:
        incident.contained_at = plan.contained_at
        incident.containment_steps = plan.scenario.containment


def _create_children(
    created: list[Incident], extras: list[dict[str, Any]], users: dict[str, User]
) -> None:
    breach_types, categories, affected, restrictions = [], [], [], []
    through = Incident.restricted_to.through
    for incident, extra in zip(created, extras, strict=True):
        breach_types += [
            IncidentBreachType(incident=incident, breach_type=t) for t in extra["breach_types"]
        ]
        categories += [
            IncidentInformationCategory(incident=incident, category=c) for c in extra["categories"]
        ]
        affected += [
            AffectedIndividual(incident=incident, reference=ref, role=role)
            for ref, role in extra["affected"]
        ]
        if incident.is_restricted:
            # Restricted to the CPO and, for half of them, the officer of Northern Region.
            named = [users["cpo"]]
            if incident.pk % 2 == 0:
                named.append(users["officer"])
            restrictions += [through(incident_id=incident.pk, user_id=u.pk) for u in named]
    IncidentBreachType.objects.bulk_create(breach_types)
    IncidentInformationCategory.objects.bulk_create(categories)
    AffectedIndividual.objects.bulk_create(affected)
    through.objects.bulk_create(restrictions)


def _create_history(created: list[Incident]) -> None:
    """The first history row of each incident: reported, by its reporter, when it was."""
    historical = Incident.history.model
    # The history's own columns (it leaves out what follows from the others: the sort ranks).
    kept = {f.attname for f in historical._meta.concrete_fields}
    fields = [f.attname for f in Incident._meta.concrete_fields if f.attname in kept]
    historical.objects.bulk_create(
        [
            historical(
                **{name: getattr(incident, name) for name in fields},
                history_date=incident.reported_at,
                history_type="+",
                history_user_id=incident.reporter_id,
                request_id="demo-data",
            )
            for incident in created
        ]
    )


@dataclass
class Triaged:
    """Benchmark volume: an incident's assessment (not yet saved) and when it was decided."""

    assessment: Assessment
    decided_at: datetime | None  # None: assessed, not yet decided


def _triage(
    incidents: list[Incident],
    plans: list[Plan],
    users: dict[str, User],
    now: datetime,
    rng: random.Random,
) -> list[Triaged]:
    """Benchmark volume: the assessment and decision of each incident past "reported", set on
    the (unsaved) incident and returned for :func:`_create_triage` to write once it has its id.

    The engine decides from the scenario's facts (``facts_for``, as the demo's story does);
    later-stage notifiable breaches were notified (most on time, some late).
    """
    from breaches.triage.engine import parse_facts
    from breaches.triage.services import run_engine

    cast = Cast(users)
    triaged: list[Triaged] = []
    for incident, plan in zip(incidents, plans, strict=True):
        if incident.status == Incident.Status.REPORTED:
            continue
        assessed_at = min(incident.reported_at + timedelta(hours=rng.uniform(1, 20)), now)
        facts = parse_facts(facts_for(incident, plan, assessed_at))
        result = run_engine(facts)
        assessment = Assessment(
            incident=incident,
            facts=facts.to_dict(),
            result=result.to_dict(),
            rule_set=result.rule_set,
            jurisdiction=result.jurisdiction,
            severity=result.severity,
            notify_regulator=result.notify_regulator,
            notify_individuals=result.notify_individuals,
            regulator_deadline=result.regulator_deadline,
            created_by=cast.handler(incident),
            created_at=assessed_at,
        )
        incident.severity = result.severity
        incident.regulator_deadline = result.regulator_deadline
        incident.jurisdiction = result.jurisdiction
        decided_at = None
        if incident.status not in {Incident.Status.TRIAGE, Incident.Status.ASSESSED}:
            decided_at = min(assessed_at + timedelta(hours=2), now)
            notify = "yes" if result.notify_regulator == "yes" else "no"
            incident.decision_notify_regulator = notify
            if notify == "yes" and incident.kind == Incident.Kind.BREACH:
                late = rng.random() < 0.15
                hours = rng.uniform(74, 120) if late else rng.uniform(6, 70)
                incident.regulator_notified_at = min(
                    incident.aware_at + timedelta(hours=hours), now
                )
        triaged.append(Triaged(assessment, decided_at))
    return triaged


def _create_triage(triaged: list[Triaged]) -> None:
    """Benchmark volume: write the assessments and decisions :func:`_triage` made, in bulk (the
    incidents now have their ids)."""
    decisions: list[Decision] = []
    for t in triaged:
        assessment, incident = t.assessment, t.assessment.incident
        # The incident was saved after the assessment was made: take its id now.
        assessment.incident_id = incident.pk
        if t.decided_at is None:
            continue
        decision = incident.decision_notify_regulator
        decisions.append(
            Decision(
                incident=incident,
                assessment=assessment,
                notify_regulator=decision,
                notify_individuals=decision,
                rationale=""
                if assessment.notify_regulator == decision
                else "Weighed the recipient and the containment: decided as recorded.",
                differs_from_recommendation=assessment.notify_regulator != decision,
                decided_by=assessment.created_by,
                decided_at=t.decided_at,
            )
        )
    Assessment.objects.bulk_create([t.assessment for t in triaged], batch_size=1000)
    Decision.objects.bulk_create(decisions, batch_size=1000)


def anonymous_demo_report(users: dict[str, User], *, now: datetime | None = None) -> str:
    """An anonymous near miss reported this morning, a question from its officer and the
    reporter's answer through the follow-up code, which is returned (the demo prints it, so
    the follow-up page can be tried at /follow-up/)."""
    import uuid

    from breaches.intake.anonymous import anonymous_answer_add, anonymous_report_create
    from breaches.intake.services import comment_add
    from breaches.models import Comment

    now = now or timezone.now()
    receipt = anonymous_report_create(
        kind=Incident.Kind.NEAR_MISS,
        summary="A letter about a child in care was nearly posted to the wrong address",
        aware_at=now - timedelta(hours=3),
        channel=Incident.Channel.POST,
        business_unit=users["reporter"].business_unit,
        submission_token=uuid.uuid4(),
        description=(
            "Two letters were stuck together in the franking machine; I noticed before the bag "
            "went out. I am reporting anonymously because I was the one who stuffed them."
        ),
        breach_types=["unauthorised_disclosure"],
        information_categories=["care_protection", "children"],
        individuals_affected=1,
        discovered_by=Incident.Discovery.SELF_REPORTED,
    )
    assert receipt.code is not None
    comment_add(
        incident=receipt.incident,
        author=users["officer"],
        body="Thank you for telling us. Was the window envelope the kind that shows two lines?",
        visibility=Comment.Visibility.SHARED,
    )
    anonymous_answer_add(
        follow_up=receipt.incident.anonymous_follow_up,
        body="Yes, the old window envelopes: the second letter's address showed through.",
    )
    figures_changed()
    return receipt.code
