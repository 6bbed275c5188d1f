"""The notifiability triage engine (SPEC §4): facts in, a recommendation with reasons out.

Pure Python, no database: ``assess(parse_facts(data))``. One rule set per jurisdiction, each
versioned; every version stays importable so a stored assessment can be re-read exactly.
The officer decides; the engine advises.
"""

from breaches.triage.engine.facts import Facts, FactsError, parse_facts
from breaches.triage.engine.registry import RULE_SETS, RuleSetError, assess, latest_rule_set
from breaches.triage.engine.result import Reason, Result

__all__ = [
    "RULE_SETS",
    "Facts",
    "FactsError",
    "Reason",
    "Result",
    "RuleSetError",
    "assess",
    "latest_rule_set",
    "parse_facts",
]
