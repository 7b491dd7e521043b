"""CPU-heavy work off the web process's event loop.

A gevent web process serves every socket from one OS thread: a second of parsing
there freezes every live auction room on that process. Under gevent, this runs the
work in gevent's pool of real OS threads (the interpreter still switches between
them every few milliseconds, so the event loop keeps serving); elsewhere it simply
calls the function.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def off_event_loop(work: Callable[..., T], *args) -> T:
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work(*args)
    if not monkey.is_module_patched("threading"):
        return work(*args)
    return get_hub().threadpool.apply(work, args)
