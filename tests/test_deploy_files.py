"""The deployment files agree with the application (SPEC §7).

Plain file parsing: no database, no Docker engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS = ROOT / "config" / "settings.py"

APP_SERVICES = ["web", "worker", "beat"]
REQUIRED_APP_ENV = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV"]

_ENV_CALL = re.compile(r"\benv_(?:str|bool|int|list)\(\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']")
_REQUIRE_CALL = re.compile(r"\brequire\(\s*\[([^\]]*)\]")
_QUOTED_NAME = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result = compose.get("services")
    assert isinstance(result, dict), "docker-compose.yml has no services mapping"
    return result


def _command(service: dict[str, Any]) -> str:
    """The service's command as one string, whether written as a string or a list."""
    command = service.get("command", "")
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    return str(command)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment as a mapping, whether written as a mapping or a list."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {pair[0]: (pair[1] if len(pair) > 1 else "") for pair in pairs}
    return {str(key): str(value) for key, value in environment.items()}


def test_compose_has_the_five_services(services: dict[str, Any]) -> None:
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)


def test_web_runs_gunicorn_with_the_wsgi_app(services: dict[str, Any]) -> None:
    command = _command(services["web"])
    assert "gunicorn" in command
    assert "config.wsgi" in command
    assert "migrate --noinput" in command


def test_worker_runs_a_celery_worker(services: dict[str, Any]) -> None:
    command = _command(services["worker"]).split()
    assert command[0] == "celery"
    assert "worker" in command
    assert "-A config" in " ".join(command)


def test_beat_runs_celery_beat(services: dict[str, Any]) -> None:
    command = _command(services["beat"]).split()
    assert command[0] == "celery"
    assert "beat" in command
    assert "-A config" in " ".join(command)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_the_production_environment(services: dict[str, Any], name: str) -> None:
    environment = _environment(services[name])
    missing = [variable for variable in REQUIRED_APP_ENV if variable not in environment]
    assert not missing, f"{name} lacks {missing}"
    assert environment["DJANGO_ENV"] == "production"


def test_database_and_broker_images(services: dict[str, Any]) -> None:
    assert str(services["db"]["image"]).startswith("postgres")
    assert str(services["redis"]["image"]).startswith("redis")


def _settings_variables() -> set[str]:
    source = SETTINGS.read_text(encoding="utf-8")
    names = set(_ENV_CALL.findall(source))
    for names_list in _REQUIRE_CALL.findall(source):
        names.update(_QUOTED_NAME.findall(names_list))
    return names


def _example_variables() -> set[str]:
    """Names assigned in .env.example, including commented-out optional ones ("# NAME=...")."""
    pattern = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
    return set(pattern.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))


def test_the_settings_regex_finds_the_known_variables() -> None:
    # Guards the regex itself: if it found nothing, the next test would pass vacuously.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DJANGO_ENV"} <= (
        _settings_variables()
    )


def test_env_example_lists_every_variable_settings_reads() -> None:
    missing = sorted(_settings_variables() - _example_variables())
    assert not missing, f".env.example does not list {missing}"


def test_only_the_tls_proxy_is_published(services: dict[str, Any]) -> None:
    """Issue 12, item 6: the app trusts one proxy, so nothing may reach `web` around it."""
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy web:8000" in caddyfile
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    trusted = _environment(services["web"]).get("TRUSTED_PROXY_COUNT", "")
    assert trusted.endswith("1}") or trusted == "1"
