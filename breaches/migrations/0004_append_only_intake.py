from django.db import migrations

from accounts.append_only import protect


class Migration(migrations.Migration):
    dependencies = [("breaches", "0003_intake")]

    operations = [
        protect(
            "breaches_comment",
            "breaches_historicalcomment",
            "breaches_historicalattachment",
        )
    ]
