"""The OpenID test provider (tests/oidc_provider) does what the SSO tests rely on.

Plain Python against the real provider process: authorization code + PKCE, the ID token's
signature, audience, issuer, nonce and claims, refusals at the sign-in page, and the tamper
clients whose ID tokens a relying party must refuse.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.oidc_support import (
    CLIENT_ID,
    TAMPER_CLIENT_IDS,
    OidcProvider,
    ProviderError,
    ProviderRefused,
    sign_in_at_provider,
    start_oidc_provider,
)

CALLBACK = "http://testserver/login/sso/callback/"
ALICE = {
    "password": "alice-pw",
    "email": "alice@example.org",
    "name": "Alice Example",
    "groups": ["privacy-officers", "staff"],
    "unit": "Legal",
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    running = start_oidc_provider(Path(tmp_path_factory.mktemp("oidc")), {"alice": ALICE})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def meta(provider: OidcProvider) -> dict[str, Any]:
    return provider.metadata()


class Request:
    """One authorization request: its URL and the secrets the app keeps for the callback."""

    def __init__(
        self,
        meta: dict[str, Any],
        client_id: str = CLIENT_ID,
        *,
        redirect_uri: str = CALLBACK,
        scope: str = "openid profile email",
        pkce: str | None = "S256",
    ) -> None:
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.state = secrets.token_urlsafe(16)
        self.nonce = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
        }
        if pkce == "S256":
            digest = hashlib.sha256(self.verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        elif pkce == "plain":
            params["code_challenge"] = self.verifier
            params["code_challenge_method"] = "plain"
        self.url = f"{meta['authorization_endpoint']}?{urlencode(params)}"


def callback_params(url: str) -> dict[str, str]:
    assert urlsplit(url).path == "/login/sso/callback/"
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def code_from(url: str, request: Request) -> str:
    params = callback_params(url)
    assert "error" not in params, params
    assert params["state"] == request.state
    return params["code"]


def exchange(
    provider: OidcProvider,
    meta: dict[str, Any],
    request: Request,
    code: str,
    *,
    client_auth: str = "basic",
    secret: str | None = None,
    verifier: str | None = None,
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.verifier if verifier is None else verifier,
    }
    secret = provider.clients[request.client_id] if secret is None else secret
    auth = None
    if client_auth == "basic":
        auth = (request.client_id, secret)
    else:
        data.update(client_id=request.client_id, client_secret=secret)
    return requests.post(meta["token_endpoint"], data=data, auth=auth, timeout=10)


def signed_in_tokens(
    provider: OidcProvider,
    meta: dict[str, Any],
    request: Request,
    username: str = "alice",
    password: str = ALICE["password"],
    *,
    mfa: bool = False,
) -> dict[str, Any]:
    callback = sign_in_at_provider(request.url, username, password, mfa=mfa)
    response = exchange(provider, meta, request, code_from(callback, request))
    assert response.status_code == 200, response.text
    return response.json()


def verify(
    id_token: str, meta: dict[str, Any], *, audience: str = CLIENT_ID, issuer: str | None = None
) -> dict[str, Any]:
    """What a relying party does: signature against the JWKS, then aud, iss, exp."""
    key = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(id_token)
    return jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer or meta["issuer"],
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def test_code_flow_with_pkce_gives_a_verifiable_id_token_with_the_claims(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request = Request(meta)
    tokens = signed_in_tokens(provider, meta, request)

    claims = verify(tokens["id_token"], meta)
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == "pbr"
    assert claims["nonce"] == request.nonce
    assert claims["sub"] == "alice"
    assert claims["preferred_username"] == "alice"
    assert claims["email"] == "alice@example.org"
    assert claims["name"] == "Alice Example"
    assert claims["groups"] == ["privacy-officers", "staff"]
    assert claims["unit"] == "Legal"
    assert claims["amr"] == ["pwd"]
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "RS256"

    userinfo = requests.get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert userinfo["sub"] == "alice"
    assert userinfo["groups"] == ["privacy-officers", "staff"]
    assert userinfo["unit"] == "Legal"
    assert userinfo["email"] == "alice@example.org"


def test_ticking_the_second_factor_puts_mfa_in_amr(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    tokens = signed_in_tokens(provider, meta, Request(meta), mfa=True)
    assert verify(tokens["id_token"], meta)["amr"] == ["pwd", "mfa"]


def test_client_secret_post_works_too_and_a_wrong_secret_does_not(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request = Request(meta)
    code = code_from(sign_in_at_provider(request.url, "alice", ALICE["password"]), request)
    refused = exchange(provider, meta, request, code, client_auth="post", secret="wrong")
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"

    request = Request(meta)
    code = code_from(sign_in_at_provider(request.url, "alice", ALICE["password"]), request)
    response = exchange(provider, meta, request, code, client_auth="post")
    assert response.status_code == 200, response.text
    assert verify(response.json()["id_token"], meta)["nonce"] == request.nonce


@pytest.mark.parametrize("pkce", [None, "plain"])
def test_an_authorization_request_without_s256_pkce_is_refused(
    meta: dict[str, Any], pkce: str | None
) -> None:
    request = Request(meta, pkce=pkce)
    params = callback_params(sign_in_at_provider(request.url, "alice", ALICE["password"]))
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_a_wrong_code_verifier_is_refused(provider: OidcProvider, meta: dict[str, Any]) -> None:
    request = Request(meta)
    code = code_from(sign_in_at_provider(request.url, "alice", ALICE["password"]), request)
    response = exchange(provider, meta, request, code, verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "not-her-password"), ("nobody", "whatever"), ("", "")],
)
def test_unknown_user_or_wrong_password_is_refused_at_the_provider(
    meta: dict[str, Any], username: str, password: str
) -> None:
    with pytest.raises(ProviderRefused) as refused:
        sign_in_at_provider(Request(meta).url, username, password)
    assert refused.value.page_message == "Unknown user or wrong password"


def test_changes_to_a_person_show_at_their_next_sign_in_and_removal_refuses_them(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    provider.add_account("carol", password="carol-pw", groups=["staff"], unit="Finance")
    tokens = signed_in_tokens(provider, meta, Request(meta), "carol", "carol-pw")
    claims = verify(tokens["id_token"], meta)
    assert (claims["groups"], claims["unit"]) == (["staff"], "Finance")

    provider.update_account("carol", groups=["staff", "privacy-officers"], unit="HR")
    tokens = signed_in_tokens(provider, meta, Request(meta), "carol", "carol-pw")
    claims = verify(tokens["id_token"], meta)
    assert (claims["groups"], claims["unit"]) == (["staff", "privacy-officers"], "HR")

    # Removed between the sign-in and the code exchange: no tokens either.
    request = Request(meta)
    code = code_from(sign_in_at_provider(request.url, "carol", "carol-pw"), request)
    provider.remove_account("carol")
    response = exchange(provider, meta, request, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"

    with pytest.raises(ProviderRefused):
        sign_in_at_provider(Request(meta).url, "carol", "carol-pw")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://testserver/login/sso/callback/",
        "http://127.0.0.1:8123/login/sso/callback/",
        "http://localhost:50321/login/sso/callback/",
    ],
)
def test_the_callback_is_accepted_on_the_test_hosts(
    provider: OidcProvider, meta: dict[str, Any], redirect_uri: str
) -> None:
    request = Request(meta, redirect_uri=redirect_uri)
    callback = sign_in_at_provider(request.url, "alice", ALICE["password"])
    assert callback.startswith(redirect_uri + "?")
    response = exchange(provider, meta, request, code_from(callback, request))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://evil.example/login/sso/callback/",
        "http://localhost:50321/login/other/",
        "http://testserver/login/sso/callback/?next=/admin/",
        "http://testserver.evil.example/login/sso/callback/",
    ],
)
def test_any_other_redirect_uri_is_refused(meta: dict[str, Any], redirect_uri: str) -> None:
    with pytest.raises(ProviderError) as refused:
        sign_in_at_provider(Request(meta, redirect_uri=redirect_uri).url, "alice", "alice-pw")
    assert not isinstance(refused.value, ProviderRefused)
    assert "redirect_uri" in refused.value.page_text


def tamper_tokens(
    provider: OidcProvider, meta: dict[str, Any], client_id: str
) -> tuple[Request, str]:
    request = Request(meta, client_id)
    return request, signed_in_tokens(provider, meta, request)["id_token"]


def test_wrong_aud_client_gets_a_token_for_someone_else(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request, token = tamper_tokens(provider, meta, "pbr-wrong-aud")
    with pytest.raises(jwt.InvalidAudienceError):
        verify(token, meta, audience=request.client_id)
    # Only the audience is wrong: signed by the real key, right issuer and nonce.
    claims = verify(token, meta, audience="someone-else")
    assert claims["nonce"] == request.nonce


def test_wrong_nonce_client_gets_a_token_with_another_nonce(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request, token = tamper_tokens(provider, meta, "pbr-wrong-nonce")
    claims = verify(token, meta, audience=request.client_id)
    assert claims["nonce"] != request.nonce


def test_bad_signature_client_gets_a_token_signed_by_another_key_with_the_same_kid(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request, token = tamper_tokens(provider, meta, "pbr-bad-signature")
    real_kids = [key["kid"] for key in requests.get(meta["jwks_uri"], timeout=10).json()["keys"]]
    assert jwt.get_unverified_header(token)["kid"] in real_kids
    with pytest.raises(jwt.InvalidSignatureError):
        verify(token, meta, audience=request.client_id)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["aud"], claims["iss"], claims["nonce"]) == (
        request.client_id,
        meta["issuer"],
        request.nonce,
    )


def test_wrong_issuer_client_gets_a_token_from_another_issuer(
    provider: OidcProvider, meta: dict[str, Any]
) -> None:
    request, token = tamper_tokens(provider, meta, "pbr-wrong-issuer")
    with pytest.raises(jwt.InvalidIssuerError):
        verify(token, meta, audience=request.client_id)
    claims = verify(token, meta, audience=request.client_id, issuer="http://issuer.invalid")
    assert claims["nonce"] == request.nonce


def test_every_client_has_a_secret(provider: OidcProvider) -> None:
    assert set(provider.clients) == {CLIENT_ID, *TAMPER_CLIENT_IDS}
    assert all(provider.clients.values())
