"""Load the demo data once and print the demo accounts the first time.

The demo is played through the product's own services (``bench/story.py``): incidents with
their triage, decisions, notifications (on time and late) and actions (open, overdue, done),
and the last complete quarter's report, made by the report job as beat would have made it.
All of it in one transaction: a run that fails leaves nothing behind to be taken for a demo.

Idempotent: when the demo accounts exist, it does nothing (and prints nothing secret).
The password is ``DEMO_PASSWORD`` when set, otherwise a random one printed once.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from bench.generate import DEMO_ACCOUNTS, anonymous_demo_report, generate


class Command(BaseCommand):
    help = "Load demo units, users and incidents once; print the demo accounts the first time."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--incidents", type=int, default=320)
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts a new password (DEMO_PASSWORD or random) and print it.",
        )

    def handle(self, *args: Any, incidents: int, reset_passwords: bool, **options: Any) -> None:
        usernames = [row[0] for row in DEMO_ACCOUNTS]
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        if User.objects.filter(username__in=usernames).exists():
            if reset_passwords:
                User.objects.filter(username__in=usernames).update(password=make_password(password))
                self._print_accounts(password)
            else:
                self.stdout.write(
                    "Demo data already loaded. Forgotten the password? "
                    "Run: python manage.py load_demo --reset-passwords"
                )
            return
        with _quiet("weasyprint", "celery", "kombu"), transaction.atomic():
            result = generate(incidents=incidents, password=password)
            code = anonymous_demo_report(result.users)
        report = f" and the {result.report} quarterly report" if result.report else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(result.units)} business units, {len(result.users)} users, "
                f"{result.incidents} incidents ({result.by_kind['breach']} breaches, "
                f"{result.by_kind['near_miss']} near misses), {result.actions} actions, "
                f"{result.notifications} notifications{report}."
            )
        )
        self._print_accounts(password)
        self.stdout.write(
            f"An anonymous report's follow-up code (try it at /follow-up/, signed out): {code}"
        )
        self.stdout.write("")

    def _print_accounts(self, password: str) -> None:
        self.stdout.write("")
        self.stdout.write("Demo accounts (shown once; all share one password):")
        for username, role, unit, _assigned, _name in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {User.Role(role).label:<24} {unit}")
        self.stdout.write(f"  password:  {password}")
        self.stdout.write("")


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Keep the report's rendering progress and the in-process task's log lines (one more run
    of the report job, which finds it made) from burying the demo accounts; errors still show."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
