from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, roles and business units"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (history records carry the request id)
