"""Joins at the same moment share one read of the auction, and no joiner gets a state older than its join."""
from __future__ import annotations

import threading
import time

import pytest

from auction_app.services.auction_store import _SharedReads

READ_SECONDS = 0.05


def _slow_read(log: list[float]):
    def read():
        started = time.monotonic()
        log.append(started)
        time.sleep(READ_SECONDS)
        return {"read_started": started}
    return read


def test_fifty_joins_share_a_few_reads_each_started_after_its_caller_asked():
    reads, log, answers = _SharedReads(), [], []
    read = _slow_read(log)

    def join():
        asked = time.monotonic()
        answers.append((asked, reads.read(("db", "A1"), read)["read_started"]))

    threads = [threading.Thread(target=join) for _ in range(50)]
    first = time.monotonic()
    for thread in threads:
        thread.start()
        time.sleep(0.002)
    span = time.monotonic() - first
    for thread in threads:
        thread.join()
    assert len(answers) == 50
    assert all(read_started >= asked for asked, read_started in answers), "a joiner got a state read before it asked"
    # Reads of one auction run one at a time and everyone waiting shares the next one.
    assert len(log) <= span / READ_SECONDS + 2, (len(log), span)
    assert len(log) < 50


def test_a_read_already_under_way_is_not_shared_with_a_later_caller():
    reads, log = _SharedReads(), []
    read = _slow_read(log)
    early: list[dict] = []
    under_way = threading.Thread(target=lambda: early.append(reads.read(("db", "A1"), read)))
    under_way.start()
    while not log:
        time.sleep(0.001)
    asked = time.monotonic()
    later = reads.read(("db", "A1"), read)
    under_way.join()
    assert later["read_started"] >= asked
    assert early[0]["read_started"] < asked
    assert len(log) == 2


def test_other_auctions_do_not_wait_and_a_failed_read_fails_every_caller_sharing_it():
    reads = _SharedReads()
    assert reads.read(("db", "A2"), lambda: {"id": "A2"}) == {"id": "A2"}

    def broken():
        raise TimeoutError("database timed out")

    with pytest.raises(TimeoutError):
        reads.read(("db", "A3"), broken)
    assert reads.read(("db", "A3"), lambda: {"id": "A3"}) == {"id": "A3"}  # the failure is not kept
