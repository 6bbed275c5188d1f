"""The risk score the @2 rule sets share (version 2).

Version 2 is version 1 (``scoring.py``) with one change: it knows the ``known_individual``
recipient (an identified person with no duty of confidence and no sign of hostility), which
scores like a recipient bound by confidentiality (1) and below ``unknown`` (2). Everything else
is version 1's, imported, not copied; version 1 itself never changes, so @1 assessments re-read
exactly. A later scoring is a new module (``scoring_v3``). The rules that make clear cases clear
(``rules/common_v2.py``) sit on top of this score.
"""

from __future__ import annotations

from breaches.triage.engine import scoring as v1
from breaches.triage.engine.facts import RECIPIENTS, Facts
from breaches.triage.engine.scoring import (
    AVAILABILITY,
    CONFIDENTIALITY,
    HARM_POINTS,
    SENSITIVE_LABELS,
    SENSITIVITY,
    Score,
    answer,
    encryption_holds,
    scale_points,
    sensitive_finding,
    severity,
    unintelligible,
)

# In the facts' order, from "nobody got it" to "someone who may harm an affected person".
RECIPIENT_RISK = {r: v1.RECIPIENT_RISK.get(r, 1) for r in RECIPIENTS}
assert RECIPIENT_RISK["known_individual"] == 1 and len(RECIPIENT_RISK) == len(RECIPIENTS)


def score(facts: Facts) -> Score:
    """Version 1's score with version 2's recipients."""
    return v1.score(facts, recipient_risk=RECIPIENT_RISK)


__all__ = [
    "AVAILABILITY",
    "CONFIDENTIALITY",
    "HARM_POINTS",
    "RECIPIENT_RISK",
    "SENSITIVE_LABELS",
    "SENSITIVITY",
    "Score",
    "answer",
    "encryption_holds",
    "scale_points",
    "score",
    "sensitive_finding",
    "severity",
    "unintelligible",
]
