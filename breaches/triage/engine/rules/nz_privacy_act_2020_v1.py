"""New Zealand, Privacy Act 2020, Part 6 subpart 1 (notifiable privacy breaches).

s112: a notifiable privacy breach is one that it is reasonable to believe has caused serious
harm or is likely to do so. s113: the factors to assess that. s114: notify the Commissioner as
soon as practicable (the Office expects within 72 hours: the register's configurable target).
s115: notify affected individuals, unless an s116 exception or delay applies. A near miss is
not a privacy breach (s112 needs one), so it is never notifiable.
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
from breaches.triage.engine.scoring import answer, score, sensitive_finding, severity

ID = "nz-privacy-act-2020@1"
JURISDICTION = "NZ"
YES_FROM, UNCERTAIN_FROM = 7, 5


def assess(facts: Facts, *, nz_target_hours: int = 72, **_: object) -> Result:
    s = score(facts)
    reasons: list[Reason] = []
    deadline = facts.aware_at + timedelta(hours=nz_target_hours)

    if facts.kind == "near_miss":
        reasons.append(
            Reason("s112", "near miss: no privacy breach occurred, so it is not notifiable")
        )
        return Result(JURISDICTION, severity(s.total), "no", "no", deadline, ID, reasons)

    reasons.append(
        Reason(
            "s113(a)", f"action taken to reduce the risk of harm: {CONTAINED_TEXT[facts.contained]}"
        )
    )
    sensitive = sensitive_finding(facts)
    reasons.append(
        Reason("s113(b)", sensitive or "the information is not of an especially sensitive kind")
    )
    if facts.vulnerable_individuals:
        reasons.append(Reason("s113(b)", "children or people at risk are among those affected"))
    reasons.append(Reason("s113(c)", harm_text(facts)))
    reasons.append(Reason("s113(d)", RECIPIENT_TEXT[facts.recipient]))
    reasons.append(Reason("s113(e)", security_text(facts, s)))
    people = facts.individuals_affected
    reasons.append(Reason("s113(f)", f"{people} {'person' if people == 1 else 'people'} affected"))

    if facts.individuals_affected == 0:
        reasons.append(Reason("s112", "no individual's information is involved"))
        verdict = "no"
    else:
        verdict = answer(s.total, yes_from=YES_FROM, uncertain_from=UNCERTAIN_FROM)
    if verdict == "yes":
        reasons.append(
            Reason("s112", "serious harm has been caused or is likely: a notifiable privacy breach")
        )
        reasons.append(
            Reason(
                "s114",
                f"notify the Privacy Commissioner as soon as practicable; target {nz_target_hours} hours from awareness",
            )
        )
        reasons.append(
            Reason(
                "s115", "notify affected individuals (or give public notice) as soon as practicable"
            )
        )
        if facts.recipient == "person_posing_risk":
            reasons.append(
                Reason(
                    "s116",
                    "consider whether notifying an individual could endanger anyone's safety; a delay or exception must be recorded with its ground",
                )
            )
    elif verdict == "uncertain":
        reasons.append(Reason("s112", borderline_advice(facts)))
    else:
        reasons.append(
            Reason("s112", "serious harm is not likely: not notifiable; record the reasons")
        )
    return Result(JURISDICTION, severity(s.total), verdict, verdict, deadline, ID, reasons)
