"""One shape for every error.

API clients get JSON `{"error": {"code": "...", "message": "..."}}` with a
stable code; browsers get a friendly page. Nothing technical reaches a member.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

from flask import jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from auction_app.services.errors import ServiceError

log = logging.getLogger(__name__)

# Friendly sentences for the generic HTTP codes; feature modules raise ApiError
# with their own codes and sentences.
GENERIC = {
    400: ("bad_request", "That request didn't make sense to us. Please check it and try again."),
    401: ("not_signed_in", "Please sign in to continue."),
    403: ("forbidden", "You don't have access to that."),
    404: ("not_found", "We couldn't find that page."),
    405: ("method_not_allowed", "That action isn't available here."),
    413: ("too_large", "That upload is too large."),
    415: ("unsupported_media_type", "Please send JSON (Content-Type: application/json)."),
    429: ("rate_limited", "You're going a bit fast. Please wait and try again."),
    500: ("server_error", "Something went wrong on our side. We've been told and will look into it."),
    503: ("unavailable", "The service is briefly unavailable. Please try again in a moment."),
}


class ApiError(Exception):
    """A refusal a user should understand: stable code, plain sentence, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, *, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self.headers = headers or {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(error: ApiError):
    if wants_json():
        response = jsonify(error.to_dict())
    else:
        response = render_template("error.html", error=error), error.status
        response = _make(response)
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _make(rv):
    from flask import make_response

    return make_response(rv)


def retry_after_seconds() -> int:
    from auction_app.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - datetime.now(timezone.utc).timestamp()))


def humanize_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def init_app(app) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        return render_error(error)

    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        return render_error(ApiError(error.code, error.message, error.status, details=error.details))

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(exc: RateLimitExceeded):
        wait = retry_after_seconds()
        # Limits are declared with a friendly error_message; fall back to a generic one.
        message = getattr(exc.limit, "error_message", None) or GENERIC[429][1]
        message = f"{message} Try again in {humanize_wait(wait)}."
        return render_error(ApiError("rate_limited", message, 429, headers={"Retry-After": str(wait)}))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        code, message = GENERIC.get(exc.code or 500, ("error", exc.description or "Error"))
        return render_error(ApiError(code, message, exc.code or 500))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        code, message = GENERIC[500]
        return render_error(ApiError(code, message, 500))
