"""A loopback `_bulk` sink for the exporter benchmark: accepts every document, stores nothing.

    python tests/benchmarks/bulk_sink.py   # prints READY <url>, serves until stdin closes

osmem-server spends ~5 ms indexing one metrics document (19 float fields), so against it any
client measures osmem. This sink answers `_bulk` with one `201 created` item per action (it
parses only the action lines) and every other request with what the exporter's setup calls
expect, as an OpenSearch 2 cluster would: what remains is the client's own cost (read,
convert, serialise, send). It is a measuring device, not a search server.
"""

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

ROOT = {"name": "bulk-sink", "version": {"distribution": "opensearch", "number": "2.19.0"}}
ALIASES = {"bench_v1": {"aliases": {"bench": {}}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        if path.endswith("/_bulk"):
            items = []
            for line in body.split(b"\n"):
                if line.startswith((b'{"index"', b'{"delete"', b'{"create"')):
                    op, meta = next(iter(orjson.loads(line).items()))
                    items.append(
                        {op: {"_id": meta.get("_id"), "status": 201, "result": "created"}}
                    )
            payload = orjson.dumps({"took": 1, "errors": False, "items": items})
        elif path == "/":
            payload = orjson.dumps(ROOT)
        elif path.startswith("/_alias"):
            payload = orjson.dumps(ALIASES)
        else:
            payload = b'{"acknowledged":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
