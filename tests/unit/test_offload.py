"""CPU-heavy work leaves the gevent event loop's thread (checked in a gevent-patched process)."""
import subprocess
import sys

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import threading, gevent
from auction_app.offload import off_event_loop
loop_thread = threading.get_native_id()
ticks = []
def heartbeat():
    for _ in range(400):
        ticks.append(1); gevent.sleep(0.005)
def busy():
    total = 0
    for i in range(3_000_000):
        total += i
    return threading.get_native_id()
beat = gevent.spawn(heartbeat)
worker_thread = off_event_loop(busy)
ticks_meanwhile = len(ticks)
beat.kill()
print(worker_thread != loop_thread, ticks_meanwhile)
"""


def test_heavy_work_runs_in_another_thread_while_the_event_loop_keeps_serving():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    other_thread, ticks = out.stdout.split()
    assert other_thread == "True", "the work ran on the event loop's own thread"
    assert int(ticks) > 3, "the event loop kept serving other greenlets while the work ran"
