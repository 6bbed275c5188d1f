"""European Union, GDPR Articles 33 and 34.

Art. 33(1): notify the supervisory authority within 72 hours unless the breach is unlikely to
result in a risk to the rights and freedoms of natural persons. Art. 34(1): tell data subjects
without undue delay when a high risk is likely, unless Art. 34(3) applies: (a) the data were
unintelligible to anyone not authorised (e.g. encrypted), (b) later measures mean the high
risk is no longer likely, (c) it would involve disproportionate effort (then a public
communication instead). Risk factors follow Recitals 75 and 76.
"""

from __future__ import annotations

from datetime import timedelta

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.result import Reason, Result
from breaches.triage.engine.rules.common import (
    CONTAINED_TEXT,
    RECIPIENT_TEXT,
    borderline_advice,
    harm_text,
    security_text,
)
from breaches.triage.engine.scoring import (
    answer,
    score,
    sensitive_finding,
    severity,
    unintelligible,
)

ID = "gdpr@1"
JURISDICTION = "GDPR"
RISK_FROM, RISK_UNCERTAIN_FROM = 6, 4
HIGH_RISK_FROM, HIGH_RISK_UNCERTAIN_FROM = 8, 6
DISPROPORTIONATE_FROM = 10_000


def assess(facts: Facts, **_: object) -> Result:
    s = score(facts)
    deadline = facts.aware_at + timedelta(hours=72)
    reasons: list[Reason] = []
    if facts.kind == "near_miss":
        reasons.append(
            Reason(
                "Art. 4(12)",
                "near miss: no personal data breach occurred, so nothing is notifiable",
            )
        )
        return Result(JURISDICTION, severity(s.total), "no", "no", deadline, ID, reasons)

    sensitive = sensitive_finding(facts)
    reasons.append(
        Reason("Recital 75", sensitive or "no special category or highly sensitive data")
    )
    if facts.vulnerable_individuals:
        reasons.append(
            Reason("Recital 75", "vulnerable people, in particular children, are affected")
        )
    reasons.append(Reason("Recital 75", harm_text(facts)))
    reasons.append(Reason("Recital 76", RECIPIENT_TEXT[facts.recipient]))
    reasons.append(
        Reason("Recital 76", f"{CONTAINED_TEXT[facts.contained]}; {security_text(facts, s)}")
    )
    reasons.append(Reason("Recital 75", f"{facts.individuals_affected} data subjects affected"))

    if facts.individuals_affected == 0:
        to_authority = to_people = "no"
        reasons.append(Reason("Art. 33(1)", "no data subject's personal data is involved"))
    else:
        to_authority = answer(s.total, yes_from=RISK_FROM, uncertain_from=RISK_UNCERTAIN_FROM)
        to_people = answer(
            s.total, yes_from=HIGH_RISK_FROM, uncertain_from=HIGH_RISK_UNCERTAIN_FROM
        )

    if to_authority == "yes":
        reasons.append(
            Reason(
                "Art. 33(1)",
                "a risk to the rights and freedoms of people is likely: notify the supervisory authority within 72 hours",
            )
        )
    elif to_authority == "uncertain":
        reasons.append(Reason("Art. 33(1)", borderline_advice(facts)))
    else:
        reasons.append(
            Reason(
                "Art. 33(1)",
                "unlikely to result in a risk: no notification to the authority; document it (Art. 33(5))",
            )
        )

    # The Art. 34(3) exceptions are stated only where they are why people need not be told.
    if to_people != "yes" and unintelligible(facts):
        reasons.append(
            Reason(
                "Art. 34(3)(a)",
                "the data are unintelligible to anyone not authorised: no need to tell data subjects",
            )
        )
    if to_people != "yes" and facts.contained == "fully" and not facts.harm_occurred:
        reasons.append(
            Reason("Art. 34(3)(b)", "measures taken since mean a high risk is no longer likely")
        )
    if to_people == "yes":
        reasons.append(
            Reason("Art. 34(1)", "a high risk to people is likely: tell them without undue delay")
        )
        if facts.individuals_affected >= DISPROPORTIONATE_FROM:
            reasons.append(
                Reason(
                    "Art. 34(3)(c)",
                    "telling each person may be disproportionate effort: a public communication may be used instead",
                )
            )
    elif to_people == "uncertain":
        reasons.append(
            Reason(
                "Art. 34(1)", "whether the risk is high is borderline: " + borderline_advice(facts)
            )
        )
    return Result(JURISDICTION, severity(s.total), to_authority, to_people, deadline, ID, reasons)
