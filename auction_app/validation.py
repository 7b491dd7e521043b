"""Boundary validation: every JSON body and Socket.IO payload goes through a
pydantic model before any code looks at it.

Models forbid unknown fields and use strict types, so `{"email": {"$ne": null}}`
or `{"amount": "12"}` is a 400 with a plain sentence, never a query.
"""
from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from auction_app.errors import ApiError

M = TypeVar("M", bound="StrictModel")

MAX_JSON_BYTES = 64 * 1024


class StrictModel(BaseModel):
    """Base for every boundary schema: strict types, no unknown fields, no coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, frozen=True)


def _describe(error: dict) -> str:
    field = ".".join(str(p) for p in error.get("loc", ())) or "body"
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return f"'{field}' is not a field we accept."
    if kind == "missing":
        return f"'{field}' is required."
    if kind.endswith("_type") or kind in {"model_type", "dict_type"}:
        return f"'{field}' has the wrong type."
    if kind in {"string_too_long", "too_long"}:
        return f"'{field}' is too long."
    message = error.get("msg", "is not valid")
    message = message.removeprefix("Value error, ")
    return f"'{field}': {message}"


def validate(model: type[M], data: Any) -> M:
    """Validate already-decoded data (a Socket.IO payload, a parsed body)."""
    if not isinstance(data, dict):
        raise ApiError("invalid_request", "Please send a JSON object.", 400)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e) for e in exc.errors(include_url=False)]
        raise ApiError("invalid_request", " ".join(problems), 400, details=problems) from None


def parse_json(model: type[M]) -> M:
    """Validate the request's JSON body against `model`."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise ApiError("too_large", "That request is too large.", 413)
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError("invalid_request", "Please send a JSON object (Content-Type: application/json).", 400)
    return validate(model, data)
