"""What a chat message may say, and who may mute (auction_app/chat/rules.py)."""
import pytest

from auction_app.chat import rules


def test_a_message_is_trimmed_and_its_spaces_collapsed():
    assert rules.clean_text("  good   luck\n all ") == "good luck all"


@pytest.mark.parametrize("text, code, sentence", [
    ("", "invalid_message", "Type a message first."),
    ("   ", "invalid_message", "Type a message first."),
    (None, "invalid_message", "Type a message first."),
    ("<script>", "invalid_message", "Messages can't contain < or > or special control characters."),
    ("bell\x07", "invalid_message", "Messages can't contain < or > or special control characters."),
    ("x" * 201, "message_too_long", "Keep messages to 200 characters or fewer."),
])
def test_refused_messages_get_a_sentence_for_people(text, code, sentence):
    with pytest.raises(rules.ChatError) as caught:
        rules.clean_text(text)
    assert (caught.value.code, caught.value.message) == (code, sentence)


def test_only_known_reactions():
    assert rules.check_reaction("clap") == "clap"
    with pytest.raises(rules.ChatError):
        rules.check_reaction("poop")


def test_only_the_commissioner_mutes_and_never_themselves():
    rules.may_mute("boss", "boss", "member")
    with pytest.raises(rules.ChatError, match="Only the commissioner"):
        rules.may_mute("member", "boss", "other")
    with pytest.raises(rules.ChatError, match="can't be muted"):
        rules.may_mute("boss", "boss", "boss")
