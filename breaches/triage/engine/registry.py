"""Which rule set answers which jurisdiction, and every released version by its id."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from breaches.triage.engine.facts import RECIPIENTS, Facts
from breaches.triage.engine.result import Result
from breaches.triage.engine.rules import (
    au_ndb_v1,
    au_ndb_v2,
    gdpr_v1,
    gdpr_v2,
    nz_privacy_act_2020_v1,
    nz_privacy_act_2020_v2,
)

# Every released version, old ones included, so stored assessments can be re-read exactly.
RULE_SETS: dict[str, ModuleType] = {
    module.ID: module
    for module in (
        nz_privacy_act_2020_v1,
        gdpr_v1,
        au_ndb_v1,
        nz_privacy_act_2020_v2,
        gdpr_v2,
        au_ndb_v2,
    )
}
# The version new assessments use, per jurisdiction.
LATEST: dict[str, str] = {"NZ": "nz-privacy-act-2020@2", "GDPR": "gdpr@2", "AU": "au-ndb@2"}
# The recipients each released version knows; a version not listed knows them all. The @1
# rule sets predate ``known_individual``: no stored @1 assessment can hold it.
RECIPIENTS_KNOWN: dict[str, tuple[str, ...]] = {
    module.ID: tuple(r for r in RECIPIENTS if r != "known_individual")
    for module in (nz_privacy_act_2020_v1, gdpr_v1, au_ndb_v1)
}


class RuleSetError(ValueError):
    """An unknown rule set, or one that cannot assess these facts; the message says why."""


def latest_rule_set(jurisdiction: str) -> str:
    return LATEST[jurisdiction]


def assess(facts: Facts, *, rule_set: str | None = None, **options: Any) -> Result:
    """Assess ``facts`` with ``rule_set`` (an id like ``gdpr@2``), or the latest for its
    jurisdiction. ``options`` carries settings such as ``nz_target_hours``."""
    chosen = rule_set or LATEST[facts.jurisdiction]
    module = RULE_SETS.get(chosen)
    if module is None:
        raise RuleSetError(f"unknown rule set {chosen!r}; known: {', '.join(sorted(RULE_SETS))}")
    if facts.jurisdiction != module.JURISDICTION:
        raise RuleSetError(f"rule set {module.ID} is not for jurisdiction {facts.jurisdiction}")
    known = RECIPIENTS_KNOWN.get(module.ID, RECIPIENTS)
    if facts.recipient not in known:
        raise RuleSetError(
            f"rule set {module.ID} predates the recipient {facts.recipient!r}; "
            f"use {LATEST[module.JURISDICTION]}"
        )
    result: Result = module.assess(facts, **options)
    return result
