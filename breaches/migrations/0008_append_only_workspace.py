from django.db import migrations

from accounts.append_only import protect


class Migration(migrations.Migration):
    dependencies = [("breaches", "0007_workspace")]

    operations = [protect("breaches_notification", "breaches_historicalaction")]
