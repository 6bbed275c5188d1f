"""Australia, Privacy Act 1988 Part IIIC: the Notifiable Data Breaches scheme (version 2).

s26WE: an eligible data breach is unauthorised access to or disclosure of personal
information, or its loss where unauthorised access or disclosure is likely, that a reasonable
person would conclude is likely to result in serious harm. Alteration, destruction or
unavailability alone are not covered. s26WF: remedial action that prevents serious harm means
there is no eligible breach. s26WG: the matters relevant to serious harm. s26WH: a suspected
breach must be assessed within 30 days. s26WK: statement to the Commissioner; s26WL: notify
individuals (or publish the statement). Version 2 adds the clear cases of the OAIC's "Data
breach preparation and response", Part 4 (docs/triage.md).
"""

from __future__ import annotations

from datetime import timedelta

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.result import Reason, Result
from breaches.triage.engine.rules import common_v2 as c
from breaches.triage.engine.scoring_v2 import answer, score, sensitive_finding, severity

ID = "au-ndb@2"
JURISDICTION = "AU"
YES_FROM, UNCERTAIN_FROM = 7, 5
COVERED = {"unauthorised_access", "unauthorised_disclosure", "loss"}

FLOORS = (
    c.Rule(
        c.serious_exposure,
        "yes",
        Reason(
            "s26WG(a), (b), (e)",
            "sensitive, financial or identity information (the kinds the OAIC names as likely "
            "to cause serious harm) is with an unknown, public or hostile recipient and was not "
            "recovered: serious harm is likely",
        ),
    ),
    c.Rule(
        c.serious_at_scale,
        "yes",
        Reason(
            "s26WG(a), (b)",
            f"sensitive, financial or identity information of {c.AT_SCALE} or more people went "
            "to the wrong recipients and was not recovered: serious harm is likely",
        ),
    ),
    c.Rule(
        c.endangering_recipient,
        "yes",
        Reason(
            "s26WG(e), (g)",
            "someone who may harm an affected person can read it: serious (physical or "
            "psychological) harm is likely",
        ),
    ),
    c.Rule(
        c.special_with_someone_unbound,
        "uncertain",
        Reason(
            "s26WG(b), (e); s26WH",
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
            "s26WG(a), (e)",
            "only basic details of few people, and at most an identified person with no sign of "
            "hostility obtained them: serious harm is not likely",
        ),
    ),
)


def assess(facts: Facts, **_: object) -> Result:
    s = score(facts)
    deadline = facts.aware_at + timedelta(days=30)
    reasons: list[Reason] = []
    if facts.kind == "near_miss":
        reasons.append(
            Reason(
                "s26WE",
                "near miss: no access, disclosure or loss occurred, so it is not an eligible "
                "data breach",
            )
        )
        return Result(JURISDICTION, severity(s.total), "no", "no", deadline, ID, reasons)

    covered = set(facts.breach_types) & COVERED
    kinds = ", ".join(k.replace("_", " ") for k in facts.info_categories) or "not stated"
    reasons.append(Reason("s26WG(a)", f"the kinds of information: {kinds}"))
    reasons.append(
        Reason(
            "s26WG(b)",
            sensitive_finding(facts) or "the information is not of an especially sensitive kind",
        )
    )
    if facts.vulnerable_individuals:
        reasons.append(Reason("s26WG(h)", "children or people at risk are among those affected"))
    reasons.append(Reason("s26WG(c)", c.security_text(facts, s)))
    reasons.append(Reason("s26WG(e)", c.RECIPIENT_TEXT[facts.recipient]))
    reasons.append(Reason("s26WG(g)", c.harm_text(facts)))
    reasons.append(Reason("s26WF", c.CONTAINED_TEXT[facts.contained]))

    if not covered:
        kinds = ", ".join(t.replace("_", " ") for t in facts.breach_types) or "none given"
        reasons.append(
            Reason(
                "s26WE(2)",
                f"{kinds} alone is not unauthorised access, disclosure or loss: not an eligible "
                "data breach",
            )
        )
        verdict = "no"
    elif covered == {"loss"} and facts.recipient == "none" and facts.contained == "fully":
        reasons.append(
            Reason(
                "s26WE(2)(b)",
                "lost, but recovered before anyone could access it: unauthorised access or "
                "disclosure is not likely",
            )
        )
        verdict = "no"
    elif facts.individuals_affected == 0:
        reasons.append(Reason("s26WE(2)", "no individual's personal information is involved"))
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
        reasons.append(Reason("s26WE(2)", "serious harm is likely: an eligible data breach"))
        reasons.append(
            Reason(
                "s26WK",
                "prepare a statement and give it to the Commissioner as soon as practicable",
            )
        )
        reasons.append(
            Reason(
                "s26WL",
                "notify affected individuals (or publish the statement) as soon as practicable",
            )
        )
    elif verdict == "uncertain":
        reasons.append(
            Reason(
                "s26WH",
                "suspected eligible breach: complete the assessment within 30 days; "
                + c.judgement(facts),
            )
        )
    elif covered:
        reasons.append(
            Reason(
                "s26WF",
                "serious harm is not likely (or was prevented by remedial action): not "
                "notifiable; record the assessment",
            )
        )
    sev = c.severity_for(s.total, regulator=verdict, people=verdict)
    return Result(JURISDICTION, sev, verdict, verdict, deadline, ID, reasons)
