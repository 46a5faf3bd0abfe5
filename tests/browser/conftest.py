"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright for Python,
against the real local stack (the integration fixtures) with the built dashboard mounted the way
`make dev` mounts it. `make test` installs Chromium and builds the dashboard first."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mailpass_api.app import create_app
from mailpass_dev.dashboard import DIST, with_dashboard
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import free_port
from mailpass_dev.template import ROOT

# The integration fixtures, shared: a fresh account per test on the session's local stack.
from tests.integration.conftest import account, env, services, sink  # noqa: F401
from tests.integration.test_webhooks import receiver  # noqa: F401
from tests.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "dashboard" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".mailpass" / "screenshots"
# Every flag keeps the browser off the network and quiet: it talks to 127.0.0.1 only.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.integration

_missing = [str(p) for p in (CHROMIUM, DIST / "index.html", AXE) if not p.exists()]
if _missing:  # `make test` provides all three; a bare pytest elsewhere says what to run
    pytest.skip(
        f"browser tests need {', '.join(_missing)}: run `make dashboard` (and `make test` "
        "installs Chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Per module, not per session: Playwright's sync API keeps an asyncio loop running on this
    # thread while it is open, and the integration tests that follow (Mangum, asyncio.run)
    # need the thread's loop free.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(env: Any) -> Iterator[str]:  # noqa: F811
    """The API and the dashboard on one origin, as `make dev` serves them; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            with_dashboard(create_app()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "uvicorn to start serving", interval=0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def http(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as client:
        yield client


@dataclass
class Dash:
    """One browser tab on the dashboard, and what it noticed: CSP violations, page errors, and
    every request URL (the key must never be in one)."""

    page: Any
    base: str
    key: str = field(repr=False)
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list, repr=False)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base}/dashboard/#/{route}")

    def go(self, name: str) -> None:
        """Click a page in the navigation, as a user does."""
        self.page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        self.page.get_by_role("heading", level=1, name=name).wait_for()

    def sign_in(self) -> None:
        self.open()
        self.page.get_by_label("API key").fill(self.key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("button", name="Sign out").wait_for()

    def check(self, name: str) -> None:
        """The page as it stands: a screenshot under .mailpass/screenshots/, and axe-core with
        no serious or critical violation."""
        self.page.get_by_test_id("loading").first.wait_for(state="detached")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        # Injected over the DevTools protocol: the page's CSP (rightly) forbids inline scripts.
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
            "v => ({id: v.id, impact: v.impact, help: v.help, "
            "nodes: v.nodes.map(n => n.target.join(' '))})))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {name}: " + json.dumps(bad, indent=1)


@pytest.fixture
def dash(browser: Any, site: str, account: Seeded) -> Iterator[Dash]:  # noqa: F811
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    d = Dash(page, site, account.api_key)
    page.on(
        "console",
        lambda m: (
            d.problems.append(m.text)
            if re.search(r"Content Security Policy|Refused to", m.text)
            else None
        ),
    )
    page.on("pageerror", lambda e: d.problems.append(f"page error: {e}"))
    page.on("request", lambda r: d.urls.append(r.url))
    yield d
    context.close()
    assert not d.problems, d.problems
    assert not [u for u in d.urls if account.api_key in u], "the API key went into a URL"
