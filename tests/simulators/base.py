"""Common base for loopback API simulators used by connector tests and demos.

A simulator is a real HTTP server (stdlib ``ThreadingHTTPServer``) bound to 127.0.0.1 on an
ephemeral port and served from a daemon thread, so connectors talk to it through a real socket
with ``requests`` exactly as they would talk to the vendor API.

Subclasses register routes in ``__init__``::

    class PingApi(LoopbackApi):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.route("GET", "/ping", lambda request: (200, {"ok": True}, {}))

    with PingApi() as api:
        requests.get(f"{api.base_url}/ping")
        api.faults.push(status=429, headers={"Retry-After": "1"})
        assert len(api.requests) == 1

A handler receives a :class:`Request` and returns ``(status, body, headers)``; ``body`` is either
bytes (sent as is) or any JSON-serialisable object; ``headers`` may be ``None``.

Fault injection lives on ``api.faults`` (:class:`Faults`) and may be changed from the test thread
while requests are in flight. Precedence for each request: ``delay_seconds`` is always applied,
then a scripted response (``push``) or ``fail_every_n`` replaces the route entirely; otherwise the
route runs and its response may be sent torn (``reset_mid_body_next``) or invalid
(``malformed_body_next``).

For demos, ``serve_forever_cli(factory)`` runs a simulator as its own process and prints
``READY <base_url>`` once it accepts connections.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import stat
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Response = tuple[int, Any, dict[str, str] | None]
Handler = Callable[["Request"], Response]


@dataclass
class Request:
    """One received request, as passed to route handlers and kept in ``LoopbackApi.requests``."""

    method: str
    path: str
    query: dict[str, str]  # last value wins for repeated parameters
    headers: dict[str, str]  # header names lower-cased
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # status actually sent (None if the handler never answered)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class _Scripted:
    status: int
    body: Any
    headers: dict[str, str]


class Faults:
    """Thread-safe fault-injection knobs shared by the server threads and the test thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Disarm every knob."""
        with self._lock:
            self._scripted: deque[_Scripted] = deque()
            self._armed: dict[str, int] = {}
            self._delay_seconds = 0.0
            self._every: tuple[int, int] | None = None
            self._seen = 0
            self._outage: tuple[int, int] | None = None  # (calls still answered, status after)

    def push(
        self,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests with this response instead of the route.

        ``body`` defaults to ``{"error": "<reason phrase>"}``. Pushes queue up in order.
        """
        if body is None:
            body = {"error": _reason(status)}
        with self._lock:
            for _ in range(times):
                self._scripted.append(_Scripted(status, body, dict(headers or {})))

    @property
    def delay_seconds(self) -> float:
        """Sleep this long before answering every request (0 disables)."""
        with self._lock:
            return self._delay_seconds

    @delay_seconds.setter
    def delay_seconds(self, value: float) -> None:
        with self._lock:
            self._delay_seconds = float(value)

    def malformed_body_next(self, n: int = 1) -> None:
        """The next ``n`` routed responses are sent as 200 with a truncated (invalid) JSON body."""
        self.arm("malformed_body", n)

    def reset_mid_body_next(self, n: int = 1) -> None:
        """The next ``n`` routed responses send headers (full Content-Length) and half the body,
        then the socket is closed abortively (SO_LINGER 0 -> TCP RST)."""
        self.arm("reset_mid_body", n)

    def fail_every_n(self, n: int | None, status: int = 500) -> None:
        """Every ``n``-th request (counted from now) gets ``status``; ``None``/0 disables."""
        with self._lock:
            self._every = (n, status) if n else None
            self._seen = 0

    def fail_after(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` requests normally, then ``status`` to every one: an outage."""
        with self._lock:
            self._outage = (n, status)

    @property
    def pending(self) -> int:
        """Scripted responses not yet consumed."""
        with self._lock:
            return len(self._scripted)

    # -- used by the server and by subclasses adding API-specific one-shot knobs ----------------

    def arm(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._armed[name] = self._armed.get(name, 0) + n

    def take(self, name: str) -> bool:
        """Consume one shot of an armed knob; True if it fired."""
        with self._lock:
            if self._armed.get(name, 0) <= 0:
                return False
            self._armed[name] -= 1
            return True

    def _override(self) -> _Scripted | None:
        with self._lock:
            self._seen += 1
            if self._scripted:
                return self._scripted.popleft()
            if self._outage is not None:
                remaining, status = self._outage
                self._outage = (remaining - 1, status)
                if remaining <= 0:
                    return _Scripted(status, {"error": _reason(status)}, {})
            if self._every and self._seen % self._every[0] == 0:
                status = self._every[1]
                return _Scripted(status, {"error": _reason(status)}, {})
            return None


class LoopbackApi:
    """A JSON API served over a real loopback socket. Use as a context manager or start()/stop().

    stop() then start() simulates an outage: the same port is re-bound, the request log, faults and
    any subclass state are kept.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self._port = port  # the bound port once started; a restart re-binds the same port
        self.faults = self.make_faults()
        self.quiet = True  # set False to log each request line to stderr
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def make_faults(self) -> Faults:
        """Override to use a Faults subclass with API-specific knobs."""
        return Faults()

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Register ``handler`` for ``method path``; ``{name}`` segments become path_params."""
        parts = re.split(r"\{(\w+)\}", path)  # literal, name, literal, name, ...
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> LoopbackApi:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self._port), _RequestHandler)
        server.daemon_threads = True
        server.api = self  # type: ignore[attr-defined]
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:  # also drop idle keep-alive connections so clients see the outage
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Bound port; kept after stop() so start() again serves the same base_url (outages)."""
        if not self._port:
            raise RuntimeError("simulator never started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- request log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """Snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # -- dispatch (runs on server threads) ------------------------------------------------------

    def _record(self, request: Request) -> None:
        with self._lock:
            self._log.append(request)

    def _dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed = True
                continue
            request.path_params = match.groupdict()
            return handler(request)
        if allowed:
            return 405, {"error": "Method Not Allowed"}, None
        return 404, {"error": "Not Found"}, None


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real API behind a load balancer
    server_version = "LoopbackApi/1.0"
    timeout = 30  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls

    @property
    def api(self) -> LoopbackApi:
        return self.server.api  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        with self.api._lock:
            self.api._connections.add(self.connection)

    def finish(self) -> None:
        with self.api._lock:
            self.api._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if not self.api.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        api = self.api
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=url.path,
            query={k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        api._record(request)

        delay = api.faults.delay_seconds
        if delay > 0:
            time.sleep(delay)

        scripted = api.faults._override()
        if scripted is not None:
            self._send(request, scripted.status, scripted.body, scripted.headers)
            return
        try:
            status, body, headers = api._dispatch(request)
        except Exception as exc:  # a simulator bug should surface as a 500, not a hang
            traceback.print_exc(file=sys.stderr)
            status, body, headers = 500, {"error": f"simulator error: {exc!r}"}, None

        if api.faults.take("reset_mid_body"):
            self._send_torn(request, status, body, headers or {})
        elif api.faults.take("malformed_body"):
            payload = _encode(body)
            self._send(request, 200, payload[: len(payload) // 2] or b"{", headers)
        else:
            self._send(request, status, body, headers)

    def _send_head(self, request: Request, status: int, length: int, headers: dict) -> None:
        request.status = status
        self.send_response(status)
        names = {k.lower() for k in headers}
        if "content-type" not in names:
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, request: Request, status: int, body: Any, headers: dict | None) -> None:
        payload = _encode(body)
        self._send_head(request, status, len(payload), headers or {})
        self.wfile.write(payload)

    def _send_torn(self, request: Request, status: int, body: Any, headers: dict) -> None:
        payload = _encode(body)
        self._send_head(request, status, len(payload), headers)
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        # Abortive close: SO_LINGER 0 makes close() send RST instead of FIN. Closing here (not in
        # finish/shutdown_request) ensures no orderly shutdown(SHUT_WR) is sent first.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return json.dumps(body).encode()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def serve_forever_cli(api_factory: Callable[[], LoopbackApi], verbose: bool = False) -> None:
    """Run a simulator as a standalone process (for demos).

    Starts the server, prints ``READY <base_url>`` on stdout (flushed), then serves until
    SIGTERM, SIGINT, or -- when stdin is a pipe, socket or terminal -- until stdin reaches EOF.
    Stdin that is /dev/null or a file (e.g. ``cmd &`` in a script) is ignored, so the server
    does not exit at once.
    """
    api = api_factory()
    api.quiet = not verbose
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    if _stdin_is_live():

        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read1(4096):
                    pass
            except (OSError, ValueError):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    with api:
        print(f"READY {api.base_url}", flush=True)
        while not stop.wait(0.2):
            pass


def _stdin_is_live() -> bool:
    """True if stdin is a terminal, pipe or socket, i.e. something whose EOF means "stop"."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
        return sys.stdin.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    except (AttributeError, OSError, ValueError):
        return False
