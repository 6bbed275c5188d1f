from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # The dashboard's cached figures are invalidated by the writes that change them.
        from reporting.cache import connect_signals

        connect_signals()
