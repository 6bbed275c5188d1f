"""Findings every rule set states in its own legal terms."""

from __future__ import annotations

from breaches.triage.engine.facts import Facts
from breaches.triage.engine.scoring import RECIPIENT_RISK, Score

RECIPIENT_TEXT = {
    "none": "nobody is known to have obtained the information",
    "trusted_internal": "only staff bound by the agency's own duties obtained it",
    "trusted_external": "the recipient is bound by confidentiality (e.g. another agency)",
    "unknown": "it is not known who obtained or may obtain the information",
    "public": "the information was published or is openly reachable",
    "malicious": "a criminal or hostile actor obtained it",
    "person_posing_risk": "someone who may harm an affected person obtained it",
}
CONTAINED_TEXT = {
    "fully": "fully contained: recovered or confirmed deleted, no copies",
    "partially": "only partially contained",
    "not": "not contained",
}
SECURITY_TEXT = {
    "none": "no security measure protected it",
    "password_protected": "protected only by a password",
    "pseudonymised": "pseudonymised",
    "encrypted": "encrypted",
}


def harm_text(facts: Facts) -> str:
    kinds = ", ".join(h.replace("_", " ") for h in facts.harm_types)
    if facts.harm_occurred:
        return f"harm has already occurred ({kinds or 'its kind not stated'})"
    return f"harm that may be caused: {kinds or 'not stated'}"


def security_text(facts: Facts, score: Score) -> str:
    text = SECURITY_TEXT[facts.security_measures]
    if facts.security_measures != "none" and facts.key_compromised:
        return text + ", but the key or password was exposed too, so it gives no protection"
    if score.encryption_holds:
        return text + " and the key was not exposed: the information is unintelligible to others"
    return text


def borderline_advice(facts: Facts) -> str:
    """What the officer should weigh when the facts do not settle it."""
    weigh = []
    if RECIPIENT_RISK[facts.recipient] >= 2:
        weigh.append("what the recipient is likely to do with it")
    if facts.contained != "fully":
        weigh.append("whether it can still be recovered or deleted")
    if not facts.harm_types:
        weigh.append("what harm could follow for these people")
    weigh.append("how sensitive the information is in these people's circumstances")
    return "borderline: the officer must decide, weighing " + "; ".join(weigh)
