"""Validation of the §4.1 facts: unknown fields and values are named with what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from breaches.triage.engine import FactsError, parse_facts

VALID: dict[str, Any] = {
    "jurisdiction": "NZ",
    "kind": "breach",
    "breach_types": ["unauthorised_disclosure"],
    "info_categories": ["care_protection", "family_violence", "location"],
    "individuals_affected": 1,
    "vulnerable_individuals": True,
    "recipient": "person_posing_risk",
    "security_measures": "none",
    "key_compromised": False,
    "contained": "not",
    "harm_occurred": True,
    "harm_types": ["physical", "emotional"],
    "backup_available": None,
    "aware_at": "2026-03-02T09:30:00+13:00",
}


def test_the_spec_example_parses() -> None:
    facts = parse_facts(VALID)
    assert facts.to_dict() == VALID


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("jurisdiction", "US", "allowed values: NZ, GDPR, AU"),
        ("kind", "incident", "allowed values: breach, near_miss"),
        ("breach_types", ["theft"], "allowed values: unauthorised_access"),
        ("breach_types", "loss", "expected a list"),
        ("info_categories", ["gossip"], "allowed values: contact"),
        ("individuals_affected", -1, "an integer 0 or more"),
        ("individuals_affected", "3", "an integer 0 or more"),
        ("individuals_affected", True, "an integer 0 or more"),
        ("vulnerable_individuals", "yes", "true or false"),
        ("recipient", "neighbour", "allowed values: none, trusted_internal"),
        ("security_measures", "locked", "allowed values: none, password_protected"),
        ("key_compromised", None, "true or false"),
        ("contained", "mostly", "allowed values: fully, partially, not"),
        ("harm_occurred", 1, "true or false"),
        ("harm_types", ["boredom"], "allowed values: physical"),
        ("backup_available", "maybe", "true, false or null"),
        ("aware_at", "last Tuesday", "ISO 8601"),
        ("aware_at", "2026-03-02T09:30:00", "with an offset"),
        ("aware_at", 1700000000, "ISO 8601"),
    ],
)
def test_bad_values_are_named_with_the_allowed_values(
    field: str, value: Any, fragment: str
) -> None:
    with pytest.raises(FactsError) as caught:
        parse_facts({**VALID, field: value})
    assert set(caught.value.errors) == {field}
    assert fragment in caught.value.errors[field]


def test_known_individual_is_a_recipient_and_old_facts_stay_valid() -> None:
    assert parse_facts({**VALID, "recipient": "known_individual"}).recipient == "known_individual"
    for old in ("none", "trusted_internal", "trusted_external", "unknown", "public", "malicious",
                "person_posing_risk"):  # fmt: skip
        assert parse_facts({**VALID, "recipient": old}).to_dict() == {**VALID, "recipient": old}
    with pytest.raises(FactsError) as caught:
        parse_facts({**VALID, "recipient": "neighbour"})
    assert "trusted_external, known_individual, unknown" in caught.value.errors["recipient"]


def test_unknown_fields_are_rejected_by_name() -> None:
    with pytest.raises(FactsError) as caught:
        parse_facts({**VALID, "severity": "low", "notes": "x"})
    assert set(caught.value.errors) == {"severity", "notes"}
    assert "unknown field" in caught.value.errors["notes"]


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(FactsError) as caught:
        parse_facts({"jurisdiction": "NZ"})
    assert {"kind", "breach_types", "info_categories", "individuals_affected", "recipient",
            "security_measures", "contained", "aware_at"} <= set(caught.value.errors)  # fmt: skip


def test_optional_fields_default_sensibly() -> None:
    required = ["kind", "breach_types", "info_categories", "individuals_affected", "recipient",
                "security_measures", "contained", "aware_at"]  # fmt: skip
    minimal = {k: VALID[k] for k in required}
    facts = parse_facts(minimal, default_jurisdiction="GDPR")
    assert facts.jurisdiction == "GDPR"
    assert facts.harm_types == () and facts.backup_available is None


@pytest.mark.parametrize("data", [None, [], "facts", 3])
def test_non_objects_are_refused(data: Any) -> None:
    with pytest.raises(FactsError) as caught:
        parse_facts(data)
    assert "facts" in caught.value.errors
