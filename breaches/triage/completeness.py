"""What each draft notification still lacks before it is sent (SPEC §4.4).

For the incident's law, each of its two drafts (to the regulator, to the people affected) with
the items its provision requires that the register does not hold yet, each named by its
provision. Read in one query: the incident page calls it for its handlers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from breaches.models import (
    Incident,
    IncidentInformationCategory,
    IndividualNotice,
    Notification,
    RegulatorDecision,
)
from breaches.response.notifications import CONTENT_FIELDS

GDPR, AU = Incident.Jurisdiction.GDPR, Incident.Jurisdiction.AU


# The supervisory authority a GDPR draft is addressed to: the register cannot know which one
# leads (Art. 56), so the officer names it in "other agencies told" on a line of its own.
AUTHORITY_LINE = re.compile(r"^\s*supervisory authority\s*:\s*(\S.*?)\s*$", re.I | re.M)


def supervisory_authority(other_agencies: str) -> str:
    """The authority named on a "Supervisory authority: …" line, or empty."""
    found = AUTHORITY_LINE.search(other_agencies or "")
    return found.group(1) if found else ""


@dataclass(frozen=True)
class Missing:
    """One item a draft still lacks: the provision that asks for it, and what to do."""

    provision: str
    text: str


@dataclass(frozen=True)
class DraftCheck:
    """One draft of the incident's law and what it still lacks."""

    kind: str  # "regulator" or "letter": which download (breaches:draft-<kind>)
    title: str
    missing: list[Missing] = field(default_factory=list)

    @property
    def url_name(self) -> str:
        return "breaches:draft-regulator" if self.kind == "regulator" else "breaches:draft-letter"

    @property
    def complete(self) -> bool:
        return not self.missing


TITLES: dict[str, tuple[str, str]] = {
    Incident.Jurisdiction.NZ: (
        "Notification to the Privacy Commissioner (NotifyUs, s114, s117(1))",
        "Notice to an affected person (s115, s117(2))",
    ),
    GDPR: (
        "Notification to the supervisory authority (GDPR Art. 33)",
        "Communication to the data subject (GDPR Art. 34)",
    ),
    AU: (
        "Statement to the Australian Information Commissioner (s26WK)",
        "Notice to individuals (s26WL)",
    ),
}


def _facts(incident: Incident) -> dict[str, Any]:
    """What the checks need beyond the incident's own columns, in one query."""
    regulator = Notification.objects.filter(
        incident=OuterRef("pk"), recipient=Notification.Recipient.REGULATOR
    )
    row = (
        Incident.objects.filter(pk=incident.pk)
        .annotate(
            has_categories=Exists(
                IncidentInformationCategory.objects.filter(incident=OuterRef("pk"))
            ),
            public_unexplained=Exists(
                IndividualNotice.objects.filter(
                    incident=OuterRef("pk"), is_public=True, public_reason=""
                )
            ),
            delay_explained=Exists(regulator.exclude(reason="")),
        )
        .values(
            "has_categories",
            "public_unexplained",
            "delay_explained",
            *(f"notification_content__{name}" for name in CONTENT_FIELDS),
        )
        .first()
    )
    row = row or {}
    facts = {
        name: (row.get(f"notification_content__{name}") or "").strip() for name in CONTENT_FIELDS
    }
    facts.update(
        has_categories=bool(row.get("has_categories")),
        public_unexplained=bool(row.get("public_unexplained")),
        delay_explained=bool(row.get("delay_explained")),
    )
    return facts


def late_for_regulator(incident: Incident) -> bool:
    """Notified after the deadline, or not yet notified with the deadline passed (and not
    decided against notifying)."""
    deadline = incident.regulator_deadline
    if deadline is None or incident.decision_notify_regulator == RegulatorDecision.DO_NOT_NOTIFY:
        return False
    return (incident.regulator_notified_at or timezone.now()) > deadline


def draft_checks(incident: Incident) -> list[DraftCheck]:
    """Each draft of the incident's jurisdiction with the items it still lacks (a near miss,
    never notifiable, has none)."""
    if incident.kind != Incident.Kind.BREACH:
        return []
    law = incident.effective_jurisdiction()
    f = _facts(incident)
    regulator_title, letter_title = TITLES.get(law, TITLES[Incident.Jurisdiction.NZ])
    if law == GDPR:
        regulator, letter = _gdpr(incident, f)
    elif law == AU:
        regulator, letter = _au(incident, f)
    else:
        regulator, letter = _nz(incident, f)
    return [
        DraftCheck("regulator", regulator_title, regulator),
        DraftCheck("letter", letter_title, letter),
    ]


def _decided(incident: Incident, assessed: str, decided: str) -> list[Missing]:
    out = []
    if not incident.severity:
        out.append(Missing(assessed, "No assessment saved yet: triage the incident."))
    if not incident.decision_notify_regulator:
        out.append(Missing(decided, "No decision recorded yet on notifying."))
    return out


def _nz(incident: Incident, f: dict[str, Any]) -> tuple[list[Missing], list[Missing]]:
    regulator = _decided(incident, "s113", "s114")
    if not incident.description.strip():
        regulator.append(Missing("s117(1)(a)", "Describe the breach (the description is empty)."))
    if incident.individuals_affected is None:
        regulator.append(Missing("s117(1)(a)(i)", "The number of people affected, if known."))
    if not f["has_categories"]:
        regulator.append(Missing("NotifyUs", "The kinds of personal information involved."))
    if not incident.containment_steps.strip():
        regulator.append(Missing("s117(1)(b)", "The steps taken to contain the breach."))
    if not f["measures_taken"]:
        regulator.append(
            Missing(
                "s117(1)(b)",
                "The steps taken or intended in response, and whether the people affected "
                "have been or will be told.",
            )
        )
    if not f["other_agencies"]:
        regulator.append(
            Missing("s117(1)(d)", "Whether other agencies were told, and why (or “none”).")
        )
    if not f["contact_point"]:
        regulator.append(Missing("s117(1)(e)", "A contact person for inquiries."))

    letter = []
    if not incident.description.strip():
        letter.append(Missing("s117(2)(a)", "Describe the breach (the description is empty)."))
    if not f["measures_taken"]:
        letter.append(Missing("s117(2)(b)", "The steps taken or intended in response."))
    if not f["advice_to_individuals"]:
        letter.append(Missing("s117(2)(c)", "Steps the person may wish to take to reduce harm."))
    if incident.regulator_notified_at is None:
        letter.append(
            Missing("s117(2)(d)", "Confirm the Commissioner was notified: none is recorded yet.")
        )
    if not f["contact_point"]:
        letter.append(Missing("s117(2)(f)", "A contact person for inquiries."))
    if f["public_unexplained"]:
        letter.append(
            Missing(
                "s115(2)",
                "Why a public notice was used (telling each person was not reasonably "
                "practicable).",
            )
        )
    return regulator, letter


def _gdpr(incident: Incident, f: dict[str, Any]) -> tuple[list[Missing], list[Missing]]:
    regulator = _decided(incident, "Art. 33(1)", "Art. 33(1)")
    if not supervisory_authority(f["other_agencies"]):
        regulator.append(
            Missing(
                "Art. 33(1), Art. 55–56",
                "Which supervisory authority: name it in “Other agencies told” on a line "
                "“Supervisory authority: …”.",
            )
        )
    if not incident.description.strip():
        regulator.append(
            Missing("Art. 33(3)(a)", "The nature of the breach (the description is empty).")
        )
    if not f["has_categories"]:
        regulator.append(Missing("Art. 33(3)(a)", "The categories of personal data concerned."))
    if incident.individuals_affected is None:
        regulator.append(
            Missing("Art. 33(3)(a)", "The approximate number of data subjects concerned.")
        )
    if not f["contact_point"]:
        regulator.append(
            Missing("Art. 33(3)(b)", "The data protection officer or other contact point.")
        )
    if not f["likely_consequences"]:
        regulator.append(Missing("Art. 33(3)(c)", "The likely consequences of the breach."))
    if not f["measures_taken"]:
        regulator.append(
            Missing("Art. 33(3)(d)", "The measures taken or proposed, including to mitigate harm.")
        )
    if late_for_regulator(incident) and not f["delay_explained"]:
        regulator.append(
            Missing("Art. 33(1)", "The reasons for the delay: the 72 hours have passed.")
        )

    letter = []
    if not incident.description.strip():
        letter.append(
            Missing("Art. 34(2)", "The nature of the breach, in clear and plain language.")
        )
    if not f["contact_point"]:
        letter.append(Missing("Art. 34(2), 33(3)(b)", "The contact point for more information."))
    if not f["likely_consequences"]:
        letter.append(Missing("Art. 34(2), 33(3)(c)", "The likely consequences of the breach."))
    if not f["measures_taken"]:
        letter.append(Missing("Art. 34(2), 33(3)(d)", "The measures taken or proposed."))
    if f["public_unexplained"]:
        letter.append(
            Missing(
                "Art. 34(3)(c)",
                "Why a public communication was used (telling each person would involve "
                "disproportionate effort).",
            )
        )
    return regulator, letter


def _au(incident: Incident, f: dict[str, Any]) -> tuple[list[Missing], list[Missing]]:
    statement = _decided(incident, "s26WH", "s26WK(2)")
    common = []
    if not f["contact_point"]:
        common.append(Missing("s26WK(3)(a)", "The agency's identity and contact details."))
    if not incident.description.strip():
        common.append(
            Missing("s26WK(3)(b)", "A description of the breach (the description is empty).")
        )
    if not f["has_categories"]:
        common.append(Missing("s26WK(3)(c)", "The kind or kinds of information concerned."))
    if not f["advice_to_individuals"]:
        common.append(
            Missing("s26WK(3)(d)", "Recommendations about the steps individuals should take.")
        )
    notice = list(common)
    if f["public_unexplained"]:
        notice.append(
            Missing(
                "s26WL(2)(c)",
                "Why the statement is published rather than told to each person (neither "
                "was practicable).",
            )
        )
    return statement + common, notice
