"""``python manage.py assess FILE.json`` (``-`` for stdin): print the §4.2 result as JSON.

Exit status 2 with a message naming each bad field when the facts are invalid.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts import organisation
from breaches.triage.engine import FactsError, RuleSetError, assess, parse_facts


class Command(BaseCommand):
    help = "Assess SPEC §4.1 facts from a JSON file (or - for stdin) and print the result."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path to a JSON file with the facts, or - for stdin")
        parser.add_argument(
            "--rule-set",
            default=None,
            help="e.g. gdpr@2, or gdpr@1 to re-read an old assessment; default: the latest",
        )

    def handle(self, *args: Any, file: str, rule_set: str | None, **options: Any) -> None:
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}", returncode=2) from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}", returncode=2) from exc
        try:
            values = self.organisation()
            facts = parse_facts(data, default_jurisdiction=values.default_jurisdiction)
            result = assess(facts, rule_set=rule_set, nz_target_hours=values.nz_target_hours)
        except FactsError as exc:
            lines = "\n".join(f"  {name}: {message}" for name, message in exc.errors.items())
            raise CommandError(f"invalid facts:\n{lines}", returncode=2) from exc
        except RuleSetError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except (KeyError, ValueError) as exc:
            raise CommandError(f"unknown or unsuitable rule set: {exc}", returncode=2) from exc
        self.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))

    def organisation(self) -> organisation.Organisation:
        """The organisation's settings (docs/settings.md); where there is no register database
        to read them from (a machine that only assesses facts), the environment's first values."""
        try:
            return organisation.current()
        except DatabaseError as exc:
            self.stderr.write(
                f"Could not read the organisation's settings ({type(exc).__name__}): "
                "assessing with the environment's first values."
            )
            return organisation.first_values()
