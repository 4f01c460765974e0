"""Send one batch of actions as a ready `_bulk` body and classify every document's outcome.

The body is the actions' NDJSON lines joined (see documents.py), sent with the official
client's own `bulk` call; the response's items are read in order, one per action. This
replaces the clients' `streaming_bulk` helper, which rebuilt and serialised every action line
by line in Python: the largest part of the exporter's time (see README.md, Performance).

Per document: 2xx is done; 409 is a version conflict, i.e. this or a newer version is already
there ("skipped"); 404 on a delete means already gone ("skipped"); 429 is sent again after a
backoff and, if still refused after every retry, counted failed, leaving the batch
unacknowledged; other 5xx are failed too; any other error (a 400 from the strict mapping, ...)
is dead-lettered with its reason. Whole requests that fail on the connection or with
502/503/504 are retried the same way, resending only the documents without an outcome yet,
then the run fails naming the cluster's URL (never its credentials).
"""

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from exporter.clients import Cluster, ClusterError
from exporter.documents import action_of
from shared.http import RetryPolicy
from shared.masking import log, mask, mask_exception

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_CHUNK_BYTES = 10 * 1024 * 1024  # well under the clusters' 100 MB http.max_content_length


@dataclass(frozen=True)
class BulkOptions:
    """`retry` (shared.http's policy) bounds the rounds of retries of a batch: its throttled
    documents and its failed requests. A batch larger than `max_chunk_bytes` is sent in
    several requests."""

    batch_size: int = 500
    retry: RetryPolicy = RetryPolicy(max_retries=5, backoff_base=1.0, backoff_max=30.0)
    max_chunk_bytes: int = MAX_CHUNK_BYTES
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class Counts:
    read: int = 0
    indexed: int = 0
    deleted: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    failed: int = 0  # refused with a transient error after every retry

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Batch:
    number: int
    lines: list[bytes] = field(default_factory=list)  # each action's lines of the _bulk body
    last_watermark_us: int | None = None
    invalid: int = 0  # rows refused before sending (dead-lettered already)


@dataclass
class BatchOutcome:
    number: int
    counts: Counts
    acknowledged: bool


class DeadLetters:
    """An NDJSON file of refused documents with their reasons; created on the first one."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stream = None
        self.count = 0

    def write(self, reason: str, action: dict | None = None, status: int | None = None) -> None:
        record = {"reason": mask(reason), "status": status, "action": action}
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._lock:
            if self._stream is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._stream = self.path.open("wb")
            self._stream.write(line)
            self._stream.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._stream.close()


def _status(error: BaseException) -> int | None:
    meta = getattr(error, "meta", None)
    status = getattr(meta, "status", None) if meta is not None else None
    if status is None:
        status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def _is_connection_error(error: BaseException) -> bool:
    from elastic_transport import TransportError
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    return isinstance(error, TransportError | OpenSearchConnectionError)


def _reason(info: dict) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error or info.get("result") or f"HTTP {info.get('status')}")


class BulkWriter:
    """Sends batches (their lines name the index) as `_bulk` bodies; safe to call from threads."""

    def __init__(self, cluster: Cluster, options: BulkOptions, dead: DeadLetters):
        self.cluster = cluster
        self.options = options
        self.dead = dead

    def send(self, batch: Batch) -> BatchOutcome:
        """Send every action of the batch and return their outcomes.

        Each round sends the actions without an outcome yet: all of them first, then those
        throttled (per-document 429) or in a request that failed on the connection or with
        502/503/504. A batch gets at most `max_retries` rounds after the first, each after a
        backoff; then throttled documents count as failed and a failing request ends the run."""
        counts = Counts()
        pending = batch.lines
        retry = self.options.retry
        rounds = 0
        while pending:
            pending, error = self._round(pending, counts)
            if not pending:
                break
            rounds += 1
            where = self.cluster.where
            if rounds > retry.max_retries:
                if error is not None:
                    raise ClusterError(
                        f"the cluster at {where} is unavailable: bulk request failed "
                        f"{rounds} times, last with {mask_exception(error)}; run the export "
                        "again later (nothing past the saved watermark is lost)"
                    ) from None
                counts.failed += len(pending)
                break
            wait = retry.wait_before_retry(rounds, None, self.options.rng)
            why = "throttled" if error is None else _status(error) or type(error).__name__
            log.warning(
                f"bulk to {where}: {len(pending)} documents {why}; "
                f"retry {rounds} of {retry.max_retries} in {wait:.1f}s"
            )
            self.options.sleep(wait)
        acknowledged = counts.dead_lettered == 0 and counts.failed == 0 and batch.invalid == 0
        return BatchOutcome(batch.number, counts, acknowledged)

    def _round(self, pending: list[bytes], counts: Counts):
        """One request per chunk; returns the actions to send again and the request error,
        if there was one."""
        again: list[bytes] = []
        error = None
        for start, end in chunks(pending, self.options.max_chunk_bytes):
            sent = pending[start:end]
            if error is None:
                try:
                    response = self.cluster.bulk(b"".join(sent))
                except Exception as failure:  # noqa: BLE001 - classified right below
                    if not _transient(failure):
                        raise ClusterError(
                            f"bulk request to {self.cluster.where} refused: "
                            f"{mask_exception(failure)}"
                        ) from None
                    error = failure
            if error is not None:  # the cluster failed: this and the rest wait for a retry
                again += sent
            else:
                again += self._outcomes(sent, response, counts)
        return again, error

    def _outcomes(self, sent: list[bytes], response: dict, counts: Counts) -> list[bytes]:
        """Count each document's outcome; returns the actions to send again (throttled)."""
        items = response.get("items") or []
        if len(items) != len(sent):
            raise ClusterError(
                f"{self.cluster.where} answered {len(items)} bulk items for {len(sent)} actions"
            )
        if not response.get("errors") and not any("delete" in item for item in items):
            counts.indexed += len(sent)  # no item has an error: every document is indexed
            return []
        throttled = []
        for lines, item in zip(sent, items, strict=True):
            ((op, info),) = item.items()
            status = info.get("status", 500)
            if 200 <= status < 300:
                if op == "delete":
                    counts.deleted += 1
                else:
                    counts.indexed += 1
            elif status == 409 or (status == 404 and op == "delete"):
                counts.skipped += 1
            elif status == 429:
                throttled.append(lines)
            elif status >= 500:
                counts.failed += 1
            else:
                counts.dead_lettered += 1
                self.dead.write(_reason(info), action_of(lines), status=status)
        return throttled


def _transient(error: BaseException) -> bool:
    status = _status(error)
    return status in RETRYABLE_STATUSES if status is not None else _is_connection_error(error)


def chunks(bodies: list[bytes], max_bytes: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive runs of bodies under max_bytes (at least one body each)."""
    if sum(map(len, bodies)) <= max_bytes:
        return [(0, len(bodies))]  # the usual case: the batch is one request
    runs, start, size = [], 0, 0
    for end, body in enumerate(bodies):
        if end > start and size + len(body) > max_bytes:
            runs.append((start, end))
            start, size = end, 0
        size += len(body)
    runs.append((start, len(bodies)))
    return runs
