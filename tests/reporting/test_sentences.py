"""The notifiable list's "what happened", as a sentence from categories (issue 14).

It used to read "Other; Other; 40 people": the channel's label, the cause's label and a count.
Now it is a sentence made from the channel, cause, breach types, categories of information and
the number of people, never from free text (reporting/sentences.py).
"""

from __future__ import annotations

import pytest

from breaches.models import Incident, IncidentBreachType, IncidentInformationCategory
from reporting.sentences import CATEGORIES, EVENTS, event, information, people, what_happened


def test_the_example_of_the_issue() -> None:
    assert (
        what_happened(
            channel="email", cause="wrong_recipient", categories=["contact", "health"], affected=40
        )
        == "Email sent to the wrong recipient: health information and contact details of 40 people."
    )


@pytest.mark.parametrize(
    ("channel", "cause", "types", "expected"),
    [
        ("post", "wrong_recipient", [], "Letter posted to the wrong recipient"),
        ("email", "misaddressed", [], "Email misaddressed"),
        ("verbal", "misaddressed", [], "Information misaddressed"),  # the cause's own phrase
        ("paper", "papers_unsecured", [], "Papers left unsecured"),
        ("system_access", "deliberate_misuse", [], "Staff member looked up records without a work reason"),
        ("lost_device", "malicious_third_party", [], "Device stolen"),
        ("email", "system_fault", [], "Email sent in error by a system or process fault"),
        # A cause of "other" (or none recorded): the gravest breach type and the channel.
        ("email", "other", ["loss", "unauthorised_disclosure"], "Unauthorised disclosure by email"),
        ("paper", "", ["loss"], "Loss of papers"),
        ("other", "other", ["unauthorised_access"], "Unauthorised access"),
        ("lost_device", "other", ["loss"], "Device lost"),
        ("other", "other", [], "Breach of personal information"),
    ],
)  # fmt: skip
def test_what_happened_from_cause_and_channel(
    channel: str, cause: str, types: list[str], expected: str
) -> None:
    assert event(channel, cause, types) == expected


def test_the_old_other_other_40_people_reads_as_a_sentence() -> None:
    assert (
        what_happened(
            channel="other",
            cause="other",
            categories=["other"],
            affected=40,
            breach_types=["unauthorised_disclosure"],
        )
        == "Unauthorised disclosure: other personal information of 40 people."
    )


def test_categories_most_sensitive_first_and_at_most_three_named() -> None:
    assert information([]) == "personal information"
    assert information(["contact"]) == "contact details"
    assert (
        information(["contact", "family_violence", "health"])
        == "family violence information, health information and contact details"
    )
    assert (
        information(["contact", "location", "health", "care_protection", "financial"])
        == "care and protection records, health information, financial details and 2 more "
        "kinds of information"
    )
    assert information(["contact", "location", "health", "care_protection"]).endswith(
        "and 1 more kind of information"
    )
    assert information(["health", "health"]) == "health information"  # a category once


def test_people() -> None:
    assert people(1) == "of 1 person"
    assert people(40) == "of 40 people"
    assert people(120, estimate=True) == "of about 120 people"
    assert people(None) == "of an unrecorded number of people"
    assert people(0) == "(no person affected)"


def test_every_code_of_the_models_has_words() -> None:
    """A new channel, cause or category added to the models must get its words here."""
    for cause in Incident.Cause.values:
        if cause != "other":
            assert cause in EVENTS
    for phrases in EVENTS.values():
        assert "*" in phrases and set(phrases) - {"*"} <= set(Incident.Channel.values)
    assert set(CATEGORIES) == set(IncidentInformationCategory.Category.values)
    for channel in Incident.Channel.values:
        for cause in [*Incident.Cause.values, ""]:
            for breach_type in IncidentBreachType.Type.values:
                text = what_happened(channel=channel, cause=cause, breach_types=[breach_type])
                assert text[0].isupper() and text.endswith(".") and ";" not in text
