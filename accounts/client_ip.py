"""The client's address, as seen through a known number of trusted reverse proxies.

Used by the login lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``) and the access log.
Behind N trusted proxies, the client is the N-th address from the right of
``X-Forwarded-For`` (each proxy appends what it saw); anything further left is whatever the
client claimed and is ignored. With no trusted proxy (the default) only ``REMOTE_ADDR`` counts,
so nobody can choose their own address to dodge a lockout or lock someone else out.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
