"""The public screens at phone and desktop sizes: they render, fit the width, work with
the keyboard, and are saved as screenshots (test-artifacts/screenshots/) for review."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

SCREENS = [
    ("/", "landing", "Bid for real teams, live, with your club"),
    ("/how-to-play", "how-to-play", "How to play"),
    ("/status", "status", "Service status"),
    ("/auth/sign-in", "sign-in", "Sign in"),
    ("/feedback", "feedback", "Report a problem"),
]


@pytest.mark.parametrize("size, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_public_screens(people, size, viewport):
    visitor = people("visitor", viewport=viewport)
    page = visitor.page
    for path, name, heading in SCREENS:
        visitor.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is wider than a {viewport['width']} px screen"
        visitor.screenshot(f"{size}-{name}")
    visitor.goto("/status")
    expect(page.locator("#status-summary")).to_have_text("Everything is working normally.")
    expect(page.locator("#status-workers")).to_have_text("Working")


def test_keyboard_reaches_the_page_with_a_visible_focus(people):
    page = people("keys", viewport=PHONE).goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0  # shown on screen when focused
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_focus_ring_stands_out_on_a_white_card_and_the_favicon_is_served(people):
    visitor = people("ring")
    page = visitor.goto("/auth/sign-in")
    page.get_by_label("Email").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    card = page.evaluate("getComputedStyle(document.activeElement.closest('.card')).backgroundColor")
    lighter, darker = sorted((_luminance(ring), _luminance(card)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3, (ring, card)  # WCAG 1.4.11 non-text contrast
    icon = page.request.get(visitor.base_url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
