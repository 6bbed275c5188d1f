"""The risk score all rule sets share (version 1).

The score adds non-negative points for what makes harm worse (sensitive information, many or
vulnerable people, a hostile recipient, harm already done, data still out there) and subtracts
points for what reduces it (full containment, strong encryption with a safe key, a backup for
availability breaches). Every term moves in one direction as the facts get worse, so a worse
set of facts never scores lower: the property tests rely on this.

Each rule set cites its own law for each finding; the numbers live here so that "how serious"
means the same thing whatever the jurisdiction. A new scoring is a new module (``scoring_v2``),
never an edit to this one, because stored assessments name the rule-set version they used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from breaches.triage.engine.facts import Facts

SENSITIVITY = {
    "care_protection": 3,
    "family_violence": 3,
    "health": 3,
    "sexual": 3,
    "criminal": 3,
    "biometric": 2,
    "credentials": 2,
    "financial": 2,
    "identity_document": 2,
    "ethnicity_religion": 2,
    "children": 2,
    "location": 2,
    "contact": 1,
    "employment": 1,
    "other": 1,
}
SENSITIVE_LABELS = {
    "care_protection": "care and protection",
    "family_violence": "family violence",
    "health": "health",
    "sexual": "sexual life",
    "criminal": "criminal history",
    "biometric": "biometric",
    "credentials": "passwords or credentials",
    "financial": "financial",
    "identity_document": "identity documents",
    "ethnicity_religion": "ethnicity or religion",
    "children": "about children",
    "location": "location or address",
}
RECIPIENT_RISK = {
    "none": 0,
    "trusted_internal": 0,
    "trusted_external": 1,
    "unknown": 2,
    "public": 3,
    "malicious": 3,
    "person_posing_risk": 4,
}
HARM_POINTS = {
    "physical": 2,
    "identity_theft": 1,
    "financial": 1,
    "discrimination": 1,
    "emotional": 1,
    "reputational": 0,
    "loss_of_opportunity": 0,
    "loss_of_control": 0,
}
CONFIDENTIALITY = {"unauthorised_access", "unauthorised_disclosure", "loss"}
AVAILABILITY = {"loss", "destruction", "unavailability"}


@dataclass(frozen=True)
class Score:
    total: int
    sensitivity: int
    scale: int
    exposure: int
    harm: int
    mitigation: int
    encryption_holds: bool


def scale_points(people: int) -> int:
    if people >= 1000:
        return 3
    if people >= 100:
        return 2
    if people >= 10:
        return 1
    return 0


def encryption_holds(facts: Facts) -> bool:
    """Data encrypted (or pseudonymised) and the key or password not exposed."""
    return facts.security_measures in {"encrypted", "pseudonymised"} and not facts.key_compromised


def unintelligible(facts: Facts) -> bool:
    """Encrypted with the key safe: unintelligible to whoever holds it (pseudonymised is not)."""
    return facts.security_measures == "encrypted" and not facts.key_compromised


def score(facts: Facts, *, recipient_risk: Mapping[str, int] = RECIPIENT_RISK) -> Score:
    """The score of ``facts``. ``recipient_risk``: the recipients' points (a later scoring
    module passes its own table; version 1's results never change)."""
    sensitivity = max((SENSITIVITY[c] for c in facts.info_categories), default=1)
    # Several highly sensitive kinds together (e.g. care and protection plus a location) are
    # worse than any one of them.
    if sum(1 for c in facts.info_categories if SENSITIVITY[c] >= 2) >= 2:
        sensitivity += 1
    scale = scale_points(facts.individuals_affected)
    vulnerable = 1 if facts.vulnerable_individuals else 0
    harm = sum(HARM_POINTS[h] for h in facts.harm_types) + (2 if facts.harm_occurred else 0)
    exposure = recipient_risk[facts.recipient]
    exposure += {"not": 1, "partially": 0, "fully": 0}[facts.contained]
    availability = set(facts.breach_types) & AVAILABILITY
    if availability and facts.backup_available is not True:
        exposure += 1  # the information itself may be gone for good

    mitigation = 0
    if facts.contained == "fully":
        mitigation += 3
    holds = encryption_holds(facts)
    if holds:
        mitigation += 3
    elif facts.security_measures == "password_protected" and not facts.key_compromised:
        mitigation += 1

    total = max(0, sensitivity + scale + vulnerable + harm + exposure - mitigation)
    if holds and facts.security_measures == "encrypted" and not facts.harm_occurred:
        # Unintelligible to whoever holds it: however much there was, harm is unlikely.
        total = min(total, 3)
    return Score(total, sensitivity, scale, exposure, harm, mitigation, holds)


def severity(total: int) -> str:
    if total >= 10:
        return "critical"
    if total >= 7:
        return "high"
    if total >= 4:
        return "medium"
    return "low"


def answer(total: int, *, yes_from: int, uncertain_from: int) -> str:
    if total >= yes_from:
        return "yes"
    if total >= uncertain_from:
        return "uncertain"
    return "no"


def sensitive_finding(facts: Facts) -> str | None:
    labels = [SENSITIVE_LABELS[c] for c in facts.info_categories if c in SENSITIVE_LABELS]
    if not labels:
        return None
    return "sensitive information: " + ", ".join(labels)
