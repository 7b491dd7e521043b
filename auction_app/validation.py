"""Boundary validation: every JSON body and Socket.IO payload goes through a
pydantic model before any code looks at it.

Models forbid unknown fields and use strict types, so `{"email": {"$ne": null}}`
or `{"amount": "12"}` is a 400 with a plain sentence, never a query.

Messages are sentences for people ("Please enter a display name."), never
pydantic's own text. Problems only a hand-made API request can cause (an
unknown field, an object where text belongs) name the field for the developer.

JSON nesting is limited (MAX_JSON_DEPTH) before the body reaches the parser,
so a deeply nested body is a 400, never a RecursionError.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any, TypeVar

from flask import request
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from auction_app.errors import ApiError

M = TypeVar("M", bound="StrictModel")

MAX_JSON_BYTES = 64 * 1024
# No body of ours nests deeper than 3; 32 leaves room for any client and is far below recursion limits.
MAX_JSON_DEPTH = 32

# How fields are called in messages; any other field is its name with spaces.
LABELS = {
    "display_name": "display name",
    "email": "email address",
    "emails": "list of email addresses",
    "name": "name",
    "token": "sign-in link",
    "code": "code",
}
TOO_DEEP = ApiError("invalid_request", "That request is nested too deeply for us to read.", 400)


class StrictModel(BaseModel):
    """Base for every boundary schema: strict types, no unknown fields, no coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, frozen=True)


# --------------------------------------------------------------------------- names people see

# Unicode categories refused in names: controls (Cc: NUL, newline, DEL, C1), format characters
# (Cf: bidi overrides such as U+202E, zero-width spaces and joiners), surrogates, private use,
# unassigned code points, and line/paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
NAME_CHARACTERS_MESSAGE = ("Names can only contain letters, numbers, spaces and punctuation: no line breaks, "
                           "control characters or invisible formatting characters.")


def has_hidden_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value)


def check_visible_name(value: str) -> str:
    """For every name another person sees (display names, league names)."""
    if has_hidden_characters(value):
        raise ValueError(NAME_CHARACTERS_MESSAGE)
    return value


VisibleName = AfterValidator(check_visible_name)


# --------------------------------------------------------------------------- messages

def _label(error: dict) -> str:
    loc = [p for p in error.get("loc", ()) if isinstance(p, str)]
    field = loc[-1] if loc else ""
    return LABELS.get(field, field.replace("_", " ") or "request")


def _field(error: dict) -> str:
    return ".".join(str(p) for p in error.get("loc", ())) or "body"


def _article(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


def _describe(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    label = _label(error)
    if kind == "extra_forbidden":
        return f"'{_field(error)}' is not a field we accept."
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"Please enter {_article(label)}."
    if kind.endswith("_type") or kind in {"model_type", "dict_type", "model_attributes_type"}:
        return f"'{_field(error)}' has the wrong type."
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"The {label} is too long (at most {limit} characters)." if limit else f"The {label} is too long."
    if kind == "too_long":
        limit = ctx.get("max_length")
        return f"The {label} can have at most {limit} entries." if limit else f"The {label} is too long."
    if kind in {"string_too_short", "too_short"}:
        return f"The {label} is too short."
    if kind == "value_error":
        # Our own validators raise ValueError with a sentence for people.
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind in {"greater_than_equal", "greater_than"}:
        return f"The {label} must be at least {ctx.get('ge', ctx.get('gt'))}."
    if kind in {"less_than_equal", "less_than"}:
        return f"The {label} can be at most {ctx.get('le', ctx.get('lt'))}."
    if kind in {"literal_error", "enum"}:
        return f"The {label} must be one of: {ctx.get('expected', 'the listed choices')}."
    if kind == "string_pattern_mismatch":
        return f"The {label} contains characters we can't accept."
    return f"The {label} isn't valid."


def validate(model: type[M], data: Any) -> M:
    """Validate already-decoded data (a Socket.IO payload, a parsed body)."""
    if not isinstance(data, dict):
        raise ApiError("invalid_request", "Please send a JSON object.", 400)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_describe(e) for e in exc.errors(include_url=False)))
        raise ApiError("invalid_request", " ".join(problems), 400, details=problems) from None
    except RecursionError:
        raise TOO_DEEP from None


# --------------------------------------------------------------------------- JSON bodies

def json_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """The nesting depth of a JSON text (strings skipped), counted without parsing it.

    Stops counting once `limit` is exceeded, so the cost is linear and bounded."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def request_json() -> Any:
    """The request's JSON body, or None when it is missing or not JSON.

    Refuses (400) a body nested deeper than MAX_JSON_DEPTH before parsing it."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise ApiError("too_large", "That request is too large.", 413)
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError("too_large", "That request is too large.", 413)
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise TOO_DEEP
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def parse_json(model: type[M]) -> M:
    """Validate the request's JSON body against `model`."""
    data = request_json()
    if data is None:
        raise ApiError("invalid_request", "Please send a JSON object (Content-Type: application/json).", 400)
    return validate(model, data)
