"""End-to-end fixtures: a fresh Streamlit server per test on its own database, and Chromium.

Each test starts ``python -m streamlit run app.py`` on a free port with ``BUDGET_DATABASE_URL``
pointing at the test's database and waits for ``/_stcore/health``; so every test also checks a
fresh server's first run. Chromium is Debian's (Playwright's own download does not work offline).
A failing test leaves a screenshot of every open page in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from budget_app.server_process import CHROMIUM, CHROMIUM_ARGS
from budget_app.server_process import AppServer as Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"


@pytest.fixture
def server(db_url, tmp_path):
    srv = Server(db_url, tmp_path)
    yield srv
    srv.stop()
    assert "Traceback" not in srv.output(), srv.output()[-4000:]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def new_page(browser, request):
    """Make pages, each in its own browser context (its own person); screenshots on failure."""
    contexts = []

    def make(width: int = 1280, height: int = 900, color_scheme: str = "light"):
        ctx = browser.new_context(viewport={"width": width, "height": height}, color_scheme=color_scheme)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for i, ctx in enumerate(contexts):
            for j, page in enumerate(ctx.pages):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
    for ctx in contexts:
        ctx.close()
