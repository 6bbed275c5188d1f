"""gunicorn runs the export to its end: the image's and the stack's web command both set a
timeout longer than the default 30 s, which once cut the whole register's CSV off at 96,070 rows.

Plain file parsing: no database, no Docker engine.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def timeout_of(command: list[str]) -> int | None:
    for i, word in enumerate(command):
        if word == "--timeout":
            return int(command[i + 1])
        if word.startswith("--timeout="):
            return int(word.split("=", 1)[1])
    return None


def test_the_image_and_the_stack_give_gunicorn_the_same_long_timeout() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd, "the Dockerfile has no CMD in JSON form"
    image = json.loads(cmd.group(1))
    assert image[0] == "gunicorn"

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    script = shlex.split(compose["services"]["web"]["command"])[-1]  # sh -c "… && exec gunicorn …"
    stack = shlex.split(script.split("exec ", 1)[1])
    assert stack[0] == "gunicorn"

    assert timeout_of(image) == timeout_of(stack)
    assert (timeout_of(image) or 30) >= 120
