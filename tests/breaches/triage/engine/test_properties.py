"""Properties over every valid set of facts (hypothesis), for the latest (@2) rule sets.

The released @1 rule sets are pinned byte for byte by test_versions.py instead.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from breaches.triage.engine import assess, parse_facts
from breaches.triage.engine.facts import (
    BREACH_TYPES,
    CONTAINED,
    HARM_TYPES,
    INFO_CATEGORIES,
    JURISDICTIONS,
    RECIPIENTS,
    SECURITY_MEASURES,
    Facts,
)
from breaches.triage.engine.result import ANSWERS, SEVERITIES
from breaches.triage.engine.scoring import SENSITIVITY

offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
facts_strategy = st.builds(
    Facts,
    jurisdiction=st.sampled_from(JURISDICTIONS),
    kind=st.sampled_from(["breach", "near_miss"]),
    breach_types=st.lists(st.sampled_from(BREACH_TYPES), unique=True).map(tuple),
    info_categories=st.lists(st.sampled_from(INFO_CATEGORIES), unique=True).map(tuple),
    individuals_affected=st.integers(min_value=0, max_value=10_000_000),
    vulnerable_individuals=st.booleans(),
    recipient=st.sampled_from(RECIPIENTS),
    security_measures=st.sampled_from(SECURITY_MEASURES),
    key_compromised=st.booleans(),
    contained=st.sampled_from(CONTAINED),
    harm_occurred=st.booleans(),
    harm_types=st.lists(st.sampled_from(HARM_TYPES), unique=True).map(tuple),
    backup_available=st.one_of(st.none(), st.booleans()),
    aware_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=offsets
    ),
)


def rank(result) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return (
        SEVERITIES.index(result.severity),
        ANSWERS.index(result.notify_regulator),
        ANSWERS.index(result.notify_individuals),
    )


def no_worse(before, after) -> bool:  # type: ignore[no-untyped-def]
    return all(a >= b for a, b in zip(rank(after), rank(before), strict=True))


@settings(max_examples=600)
@given(facts=facts_strategy)
def test_the_engine_never_raises_and_always_explains(facts: Facts) -> None:
    result = assess(facts)
    assert result.severity in SEVERITIES
    assert result.notify_regulator in ANSWERS and result.notify_individuals in ANSWERS
    assert result.reasons and all(r.factor and r.finding for r in result.reasons)
    assert result.regulator_deadline > facts.aware_at
    assert result.regulator_deadline.utcoffset() == facts.aware_at.utcoffset()
    # The JSON round trip is exact: what the API returns re-parses to the same facts.
    assert parse_facts(facts.to_dict()) == facts


@settings(max_examples=400)
@given(facts=facts_strategy)
def test_a_near_miss_is_never_notifiable(facts: Facts) -> None:
    result = assess(replace(facts, kind="near_miss"))
    assert (result.notify_regulator, result.notify_individuals) == ("no", "no")


@settings(max_examples=400)
@given(facts=facts_strategy, extra=st.integers(min_value=1, max_value=1_000_000))
def test_more_people_never_lowers_anything(facts: Facts, extra: int) -> None:
    worse = replace(facts, individuals_affected=facts.individuals_affected + extra)
    assert no_worse(assess(facts), assess(worse))


@settings(max_examples=400)
@given(facts=facts_strategy, category=st.sampled_from(INFO_CATEGORIES))
def test_more_sensitive_information_never_lowers_anything(facts: Facts, category: str) -> None:
    worse = replace(facts, info_categories=tuple(dict.fromkeys((*facts.info_categories, category))))
    assert no_worse(assess(facts), assess(worse))


@settings(max_examples=400)
@given(facts=facts_strategy, hostile=st.sampled_from(["malicious", "person_posing_risk"]))
def test_a_hostile_recipient_never_lowers_anything(facts: Facts, hostile: str) -> None:
    if RECIPIENTS.index(hostile) < RECIPIENTS.index(facts.recipient):
        hostile = facts.recipient
    assert no_worse(assess(facts), assess(replace(facts, recipient=hostile)))


@settings(max_examples=600)
@given(facts=facts_strategy, worse=st.sampled_from(RECIPIENTS))
def test_any_later_recipient_never_lowers_anything(facts: Facts, worse: str) -> None:
    """The whole order of SPEC §4.1, known_individual included: none < trusted_internal <
    trusted_external < known_individual < unknown < public < malicious < person_posing_risk."""
    if RECIPIENTS.index(worse) < RECIPIENTS.index(facts.recipient):
        worse = facts.recipient
    assert no_worse(assess(facts), assess(replace(facts, recipient=worse)))


def test_known_individual_sits_between_trusted_external_and_unknown() -> None:
    assert RECIPIENTS.index("trusted_external") + 1 == RECIPIENTS.index("known_individual")
    assert RECIPIENTS.index("known_individual") + 1 == RECIPIENTS.index("unknown")


@settings(max_examples=400)
@given(facts=facts_strategy)
def test_no_containment_never_lowers_anything(facts: Facts) -> None:
    assert no_worse(assess(facts), assess(replace(facts, contained="not")))
    if facts.contained == "fully":
        assert no_worse(assess(facts), assess(replace(facts, contained="partially")))


@settings(max_examples=300)
@given(facts=facts_strategy)
def test_losing_the_protection_never_lowers_anything(facts: Facts) -> None:
    assert no_worse(assess(facts), assess(replace(facts, key_compromised=True)))
    assert no_worse(assess(facts), assess(replace(facts, security_measures="none")))


@settings(max_examples=300)
@given(facts=facts_strategy)
def test_harm_occurring_never_lowers_anything(facts: Facts) -> None:
    assert no_worse(assess(facts), assess(replace(facts, harm_occurred=True)))
    assert no_worse(assess(facts), assess(replace(facts, vulnerable_individuals=True)))


def test_sensitivity_table_covers_every_category() -> None:
    assert set(SENSITIVITY) == set(INFO_CATEGORIES)


def test_deadlines() -> None:
    aware = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=13)))
    base = {
        "kind": "breach", "breach_types": ["loss"], "info_categories": ["health"],
        "individuals_affected": 1, "recipient": "unknown", "security_measures": "none",
        "contained": "not", "aware_at": aware.isoformat(),
    }  # fmt: skip
    nz = assess(parse_facts({**base, "jurisdiction": "NZ"}))
    assert nz.regulator_deadline == aware + timedelta(hours=72)
    assert nz.to_dict()["regulator_deadline"] == "2026-03-05T09:30:00+13:00"
    assert assess(parse_facts(base), nz_target_hours=48).regulator_deadline == aware + timedelta(
        hours=48
    )
    gdpr = assess(parse_facts({**base, "jurisdiction": "GDPR"}))
    assert gdpr.regulator_deadline == aware + timedelta(hours=72)
    au = assess(parse_facts({**base, "jurisdiction": "AU"}))
    assert au.regulator_deadline == aware + timedelta(days=30)
    assert au.regulator_deadline.astimezone(UTC) == (aware + timedelta(days=30)).astimezone(UTC)


@settings(max_examples=300)
@given(facts=facts_strategy, extra=st.sampled_from(BREACH_TYPES), harm=st.sampled_from(HARM_TYPES))
def test_more_breach_types_or_harm_types_never_lower_anything(
    facts: Facts, extra: str, harm: str
) -> None:
    more_types = replace(facts, breach_types=tuple(dict.fromkeys((*facts.breach_types, extra))))
    assert no_worse(assess(facts), assess(more_types))
    more_harm = replace(facts, harm_types=tuple(dict.fromkeys((*facts.harm_types, harm))))
    assert no_worse(assess(facts), assess(more_harm))


@settings(max_examples=300)
@given(facts=facts_strategy)
def test_losing_the_backup_never_lowers_anything(facts: Facts) -> None:
    assert no_worse(assess(facts), assess(replace(facts, backup_available=False)))
    if facts.backup_available is True:
        # Not knowing whether there is a backup is no better than having one.
        assert no_worse(assess(facts), assess(replace(facts, backup_available=None)))


@settings(max_examples=400)
@given(facts=facts_strategy)
def test_the_latest_rule_sets_answer(facts: Facts) -> None:
    assert assess(facts).rule_set.endswith("@2")


@settings(max_examples=300)
@given(facts=facts_strategy)
def test_the_severity_never_contradicts_the_answers(facts: Facts) -> None:
    result = assess(facts)
    if result.notify_individuals == "yes":
        assert SEVERITIES.index(result.severity) >= SEVERITIES.index("high")
    if result.notify_regulator == "yes":
        assert SEVERITIES.index(result.severity) >= SEVERITIES.index("medium")
    # Telling the people without telling the regulator never happens.
    assert ANSWERS.index(result.notify_regulator) >= ANSWERS.index(result.notify_individuals)


@settings(max_examples=300)
@given(facts=facts_strategy)
def test_uncertain_always_comes_with_what_to_weigh(facts: Facts) -> None:
    result = assess(facts)
    if "uncertain" in (result.notify_regulator, result.notify_individuals):
        assert any("the officer must decide, weighing:" in r.finding for r in result.reasons)


def test_every_step_up_a_compact_grid_never_lowers_anything() -> None:
    """Exhaustive where random search is thin: the thresholds of the clear-case rules (9/10,
    99/100, 999/1000 people; each recipient; each containment) on a grid of typical facts."""
    aware = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    grid = itertools.product(
        JURISDICTIONS,
        [("contact",), ("financial",), ("health",), ("contact", "identity_document")],
        [("unauthorised_disclosure",), ("unavailability",), ("loss",)],
        ["none", "encrypted"],
        [None, False, True],
    )
    for jurisdiction, categories, types, security, backup in grid:
        for people, contained in itertools.product([1, 9, 10, 99, 100, 999, 1000], CONTAINED):
            results = [
                assess(
                    Facts(jurisdiction, "breach", types, categories, people, False, recipient,
                          security, False, contained, False, (), backup, aware)
                )
                for recipient in RECIPIENTS
            ]  # fmt: skip
            for before, after in itertools.pairwise(results):
                assert no_worse(before, after), (jurisdiction, categories, types, people, before)
