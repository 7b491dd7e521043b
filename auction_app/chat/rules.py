"""What a chat message may say: the same rules as names elsewhere in the product.

Plain functions, no Flask. A message is trimmed and its runs of spaces collapsed;
it must have 1 to 200 characters and no control characters (as display names,
which also may not contain < or >, kept here for the same reason: what people
type is shown to others).
"""
from __future__ import annotations

import re

MAX_LENGTH = 200
REACTIONS = {"fire": "🔥", "clap": "👏", "laugh": "😂", "wow": "😮"}
_FORBIDDEN = re.compile(r"[<>\x00-\x1f\x7f]")


class ChatError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text) -> str:
    """The message as it will be stored and shown, or ChatError with a sentence for people."""
    if not isinstance(text, str):
        raise ChatError("invalid_message", "Type a message first.")
    if _FORBIDDEN.search(text.replace("\n", " ").replace("\t", " ")):
        raise ChatError("invalid_message", "Messages can't contain < or > or special control characters.")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ChatError("invalid_message", "Type a message first.")
    if len(cleaned) > MAX_LENGTH:
        raise ChatError("message_too_long", f"Keep messages to {MAX_LENGTH} characters or fewer.")
    return cleaned


def check_reaction(key) -> str:
    if key not in REACTIONS:
        raise ChatError("invalid_reaction", "That reaction isn't available.")
    return key


def may_mute(actor_id: str, commissioner_id: str, target_id: str) -> None:
    if actor_id != commissioner_id:
        raise ChatError("not_commissioner", "Only the commissioner can mute members.")
    if target_id == commissioner_id:
        raise ChatError("cannot_mute_self", "The commissioner can't be muted.")
