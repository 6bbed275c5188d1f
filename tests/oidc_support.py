"""A real OpenID provider for the SSO tests: ``tests/oidc_provider/provider.mjs`` on loopback.

``start_oidc_provider(tmp_dir)`` starts it (Node.js and ``npm ci --prefix tests/oidc_provider``
needed) and returns an ``OidcProvider``: its issuer, its client secrets, and methods that change
the people who can sign in there, which the provider reads again at every look-up.

``sign_in_at_provider(authorize_url, username, password)`` plays the person at the provider's
sign-in page with ``requests`` and returns the URL the provider sends the browser back to (the
app's ``/login/sso/callback/`` with ``code`` and ``state``, or with ``error``), without
requesting it: tests that use Django's test client hand it to the client themselves.

The provider's contract (see provider.mjs for the details):

- issuer ``http://127.0.0.1:<port>``; discovery at ``/.well-known/openid-configuration``;
- clients ``pbr`` and the tamper clients below, confidential, secret by HTTP Basic or in the
  form body; PKCE (S256) required; redirect URIs: path ``/login/sso/callback/`` on
  testserver, 127.0.0.1 or localhost, any port;
- every sign-in asks for username and password (no silent re-use of a provider session);
- ID token and userinfo carry ``sub`` (= username), ``preferred_username``, ``name`` (scope
  profile), ``email``, ``email_verified`` (scope email), ``groups``, ``unit`` (scope profile or
  groups); the ID token also carries ``amr`` (``["pwd"]``, or ``["pwd", "mfa"]`` when "I used
  my second factor" was ticked), ``acr`` and ``nonce``;
- the tamper clients get an ID token from the token endpoint that must be refused:
  ``pbr-wrong-aud`` (aud ``someone-else``), ``pbr-wrong-nonce``, ``pbr-bad-signature`` (signed by
  another key with the real key's kid), ``pbr-wrong-issuer``.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
PROVIDER_SCRIPT = PROVIDER_DIR / "provider.mjs"

CLIENT_ID = "pbr"
TAMPER_CLIENT_IDS = ("pbr-wrong-aud", "pbr-wrong-nonce", "pbr-bad-signature", "pbr-wrong-issuer")
CALLBACK_PATH = "/login/sso/callback/"
DEFAULT_PASSWORD = "provider-password"
# Node.js reading oidc-provider's modules takes a second or two; on a shared machine under
# load (a full `make test` on two busy cores) once more than 15 s, which failed a CI run.
STARTUP_TIMEOUT = 60.0


class ProviderError(RuntimeError):
    """The provider showed an error page, or the sign-in did not go as a sign-in goes."""

    def __init__(self, message: str, *, url: str = "", status: int = 0, page_text: str = ""):
        super().__init__(f"{message} (HTTP {status} at {url}): {page_text[:2000]}")
        self.message = message
        self.url = url
        self.status = status
        self.page_text = page_text


class ProviderRefused(ProviderError):
    """The provider's sign-in page refused the credentials (unknown or removed user, wrong
    password). ``page_message`` is the message it showed."""

    def __init__(self, page_message: str, *, url: str = "", status: int = 0, page_text: str = ""):
        super().__init__(
            f"the provider refused the sign-in: {page_message}",
            url=url,
            status=status,
            page_text=page_text,
        )
        self.page_message = page_message


class OidcProvider:
    """A running test provider. Stop it with ``stop()`` (or use it as a context manager)."""

    def __init__(
        self,
        *,
        port: int,
        accounts_file: Path,
        clients: dict[str, str],
        process: subprocess.Popen[bytes],
        log_file: Path,
    ) -> None:
        self.port = port
        self.issuer = f"http://127.0.0.1:{port}"
        self.accounts_file = accounts_file
        self.clients = clients
        self.process = process
        self.log_file = log_file

    # --- where things are -------------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document."""
        response = requests.get(self.discovery_url, timeout=5)
        response.raise_for_status()
        return response.json()

    def log(self) -> str:
        """What the provider wrote to stdout and stderr so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # --- the people who can sign in ---------------------------------------------------------
    def accounts(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.accounts_file.read_text())

    def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        """Replace everyone. Each value: ``password``, ``email``, ``name``, ``groups``, ``unit``."""
        _write_json(self.accounts_file, accounts)

    def add_account(self, username: str, **claims: Any) -> dict[str, Any]:
        """Add (or replace) a person; unspecified fields get defaults. Returns the record."""
        record: dict[str, Any] = {
            "password": DEFAULT_PASSWORD,
            "email": f"{username}@example.org",
            "name": username,
            "groups": [],
            "unit": "",
        }
        record.update(claims)
        accounts = self.accounts()
        accounts[username] = record
        self.set_accounts(accounts)
        return record

    def update_account(self, username: str, **changes: Any) -> dict[str, Any]:
        """Change some fields of an existing person (their groups, unit, password...)."""
        accounts = self.accounts()
        accounts[username] = {**accounts[username], **changes}
        self.set_accounts(accounts)
        return accounts[username]

    def remove_account(self, username: str) -> None:
        accounts = self.accounts()
        accounts.pop(username, None)
        self.set_accounts(accounts)

    # --- life -------------------------------------------------------------------------------
    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _write_json(path: Path, value: object) -> None:
    # Written whole, then renamed: the provider never reads half a file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(value, indent=2))
    os.replace(tmp, path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_oidc_provider(
    tmp_dir: Path, accounts: dict[str, dict[str, Any]] | None = None
) -> OidcProvider:
    """Start the provider with its files in ``tmp_dir``; return once it answers discovery."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js (node, 20.19 or newer) is needed for the OpenID test provider")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            f"{PROVIDER_DIR / 'node_modules'} is missing: run npm ci --prefix tests/oidc_provider"
        )
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    accounts_file = tmp_dir / "oidc-accounts.json"
    clients_file = tmp_dir / "oidc-clients.json"
    log_file = tmp_dir / "oidc-provider.log"
    clients = {
        client_id: secrets.token_urlsafe(24) for client_id in (CLIENT_ID, *TAMPER_CLIENT_IDS)
    }
    _write_json(accounts_file, accounts or {})
    _write_json(
        clients_file,
        [{"client_id": cid, "client_secret": secret} for cid, secret in clients.items()],
    )
    env = {k: v for k, v in os.environ.items() if k not in {"NODE_ENV", "DEBUG", "NODE_OPTIONS"}}
    env.update(ACCOUNTS_FILE=str(accounts_file), CLIENTS_FILE=str(clients_file))
    if os.environ.get("OIDC_PROVIDER_DEBUG"):  # e.g. "oidc-provider:*": the debug package's log
        env["DEBUG"] = os.environ["OIDC_PROVIDER_DEBUG"]
    for _attempt in range(3):
        provider = _launch(node, env, _free_port(), accounts_file, clients, log_file)
        try:
            _wait_until_ready(provider)
        except _PortTaken:
            continue  # another process took the free port first: pick another
        return provider
    raise RuntimeError(f"the OpenID test provider found no free port:\n{provider.log()}")


class _PortTaken(Exception):
    pass


def _launch(
    node: str,
    env: dict[str, str],
    port: int,
    accounts_file: Path,
    clients: dict[str, str],
    log_file: Path,
) -> OidcProvider:
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [node, str(PROVIDER_SCRIPT)],
            cwd=PROVIDER_DIR,
            env={**env, "PORT": str(port)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return OidcProvider(
        port=port,
        accounts_file=accounts_file,
        clients=clients,
        process=process,
        log_file=log_file,
    )


def _wait_until_ready(provider: OidcProvider) -> None:
    process = provider.process
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.poll() is not None:
            if "EADDRINUSE" in provider.log():
                raise _PortTaken
            raise RuntimeError(
                f"the OpenID test provider exited with code {process.returncode}:\n{provider.log()}"
            )
        try:
            response = requests.get(provider.discovery_url, timeout=1)
            if response.ok and response.json().get("issuer") == provider.issuer:
                return
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            provider.stop()
            raise RuntimeError(
                f"the OpenID test provider did not answer within {STARTUP_TIMEOUT:.0f} s:\n"
                f"{provider.log()}"
            )
        time.sleep(0.05)


# --- Playing the person at the provider -------------------------------------------------------
_ERROR = re.compile(r'<p[^>]*\bid="error"[^>]*>(.*?)</p>', re.S)
_LOGIN_FORM = re.compile(r'<form[^>]*\bid="login-form"[^>]*\baction="([^"]+)"', re.S)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


def _error_message(page: str) -> str | None:
    match = _ERROR.search(page)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


def sign_in_at_provider(
    authorize_url: str, username: str, password: str, *, mfa: bool = False
) -> str:
    """Sign in at the provider and return the app's callback URL it redirects to.

    Follows redirects within the provider only and stops, without requesting it, at the first
    URL whose path is ``/login/sso/callback/``: the code and state (or the error) are in its
    query. Raises ``ProviderRefused`` if the sign-in page refuses the credentials, and
    ``ProviderError`` for an error page or any other surprise. Each call is a fresh browser.
    """
    origin = urlsplit(authorize_url)[:2]
    session = requests.Session()
    url, method, data = authorize_url, "GET", None
    posted = False
    for _ in range(20):
        parts = urlsplit(url)
        if parts.path == CALLBACK_PATH:
            return url
        if parts[:2] != origin:
            raise ProviderError("the provider redirected outside itself", url=url)
        response = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        method, data = "GET", None
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            continue
        page = response.text
        error = _error_message(page)
        form = _LOGIN_FORM.search(page)
        if response.status_code == 200 and form:
            if error:
                raise ProviderRefused(
                    error, url=url, status=response.status_code, page_text=_text(page)
                )
            if posted:
                raise ProviderError(
                    "the sign-in page came back after signing in",
                    url=url,
                    status=response.status_code,
                    page_text=_text(page),
                )
            url = urljoin(url, html.unescape(form.group(1)))
            method = "POST"
            data = {"username": username, "password": password}
            if mfa:
                data["mfa"] = "yes"
            posted = True
            continue
        raise ProviderError(
            error or "the provider answered with a page that is neither sign-in nor redirect",
            url=url,
            status=response.status_code,
            page_text=_text(page),
        )
    raise ProviderError("too many redirects at the provider", url=url)
