"""A notes app on PostgreSQL: GET / lists the notes, POST / adds the request body as one."""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

# As pid 1 a process gets no default SIGTERM handler: stop promptly on `down`.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@db/postgres")


def query(sql, *params):
    with psycopg2.connect(DATABASE_URL) as connection, connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        rows = query("SELECT id, body FROM notes ORDER BY id")
        self.reply(200, "".join(f"{id}: {body}\n" for id, body in rows) or "no notes yet\n")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode().strip()
        if not body:
            return self.reply(400, "send the note as the request body\n")
        (note_id,), = query("INSERT INTO notes (body) VALUES (%s) RETURNING id", body)
        self.reply(201, f"{note_id}: {body}\n")


if __name__ == "__main__":
    print("notes: listening on :8000")
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
