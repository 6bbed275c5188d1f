"""Released rule sets never change: @1 re-reads byte for byte; @2 is the latest (issue 16).

``v1_golden.json`` was computed from the @1 rule sets *before* version 2 was written: every
scenario of the time and 400 seeded random sets of facts, each with its full @1 result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breaches.triage.engine import assess, parse_facts
from breaches.triage.engine.registry import LATEST, RULE_SETS, RuleSetError

GOLDEN = json.loads((Path(__file__).parent / "v1_golden.json").read_text())["results"]


def test_the_golden_covers_every_v1_rule_set() -> None:
    assert len(GOLDEN) >= 400
    assert {g["rule_set"] for g in GOLDEN} == {"nz-privacy-act-2020@1", "gdpr@1", "au-ndb@1"}


def test_every_v1_result_rereads_byte_for_byte() -> None:
    changed = []
    for golden in GOLDEN:
        facts = parse_facts(golden["facts"])
        result = assess(facts, rule_set=golden["rule_set"], nz_target_hours=72).to_dict()
        as_stored = json.dumps(golden["result"], sort_keys=True, ensure_ascii=False)
        if json.dumps(result, sort_keys=True, ensure_ascii=False) != as_stored:
            changed.append(f"{golden['case']} ({golden['rule_set']})")
    assert not changed, f"@1 results changed: {changed[:10]}"


def test_latest_is_v2_and_every_version_stays_registered() -> None:
    assert LATEST == {"NZ": "nz-privacy-act-2020@2", "GDPR": "gdpr@2", "AU": "au-ndb@2"}
    assert set(RULE_SETS) == {
        "nz-privacy-act-2020@1", "gdpr@1", "au-ndb@1",
        "nz-privacy-act-2020@2", "gdpr@2", "au-ndb@2",
    }  # fmt: skip
    for rule_set, module in RULE_SETS.items():
        assert rule_set == module.ID


BASE = {
    "kind": "breach",
    "breach_types": ["unauthorised_disclosure"],
    "info_categories": ["contact"],
    "individuals_affected": 1,
    "recipient": "known_individual",
    "security_measures": "none",
    "contained": "partially",
    "aware_at": "2026-03-02T09:30:00+13:00",
}


@pytest.mark.parametrize("rule_set", ["nz-privacy-act-2020@1", "gdpr@1", "au-ndb@1"])
def test_a_v1_rule_set_refuses_the_new_recipient_clearly(rule_set: str) -> None:
    facts = parse_facts({**BASE, "jurisdiction": RULE_SETS[rule_set].JURISDICTION})
    with pytest.raises(RuleSetError) as caught:
        assess(facts, rule_set=rule_set)
    assert "predates the recipient 'known_individual'" in str(caught.value)
    assert str(caught.value).endswith("@2")
    # The latest takes it.
    assert assess(facts).rule_set.endswith("@2")


def test_an_unknown_or_unsuitable_rule_set_is_named() -> None:
    facts = parse_facts({**BASE, "jurisdiction": "GDPR"})
    with pytest.raises(RuleSetError, match="unknown rule set 'gdpr@9'; known: au-ndb@1"):
        assess(facts, rule_set="gdpr@9")
    with pytest.raises(RuleSetError, match="not for jurisdiction GDPR"):
        assess(facts, rule_set="au-ndb@2")


@pytest.mark.parametrize("jurisdiction", ["NZ", "GDPR", "AU"])
def test_uncertain_always_says_what_the_officer_must_judge(jurisdiction: str) -> None:
    # Basic details, unknown recipient, 50 people: the middle band in every law.
    facts = parse_facts(
        {**BASE, "jurisdiction": jurisdiction, "recipient": "unknown", "individuals_affected": 50,
         "contained": "not"}
    )  # fmt: skip
    result = assess(facts)
    assert "uncertain" in (result.notify_regulator, result.notify_individuals)
    findings = " ".join(r.finding for r in result.reasons)
    assert "the officer must decide, weighing:" in findings
    assert "not of an especially sensitive kind" in findings
