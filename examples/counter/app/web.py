"""Counts visits in Redis and queues jobs for the worker.

GET /        counts the visit and says how many there were
POST /jobs   queues a job (the request body) for the worker
GET /stats   visits, jobs waiting, jobs done (JSON)
GET /health  ok once Redis answers
"""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

# As pid 1 a process gets no default SIGTERM handler: stop promptly on `down`.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379, decode_responses=True)


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/":
            visits = store.incr("visits")
            self.reply(200, f"Hello from swiftcompose! This page has been visited {visits} times.\n")
        elif self.path == "/stats":
            stats = {"visits": int(store.get("visits") or 0), "waiting": store.llen("jobs"),
                     "done": int(store.get("done") or 0)}
            self.reply(200, json.dumps(stats) + "\n", "application/json")
        elif self.path == "/health":
            store.ping()
            self.reply(200, "ok\n")
        else:
            self.reply(404, "not found\n")

    def do_POST(self):
        if self.path != "/jobs":
            return self.reply(404, "not found\n")
        length = int(self.headers.get("Content-Length") or 0)
        job = self.rfile.read(length).decode() or "job"
        waiting = store.rpush("jobs", job)
        self.reply(202, f"queued {job!r} ({waiting} waiting)\n")

    def log_message(self, format, *args):
        print(f"{self.address_string()} {format % args}")


if __name__ == "__main__":
    print("web: listening on :8000")
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
