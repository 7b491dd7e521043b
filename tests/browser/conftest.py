"""Browser fixtures: Debian's Chromium driven by Playwright against the real stack.

Browsers can't be downloaded here, so Playwright launches /usr/bin/chromium
(headless). Every member signs in the way a person does: email on the sign-in
page, the link from the captured mail, the confirm button.
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LINK_RE = re.compile(r"https?://\S+/auth/verify\?\S+")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # A missing browser must fail loudly: a skipped browser suite would hide a broken install.
        pytest.fail(f"Chromium not found at {CHROMIUM}; run bin/install --browser (bin/test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def stack(web, worker, beat, catalogs):
    """The whole product running: gunicorn+gevent web, Celery workers and beat, catalogs loaded."""
    return web


class Person:
    """One person at one browser (a Playwright context and its page)."""

    def __init__(self, context, base_url: str, email: str):
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)
        self.base_url = base_url
        self.email = email
        self.name = email.split("@", 1)[0]  # the product names a new member after their email

    def goto(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, mail_capture, next_path: str | None = None):
        """Sign in through the real mail: email → check your inbox → link → confirm."""
        page = self.goto("/auth/sign-in" + (f"?next={next_path}" if next_path else ""))
        before = len(mail_capture.messages)
        page.get_by_label("Email").fill(self.email)
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.get_by_role("heading", name="Check your inbox").wait_for()
        mail = mail_capture.wait_for(self.email, after=before)
        link = LINK_RE.search(mail.text).group(0)
        page.goto(link)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def people(browser, stack):
    """A factory of signed-out people, each in their own browser context; closed after the test."""
    contexts = []

    def make(label: str, viewport=DESKTOP) -> Person:
        context = browser.new_context(viewport=viewport, base_url=stack,
                                      is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
        contexts.append(context)
        email = f"{label.lower()}-{uuid.uuid4().hex[:6]}@example.com"
        return Person(context, stack, email)

    yield make
    for context in contexts:
        context.close()


def finish_tutorial(person: Person, outcome: str = "skipped") -> None:
    """Leave the first-sign-in tutorial (it comes after the first sign-in)."""
    page = person.page
    if "/welcome" in page.url:
        name = "Skip the tutorial" if outcome == "skipped" else "Got it, take me to my leagues"
        page.get_by_role("button", name=name).click()
        page.get_by_role("heading", name="My leagues").wait_for()


def open_as(browser, app, stack, user, path: str, viewport=DESKTOP):
    """A browser context signed in as `user` (a real session cookie) with `path` open."""
    from tests.support.factories import session_token

    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_token(app, user),
                          "url": stack}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(stack + path)
    return context, page


def start_auction(stack, app, commissioner, league_id) -> str:
    import requests

    from tests.support.factories import session_token

    response = requests.post(f"{stack}/api/leagues/{league_id}/auction/start", timeout=10,
                             headers={"Authorization": f"Bearer {session_token(app, commissioner)}"})
    assert response.status_code == 201, response.text
    return response.json()["auction_id"]


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def widest(page) -> list[str]:
    """The elements that stick out past the right edge of the screen (to say what overflows)."""
    return page.evaluate("""() => {
      const w = document.documentElement.clientWidth;
      return [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > w + 0.5).slice(0, 8)
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`
                    + ` right=${Math.round(e.getBoundingClientRect().right)}`);
    }""")
