"""Append-only triggers on SQLite for every table protected so far.

The earlier ``protect(...)`` migrations installed the trigger on PostgreSQL only; they now do
both databases, but a SQLite database migrated before that has none, and SQLite drops a table's
triggers whenever a migration rebuilds the table. This catches every existing SQLite database
up. PostgreSQL already has these triggers and is left alone. Later append-only tables get both
through their own ``protect(...)`` call.
"""

from django.db import migrations

from accounts.append_only import protect


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("breaches", "0011_action_reminder_error"),
    ]

    operations = [
        protect(
            "accounts_accessevent",
            "accounts_historicalbusinessunit",
            "accounts_historicaluser",
            "accounts_historicaluser_assigned_units",
            "breaches_assessment",
            "breaches_comment",
            "breaches_decision",
            "breaches_historicalaction",
            "breaches_historicalaffectedindividual",
            "breaches_historicalattachment",
            "breaches_historicalcomment",
            "breaches_historicalincident",
            "breaches_historicalincident_restricted_to",
            "breaches_historicalincidentbreachtype",
            "breaches_historicalincidentinformationcategory",
            "breaches_notification",
            vendors=("sqlite",),
        )
    ]
