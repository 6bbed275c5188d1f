from django.apps import AppConfig
from django.urls import register_converter


class BreachesConfig(AppConfig):
    name = "breaches"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Models are importable only once apps are ready: the standard place for this import.
        from breaches.models.incident import REFERENCE_PATTERN

        class ReferenceConverter:
            """An incident reference, PBR-2026-00042 to PBR-2026-100000 and on to the counter's
            19 digits (``REFERENCE_PATTERN``): anything else never reaches a view or a query."""

            regex = REFERENCE_PATTERN

            def to_python(self, value: str) -> str:
                return value

            def to_url(self, value: str) -> str:
                return value

        # `<ref:reference>` in the page and API URLconfs.
        register_converter(ReferenceConverter, "ref")
