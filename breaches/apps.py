from django.apps import AppConfig
from django.urls import register_converter


class BreachesConfig(AppConfig):
    name = "breaches"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Models are importable only once apps are ready: the standard place for this import.
        from breaches.models.incident import REFERENCE_PATTERN

        class ReferenceConverter:
            """An incident reference: anything else never reaches a view or a query."""

            regex = REFERENCE_PATTERN

            def to_python(self, value: str) -> str:
                return value

            def to_url(self, value: str) -> str:
                return value

        # `<ref:reference>` in the page and API URLconfs.
        register_converter(ReferenceConverter, "ref")
