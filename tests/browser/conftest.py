"""A real gateway (tools/stack.py) and a real headless Chromium for the widget's tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "api"), str(ROOT)]

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tools.stack import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-results"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The gateway alone: the widget's tests use answers the gateway gives without the bot.
    A retention period other than the default shows that the widget's privacy notice
    reads it from the gateway."""
    db = tmp_path_factory.mktemp("widget") / "gateway.db"
    with Stack(database_url=f"sqlite:///{db}", with_bot=False, extra_env={"RETENTION_DAYS": "90"}) as s:
        yield s


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """new_page(viewport=DESKTOP or PHONE, **context options such as locale="tr-TR" or
    timezone_id): a page in a fresh profile (empty localStorage), that is a new visitor
    and a new conversation."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] = DESKTOP, **options: object) -> Page:
        phone = viewport == PHONE
        ctx = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1, **options)
        contexts.append(ctx)
        p = ctx.new_page()
        p.set_default_timeout(15_000)
        return p

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page(DESKTOP)


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Saves a screenshot under test-results/ (git-ignored) to look at the layout."""

    def shoot(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return shoot
