from django.db import migrations

from accounts.append_only import protect


class Migration(migrations.Migration):
    dependencies = [("breaches", "0005_triage")]

    operations = [protect("breaches_assessment", "breaches_decision")]
