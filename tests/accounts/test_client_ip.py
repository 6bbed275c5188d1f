"""Client addresses for the lockout and the access log cannot be chosen by the client."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accounts.client_ip import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the proxy's view, not the client's claim
        (1, "", "10.0.0.2"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "not-an-ip", "10.0.0.2"),
    ],
)
def test_client_ip(settings, proxies: int, forwarded: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
