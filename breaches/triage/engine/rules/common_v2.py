"""What the @2 rule sets share: findings in plain words, and the clear-case rules.

The @1 rule sets answered from the score alone, so a clear case that scored in the middle band
came out ``uncertain`` (issue 16). The @2 rule sets still start from the score, then apply
*clear-case rules* drawn from the regulators' guidance:

* a **floor** says "at least this answer" when its condition holds (e.g. identity numbers with an
  unknown recipient: tell the people);
* a **cap** says "at most this answer" when its condition holds (e.g. basic contact details with
  an identified, harmless wrong person: nothing to notify).

``answer = max(floors, min(caps, score answer))``. Every floor's condition only becomes true as
facts get worse (more people, more sensitive data, a worse recipient, less containment, less
protection, harm, more breach or harm types, no backup) and every cap's condition only becomes
false, so, like the score, the answer never drops when the facts get worse
(tests/breaches/triage/engine/test_properties.py). ``uncertain`` is left for the middle band of
the score where no clear-case rule applies, and it always says what the officer must judge.

Never edit this module's meaning once released: a change is ``common_v3`` with new rule sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from breaches.triage.engine.facts import RECIPIENTS, Facts
from breaches.triage.engine.result import ANSWERS, SEVERITIES, Reason
from breaches.triage.engine.rules.common import CONTAINED_TEXT as CONTAINED_TEXT
from breaches.triage.engine.rules.common import harm_text as harm_text
from breaches.triage.engine.rules.common import security_text as security_text
from breaches.triage.engine.scoring import AVAILABILITY as V1_AVAILABILITY
from breaches.triage.engine.scoring import CONFIDENTIALITY as V1_CONFIDENTIALITY
from breaches.triage.engine.scoring_v2 import SENSITIVE_LABELS, severity

RECIPIENT_TEXT = {
    "none": "nobody is known to have obtained the information",
    "trusted_internal": "only staff bound by the organisation's own duties obtained it",
    "trusted_external": "the recipient is bound by confidentiality (e.g. another agency)",
    "known_individual": (
        "an identified person with no duty of confidence and no sign of hostility obtained it "
        "(e.g. another customer who received the wrong letter)"
    ),
    "unknown": "it is not known who obtained or may obtain the information",
    "public": "the information was published or is openly reachable",
    "malicious": "a criminal or hostile actor obtained it",
    "person_posing_risk": "someone who may harm an affected person obtained it",
}
# The containment and security findings, the harm and security texts, and the two families
# of breach type are version 1's, unchanged: imported from there, never copied.
CONFIDENTIALITY = frozenset(V1_CONFIDENTIALITY)
AVAILABILITY = frozenset(V1_AVAILABILITY)
# Information whose exposure the regulators treat as likely to cause serious harm or high risk
# by itself: GDPR Art. 9 and 10 data, identity documents and numbers, financial data and
# credentials (EDPB 9/2022 §IV.B "nature, sensitivity and volume"; OAIC DBPR Part 4 "the kind
# of information"; OPC "sensitive information").
SERIOUS = frozenset(
    {
        "identity_document",
        "financial",
        "credentials",
        "health",
        "care_protection",
        "family_violence",
        "criminal",
        "sexual",
        "biometric",
        "ethnicity_religion",
    }
)
# The most personal kinds (GDPR Art. 9 and 10 data, care and family violence records): with
# anyone who owes no duty of confidence, never a clear "no".
SPECIAL = frozenset(
    {
        "health",
        "care_protection",
        "family_violence",
        "criminal",
        "sexual",
        "biometric",
        "ethnicity_religion",
    }
)
# Information that by itself rarely harms: names and contact details, work details, other.
BASIC = frozenset({"contact", "employment", "other"})
# Harm types that signal identity fraud, money or safety, which no "harmless" cap may overlook.
AGGRAVATING_HARMS = frozenset({"physical", "identity_theft", "financial", "discrimination"})
# "At scale": the EDPB's and OAIC's mass-mailing examples involve tens to thousands of people.
AT_SCALE = 10
# Below this many people, a wrong but harmless recipient of basic details is not a risk.
HARMLESS_BELOW = 100
# Below this many people, basic details alone are not a high risk for GDPR Art. 34.
BASIC_HIGH_RISK_FROM = 1000
# "One or two letters" (EDPB 01/2021 §6, WP250 Annex B (v)): a handful of people.
SMALL_MISDIRECTION_BELOW = 10


def at_least(facts: Facts, recipient: str) -> bool:
    return RECIPIENTS.index(facts.recipient) >= RECIPIENTS.index(recipient)


def at_most(facts: Facts, recipient: str) -> bool:
    return RECIPIENTS.index(facts.recipient) <= RECIPIENTS.index(recipient)


def confidentiality(facts: Facts) -> bool:
    return bool(set(facts.breach_types) & CONFIDENTIALITY)


def availability(facts: Facts) -> bool:
    return bool(set(facts.breach_types) & AVAILABILITY)


def serious_categories(facts: Facts) -> list[str]:
    return [c for c in facts.info_categories if c in SERIOUS]


def readable(facts: Facts) -> bool:
    """Plainly readable by whoever has it: no protection, or its key or password exposed too.
    A password or pseudonymisation with the key safe is left to the score and the officer:
    whether it resists this recipient is a judgement (see ``judgement``)."""
    return facts.security_measures == "none" or facts.key_compromised


def still_out(facts: Facts) -> bool:
    return facts.contained != "fully"


def basic_only(facts: Facts) -> bool:
    return all(c in BASIC for c in facts.info_categories)


def nothing_aggravating(facts: Facts) -> bool:
    return (
        not facts.vulnerable_individuals
        and not facts.harm_occurred
        and not set(facts.harm_types) & AGGRAVATING_HARMS
    )


def labels(categories: Iterable[str]) -> str:
    return ", ".join(SENSITIVE_LABELS.get(c, c.replace("_", " ")) for c in categories)


# --------------------------------------------------------------- clear-case conditions -------
# Floors: each condition is upward-closed (worse facts keep it true).


def serious_exposure(facts: Facts) -> bool:
    """Sensitive information readable by an unknown, public or hostile audience, not contained."""
    return (
        confidentiality(facts)
        and bool(serious_categories(facts))
        and at_least(facts, "unknown")
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


def serious_at_scale(facts: Facts) -> bool:
    """Sensitive information sent to the wrong people (anyone without a duty of confidence)
    about many people, not contained."""
    return (
        confidentiality(facts)
        and bool(serious_categories(facts))
        and at_least(facts, "known_individual")
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= AT_SCALE
    )


def endangering_recipient(facts: Facts) -> bool:
    """Someone who may harm an affected person can read it."""
    return (
        confidentiality(facts)
        and facts.recipient == "person_posing_risk"
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


def misdirected_serious(facts: Facts) -> bool:
    """Sensitive information with someone who owes no duty of confidence, not contained."""
    return (
        confidentiality(facts)
        and bool(serious_categories(facts))
        and at_least(facts, "known_individual")
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


def special_with_someone_unbound(facts: Facts) -> bool:
    """The most personal information is with someone who owes no duty of confidence and is not
    recovered: at least a judgement for the officer, never a clear no."""
    return (
        confidentiality(facts)
        and bool(SPECIAL & set(facts.info_categories))
        and at_least(facts, "known_individual")
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


def hostile_taking(facts: Facts) -> bool:
    """A criminal or hostile actor (e.g. a departing employee soliciting clients) took readable
    personal data of any kind."""
    return (
        confidentiality(facts)
        and at_least(facts, "malicious")
        and readable(facts)
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


def lost_without_backup(facts: Facts) -> bool:
    """An availability breach with no backup: the information is gone or locked until restored
    some other way. Not for a few people's basic details with nothing aggravating (a lost
    note of a handful of addresses): its absence has no consequence worth notifying."""
    trivial = (
        basic_only(facts)
        and nothing_aggravating(facts)
        and facts.individuals_affected < HARMLESS_BELOW
    )
    return (
        availability(facts)
        and facts.backup_available is False
        and still_out(facts)
        and facts.individuals_affected >= 1
        and not trivial
    )


def care_data_unavailable(facts: Facts) -> bool:
    """Health or care records unavailable and not yet restored: care itself may suffer. A lost
    or destroyed copy with a backup leaves the records available; a system that is down
    (unavailability) leaves them unavailable whatever the backups."""
    return (
        (
            "unavailability" in facts.breach_types
            or (availability(facts) and facts.backup_available is not True)
        )
        and bool({"health", "care_protection"} & set(facts.info_categories))
        and still_out(facts)
        and facts.individuals_affected >= 1
    )


# Caps: each condition is downward-closed (worse facts can only make it false).


def harmless_wrong_person(facts: Facts) -> bool:
    """Basic details, at most an identified harmless person obtained them, few people, nothing
    aggravating."""
    return (
        at_most(facts, "known_individual")
        and basic_only(facts)
        and nothing_aggravating(facts)
        and facts.individuals_affected < HARMLESS_BELOW
    )


def basic_details_only(facts: Facts) -> bool:
    """Basic details only, not with someone who may harm a person, fewer than 1000 people,
    nothing aggravating: a risk perhaps, not a high one."""
    return (
        at_most(facts, "malicious")
        and basic_only(facts)
        and nothing_aggravating(facts)
        and facts.individuals_affected < BASIC_HIGH_RISK_FROM
    )


def small_misdirection(facts: Facts) -> bool:
    """A letter or two with financial or identity details reached an identified, harmless
    person: no special category data, nobody vulnerable, nothing aggravating."""
    allowed = BASIC | {"financial", "identity_document", "location"}
    return (
        at_most(facts, "known_individual")
        and all(c in allowed for c in facts.info_categories)
        and nothing_aggravating(facts)
        and facts.individuals_affected < SMALL_MISDIRECTION_BELOW
    )


# ----------------------------------------------------------------------- combining -----------


@dataclass(frozen=True)
class Rule:
    """A clear-case rule: when ``applies(facts)``, the answer is at least (floor) or at most
    (cap) ``level``; ``reason`` cites the law or guidance it comes from."""

    applies: Callable[[Facts], bool]
    level: str
    reason: Reason


def decide(
    facts: Facts, base: str, *, floors: Iterable[Rule] = (), caps: Iterable[Rule] = ()
) -> tuple[str, list[Reason]]:
    """``max(floors, min(caps, base))`` with the reasons of the rules that changed the answer
    (or confirmed it: a floor or cap that applies is always stated, so the officer sees why)."""
    reasons: list[Reason] = []
    answer = base
    for rule in caps:
        if rule.applies(facts):
            reasons.append(rule.reason)
            if ANSWERS.index(rule.level) < ANSWERS.index(answer):
                answer = rule.level
    for rule in floors:
        if rule.applies(facts):
            reasons.append(rule.reason)
            if ANSWERS.index(rule.level) > ANSWERS.index(answer):
                answer = rule.level
    return answer, reasons


def severity_for(total: int, *, regulator: str, people: str) -> str:
    """The score's severity, but never below what the answers say: telling the people means a
    serious harm or high risk (at least ``high``), telling the regulator at least ``medium``.
    Both answers only rise with worse facts, so this does too."""
    floor = "high" if people == "yes" else "medium" if regulator == "yes" else "low"
    return max(severity(total), floor, key=SEVERITIES.index)


# ---------------------------------------------------------------------- findings -------------


def judgement(facts: Facts) -> str:
    """Why an ``uncertain`` answer is uncertain: what in these facts the law leaves to the
    officer's judgement, and what to weigh."""
    why: list[str] = []
    serious = serious_categories(facts)
    if facts.recipient == "unknown" and not serious:
        why.append(
            "nobody knows who has it, but it is not of an especially sensitive kind, so how "
            "likely misuse is depends on what else it reveals"
        )
    if facts.recipient == "known_individual" and serious:
        why.append(
            f"an identified person with no duty of confidence holds {labels(serious)} "
            "information: whether they can be relied on to return or delete it is a judgement"
        )
    if facts.recipient in {"public", "malicious"} and basic_only(facts):
        why.append(
            "only basic details reached an open or hostile audience: whether they enable "
            "phishing, fraud or nuisance for these people is a judgement"
        )
    if facts.security_measures == "password_protected" and not facts.key_compromised:
        why.append("only a password protects it: whether it will resist this recipient")
    if facts.security_measures == "pseudonymised" and not facts.key_compromised:
        why.append("it is pseudonymised: whether the recipient can re-identify people")
    if facts.contained == "partially":
        why.append("it is only partially contained: how much is still out there")
    if availability(facts) and facts.backup_available is None:
        why.append("it is not known whether a backup exists: how long the data stay unavailable")
    if facts.vulnerable_individuals:
        why.append("vulnerable people are affected: how it bears on their circumstances")
    if not facts.harm_types:
        why.append("no likely harm is stated: what could follow for these people")
    if not why:
        why.append(
            "the facts sit between the clear cases: how sensitive the information is in these "
            "people's circumstances"
        )
    return "uncertain, so the officer must decide, weighing: " + "; ".join(why)
