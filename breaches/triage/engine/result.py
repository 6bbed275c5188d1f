"""The result of SPEC §4.2."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("low", "medium", "high", "critical")
ANSWERS = ("no", "uncertain", "yes")


@dataclass(frozen=True)
class Reason:
    factor: str
    finding: str

    def to_dict(self) -> dict[str, str]:
        return {"factor": self.factor, "finding": self.finding}


@dataclass(frozen=True)
class Result:
    jurisdiction: str
    severity: str
    notify_regulator: str
    notify_individuals: str
    regulator_deadline: datetime
    rule_set: str
    reasons: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "severity": self.severity,
            "notify_regulator": self.notify_regulator,
            "notify_individuals": self.notify_individuals,
            "regulator_deadline": self.regulator_deadline.isoformat(),
            "reasons": [r.to_dict() for r in self.reasons],
            "rule_set": self.rule_set,
        }
