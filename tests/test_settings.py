"""Settings: production refuses to start without its variables; check --deploy is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from tests.factories import BusinessUnitFactory, UserFactory

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


# --- `make run`: the product's own error pages, and static files without DEBUG ---------------

DEVELOPMENT_CHECK = """
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(raise_request_exception=False)
static = client.get("/static/css/app.css")
missing = client.get("/no-such-page/")
print(settings.DEBUG, static.status_code, static["Content-Type"].split(";")[0])
print(missing.status_code, "There is nothing here" in missing.content.decode(),
      "URLconf" in missing.content.decode())
"""


def test_make_run_shows_the_products_own_pages_and_still_serves_static_files(
    tmp_path: Path,
) -> None:
    """The development profile (what `make run` uses), as it starts with no DEBUG set: debug off
    (Django's debug 404 lists every URL pattern), static files served all the same (WhiteNoise
    from the source folders, no collectstatic), and a missing page is the product's 404."""
    env = {
        "DJANGO_ENV": "development",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "VAR_DIR": str(tmp_path),
    }
    result = run(["-c", DEVELOPMENT_CHECK], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False 200 text/css", "404 True False"], result.stdout
    # A developer can still ask for the debug pages.
    result = run(["-c", DEVELOPMENT_CHECK], {**env, "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["True 200 text/css", "404 False True"], result.stdout


def boom(request: object) -> None:
    raise RuntimeError("a bug")


urlpatterns = [
    path("boom/", boom),
    path("", include("config.urls")),
]


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_missing_page_is_the_products_own_404(client: Client) -> None:
    for signed_in in (False, True):
        if signed_in:
            client.force_login(UserFactory(business_unit=BusinessUnitFactory()))
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert response.templates[0].name == "404.html"
        body = response.content.decode()
        assert "Page not found" in body
        assert "There is nothing here, or you do not have access to it." in body
        assert "URLconf" not in body and "admin/" not in body


@pytest.mark.urls("tests.test_settings")
@override_settings(DEBUG=False)
def test_an_error_is_the_products_own_500() -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Nothing you saved before this page is lost" in body
    assert "a bug" not in body and "Traceback" not in body
