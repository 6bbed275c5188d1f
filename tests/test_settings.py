"""Settings: production refuses to start without its variables; check --deploy is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": "x7#kq!3vLp9@w2Zr$eT8^mN4&yB6*uC1(hJ5)gF0-dS+aQ=oI_Pl",
    "DATABASE_URL": "postgres://pbr:secret@db.internal:5432/pbr",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "register.agency.example",
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process; a deployment never has it.
    inherited = set(PRODUCTION_ENV) | {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_production_refuses_to_start_without_required_values() -> None:
    result = run(["manage.py", "check"], {"DJANGO_ENV": "production"})
    assert result.returncode != 0
    for name in ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"]:
        assert name in result.stderr


def test_production_names_only_what_is_missing() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
    assert "SECRET_KEY" not in result.stderr.split("needs these")[-1]


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_unknown_environment_is_refused() -> None:
    result = run(["manage.py", "check"], {"DJANGO_ENV": "staging"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr


def test_time_zone_defaults_to_auckland() -> None:
    result = run(
        [
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.TIME_ZONE)",
        ],
        {"DJANGO_SETTINGS_MODULE": "config.test_settings"},
    )
    assert result.stdout.strip() == "Pacific/Auckland", result.stderr
