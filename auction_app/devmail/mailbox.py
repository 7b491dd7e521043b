"""Caught mail stored as .eml files in a directory, newest first."""
from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

LINK_RE = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class CaughtMessage:
    id: str
    received: float
    sender: str
    to: str
    subject: str
    text: str
    links: list[str]


def store(directory: Path, raw: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.time():.6f}-{uuid.uuid4().hex[:8]}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(raw)
    tmp.rename(path)
    return path


def parse(path: Path) -> CaughtMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return CaughtMessage(
        id=path.stem,
        received=float(path.stem.split("-")[0]),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        text=text,
        links=list(dict.fromkeys(LINK_RE.findall(text))),
    )


def list_messages(directory: Path, limit: int = 50) -> list[CaughtMessage]:
    if not directory.exists():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    return [parse(p) for p in paths]
