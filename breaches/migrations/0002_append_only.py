from django.db import migrations

from accounts.append_only import protect


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("breaches", "0001_initial"),
    ]

    operations = [
        protect(
            "accounts_accessevent",
            "accounts_historicaluser",
            "accounts_historicaluser_assigned_units",
            "accounts_historicalbusinessunit",
            "breaches_historicalincident",
            "breaches_historicalincident_restricted_to",
            "breaches_historicalaffectedindividual",
            "breaches_historicalincidentbreachtype",
            "breaches_historicalincidentinformationcategory",
        )
    ]
