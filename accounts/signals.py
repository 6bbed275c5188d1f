"""Stamp every history row with the id of the request (or task) that made the change; note
when a session was signed in (the absolute session lifetime counts from it)."""

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from simple_history.signals import pre_create_historical_record

from accounts.request_context import get_request_id


@receiver(pre_create_historical_record)
def stamp_request_id(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "request_id"):
        history_instance.request_id = get_request_id()


@receiver(user_logged_in)
def note_sign_in_time(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session["signed_in_at"] = time.time()
