"""Single sign-on against a real OpenID provider process (issue 12, item 1).

The provider is ``oidc-provider`` (npm) run by ``tests/oidc_support.py`` on loopback: the
register's client does the real authorization code flow with PKCE and checks the real ID token.
The provider's tamper clients return ID tokens with a wrong audience, nonce, issuer or
signature; each is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import ApiToken, RoleGrant, User
from tests.accounts.test_second_factor import code_for
from tests.conftest import World
from tests.oidc_support import (
    DEFAULT_PASSWORD,
    OidcProvider,
    ProviderRefused,
    sign_in_at_provider,
    start_oidc_provider,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    running = start_oidc_provider(tmp_path_factory.mktemp("oidc"))
    yield running
    running.stop()


def sso(provider: OidcProvider, client_id: str = "pbr", **extra: Any) -> override_settings:
    return override_settings(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=client_id,
        OIDC_CLIENT_SECRET=provider.clients[client_id],
        **extra,
    )


@pytest.fixture
def on(provider: OidcProvider) -> Iterator[OidcProvider]:
    provider.set_accounts({})
    cache.clear()
    with sso(provider):
        yield provider


def sign_in(client: Client, username: str, *, mfa: bool = False, next_url: str = "") -> Any:
    start = client.get("/login/sso/" + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302, start.content
    back = sign_in_at_provider(start["Location"], username, DEFAULT_PASSWORD, mfa=mfa)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def signed_in_as(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def test_the_request_uses_pkce_s256_a_nonce_and_a_state(world: World, on: OidcProvider) -> None:
    start = Client().get("/login/sso/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0]
    assert query["client_id"] == ["pbr"] and "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://testserver/login/sso/callback/"]


def test_the_first_sign_in_creates_the_person_with_role_and_unit_from_the_claims(
    world: World, on: OidcProvider
) -> None:
    on.add_account("aroha", name="Aroha Ngata", groups=["pbr-staff"], unit="site-a1")
    client = Client()
    response = sign_in(client, "aroha", next_url="/incidents/new/")
    assert response.status_code == 302 and response["Location"] == "/incidents/new/"
    user = signed_in_as(client)
    assert user is not None and user.username == "aroha"
    assert user.role == User.Role.REPORTER and user.business_unit == world.site_a1
    assert user.sso_issuer == on.issuer and user.sso_subject == "aroha"
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email) == ("Aroha", "Ngata", "aroha@example.org")
    assert client.get("/incidents/mine/").status_code == 200


def test_a_move_or_a_new_job_at_the_provider_takes_effect_at_the_next_sign_in(
    world: World, on: OidcProvider
) -> None:
    on.add_account("tama", groups=["pbr-staff"], unit="site-a1")
    sign_in(Client(), "tama")
    on.update_account("tama", groups=["pbr-executives", "pbr-staff"], unit="site-b1")
    client = Client()
    sign_in(client, "tama", mfa=True)
    user = User.objects.get(username="tama")
    assert user.role == User.Role.EXECUTIVE and user.business_unit == world.site_b1
    assert client.get("/reports/dashboard/").status_code == 200
    grant = RoleGrant.objects.get(user=user)
    assert (grant.previous_role, grant.role, grant.status) == ("reporter", "executive", "approved")
    assert "pbr-executives" in grant.reason
    assert User.objects.filter(username="tama").count() == 1


def test_someone_removed_at_the_provider_cannot_sign_in(world: World, on: OidcProvider) -> None:
    on.add_account("hemi", groups=["pbr-staff"], unit="site-a1")
    sign_in(Client(), "hemi")
    on.remove_account("hemi")
    with pytest.raises(ProviderRefused):
        sign_in(Client(), "hemi")


def test_someone_taken_out_of_every_register_group_is_refused_and_shut_out(
    world: World, on: OidcProvider
) -> None:
    on.add_account("mere", groups=["pbr-staff"], unit="site-a1")
    sign_in(Client(), "mere")
    user = User.objects.get(username="mere")
    ApiToken.objects.create(user=user)
    on.update_account("mere", groups=["finance"])
    client = Client()
    response = sign_in(client, "mere")
    assert response.status_code == 403
    assert "not in any group that uses the Privacy Breach Register" in response.content.decode()
    assert signed_in_as(client) is None
    user.refresh_from_db()
    assert not user.is_active and not ApiToken.objects.filter(user=user).exists()


def test_an_unknown_unit_or_a_clashing_local_account_is_refused_with_the_reason(
    world: World, on: OidcProvider
) -> None:
    on.add_account("nikau", groups=["pbr-staff"], unit="no-such-unit")
    response = sign_in(Client(), "nikau")
    assert response.status_code == 403 and "no-such-unit" in response.content.decode()
    assert not User.objects.filter(username="nikau").exists()
    on.add_account("reporter", groups=["pbr-privacy-officers"], unit="site-a1")
    response = sign_in(Client(), "reporter")
    assert response.status_code == 403 and "not linked" in response.content.decode()
    world.reporter.refresh_from_db()
    assert world.reporter.role == User.Role.REPORTER and not world.reporter.sso_subject


@pytest.mark.parametrize(
    "client_id", ["pbr-wrong-aud", "pbr-wrong-nonce", "pbr-bad-signature", "pbr-wrong-issuer"]
)
def test_an_id_token_that_fails_a_check_signs_nobody_in(
    world: World, provider: OidcProvider, client_id: str
) -> None:
    provider.set_accounts({})
    provider.add_account("rawiri", groups=["pbr-staff"], unit="site-a1")
    with sso(provider, client_id):
        client = Client()
        response = sign_in(client, "rawiri")
    assert response.status_code == 400
    assert "Single sign-on did not complete" in response.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.filter(username="rawiri").exists()


def test_the_same_tamper_free_flow_signs_in_so_the_refusals_are_the_checks(
    world: World, on: OidcProvider
) -> None:
    on.add_account("rawiri", groups=["pbr-staff"], unit="site-a1")
    client = Client()
    assert sign_in(client, "rawiri").status_code == 302
    assert signed_in_as(client) is not None


def test_an_answer_used_twice_or_with_a_forged_state_is_refused(
    world: World, on: OidcProvider
) -> None:
    on.add_account("kiri", groups=["pbr-staff"], unit="site-a1")
    client = Client()
    start = client.get("/login/sso/")
    back = urlsplit(sign_in_at_provider(start["Location"], "kiri", DEFAULT_PASSWORD))
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 400 and signed_in_as(client) is None
    stranger = Client()  # a browser that never started this sign-in
    assert stranger.get(f"{back.path}?{back.query}").status_code == 400
    assert stranger.get("/login/sso/callback/?code=x&state=y").status_code == 400
    assert stranger.get("/login/sso/callback/?error=access_denied&state=y").status_code == 400


def test_an_unreachable_provider_is_a_clear_page_not_an_error(world: World) -> None:
    with override_settings(
        OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="pbr", OIDC_CLIENT_SECRET="x"
    ):
        response = Client().get("/login/sso/")
    assert response.status_code == 502
    assert "could not be reached" in response.content.decode()


@override_settings(MFA_REQUIRED=True)
def test_the_providers_second_factor_is_not_asked_for_twice(world: World, on: OidcProvider) -> None:
    on.add_account("ana", groups=["pbr-privacy-officers"], unit="site-a1")
    with_mfa = Client()
    sign_in(with_mfa, "ana", mfa=True)
    assert signed_in_as(with_mfa) is not None
    assert with_mfa.get("/incidents/").status_code == 200
    # Without the provider's second factor: enrol one here first...
    without = Client()
    sign_in(without, "ana")
    assert without.get("/incidents/")["Location"] == "/account/two-factor/"
    # ...and once enrolled, it is asked for after the provider's sign-in.
    user = User.objects.get(username="ana")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    again = Client()
    response = sign_in(again, "ana")
    assert response["Location"] == "/account/two-factor/authenticate/"
    assert signed_in_as(again) is None
    again.post("/account/two-factor/authenticate/", {"code": code_for(secret)})
    assert again.get("/incidents/").status_code == 200
    # With the provider's second factor, the register does not ask again.
    trusted = Client()
    assert sign_in(trusted, "ana", mfa=True)["Location"] != "/account/two-factor/authenticate/"
    assert trusted.get("/incidents/").status_code == 200


def test_with_passwords_off_only_the_break_glass_administrator_uses_one(
    world: World, on: OidcProvider
) -> None:
    with override_settings(PASSWORD_SIGN_IN=False, BREAK_GLASS_USERNAMES=["admin"]):
        page = Client().get("/login/").content.decode()
        assert "Sign in with your agency account" in page and "Break-glass" in page
        officer = Client()
        refused = officer.post(
            "/login/", {"username": "officer_a", "password": "correct horse battery staple"}
        )
        assert refused.status_code == 200 and signed_in_as(officer) is None
        assert "Passwords are switched off" in refused.content.decode()
        admin = Client()
        admin.post("/login/", {"username": "admin", "password": "correct horse battery staple"})
        assert signed_in_as(admin) == world.admin


def test_a_role_from_the_provider_is_not_requested_in_the_register(
    world: World, on: OidcProvider
) -> None:
    on.add_account("wiremu", groups=["pbr-staff"], unit="site-a1")
    sign_in(Client(), "wiremu")
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        "/account/roles/request/", {"user": "wiremu", "role": "executive", "reason": "board"}
    )
    assert response.status_code == 400
    assert "comes from the identity provider" in response.content.decode()
    assert User.objects.get(username="wiremu").role == User.Role.REPORTER


def test_the_provider_harness_is_the_real_process(on: OidcProvider) -> None:
    metadata = on.metadata()
    assert metadata["issuer"] == on.issuer
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert Path(on.accounts_file).exists()
