"""New Zealand, Privacy Act 2020, Part 6 subpart 1 (notifiable privacy breaches), version 2.

s112: a notifiable privacy breach is one that it is reasonable to believe has caused serious
harm or is likely to do so. s113: the factors to assess that. s114: notify the Commissioner as
soon as practicable (the Office expects within 72 hours: the register's configurable target).
s115: notify affected individuals, unless an s116 exception or delay applies. A near miss is
not a privacy breach (s112 needs one), so it is never notifiable. Version 2 adds the clear
cases of the Privacy Commissioner's guidance on assessing serious harm (docs/triage.md).
"""

from __future__ import annotations

from datetime import timedelta

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.result import Reason, Result
from breaches.triage.engine.rules import common_v2 as c
from breaches.triage.engine.scoring_v2 import answer, score, sensitive_finding, severity

ID = "nz-privacy-act-2020@2"
JURISDICTION = "NZ"
YES_FROM, UNCERTAIN_FROM = 7, 5

FLOORS = (
    c.Rule(
        c.serious_exposure,
        "yes",
        Reason(
            "s113(b), s113(d)",
            "sensitive information (health, financial, identity or the like) is with an unknown, "
            "public or hostile recipient and not recovered: serious harm is likely",
        ),
    ),
    c.Rule(
        c.serious_at_scale,
        "yes",
        Reason(
            "s113(b), s113(f)",
            f"sensitive information about {c.AT_SCALE} or more people went to the wrong "
            "recipients and was not recovered: serious harm is likely",
        ),
    ),
    c.Rule(
        c.endangering_recipient,
        "yes",
        Reason(
            "s113(c), s113(d)",
            "someone who may harm an affected person can read it: serious (physical or "
            "emotional) harm is likely",
        ),
    ),
    c.Rule(
        c.special_with_someone_unbound,
        "uncertain",
        Reason(
            "s113(b), s113(d)",
            "the most personal kind of information is with someone who owes no duty of "
            "confidence and is not recovered: never a clear no, the officer must judge",
        ),
    ),
)
CAPS = (
    c.Rule(
        c.harmless_wrong_person,
        "no",
        Reason(
            "s113(b), s113(d)",
            "only basic details of few people, and at most an identified person with no sign of "
            "hostility obtained them: serious harm is not likely",
        ),
    ),
)


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
            "s113(a)",
            f"action taken to reduce the risk of harm: {c.CONTAINED_TEXT[facts.contained]}",
        )
    )
    reasons.append(
        Reason(
            "s113(b)",
            sensitive_finding(facts) or "the information is not of an especially sensitive kind",
        )
    )
    if facts.vulnerable_individuals:
        reasons.append(Reason("s113(b)", "children or people at risk are among those affected"))
    reasons.append(Reason("s113(c)", c.harm_text(facts)))
    reasons.append(Reason("s113(d)", c.RECIPIENT_TEXT[facts.recipient]))
    reasons.append(Reason("s113(e)", c.security_text(facts, s)))
    people = facts.individuals_affected
    reasons.append(Reason("s113(f)", f"{people} {'person' if people == 1 else 'people'} affected"))

    if facts.individuals_affected == 0:
        reasons.append(Reason("s112", "no individual's information is involved"))
        verdict = "no"
    else:
        verdict, why = c.decide(
            facts,
            answer(s.total, yes_from=YES_FROM, uncertain_from=UNCERTAIN_FROM),
            floors=FLOORS,
            caps=CAPS,
        )
        reasons.extend(why)
    if verdict == "yes":
        reasons.append(
            Reason("s112", "serious harm has been caused or is likely: a notifiable privacy breach")
        )
        reasons.append(
            Reason(
                "s114",
                "notify the Privacy Commissioner as soon as practicable; target "
                f"{nz_target_hours} hours from awareness",
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
                    "consider whether notifying an individual could endanger anyone's safety; a "
                    "delay or exception must be recorded with its ground",
                )
            )
    elif verdict == "uncertain":
        reasons.append(Reason("s112", "whether serious harm is likely: " + c.judgement(facts)))
    else:
        reasons.append(
            Reason("s112", "serious harm is not likely: not notifiable; record the reasons")
        )
    sev = c.severity_for(s.total, regulator=verdict, people=verdict)
    return Result(JURISDICTION, sev, verdict, verdict, deadline, ID, reasons)
