from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Data governance (SPEC §9): the register's backup and restore, retention and disposal.

    It sits above ``accounts``, ``breaches`` and ``reporting``: it reads and writes all of their
    records, and none of them imports it. The organisation's settings, which every app reads,
    live in ``accounts`` (the lowest app) for that reason.
    """

    name = "governance"
    verbose_name = "Data governance"
