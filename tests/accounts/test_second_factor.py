"""The second factor (issue 12, item 2; SPEC §3): privileged people show one at every sign-in.

Password sign-ins go through the real sign-in page and allauth's login stages; codes are real
TOTP codes computed from the enrolled secret.
"""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from django.test import Client, override_settings

from tests.conftest import World
from tests.test_settings import PRODUCTION_ENV, run

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
PRIVILEGED = ["officer_a", "cpo", "executive", "admin"]
# Where each person would start, and a page each may otherwise reach.
THEIR_PAGES = {
    "officer_a": ["/", "/incidents/", "/incidents/home/", "/reports/dashboard/"],
    "cpo": ["/", "/incidents/", "/account/roles/", "/reports/"],
    "executive": ["/", "/reports/dashboard/", "/reports/"],
    "admin": ["/", "/admin/", "/admin/accounts/user/", "/account/roles/"],
}


def code_for(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol_totp(user: object) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)  # type: ignore[arg-type]
    return secret


def password_sign_in(username: str, client: Client | None = None) -> tuple[Client, object]:
    client = client or Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Used TOTP codes are remembered in the cache; each test starts with none used.
    cache.clear()


def test_production_settings_require_a_second_factor() -> None:
    script = "from django.conf import settings; print(settings.MFA_REQUIRED)"
    result = run(["manage.py", "shell", "-c", script], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    result = run(["manage.py", "shell", "-c", script], {**PRODUCTION_ENV, "MFA_REQUIRED": "off"})
    assert result.stdout.strip().splitlines()[-1] == "False"


@override_settings(MFA_REQUIRED=True)
@pytest.mark.parametrize("who", PRIVILEGED)
def test_a_privileged_password_only_sign_in_reaches_nothing_but_the_second_factor(
    world: World, who: str
) -> None:
    client, response = password_sign_in(who)
    assert response.status_code == 302
    for path in THEIR_PAGES[who] + ["/incidents/mine/", "/incidents/new/", "/account/tokens/"]:
        page = client.get(path)
        assert page.status_code == 302 and page["Location"] == "/account/two-factor/", path
    api = client.get("/api/v1/incidents/")
    assert api.status_code == 403 and "second factor" in api.json()["detail"]
    enrol = client.get("/account/two-factor/")
    assert enrol.status_code == 200
    assert "Set up your second factor" in enrol.content.decode()


@override_settings(MFA_REQUIRED=True)
def test_a_reporter_with_a_password_reaches_their_reports(world: World) -> None:
    client, response = password_sign_in("reporter")
    assert response.status_code == 302 and signed_in(client)
    assert client.get("/incidents/mine/").status_code == 200
    assert client.get("/incidents/new/").status_code == 200
    assert client.get("/api/v1/incidents/").status_code == 200


@override_settings(MFA_REQUIRED=True)
@pytest.mark.parametrize("who", PRIVILEGED)
def test_with_a_factor_enrolled_the_password_alone_does_not_sign_in(world: World, who: str) -> None:
    secret = enrol_totp(world.persona(who))
    client, response = password_sign_in(who)
    assert response["Location"] == "/account/two-factor/authenticate/"
    assert not signed_in(client)
    for path in THEIR_PAGES[who]:
        assert client.get(path)["Location"].startswith(("/login/", "/admin/login/")), path
    step = client.get("/account/two-factor/authenticate/")
    assert step.status_code == 200
    wrong = client.post("/account/two-factor/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and not signed_in(client)
    assert "Incorrect code" in wrong.content.decode()
    right = client.post("/account/two-factor/authenticate/", {"code": code_for(secret)})
    assert right.status_code == 302 and signed_in(client)
    for path in THEIR_PAGES[who]:
        assert client.get(path).status_code in {200, 302}, path
        assert client.get(path).get("Location", "") != "/account/two-factor/", path
    assert client.get(THEIR_PAGES[who][1]).status_code == 200


@override_settings(MFA_REQUIRED=True)
def test_a_recovery_code_stands_in_for_the_device_once(world: World) -> None:
    enrol_totp(world.cpo)
    codes = RecoveryCodes.activate(world.cpo).get_unused_codes()
    client, _ = password_sign_in("cpo")
    client.post("/account/two-factor/authenticate/", {"code": codes[0]})
    assert signed_in(client)
    assert client.get("/incidents/").status_code == 200
    again, _ = password_sign_in("cpo")
    refused = again.post("/account/two-factor/authenticate/", {"code": codes[0]})
    assert refused.status_code == 200 and not signed_in(again)


@override_settings(MFA_REQUIRED=True)
def test_a_code_is_not_accepted_twice(world: World) -> None:
    secret = enrol_totp(world.officer_a)
    code = code_for(secret)
    first, _ = password_sign_in("officer_a")
    first.post("/account/two-factor/authenticate/", {"code": code})
    assert signed_in(first)
    second, _ = password_sign_in("officer_a")
    second.post("/account/two-factor/authenticate/", {"code": code})
    assert not signed_in(second)


@override_settings(MFA_REQUIRED=True)
def test_enrolling_at_first_sign_in_with_the_authenticator_app(world: World) -> None:
    client, _ = password_sign_in("executive")
    page = client.get("/account/two-factor/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    refused = client.post("/account/two-factor/totp/activate/", {"code": "123456"})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert client.get("/reports/dashboard/")["Location"] == "/account/two-factor/"
    done = client.post("/account/two-factor/totp/activate/", {"code": code_for(secret)})
    assert done.status_code == 302 and done["Location"] == "/account/two-factor/recovery-codes/"
    codes = client.get("/account/two-factor/recovery-codes/")
    assert codes.status_code == 200 and len(codes.context["unused_codes"]) == 10
    assert all(code in codes.content.decode() for code in codes.context["unused_codes"])
    assert client.get("/reports/dashboard/").status_code == 200
    stored = Authenticator.objects.get(user=world.executive, type=Authenticator.Type.TOTP)
    assert secret not in str(stored.data), "the TOTP secret is stored encrypted"


@override_settings(MFA_REQUIRED=True)
def test_the_last_factor_cannot_be_removed_while_one_is_required(world: World) -> None:
    secret = enrol_totp(world.officer_a)
    client, _ = password_sign_in("officer_a")
    client.post("/account/two-factor/authenticate/", {"code": code_for(secret)})
    assert signed_in(client)
    client.post("/account/two-factor/totp/deactivate/")
    assert Authenticator.objects.filter(user=world.officer_a, type="totp").exists()


@override_settings(MFA_REQUIRED=True)
def test_a_session_that_never_showed_the_factor_is_asked_for_it(world: World) -> None:
    secret = enrol_totp(world.officer_a)
    client = Client()
    client.force_login(world.officer_a)  # as a session from before the factor was required
    response = client.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/reauthenticate/?next=/incidents/"
    assert client.get("/api/v1/incidents/").status_code == 403
    wrong = client.post("/account/two-factor/reauthenticate/?next=/incidents/", {"code": "1"})
    assert wrong.status_code == 200
    assert client.get("/incidents/").status_code == 302
    client.post("/account/two-factor/reauthenticate/?next=/incidents/", {"code": code_for(secret)})
    assert client.get("/incidents/").status_code == 200


@override_settings(MFA_REQUIRED=True)
def test_the_admin_is_behind_the_same_second_factor(world: World) -> None:
    anonymous = Client().get("/admin/")
    assert anonymous["Location"].startswith("/admin/login/")
    login = Client().get("/admin/login/?next=/admin/")
    assert login.status_code == 302 and login["Location"].startswith("/login/?next=")
    # Its own password form is never offered, even posted to directly.
    posted = Client().post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD}
    )
    assert posted.status_code == 302 and posted["Location"].startswith("/login/")
    enrol_totp(world.admin)
    client, response = password_sign_in("admin")
    assert response["Location"] == "/account/two-factor/authenticate/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/login/")


@override_settings(MFA_REQUIRED=False)
def test_when_optional_the_sign_in_page_says_so_and_privileged_people_can_enrol(
    world: World,
) -> None:
    page = Client().get("/login/").content.decode()
    assert "A second factor is optional here" in page
    client, _ = password_sign_in("officer_a")
    assert client.get("/incidents/").status_code == 200
    assert client.get("/account/two-factor/totp/activate/").status_code == 200
    # ...and once enrolled, it is asked at every sign-in even though it is optional.
    secret = enrol_totp(world.officer_b)
    other, response = password_sign_in("officer_b")
    assert response["Location"] == "/account/two-factor/authenticate/"
    other.post("/account/two-factor/authenticate/", {"code": code_for(secret)})
    assert signed_in(other)


@override_settings(MFA_REQUIRED=True)
def test_when_required_the_sign_in_page_says_so(world: World) -> None:
    page = Client().get("/login/").content.decode()
    assert "confirm each sign-in with a second factor" in page


@override_settings(MFA_REQUIRED=True)
@pytest.mark.parametrize("answer", ["0", "[]", '"x"', "{}", '{"id": 1, "response": 2}', "{bad"])
def test_a_malformed_passkey_answer_is_refused_at_the_field_never_an_error_page(
    world: World, answer: str
) -> None:
    enrol_totp(world.officer_a)
    client, _ = password_sign_in("officer_a")
    step = client.post("/account/two-factor/authenticate/", {"credential": answer})
    assert step.status_code == 200 and not signed_in(client)
    enrolling, _ = password_sign_in("executive")
    added = enrolling.post(
        "/account/two-factor/webauthn/add/", {"name": "Laptop", "credential": answer}
    )
    assert added.status_code == 200
    assert not Authenticator.objects.filter(user=world.executive).exists()


def test_an_administrator_removes_a_lost_factor_without_seeing_its_secret(world: World) -> None:
    secret = enrol_totp(world.officer_a)
    factor = Authenticator.objects.get(user=world.officer_a)
    client = Client()
    client.force_login(world.admin)
    page = client.get(f"/admin/mfa/authenticator/{factor.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert secret not in html and str(factor.data["secret"]) not in html
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403
    client.post(f"/admin/mfa/authenticator/{factor.pk}/delete/", {"post": "yes"})
    assert not Authenticator.objects.filter(pk=factor.pk).exists()
