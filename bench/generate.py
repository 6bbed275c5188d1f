"""Realistic synthetic data: the demo for ``make run`` and the volume for benchmarks.

``generate(incidents=320)`` makes the demo; ``generate(incidents=100_000, with_history=False)``
fills a benchmark database. Everything is deterministic for a given ``seed`` and ``now``.
No real person's details appear: references are made up, summaries are generic.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import BusinessUnit, User
from breaches.models import (
    AffectedIndividual,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    ReferenceCounter,
)
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

SUMMARIES: dict[str, list[str]] = {
    Incident.Cause.WRONG_RECIPIENT: [
        "Case summary emailed to the wrong caregiver",
        "Assessment report sent to a similarly named whānau member",
        "Meeting minutes sent to an external provider by mistake",
    ],
    Incident.Cause.MISADDRESSED: [
        "Letter about a family group conference posted to an old address",
        "Court report posted to the wrong lawyer",
        "Email autocomplete chose the wrong agency contact",
    ],
    Incident.Cause.PAPERS_UNSECURED: [
        "Case file left on a printer in the open-plan office",
        "Paper notes left in a shared meeting room overnight",
        "Unlocked filing cabinet found in a public corridor",
    ],
    Incident.Cause.DELIBERATE_MISUSE: [
        "Staff member screenshotted a client record and shared it",
        "Client file browsed without a work reason",
        "Record looked up for a personal matter",
    ],
    Incident.Cause.SYSTEM_FAULT: [
        "Portal showed another family's documents after an update",
        "Batch letters merged with the wrong addresses",
        "Access rights not removed after a staff transfer",
    ],
    Incident.Cause.MALICIOUS_THIRD_PARTY: [
        "Phishing email captured a staff login",
        "Laptop stolen from a parked car",
        "Caller impersonated a parent to obtain a placement address",
    ],
    Incident.Cause.OTHER: [
        "Conversation about a case overheard in a café",
        "Whiteboard with client names visible through a window",
    ],
}

NEAR_MISS_SUMMARIES = [
    "Wrong recipient noticed before the email was sent",
    "Letter caught in the outgoing mail tray with the wrong address",
    "Unattended file found and secured before anyone read it",
    "Access request to a restricted record blocked and reported",
    "Misaddressed fax stopped by the sender before transmission",
]

CAUSE_CHANNELS: dict[str, list[str]] = {
    Incident.Cause.WRONG_RECIPIENT: [Incident.Channel.EMAIL, Incident.Channel.POST],
    Incident.Cause.MISADDRESSED: [Incident.Channel.POST, Incident.Channel.EMAIL],
    Incident.Cause.PAPERS_UNSECURED: [Incident.Channel.PAPER],
    Incident.Cause.DELIBERATE_MISUSE: [
        Incident.Channel.SCREENSHOT_PHOTO,
        Incident.Channel.SYSTEM_ACCESS,
        Incident.Channel.VERBAL,
    ],
    Incident.Cause.SYSTEM_FAULT: [Incident.Channel.SYSTEM_ACCESS, Incident.Channel.POST],
    Incident.Cause.MALICIOUS_THIRD_PARTY: [
        Incident.Channel.LOST_DEVICE,
        Incident.Channel.EMAIL,
        Incident.Channel.VERBAL,
    ],
    Incident.Cause.OTHER: [Incident.Channel.VERBAL, Incident.Channel.OTHER],
}

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


HOT_INCIDENTS = 8
LATE_STAGES = {Incident.Status.REMEDIATION, Incident.Status.CLOSED, Incident.Status.REOPENED}
NORTHERN_HOT = ["akl-central", "manukau", "whangarei"]
RECIPIENT_WEIGHTS = [
    ("trusted_external", 5),
    ("trusted_internal", 3),
    ("unknown", 4),
    ("none", 3),
    ("public", 1),
    ("malicious", 1),
    ("person_posing_risk", 1),
]


@dataclass
class Generated:
    units: dict[str, BusinessUnit]
    users: dict[str, User]
    incidents: int
    by_kind: Counter[str] = field(default_factory=Counter)


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
    """Create units, users and ``incidents`` incidents over the last eight quarters."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        units = build_units()
        users = build_users(units, password)
    sites = [u for u in units.values() if u.depth == 2]
    staff_by_unit: dict[int, list[User]] = {}
    for user in users.values():
        if user.username.startswith("staff."):
            staff_by_unit.setdefault(user.business_unit_id, []).append(user)
    start, _ = Quarter.containing(timezone.localdate(now)).last(8)[0].bounds()
    span = (now - start).total_seconds()
    officers = [users["officer"], users["officer2"], users["cpo"]]
    causes = list(SUMMARIES)
    channels = list(Incident.Channel)

    year_counts: Counter[int] = Counter({c.year: c.last for c in ReferenceCounter.objects.all()})
    result = Generated(units=units, users=users, incidents=0)
    for batch_start in range(0, incidents, batch_size):
        count = min(batch_size, incidents - batch_start)
        rows: list[Incident] = []
        extras: list[dict[str, Any]] = []
        for i in range(batch_start, batch_start + count):
            kind = Incident.Kind.NEAR_MISS if rng.random() < 0.42 else Incident.Kind.BREACH
            # Cover every channel and every cause in the first incidents, then vary freely.
            cause = causes[i % len(causes)] if i < 40 else rng.choice(causes)
            channel = channels[i % len(channels)] if i < 40 else rng.choice(CAUSE_CHANNELS[cause])
            reported_at = start + timedelta(seconds=rng.random() * span)
            aware_at = reported_at - timedelta(hours=rng.uniform(0, 48))
            hot = i < HOT_INCIDENTS
            if hot:
                # A few breaches of the last three days, so the demo has clocks running
                # (and one or two already missed).
                kind = Incident.Kind.BREACH
                reported_at = now - timedelta(hours=rng.uniform(2, 80))
                aware_at = reported_at - timedelta(hours=rng.uniform(0, 6))
            occurred_known = rng.random()
            if occurred_known < 0.6:
                occurred_at, precision = aware_at - timedelta(hours=rng.uniform(0, 72)), "exact"
            elif occurred_known < 0.85:
                occurred_at, precision = (
                    aware_at - timedelta(days=rng.uniform(1, 20)),
                    "approximate",
                )
            else:
                occurred_at, precision = None, "unknown"
            age_days = (now - reported_at).days
            if hot:
                age_days = 0
            statuses = NEAR_MISS_STATUSES if kind == Incident.Kind.NEAR_MISS else BREACH_STATUSES
            if hot:
                status = rng.choice([Incident.Status.TRIAGE, Incident.Status.ASSESSED])
            elif age_days > 60:
                # Old incidents are closed, or still being remediated (never still in triage).
                late_stage = [s for s in statuses if s in LATE_STAGES]
                status = Incident.Status.CLOSED if rng.random() < 0.85 else rng.choice(late_stage)
            else:
                status = rng.choice(statuses)
            # The named demo reporters report a steady share, so their pages are lively.
            if hot:
                reporter = rng.choice(staff_by_unit[units[rng.choice(NORTHERN_HOT)].pk])
            elif i % 23 == 0:
                reporter = users["reporter"]
            elif i % 29 == 0:
                reporter = users["reporter2"]
            else:
                site = rng.choice(sites)
                reporter = rng.choice(staff_by_unit[site.pk])
            unit = reporter.business_unit
            summary = rng.choice(
                NEAR_MISS_SUMMARIES if kind == Incident.Kind.NEAR_MISS else SUMMARIES[cause]
            )
            contained = rng.random() < 0.7
            year = timezone.localtime(reported_at).year
            year_counts[year] += 1
            rows.append(
                Incident(
                    reference=f"PBR-{year}-{year_counts[year]:05d}",
                    kind=kind,
                    status=status,
                    occurred_at=occurred_at,
                    occurred_precision=precision,
                    aware_at=aware_at,
                    reported_at=reported_at,
                    summary=summary,
                    description=(
                        f"{summary}. Noticed by the team and reported the same day. "
                        "No case-file content is recorded here."
                    ),
                    channel=channel,
                    cause_category=cause,
                    cause_detail="" if rng.random() < 0.5 else "Process step was skipped.",
                    individuals_affected=rng.choice([1, 1, 1, 2, 3, 5, 12, 40, 250]),
                    individuals_affected_is_estimate=rng.random() < 0.3,
                    containment_steps=(
                        "Recipient asked to delete the message and confirmed deletion."
                        if contained
                        else ""
                    ),
                    contained_at=aware_at + timedelta(hours=rng.uniform(1, 96))
                    if contained
                    else None,
                    business_unit=unit,
                    reporter=reporter,
                    is_restricted=not hot and rng.random() < 0.03,
                    officers_notified_at=reported_at,
                )
            )
            extras.append(
                {
                    "breach_types": rng.sample(
                        list(IncidentBreachType.Type), rng.choice([1, 1, 2])
                    ),
                    "categories": rng.sample(
                        list(IncidentInformationCategory.Category), rng.choice([1, 2, 3])
                    ),
                    "affected": [
                        (
                            f"C-{rng.randint(100000, 999999)}",
                            rng.choice(list(AffectedIndividual.Role)),
                        )
                        for _ in range(rng.choice([0, 1, 1, 2]))
                    ],
                    "officer": rng.choice(officers),
                    "status_changed_at": reported_at + timedelta(hours=rng.uniform(2, 24 * 20)),
                }
            )
            result.by_kind[kind] += 1
        with transaction.atomic():
            created = Incident.objects.bulk_create(rows, batch_size=batch_size)
            _create_children(created, extras, users)
            if with_history:
                _create_history(created, extras, now)
            _create_triage(created, extras, users, now, rng)
        result.incidents += len(created)

    for year, last in year_counts.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last": last})
    return result


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


def _create_history(created: list[Incident], extras: list[dict[str, Any]], now: datetime) -> None:
    """History as if each incident had been reported, then moved on by an officer."""
    historical = Incident.history.model
    fields = [f.attname for f in Incident._meta.concrete_fields]
    records = []
    for incident, extra in zip(created, extras, strict=True):
        values = {name: getattr(incident, name) for name in fields}
        first = dict(values, status=Incident.Status.REPORTED)
        records.append(
            historical(
                **first,
                history_date=incident.reported_at,
                history_type="+",
                history_user_id=incident.reporter_id,
                request_id="demo-data",
            )
        )
        if incident.status != Incident.Status.REPORTED:
            records.append(
                historical(
                    **values,
                    history_date=min(extra["status_changed_at"], now),
                    history_type="~",
                    history_user_id=extra["officer"].pk,
                    request_id="demo-data",
                )
            )
    historical.objects.bulk_create(records)


def _create_triage(
    created: list[Incident],
    extras: list[dict[str, Any]],
    users: dict[str, User],
    now: datetime,
    rng: random.Random,
) -> None:
    """Assessments and decisions for incidents past "reported", as officers would have made.

    The engine itself decides, from facts drawn to fit the incident; closed and later-stage
    notifiable breaches were notified (most on time, some late).
    """
    from breaches.models import Assessment, Decision
    from breaches.triage.engine import assess, parse_facts

    officers = {"northern": users["officer"], "central": users["officer2"]}
    assessments: list[Assessment] = []
    decided: list[tuple[Incident, Assessment]] = []
    changed: list[Incident] = []
    recipients = [r for r, w in RECIPIENT_WEIGHTS for _ in range(w)]
    for incident, extra in zip(created, extras, strict=True):
        if incident.status == Incident.Status.REPORTED:
            continue
        region = incident.business_unit.path.strip("/").split("/")[1]
        officer = officers.get(region, users["cpo"])
        facts = parse_facts(
            {
                "jurisdiction": "NZ",
                "kind": incident.kind,
                "breach_types": [str(t) for t in extra["breach_types"]],
                "info_categories": [str(c) for c in extra["categories"]],
                "individuals_affected": incident.individuals_affected or 1,
                "vulnerable_individuals": rng.random() < 0.3,
                "recipient": rng.choice(recipients),
                "security_measures": "none",
                "key_compromised": False,
                "contained": "fully" if incident.contained_at else "not",
                "harm_occurred": rng.random() < 0.1,
                "harm_types": rng.sample(
                    ["emotional", "physical", "financial"], rng.choice([0, 1])
                ),
                "backup_available": None,
                "aware_at": timezone.localtime(incident.aware_at).isoformat(),
            }
        )
        result = assess(facts)
        assessed_at = min(incident.reported_at + timedelta(hours=rng.uniform(1, 20)), now)
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
            created_by=officer,
            created_at=assessed_at,
        )
        assessments.append(assessment)
        incident.severity = result.severity
        incident.regulator_deadline = result.regulator_deadline
        incident.jurisdiction = "NZ"
        if incident.status not in {Incident.Status.TRIAGE, Incident.Status.ASSESSED}:
            decided.append((incident, assessment))
            notify = "yes" if result.notify_regulator == "yes" else "no"
            incident.decision_notify_regulator = notify
            if notify == "yes" and incident.kind == Incident.Kind.BREACH:
                late = rng.random() < 0.15
                hours = rng.uniform(74, 120) if late else rng.uniform(6, 70)
                incident.regulator_notified_at = min(
                    incident.aware_at + timedelta(hours=hours), now
                )
        changed.append(incident)
    Assessment.objects.bulk_create(assessments)
    Decision.objects.bulk_create(
        [
            Decision(
                incident=incident,
                assessment=assessment,
                notify_regulator=incident.decision_notify_regulator,
                notify_individuals=incident.decision_notify_regulator,
                rationale=""
                if assessment.notify_regulator == incident.decision_notify_regulator
                else "Weighed the recipient and the containment: decided as recorded.",
                differs_from_recommendation=assessment.notify_regulator
                != incident.decision_notify_regulator,
                decided_by=assessment.created_by,
                decided_at=min(assessment.created_at + timedelta(hours=2), now),
            )
            for incident, assessment in decided
        ]
    )
    Incident.objects.bulk_update(
        changed,
        [
            "severity",
            "regulator_deadline",
            "jurisdiction",
            "decision_notify_regulator",
            "regulator_notified_at",
        ],
        batch_size=1000,
    )
