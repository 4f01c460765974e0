"""GcsStorage: a workspace under `gs://bucket/prefix`, read with the official client.

Imported only for a `gs://` workspace, so a local workspace never imports google-cloud-storage.

Listing: one paged listing of the prefix per sync (1,000 objects a page, fields limited to what
a row needs), kept to the six roots. An object's `version` is its generation, which changes on
every overwrite, so an unchanged object is never downloaded. Objects named like folders (`a/`),
names with empty, `.` or `..` segments and names that are not valid UTF-8 are skipped with a
warning (GCS has no symlinks). A listing that fails after retries fails the sync: a prefix
half listed must never look like deleted files.

Reading: a whole object is downloaded at most once per sync, the listed generation, streamed
to a local file while its SHA-256 is computed from the same bytes (memory stays flat); the
copy is kept on local disk until `close()` (up to KEEP_BYTES in all), so the tables that read
the same file (a blend's output and sources, a manifest) share one download. `local_copy`
lays it out for the format readers with what they open beside it (an NPY's `<stem>.json`
sidecar, a .gltf's external buffers). `open` of a range streams only that range to a spooled
temporary file (a UI log's tail from its offset; the rotation check reads only the head). A
generation overwritten or deleted since the listing reads as an unreadable file (OSError),
like a local file that vanished.

Transient errors (429, 5xx, connection resets, timeouts) are retried with exponential backoff
by the client's own retry support (`google.cloud.storage.retry.DEFAULT_RETRY`'s predicate); a
download cut midway resumes from the bytes already received (a ranged GET), so the SHA-256
computed on the way stays right.
"""

import atexit
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import posixpath
import re
import shutil
import tempfile
import threading
from datetime import datetime
from typing import BinaryIO
from urllib.parse import unquote, urlparse

import google.auth
from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.exceptions import DataCorruption, InvalidResponse
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account

from shared.masking import mask, register_secret
from workspace.storage import Listing, LocalStorage, ScannedFile, WorkspaceError, is_utf8

SCHEME = "gs://"
READ_ONLY_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
LIST_PAGE_SIZE = 1000
LIST_FIELDS = "items(name,size,generation,updated,timeCreated,md5Hash,crc32c),nextPageToken"
# Backoff 0.25 s, 0.5 s, 1 s ... up to 8 s between attempts, for at most 60 s per call.
RETRY = DEFAULT_RETRY.with_delay(initial=0.25, maximum=8.0, multiplier=2.0).with_timeout(60.0)
REQUEST_TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes
SPOOL_MEMORY_BYTES = 8 << 20  # a ranged read spills to disk past this
KEEP_BYTES = 512 << 20  # local disk for the copies kept until the sync ends
DISABLE_BUCKET_METADATA = "DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA"
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
KEY_FIELDS = ("type", "client_email", "private_key", "token_uri")
_CALL_ERRORS = (
    api_exceptions.GoogleAPIError,
    DataCorruption,  # the content did not match its md5/crc32c
    InvalidResponse,
    auth_exceptions.GoogleAuthError,
    ConnectionError,
    OSError,
    ValueError,
)


class StorageReadError(OSError):
    """An object could not be read: handled like a local file that cannot be read."""


def is_gcs_path(workspace_path: str) -> bool:
    return workspace_path.strip().startswith(SCHEME)


def parse_gcs_path(workspace_path: str) -> tuple[str, str]:
    """(bucket, prefix ending in "/" or empty) of `gs://bucket/prefix`."""
    bucket, _, prefix = workspace_path.strip()[len(SCHEME) :].partition("/")
    if not BUCKET_NAME.match(bucket):
        raise WorkspaceError(
            f"motionblend: workspace_path {workspace_path} does not name a valid bucket; "
            "write gs://<bucket>/<prefix>"
        )
    prefix = prefix.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise WorkspaceError(
            f"motionblend: workspace_path {workspace_path} has an empty, '.' or '..' segment"
        )
    return bucket, prefix + "/" if prefix else ""


def credentials_of(key_json: str | None, endpoint: str | None):
    """(credentials, project): the service-account key, else anonymous for an emulator
    endpoint, else application-default credentials."""
    if key_json:
        return _key_credentials(key_json)
    if endpoint:
        return AnonymousCredentials(), None
    try:
        return google.auth.default(scopes=[READ_ONLY_SCOPE])
    except auth_exceptions.DefaultCredentialsError:
        raise WorkspaceError(
            "motionblend: no gcs_service_account_json was given and this machine has no "
            "application-default credentials; give the key of a service account that can read "
            "the bucket"
        ) from None


def _key_credentials(key_json: str):
    """Credentials from a service-account key; the key itself never appears in an error."""
    register_secret(key_json)
    try:
        info = json.loads(key_json)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise WorkspaceError(
            "motionblend: gcs_service_account_json is not JSON; paste the whole content of the "
            "service account's JSON key file (the value is secret and not shown)"
        )
    for name in ("private_key", "private_key_id"):
        register_secret(info.get(name))
    missing = [name for name in KEY_FIELDS if not info.get(name)]
    if info.get("type") != "service_account" or missing:
        raise WorkspaceError(
            "motionblend: gcs_service_account_json is not a service-account key "
            f"(type must be service_account; missing: {', '.join(missing) or 'none'}); "
            "the value is secret and not shown"
        )
    try:
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[READ_ONLY_SCOPE]
        )
    except (ValueError, TypeError, IndexError):
        raise WorkspaceError(
            "motionblend: gcs_service_account_json holds a private key that cannot be read; "
            "create a new JSON key for the service account (the value is secret and not shown)"
        ) from None
    return credentials, info.get("project_id")


def describe_error(error: BaseException) -> str:
    """A short, masked account of a failed call (the status and the reason, no body)."""
    if isinstance(error, api_exceptions.GoogleAPICallError):
        return mask(f"{error.code} {getattr(error, 'reason', None) or type(error).__name__}")
    return mask(f"{type(error).__name__}: {error}")[:300]


class GcsStorage:
    """A workspace in a GCS bucket, under a prefix."""

    def __init__(self, workspace_path: str, key_json: str | None, endpoint: str | None):
        self.bucket_name, self.prefix = parse_gcs_path(workspace_path)
        self.location = f"{SCHEME}{self.bucket_name}/{self.prefix}".rstrip("/")
        # The client would otherwise fetch the bucket's metadata (storage.buckets.get, which a
        # read-only role lacks) in a background thread, for tracing only: one more request.
        os.environ.setdefault(DISABLE_BUCKET_METADATA, "true")
        credentials, project = credentials_of(key_json, endpoint)
        options = {"api_endpoint": endpoint} if endpoint else None
        self.client = storage.Client(
            project=project or "motionblend", credentials=credentials, client_options=options
        )
        self.bucket = self.client.bucket(self.bucket_name)
        self.listed: dict[str, ScannedFile] = {}
        self._lock = threading.Lock()  # reads run in a worker thread too (read-ahead)
        self.kept_folder: str | None = None
        self.kept: dict[tuple[str, int], tuple[str, str]] = {}  # (name, generation): (path, sha)
        self.kept_bytes = 0
        self._names = itertools.count()

    # -- listing ---------------------------------------------------------------------------------
    def list(self, roots) -> Listing:
        """Every object under the `(folder, label)` roots, from one paged listing."""
        folders = [(folder + "/", label) for folder, label in roots]
        listing = Listing()
        try:
            blobs = self.client.list_blobs(
                self.bucket_name,
                prefix=self.prefix,
                page_size=LIST_PAGE_SIZE,
                fields=LIST_FIELDS,
                retry=RETRY,
                timeout=REQUEST_TIMEOUT,
            )
            for page in blobs.pages:
                for blob in page:
                    self._add(blob, folders, listing)
        except api_exceptions.NotFound:
            raise WorkspaceError(
                f"motionblend: workspace_path {self.location}: bucket {self.bucket_name} does "
                "not exist (or the endpoint is wrong)"
            ) from None
        except (api_exceptions.Forbidden, api_exceptions.Unauthorized) as error:
            raise WorkspaceError(
                f"motionblend: workspace_path {self.location} cannot be listed "
                f"({describe_error(error)}); grant the service account "
                "roles/storage.objectViewer on the bucket"
            ) from None
        except auth_exceptions.RefreshError as error:
            raise WorkspaceError(
                "motionblend: the GCS credentials (gcs_service_account_json, or the "
                f"application-default ones) were refused ({describe_error(error)}); check that "
                "the key is active"
            ) from None
        except _CALL_ERRORS as error:
            raise WorkspaceError(
                f"motionblend: listing {self.location} failed after retries "
                f"({describe_error(error)}); nothing was written or deleted, the next sync "
                "lists again"
            ) from None
        self.listed = {file.rel: file for file in listing.files}
        return listing

    def _add(self, blob, folders, listing: Listing) -> None:
        rel = blob.name[len(self.prefix) :]
        label = next((label for folder, label in folders if rel.startswith(folder)), None)
        if label is None:
            return
        if not is_utf8(rel):
            shown = rel.encode("utf-8", "backslashreplace").decode("utf-8")
            listing.warnings.append(f"{shown}: the name is not valid UTF-8: skipped")
        elif rel.endswith("/"):
            listing.warnings.append(f"{rel} is an object named like a folder: skipped")
        elif any(part in ("", ".", "..") for part in rel.split("/")):
            listing.warnings.append(f"{rel} has an empty, '.' or '..' segment: skipped")
        else:
            updated = blob.updated
            listing.files.append(
                ScannedFile(
                    rel,
                    blob.name,
                    label,
                    int(blob.size or 0),
                    int(blob.generation),
                    _nanoseconds(updated),
                    (blob.time_created or updated).timestamp(),
                    self,
                )
            )

    # -- reading ---------------------------------------------------------------------------------
    def open(self, file: ScannedFile, start: int = 0, end: int | None = None) -> BinaryIO:
        """Bytes `start` to `end` (exclusive; None: the end) of the listed generation: from the
        kept copy when there is one (or when the whole object is asked for), else a range."""
        whole = start == 0 and (end is None or end >= file.size)
        if whole or (file.path, file.version) in self.kept:
            source, _, temporary = self._fetch(file)
            handle = open(source, "rb")  # noqa: SIM115 (returned to the caller)
            if temporary:
                os.unlink(source)  # gone once closed
            handle.seek(start)
            return handle
        handle = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115
        try:
            self._download(file, handle, start, end)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return handle

    @contextlib.contextmanager
    def local_copy(self, file: ScannedFile):
        """(a local copy of `file`, its SHA-256): at most one streamed download per sync,
        hashed on the way, laid out with the companions its reader opens."""
        folder = tempfile.mkdtemp(prefix="motionblend-gcs-")
        try:
            path = os.path.join(folder, file.name)
            source, digest, temporary = self._fetch(file)
            _place(source, path, temporary)
            for rel, target in self._companions(file, path, folder):
                companion, _, throwaway = self._fetch(self.listed[rel])
                _place(companion, target, throwaway)
            yield dataclasses.replace(file, path=path, storage=LocalStorage(folder)), digest
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _fetch(self, file: ScannedFile) -> tuple[str, str, bool]:
        """(path of a whole local copy, its SHA-256, whether the caller must delete it).

        Copies are kept on local disk until `close()` while they fit in KEEP_BYTES, so a file
        several tables read (a blend's output and sources: motion rows, then metrics; a
        manifest: job, artifact, metrics) is downloaded once per sync."""
        key = (file.path, file.version)
        with self._lock:
            if key in self.kept:
                return (*self.kept[key], False)
            if self.kept_folder is None:
                self.kept_folder = tempfile.mkdtemp(prefix="motionblend-gcs-kept-")
                atexit.register(shutil.rmtree, self.kept_folder, True)
            path = os.path.join(self.kept_folder, str(next(self._names)))
        digest = hashlib.sha256()
        try:
            with open(path, "wb") as sink:
                self._download(file, _Hashing(sink, digest))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        with self._lock:
            if self.kept_bytes + file.size > KEEP_BYTES:
                return path, digest.hexdigest(), True
            self.kept[key] = (path, digest.hexdigest())
            self.kept_bytes += file.size
        return path, digest.hexdigest(), False

    def close(self) -> None:
        """Delete the copies kept during this sync."""
        if self.kept_folder is not None:
            shutil.rmtree(self.kept_folder, ignore_errors=True)
        self.kept_folder, self.kept, self.kept_bytes = None, {}, 0

    def _companions(self, file: ScannedFile, path: str, folder: str):
        """(rel, local path) of the listed files a reader opens beside `file`: an NPY's
        `<stem>.json` sidecar, a .gltf's external buffers."""
        stem, _, suffix = file.rel.rpartition(".")
        if suffix.lower() == "npy" and stem + ".json" in self.listed:
            yield stem + ".json", path.rsplit(".", 1)[0] + ".json"
        if suffix.lower() != "gltf":
            return
        try:
            with open(path, "rb") as handle:
                buffers = json.loads(handle.read().decode("utf-8-sig")).get("buffers") or []
        except (ValueError, AttributeError, OSError):
            return  # the reader reports the broken document
        for buffer in buffers:
            uri = buffer.get("uri") if isinstance(buffer, dict) else None
            if not isinstance(uri, str) or uri.startswith("data:") or urlparse(uri).scheme:
                continue
            relative = unquote(uri)
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(file.rel), relative))
            target = os.path.normpath(os.path.join(folder, relative))
            if rel in self.listed and target.startswith(folder + os.sep):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                yield rel, target

    def _download(self, file: ScannedFile, sink, start: int = 0, end: int | None = None):
        """Stream the listed generation (or a range of it) into `sink`; StorageReadError."""
        end = file.size if end is None else min(end, file.size)
        if start >= end:
            return
        whole = start == 0 and end == file.size
        blob = self.bucket.blob(file.path, generation=file.version)
        try:
            blob.download_to_file(
                sink,
                start=None if whole else start,
                end=None if whole else end - 1,
                checksum="auto" if whole else None,
                retry=RETRY,
                timeout=REQUEST_TIMEOUT,
            )
        except api_exceptions.NotFound:
            raise StorageReadError(
                f"object {file.path} (generation {file.version}) changed or vanished since it "
                "was listed"
            ) from None
        except _CALL_ERRORS as error:
            if isinstance(error, StorageReadError):
                raise
            raise StorageReadError(
                f"object {file.path} cannot be read ({describe_error(error)})"
            ) from None


def _place(source: str, target: str, move: bool) -> None:
    """Put a local copy at `target`: moved when it is a throwaway, else linked (or copied)."""
    if move:
        os.replace(source, target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class _Hashing:
    """A write-only file object that hashes what it passes on."""

    def __init__(self, sink, digest):
        self.sink, self.digest = sink, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.sink.write(data)


def _nanoseconds(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
