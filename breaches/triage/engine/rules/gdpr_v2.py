"""European Union, GDPR Articles 33 and 34 (version 2).

Art. 33(1): notify the supervisory authority within 72 hours unless the breach is unlikely to
result in a risk to the rights and freedoms of natural persons. Art. 34(1): tell data subjects
without undue delay when a high risk is likely, unless Art. 34(3) applies: (a) the data were
unintelligible to anyone not authorised (e.g. encrypted), (b) later measures mean the high
risk is no longer likely, (c) it would involve disproportionate effort (then a public
communication instead). Risk factors follow Recitals 75 and 76 and the EDPB's Guidelines 9/2022
§IV.B (type of breach; nature, sensitivity and volume of the data; ease of identification;
severity of consequences; special characteristics of the individuals and of the controller;
number of individuals). Version 2 adds the clear cases of EDPB Guidelines 01/2021 and the
examples of Guidelines 9/2022 Annex B (docs/triage.md lists each with its scenarios).
"""

from __future__ import annotations

from datetime import timedelta

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.result import Reason, Result
from breaches.triage.engine.rules import common_v2 as c
from breaches.triage.engine.scoring_v2 import (
    answer,
    score,
    sensitive_finding,
    severity,
    unintelligible,
)

ID = "gdpr@2"
JURISDICTION = "GDPR"
RISK_FROM, RISK_UNCERTAIN_FROM = 6, 4
HIGH_RISK_FROM, HIGH_RISK_UNCERTAIN_FROM = 8, 6
DISPROPORTIONATE_FROM = 10_000

AUTHORITY_FLOORS = (
    c.Rule(
        c.misdirected_serious,
        "yes",
        Reason(
            "Art. 33(1); EDPB 01/2021 §6 (cases 14, 16)",
            "sensitive, financial or identity data are with someone who owes no duty of "
            "confidence and are not recovered: a risk is likely, notify the authority",
        ),
    ),
    c.Rule(
        c.hostile_taking,
        "yes",
        Reason(
            "Art. 33(1); EDPB 01/2021 §4.1 (case 08)",
            "a criminal or hostile actor (e.g. a departing employee using customer data) took "
            "readable personal data: a risk is likely, notify the authority",
        ),
    ),
    c.Rule(
        c.lost_without_backup,
        "yes",
        Reason(
            "Art. 33(1); EDPB 01/2021 §2.2 (case 02); EDPB 9/2022 Annex B (iv)",
            "the data are lost, destroyed or unavailable with no backup: an availability breach "
            "with consequences for people is notifiable even if nothing was taken",
        ),
    ),
)
PEOPLE_FLOORS = (
    c.Rule(
        c.serious_exposure,
        "yes",
        Reason(
            "Art. 34(1); EDPB 9/2022 §IV.B; EDPB 01/2021 cases 05, 07, 11, 12",
            "sensitive, financial or identity data are readable by an unknown, public or hostile "
            "audience: a high risk (fraud, identity theft, distress) is likely, tell the people",
        ),
    ),
    c.Rule(
        c.serious_at_scale,
        "yes",
        Reason(
            "Art. 34(1); EDPB 01/2021 §6.2 (case 14); EDPB 9/2022 Annex B (ix), (x)",
            f"sensitive, financial or identity data of {c.AT_SCALE} or more people went to the "
            "wrong recipients: a high risk is likely, tell the people",
        ),
    ),
    c.Rule(
        c.endangering_recipient,
        "yes",
        Reason(
            "Art. 34(1); Recital 75 (physical harm)",
            "someone who may harm an affected person can read it: a high risk, tell the person "
            "(safely)",
        ),
    ),
    c.Rule(
        c.care_data_unavailable,
        "yes",
        Reason(
            "Art. 34(1); EDPB 01/2021 §2.3 (case 03); EDPB 9/2022 Annex B (viii)",
            "health or care records are unavailable and not yet restored: care may suffer, a "
            "high risk; tell the people",
        ),
    ),
    c.Rule(
        c.special_with_someone_unbound,
        "uncertain",
        Reason(
            "Art. 34(1); Art. 9, 10; EDPB 9/2022 §IV.B",
            "special category or criminal data are with someone who owes no duty of confidence "
            "and are not recovered: whether the risk is high is for the officer to judge, never "
            "a clear no",
        ),
    ),
)
CAPS = (
    c.Rule(
        c.harmless_wrong_person,
        "no",
        Reason(
            "Art. 33(1); EDPB 01/2021 §6.1 (case 13)",
            "only basic details of few people, and at most an identified person with no sign of "
            "hostility obtained them: a risk is unlikely",
        ),
    ),
)
PEOPLE_CAPS = (
    *CAPS,
    c.Rule(
        c.basic_details_only,
        "no",
        Reason(
            "Art. 34(1); EDPB 01/2021 §4.1 (case 08)",
            "only basic contact or work details, nobody vulnerable and nothing aggravating: "
            "not a high risk, the people need not be told (the authority may still be)",
        ),
    ),
    c.Rule(
        c.small_misdirection,
        "no",
        Reason(
            "Art. 34(1); EDPB 01/2021 §6.4 (case 16); EDPB 9/2022 Annex B (v)",
            "a letter or two reached another, identified person with no sign of hostility: a "
            "risk for the authority, usually not a high risk that the person must be told of",
        ),
    ),
)


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

    reasons.append(
        Reason(
            "Recital 75", sensitive_finding(facts) or "no special category or highly sensitive data"
        )
    )
    if facts.vulnerable_individuals:
        reasons.append(
            Reason("Recital 75", "vulnerable people, in particular children, are affected")
        )
    reasons.append(Reason("Recital 75", c.harm_text(facts)))
    reasons.append(Reason("Recital 76", c.RECIPIENT_TEXT[facts.recipient]))
    reasons.append(
        Reason("Recital 76", f"{c.CONTAINED_TEXT[facts.contained]}; {c.security_text(facts, s)}")
    )
    people = facts.individuals_affected
    reasons.append(
        Reason("Recital 75", f"{people} data {'subject' if people == 1 else 'subjects'} affected")
    )

    if facts.individuals_affected == 0:
        reasons.append(Reason("Art. 33(1)", "no data subject's personal data is involved"))
        return Result(JURISDICTION, severity(s.total), "no", "no", deadline, ID, reasons)

    to_authority, why = c.decide(
        facts,
        answer(s.total, yes_from=RISK_FROM, uncertain_from=RISK_UNCERTAIN_FROM),
        floors=AUTHORITY_FLOORS + PEOPLE_FLOORS,
        caps=CAPS,
    )
    to_people, why_people = c.decide(
        facts,
        answer(s.total, yes_from=HIGH_RISK_FROM, uncertain_from=HIGH_RISK_UNCERTAIN_FROM),
        floors=PEOPLE_FLOORS,
        caps=PEOPLE_CAPS,
    )
    # A high risk is a risk: whoever must be told, the authority must be told too.
    if to_people == "yes":
        to_authority = "yes"
    elif to_people == "uncertain" and to_authority == "no":
        to_authority = "uncertain"
    reasons.extend(dict.fromkeys(why + why_people))

    if to_authority == "yes":
        reasons.append(
            Reason(
                "Art. 33(1)",
                "a risk to the rights and freedoms of people is likely: notify the supervisory "
                "authority within 72 hours",
            )
        )
    elif to_authority == "uncertain":
        reasons.append(Reason("Art. 33(1)", "whether a risk is likely: " + c.judgement(facts)))
    else:
        reasons.append(
            Reason(
                "Art. 33(1)",
                "unlikely to result in a risk: no notification to the authority; document it "
                "(Art. 33(5))",
            )
        )

    # The Art. 34(3) exceptions are stated only where they are why people need not be told.
    if to_people != "yes" and unintelligible(facts):
        reasons.append(
            Reason(
                "Art. 34(3)(a)",
                "the data are unintelligible to anyone not authorised: no need to tell data "
                "subjects",
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
                    "telling each person may be disproportionate effort: a public communication "
                    "may be used instead",
                )
            )
    elif to_people == "uncertain":
        reasons.append(Reason("Art. 34(1)", "whether the risk is high: " + c.judgement(facts)))
    else:
        reasons.append(
            Reason("Art. 34(1)", "a high risk is not likely: the people need not be told")
        )
    sev = c.severity_for(s.total, regulator=to_authority, people=to_people)
    return Result(JURISDICTION, sev, to_authority, to_people, deadline, ID, reasons)
