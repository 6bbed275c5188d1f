"""Stamp every history row with the id of the request (or task) that made the change."""

from typing import Any

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from accounts.request_context import get_request_id


@receiver(pre_create_historical_record)
def stamp_request_id(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    if hasattr(history_instance, "request_id"):
        history_instance.request_id = get_request_id()
