"""Lifecycle commands (archive, account deletion, retention): filled in below."""


def register(app) -> None:
    pass
