"""The quarterly report's "what happened", as a sentence built from an incident's categories.

The notifiable list of the report (SPEC §6, section 5) must say what happened without personal
details, so it is never taken from the free text (summary, description): it is built from the
categorical facts alone — how it happened (channel), why (cause), the breach types, the
categories of personal information and the number of people affected:

    Email sent to the wrong recipient: health information and contact details of 40 people.
    Device stolen: care and protection records of about 120 people.
    Unauthorised disclosure by post: personal information of 1 person.

:func:`what_happened` is a pure function of those codes (tests/reporting/test_sentences.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from breaches.models import Incident, IncidentBreachType, IncidentInformationCategory

Cause, Channel = Incident.Cause, Incident.Channel
Type, Category = IncidentBreachType.Type, IncidentInformationCategory.Category
ANY = "*"

# What happened, by cause and then channel; ANY is the cause's phrase for any other channel.
EVENTS: dict[str, dict[str, str]] = {
    Cause.WRONG_RECIPIENT: {
        Channel.EMAIL: "Email sent to the wrong recipient",
        Channel.POST: "Letter posted to the wrong recipient",
        Channel.PAPER: "Papers handed to the wrong person",
        Channel.VERBAL: "Information told to the wrong person",
        Channel.SCREENSHOT_PHOTO: "Screenshot or photo sent to the wrong recipient",
        Channel.SYSTEM_ACCESS: "Records shared with the wrong person through a system",
        Channel.LOST_DEVICE: "Device given to the wrong person",
        ANY: "Information sent to the wrong recipient",
    },
    Cause.MISADDRESSED: {
        Channel.EMAIL: "Email misaddressed",
        Channel.POST: "Letter misaddressed",
        Channel.PAPER: "Papers misaddressed",
        ANY: "Information misaddressed",
    },
    Cause.PAPERS_UNSECURED: {
        Channel.LOST_DEVICE: "Device left unsecured",
        Channel.POST: "Post left unsecured",
        Channel.SCREENSHOT_PHOTO: "Printed photos or screenshots left unsecured",
        ANY: "Papers left unsecured",
    },
    Cause.DELIBERATE_MISUSE: {
        Channel.SYSTEM_ACCESS: "Staff member looked up records without a work reason",
        Channel.SCREENSHOT_PHOTO: "Staff member shared a screenshot or photo of records",
        Channel.EMAIL: "Staff member emailed records without authority",
        Channel.VERBAL: "Staff member disclosed information without authority",
        Channel.PAPER: "Staff member took or shared papers without authority",
        Channel.POST: "Staff member posted records without authority",
        ANY: "Records deliberately misused by a staff member",
    },
    Cause.SYSTEM_FAULT: {
        Channel.EMAIL: "Email sent in error by a system or process fault",
        Channel.POST: "Letters sent in error by a system or process fault",
        Channel.SYSTEM_ACCESS: "Records exposed by a system or process fault",
        ANY: "Information exposed by a system or process fault",
    },
    Cause.MALICIOUS_THIRD_PARTY: {
        Channel.SYSTEM_ACCESS: "Records accessed by a malicious third party",
        Channel.LOST_DEVICE: "Device stolen",
        Channel.EMAIL: "Email account compromised by a malicious third party",
        Channel.POST: "Post stolen or intercepted",
        ANY: "Information taken by a malicious third party",
    },
}

# For a cause of "other" (or none recorded): the first breach type and how it happened.
BREACH_TYPES: dict[str, str] = {
    Type.UNAUTHORISED_DISCLOSURE: "Unauthorised disclosure",
    Type.UNAUTHORISED_ACCESS: "Unauthorised access",
    Type.LOSS: "Loss",
    Type.DESTRUCTION: "Destruction",
    Type.ALTERATION: "Alteration",
    Type.UNAVAILABILITY: "Unavailability",
}
BY_CHANNEL: dict[str, str] = {
    Channel.EMAIL: "by email",
    Channel.PAPER: "of papers",
    Channel.VERBAL: "by word of mouth",
    Channel.SYSTEM_ACCESS: "through system access",
    Channel.SCREENSHOT_PHOTO: "by screenshot or photo",
    Channel.POST: "by post",
    Channel.LOST_DEVICE: "on a lost device",
    Channel.OTHER: "",
}
# The order in which breach types are named when there are several: the gravest first.
BREACH_TYPE_ORDER = list(BREACH_TYPES)

# Categories of personal information as nouns, the most sensitive first: that is the order a
# reader needs, and the order they are named in when there are many.
CATEGORIES: dict[str, str] = {
    Category.FAMILY_VIOLENCE: "family violence information",
    Category.CARE_PROTECTION: "care and protection records",
    Category.SEXUAL: "information about sexual life or orientation",
    Category.HEALTH: "health information",
    Category.CRIMINAL: "criminal history",
    Category.CHILDREN: "information about children",
    Category.BIOMETRIC: "biometric data",
    Category.CREDENTIALS: "passwords or credentials",
    Category.IDENTITY_DOCUMENT: "identity documents",
    Category.FINANCIAL: "financial details",
    Category.LOCATION: "addresses or locations",
    Category.ETHNICITY_RELIGION: "ethnicity or religion",
    Category.EMPLOYMENT: "employment details",
    Category.CONTACT: "contact details",
    Category.OTHER: "other personal information",
}
# More than this many categories: the first ones and "N more kinds of information".
MAX_CATEGORIES = 3


def event(channel: str, cause: str, breach_types: Sequence[str] = ()) -> str:
    """What happened, from the cause and the channel (or, for a cause of "other" or none
    recorded, from the gravest breach type and the channel)."""
    phrases = EVENTS.get(cause)
    if phrases is not None:
        return phrases.get(channel, phrases[ANY])
    if channel == Channel.LOST_DEVICE:
        return "Device lost"
    known = sorted((t for t in breach_types if t in BREACH_TYPES), key=BREACH_TYPE_ORDER.index)
    how = BY_CHANNEL.get(channel, "")
    if known:
        return f"{BREACH_TYPES[known[0]]} {how}".strip()
    return f"Breach of personal information {how}".strip()


def information(categories: Sequence[str]) -> str:
    """The categories of personal information, most sensitive first, as one noun phrase."""
    nouns = [
        CATEGORIES[c] for c in sorted(set(categories) & set(CATEGORIES), key=list(CATEGORIES).index)
    ]
    if not nouns:
        return "personal information"
    if len(nouns) > MAX_CATEGORIES:
        more = len(nouns) - MAX_CATEGORIES
        kinds = "kind" if more == 1 else "kinds"
        nouns = [*nouns[:MAX_CATEGORIES], f"{more} more {kinds} of information"]
    if len(nouns) == 1:
        return nouns[0]
    return f"{', '.join(nouns[:-1])} and {nouns[-1]}"


def people(count: int | None, *, estimate: bool = False) -> str:
    """``of 40 people``, ``of about 40 people``, ``of 1 person``."""
    if count is None:
        return "of an unrecorded number of people"
    if count == 0:
        return "(no person affected)"
    about = "about " if estimate else ""
    return f"of {about}{count} {'person' if count == 1 else 'people'}"


def what_happened(
    *,
    channel: str,
    cause: str,
    categories: Sequence[str] = (),
    affected: int | None = None,
    estimate: bool = False,
    breach_types: Sequence[str] = (),
) -> str:
    """One sentence from an incident's categories, never its free text:
    ``Email sent to the wrong recipient: health information and contact details of 40 people.``
    """
    what = event(channel, cause, breach_types)
    return f"{what}: {information(categories)} {people(affected, estimate=estimate)}."


def percent(share: float | None) -> str:
    """A share (0–1) in per cent to one decimal, without a trailing ``.0``: ``7.1 %``, ``40 %``."""
    if share is None:
        return "—"
    text = f"{100 * share:.1f}".removesuffix(".0")
    return f"{text} %"


def limit_status(
    *,
    share: float,
    limit: float | None,
    reports: int,
    agency: float | None,
    needed: int | None,
    quarters_below: Sequence[str],
    flagged: bool,
) -> str:
    """A unit against the under-reporting rule, in words, with the figures behind it
    (docs/reporting.md, "Possible under-reporting"). ``share`` is the unit's near-miss share,
    ``limit`` its lower control limit (None when not above 0), ``agency`` the agency's share,
    ``needed`` the fewest reports for a limit, ``quarters_below`` every quarter the unit was
    below its limit in (this one first when it is below now)."""
    if agency is None or needed is None:
        return "No limit: no near misses were reported in the agency this quarter."
    if limit is None:
        return (
            f"No limit: too few reports ({reports}; a limit needs at least {needed} at the "
            f"agency's near-miss share of {percent(agency)})."
        )
    figures = (
        f"near misses were {percent(share)} of its {reports} reports, against a lower limit "
        f"of {percent(limit)} (the agency's share: {percent(agency)})"
    )
    if flagged:
        earlier = list(quarters_below[1:])
        also = earlier[0] if len(earlier) == 1 else f"{', '.join(earlier[:-1])} and {earlier[-1]}"
        return f"Possible under-reporting: {figures}; below its limit in {also} too."
    if quarters_below and share < limit:
        return (
            f"Below its limit this quarter only: {figures}; not below in the three quarters "
            "before, so not flagged."
        )
    return ""
