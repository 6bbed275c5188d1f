"""The browsable API docs load from the site itself, under the CSP, without errors."""

from __future__ import annotations

import pytest

from tests.conftest import build_world
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_page_loads_locally_without_csp_errors(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    build_world()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    login(page, live_server, "cpo")
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/incidents/").count() >= 1
    screenshot(page, "api-docs")
    context.close()
    assert problems == []
    assert [u for u in requests if not u.startswith(live_server.url)] == []
