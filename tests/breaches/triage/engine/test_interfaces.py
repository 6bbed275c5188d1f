"""The triage API and CLI: same contract, same validation, nothing stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from breaches.models import Incident
from tests.breaches.triage.engine.test_facts import VALID
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.django_db
def test_api_returns_the_spec_result_and_stores_nothing(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.officer_a)
    before = Incident.objects.count()
    response = client.post("/api/v1/triage/assess/", VALID, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["severity"] == "critical"
    assert body["notify_regulator"] == body["notify_individuals"] == "yes"
    assert body["regulator_deadline"] == "2026-03-05T09:30:00+13:00"
    assert body["rule_set"] == "nz-privacy-act-2020@2"
    assert {"factor", "finding"} == set(body["reasons"][0])
    assert Incident.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"recipient": "neighbour"}, "recipient"),
        ({"colour": "red"}, "colour"),
        ({"aware_at": "soon"}, "aware_at"),
    ],
)
def test_api_400_names_the_field_and_allowed_values(world: World, patch: dict, field: str) -> None:  # type: ignore[type-arg]
    client = APIClient()
    client.force_authenticate(world.reporter)
    response = client.post("/api/v1/triage/assess/", {**VALID, **patch}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize(("jurisdiction", "rule_set"), [("NZ", "nz-privacy-act-2020@2"),
                         ("GDPR", "gdpr@2"), ("AU", "au-ndb@2")])  # fmt: skip
def test_api_takes_the_known_individual_recipient(
    world: World, jurisdiction: str, rule_set: str
) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    harmless = {**VALID, "jurisdiction": jurisdiction, "recipient": "known_individual",
                "info_categories": ["contact"], "vulnerable_individuals": False,
                "harm_occurred": False, "harm_types": [], "contained": "partially"}  # fmt: skip
    response = client.post("/api/v1/triage/assess/", harmless, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["rule_set"] == rule_set
    assert body["notify_regulator"] == body["notify_individuals"] == "no"


@pytest.mark.django_db
def test_api_needs_a_signed_in_user() -> None:
    assert APIClient().post("/api/v1/triage/assess/", VALID, format="json").status_code == 401


@pytest.mark.django_db
def test_api_malformed_json_is_400(world: World) -> None:
    client = APIClient()
    client.force_authenticate(world.reporter)
    response = client.post("/api/v1/triage/assess/", "{", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_cli_reads_a_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(VALID))
    call_command("assess", str(path))
    result = json.loads(capsys.readouterr().out)
    assert result["severity"] == "critical"
    assert result["rule_set"] == "nz-privacy-act-2020@2"


def run_cli(stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "assess", "-"],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, check=False,
    )  # fmt: skip


def test_cli_reads_stdin_and_exits_2_on_bad_facts() -> None:
    ok = run_cli(json.dumps(VALID))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["notify_regulator"] == "yes"
    bad = run_cli(json.dumps({**VALID, "contained": "mostly"}))
    assert bad.returncode == 2
    assert "contained" in bad.stderr and "allowed values: fully, partially, not" in bad.stderr
    garbage = run_cli("not json")
    assert garbage.returncode == 2
    assert "not valid JSON" in garbage.stderr


@pytest.mark.django_db
def test_cli_old_rule_set_with_the_new_recipient_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({**VALID, "jurisdiction": "GDPR", "recipient": "known_individual"}))
    with pytest.raises(CommandError) as caught:
        call_command("assess", str(path), "--rule-set", "gdpr@1")
    assert caught.value.returncode == 2
    assert "gdpr@1 predates the recipient 'known_individual'; use gdpr@2" in str(caught.value)
    with pytest.raises(CommandError) as caught:
        call_command("assess", str(path), "--rule-set", "gdpr@7")
    assert "unknown rule set 'gdpr@7'" in str(caught.value)


@pytest.mark.django_db
def test_cli_rereads_with_an_old_rule_set(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(VALID))
    call_command("assess", str(path), "--rule-set", "nz-privacy-act-2020@1")
    assert json.loads(capsys.readouterr().out)["rule_set"] == "nz-privacy-act-2020@1"


def test_cli_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("assess", str(tmp_path / "nope.json"))
    assert "cannot read" in str(caught.value)
