"""Which rule set answers which jurisdiction, and every released version by its id."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.result import Result
from breaches.triage.engine.rules import au_ndb_v1, gdpr_v1, nz_privacy_act_2020_v1

# Every released version, old ones included, so stored assessments can be re-read exactly.
RULE_SETS: dict[str, ModuleType] = {
    module.ID: module for module in (nz_privacy_act_2020_v1, gdpr_v1, au_ndb_v1)
}
# The version new assessments use, per jurisdiction.
LATEST: dict[str, str] = {"NZ": "nz-privacy-act-2020@1", "GDPR": "gdpr@1", "AU": "au-ndb@1"}


def latest_rule_set(jurisdiction: str) -> str:
    return LATEST[jurisdiction]


def assess(facts: Facts, *, rule_set: str | None = None, **options: Any) -> Result:
    """Assess ``facts`` with ``rule_set`` (an id like ``gdpr@1``), or the latest for its
    jurisdiction. ``options`` carries settings such as ``nz_target_hours``."""
    module = RULE_SETS[rule_set or LATEST[facts.jurisdiction]]
    if facts.jurisdiction != module.JURISDICTION:
        raise ValueError(f"rule set {module.ID} is not for jurisdiction {facts.jurisdiction}")
    result: Result = module.assess(facts, **options)
    return result
