"""The engine against regulators' own published examples (scenarios.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from breaches.triage.engine import assess, parse_facts
from breaches.triage.engine.result import SEVERITIES

SCENARIOS = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text())["scenarios"]


def test_there_are_at_least_40_scenarios_each_with_a_source() -> None:
    assert len(SCENARIOS) >= 40
    assert all(s["source"].strip() for s in SCENARIOS)
    assert len({s["id"] for s in SCENARIOS}) == len(SCENARIOS)
    assert {s["facts"]["jurisdiction"] for s in SCENARIOS} == {"NZ", "GDPR", "AU"}


def _word(value: Any) -> str:
    # YAML 1.1 reads bare yes/no as booleans.
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


def _accepts(expected: Any, actual: str) -> bool:
    if isinstance(expected, list):
        return actual in [_word(e) for e in expected]
    return actual == _word(expected)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario: dict[str, Any]) -> None:
    result = assess(parse_facts(scenario["facts"]))
    expect = scenario["expect"]
    summary = f"{scenario['source']}\n{result.to_dict()}"
    assert _accepts(expect["notify_regulator"], result.notify_regulator), summary
    assert _accepts(expect["notify_individuals"], result.notify_individuals), summary
    assert SEVERITIES.index(result.severity) >= SEVERITIES.index(expect["min_severity"]), summary
    assert result.reasons and all(r.factor for r in result.reasons)
