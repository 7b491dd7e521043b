"""Garbage collection for a web process that holds thousands of sockets (issue 11).

Python's cycle collector stops the whole process while it scans. With 5,000
sockets a web process holds about a million objects, and each full collection
of them took 750-900 ms every ~10 s of bidding: every bid in flight waited,
and that was the latency tail (docs/performance.md). Two changes:

* `gc.freeze()` once the app is built: the modules, the app and its routes are
  never garbage, so no collection scans them again;
* larger thresholds (WEB_GC_THRESHOLDS, default 100000,50,10): the young
  generations are collected less often, so the short-lived cycles of a bid or a
  ping die young instead of being promoted, and a full collection is rarely due.
  Python still runs one when the survivors grow by a quarter, so memory stays
  bounded.

Every pause is measured (`python_gc_pause_seconds` on /metrics), so what a
collection costs under real load is visible, not guessed.
"""
from __future__ import annotations

import gc
import logging
import time

from auction_app import metrics

log = logging.getLogger(__name__)


def tune_for_many_sockets(thresholds: tuple[int, int, int]) -> None:
    gc.collect()  # what is garbage now should not be frozen
    gc.freeze()
    gc.set_threshold(*thresholds)
    if _measure_pause not in gc.callbacks:
        gc.callbacks.append(_measure_pause)
    log.info("garbage collection tuned: %d objects frozen, thresholds %s", gc.get_freeze_count(), thresholds)


_started = [0.0]


def _measure_pause(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        metrics.GC_PAUSES.labels(str(info["generation"])).observe(time.perf_counter() - _started[0])
