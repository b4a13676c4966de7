"""Drains the job queue the web app fills, counting what it has done."""
import os
import signal
import sys
import time

import redis

# As pid 1 a process gets no default SIGTERM handler: stop promptly on `down`.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379, decode_responses=True)

print("worker: waiting for jobs")
while True:
    try:
        item = store.blpop("jobs", timeout=5)
    except redis.ConnectionError as error:
        print(f"worker: redis unavailable ({error}); retrying")
        time.sleep(1)
        continue
    if item is None:
        continue
    _, job = item
    done = store.incr("done")
    print(f"worker: processed {job!r} ({done} done)")
