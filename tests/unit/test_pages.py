"""Small page helpers with no Flask (auction_app/services/pages.py)."""
import pytest

from auction_app.services.pages import device_words, tutorial_still_useful

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Mobile Safari/537.36")
MAC_SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.5 Safari/605.1.15")
WINDOWS_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0")


@pytest.mark.parametrize("agent, words", [
    (ANDROID_CHROME, "Chrome on Android"),
    (MAC_SAFARI, "Safari on Mac"),
    (WINDOWS_EDGE, "Edge on Windows"),
    ("python-requests/2.32", "An app or script"),
    ("", "Unknown device"),
    (None, "Unknown device"),
])
def test_devices_are_named_in_words(agent, words):
    assert device_words(agent) == words


def test_the_tutorial_is_offered_only_before_a_first_auction():
    assert tutorial_still_useful({"leagues": []})
    assert tutorial_still_useful({"leagues": [{"status": "setup"}]})
    assert not tutorial_still_useful({"leagues": [{"status": "setup"}, {"status": "completed"}]})
