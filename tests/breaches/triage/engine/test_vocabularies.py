"""The engine (pure Python, SPEC §4.1) and the models share six vocabularies; tie them together.

The engine must not import Django, so it keeps its own tuples; this test fails the moment one
side gains, loses or renames a value the other does not.
"""

from __future__ import annotations

import pytest

from breaches.models import (
    Answer,
    Assessment,
    Incident,
    IncidentBreachType,
    IncidentInformationCategory,
    Severity,
)
from breaches.triage.engine import facts, result


@pytest.mark.parametrize(
    ("engine", "model"),
    [
        (facts.JURISDICTIONS, Incident.Jurisdiction.values),
        (facts.KINDS, Incident.Kind.values),
        (facts.BREACH_TYPES, IncidentBreachType.Type.values),
        (facts.INFO_CATEGORIES, IncidentInformationCategory.Category.values),
        (result.SEVERITIES, Severity.values),
        (result.ANSWERS, Answer.values),
    ],
    ids=["jurisdiction", "kind", "breach type", "information category", "severity", "answer"],
)
def test_engine_and_model_vocabularies_are_the_same(
    engine: tuple[str, ...], model: list[str]
) -> None:
    assert sorted(engine) == sorted(model)


def test_assessment_columns_take_the_engines_values() -> None:
    fields = {f.name: f for f in Assessment._meta.get_fields() if hasattr(f, "choices")}
    assert {v for v, _ in fields["severity"].choices} == set(result.SEVERITIES)
    assert {v for v, _ in fields["notify_regulator"].choices} == set(result.ANSWERS)
    assert {v for v, _ in fields["jurisdiction"].choices} == set(facts.JURISDICTIONS)


def test_the_engine_imports_no_django() -> None:
    import ast
    from pathlib import Path

    root = Path(facts.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("django", "breaches.models")), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("django") for a in node.names), path
