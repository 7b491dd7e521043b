"""The one shape of a refusal raised by business operations.

A stable code for API clients, a sentence a member understands, an HTTP-like
status and optional details. The web layer turns it into JSON or a page
(auction_app/errors.py); services never import Flask.
"""


class ServiceError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, *, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
