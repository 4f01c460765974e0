"""Send one batch of actions with the client's streaming bulk helper and classify every outcome.

Per document: 2xx is done; 409 is a version conflict, i.e. this or a newer version is already
there ("skipped"); 404 on a delete means already gone ("skipped"); 429 is retried by the helper
with backoff (`max_retries` > 0 and `raise_on_error=False`: with the default
`raise_on_error=True` the helper raises instead of retrying per-document 429s) and, if still
refused, leaves the batch unacknowledged; any other error (a 400 from the strict mapping, ...)
is dead-lettered with its reason. Whole requests that fail on the connection or with
502/503/504 are retried here with exponential backoff, resending only the documents without an
outcome yet, then the run fails naming the cluster's URL (never its credentials).
"""

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from exporter.clients import Cluster, ClusterError
from exporter.documents import Action
from shared.http import RetryPolicy
from shared.masking import log, mask, mask_exception

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_CHUNK_BYTES = 10 * 1024 * 1024  # well under the clusters' 100 MB http.max_content_length


@dataclass(frozen=True)
class BulkOptions:
    """`retry` (shared.http's policy) bounds both the helper's per-document 429 retries and
    this module's whole-request retries."""

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
    actions: list[Action] = field(default_factory=list)
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
    """Sends batches to one index through the cluster's bulk helper; safe to call from threads."""

    def __init__(self, cluster: Cluster, index: str, options: BulkOptions, dead: DeadLetters):
        self.cluster = cluster
        self.index = index
        self.options = options
        self.dead = dead

    def send(self, batch: Batch) -> BatchOutcome:
        counts = Counts()
        by_id = {a.id: a for a in batch.actions}
        pending = list(batch.actions)
        attempt = 0
        while pending:
            try:
                for _ok, item in self._stream(pending):
                    self._classify(item, by_id, counts)
                    by_id.pop(next(iter(item.values())).get("_id"), None)
                pending = []
            except Exception as error:  # noqa: BLE001 - classified right below
                status = _status(error)
                transient = (
                    status in RETRYABLE_STATUSES
                    if status is not None
                    else _is_connection_error(error)
                )
                where = self.cluster.where
                if not transient:
                    raise ClusterError(
                        f"bulk request to {where} refused: {mask_exception(error)}"
                    ) from None
                attempt += 1
                retry = self.options.retry
                if attempt > retry.max_retries:
                    raise ClusterError(
                        f"the cluster at {where} is unavailable: bulk request failed "
                        f"{attempt} times, last with {mask_exception(error)}; run the export "
                        "again later (nothing past the saved watermark is lost)"
                    ) from None
                wait = retry.wait_before_retry(attempt, None, self.options.rng)
                log.warning(
                    f"bulk request to {where} failed ({status or type(error).__name__}); "
                    f"retry {attempt} of {retry.max_retries} in {wait:.1f}s"
                )
                self.options.sleep(wait)
                pending = [a for a in pending if a.id in by_id]
        acknowledged = counts.dead_lettered == 0 and counts.failed == 0 and batch.invalid == 0
        return BatchOutcome(batch.number, counts, acknowledged)

    def _stream(self, actions: list[Action]):
        index = self.index
        return self.cluster.helpers.streaming_bulk(
            self.cluster.client,
            actions,
            # Straight to the (action line, document) pair the helper would derive from a dict.
            expand_action_callback=lambda action: (action.metadata(index), action.source),
            chunk_size=self.options.batch_size,
            max_chunk_bytes=self.options.max_chunk_bytes,
            raise_on_error=False,
            raise_on_exception=True,
            max_retries=self.options.retry.max_retries,
            initial_backoff=self.options.retry.backoff_base,
            max_backoff=self.options.retry.backoff_max,
            yield_ok=True,
        )

    def _classify(self, item: dict, by_id: dict[str, Action], counts: Counts) -> None:
        op, info = next(iter(item.items()))
        status = info.get("status", 500)
        if 200 <= status < 300:
            if op == "delete":
                counts.deleted += 1
            else:
                counts.indexed += 1
        elif status == 409 or (status == 404 and op == "delete"):
            counts.skipped += 1
        elif status in RETRYABLE_STATUSES or status >= 500:
            counts.failed += 1
        else:
            counts.dead_lettered += 1
            action = by_id.get(info.get("_id"))
            self.dead.write(
                _reason(info), action.bulk(self.index) if action else info, status=status
            )
