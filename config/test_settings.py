"""Settings for the test suite: the normal settings with ``DJANGO_ENV=test``."""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from config.settings import *  # noqa: F403
