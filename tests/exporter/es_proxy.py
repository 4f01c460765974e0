"""An Elasticsearch-speaking, fault-injecting proxy in front of osmem-server (tests only).

osmem-server implements OpenSearch's REST semantics, but the `elasticsearch` client (8/9) sends
`application/vnd.elasticsearch+json; compatible-with=N` media types, which osmem answers with
406, and expects Elasticsearch's root document. This proxy is the smallest thing that makes the
client's real code path run against real index semantics: it checks and rewrites the media
types, answers `GET /` as Elasticsearch 9 would (no `version.distribution`), adds the
`X-Elastic-Product: Elasticsearch` header the client's product check requires, and forwards
everything else unchanged to osmem. It is not Elasticsearch: what it proves is the client
protocol (headers, media types, bulk item handling); index semantics are osmem's.

Faults, armed from the test thread:
- `throttle(ids, times)`: those documents get a per-item 429 in `_bulk` responses (they are not
  forwarded) the next `times` times they are sent;
- `fail_next(status, n)`: the next n `_bulk` requests get `status` (503, ...) without being
  forwarded;
- `reset_next(n)`: the next n `_bulk` requests are forwarded, then the connection is reset (RST)
  instead of answering: the cluster applied them, the client does not know;
- `hold_bulk_after(k)`: after k `_bulk` requests, the next ones wait until `release()`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ES_VERSION = "9.1.0"
_COMPAT = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson);\s*compatible-with=(\d+)")


class EsProxy:
    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self._lock = threading.Lock()
        self._throttled: dict[str, int] = {}
        self._failures: list[int] = []
        self._resets = 0
        self._hold_after: int | None = None
        self._released = threading.Event()
        self.bulk_requests = 0
        self.compat_versions: set[str] = set()  # compatible-with=N values the client sent
        self.plain_json_requests = 0  # requests with a body sent as plain application/json
        self.authorization: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    # -- knobs ----------------------------------------------------------------------------------
    def throttle(self, ids, times: int = 1) -> None:
        with self._lock:
            for blend_id in ids:
                self._throttled[blend_id] = times

    def fail_next(self, status: int = 503, n: int = 1) -> None:
        with self._lock:
            self._failures += [status] * n

    def reset_next(self, n: int = 1) -> None:
        with self._lock:
            self._resets += n

    def hold_bulk_after(self, k: int) -> None:
        with self._lock:
            self._hold_after = k
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> EsProxy:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.proxy = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- used by the handler --------------------------------------------------------------------
    def _take_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _take_reset(self) -> bool:
        with self._lock:
            if self._resets:
                self._resets -= 1
                return True
            return False

    def _bulk_gate(self) -> None:
        with self._lock:
            self.bulk_requests += 1
            hold = self._hold_after is not None and self.bulk_requests > self._hold_after
        if hold:
            self._released.wait(timeout=60)

    def _split_throttled(self, body: bytes) -> tuple[bytes, list[tuple[int, dict] | None]]:
        """Remove throttled documents from a bulk body; returns the rest and a plan of slots."""
        lines = body.splitlines()
        kept, plan, i = [], [], 0
        while i < len(lines):
            meta = json.loads(lines[i])
            op, info = next(iter(meta.items()))
            width = 1 if op == "delete" else 2
            with self._lock:
                left = self._throttled.get(info.get("_id"), 0)
                if left:
                    self._throttled[info["_id"]] = left - 1
            if left:
                item = {
                    **info,
                    "status": 429,
                    "error": {
                        "type": "es_rejected_execution_exception",
                        "reason": "rejected execution",
                    },
                }
                plan.append((op, item))
            else:
                plan.append(None)
                kept += lines[i : i + width]
            i += width
        return (b"\n".join(kept) + b"\n" if kept else b""), plan


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    @property
    def proxy(self) -> EsProxy:
        return self.server.proxy  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        proxy = self.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {}
        for name in ("Content-Type", "Accept"):
            value = self.headers.get(name)
            if value is None:
                continue
            match = _COMPAT.search(value)
            if match:
                proxy.compat_versions.add(match[2])
                value = "application/json" if match[1] == "json" else "application/x-ndjson"
            elif name == "Content-Type" and body:
                proxy.plain_json_requests += 1
            headers[name] = value
        if self.headers.get("Authorization"):
            proxy.authorization.append(self.headers["Authorization"])
        path = urlsplit(self.path).path
        bulk = path.endswith("/_bulk")
        if bulk:
            proxy._bulk_gate()  # counts every bulk request, and may hold it
        status = proxy._take_failure() if bulk else None
        if status is not None:
            self._answer(
                status, json.dumps({"error": {"type": "unavailable"}, "status": status}).encode()
            )
            return
        plan = None
        if bulk:
            body, plan = proxy._split_throttled(body)
        if plan is not None and not body:
            status, payload = 200, b'{"took":0,"errors":false,"items":[]}'
        else:
            status, payload = self._forward(headers, body)
        if bulk and proxy._take_reset():
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.close_connection = True
            self.connection.close()
            return
        if self.command == "GET" and path == "/" and status == 200:
            document = json.loads(payload)
            document["version"].pop("distribution", None)
            document["version"].update(number=ES_VERSION, build_flavor="default")
            document["tagline"] = "You Know, for Search"
            payload = json.dumps(document).encode()
        if plan is not None and status == 200 and any(plan):
            forwarded = iter(json.loads(payload)["items"])
            items = [{slot[0]: slot[1]} if slot else next(forwarded) for slot in plan]
            payload = json.dumps({"took": 1, "errors": True, "items": items}).encode()
        self._answer(status, payload)

    def _forward(self, headers: dict, body: bytes) -> tuple[int, bytes]:
        upstream = self.proxy.upstream
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _answer(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(payload)
