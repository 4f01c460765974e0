"""Read -> batches -> parallel bulk -> watermark: the export loop.

The main thread reads pages, turns rows into their actions' `_bulk` lines (a row that cannot
become a document is dead-lettered here, and its batch is then never acknowledged) and keeps at
most `2 x workers` batches in flight, so memory stays flat. Outcomes are handled on the main thread
in completion order; the safe watermark (see watermark.py) is saved every time it moves, so a
crash resends at most the batches that were in flight.
"""

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from exporter.bulk import Batch, BatchOutcome, Counts, DeadLetters
from exporter.documents import InvalidRow
from exporter.watermark import WatermarkTracker
from shared.masking import log

PROGRESS_LOG_SECONDS = 10


def batches(
    pages: Iterator[list[tuple]],
    encode: Callable[[tuple], bytes],
    size: int,
    dead: DeadLetters,
) -> Iterator[Batch]:
    """Group rows into batches of `size` actions, in reading (watermark) order.

    `encode` turns a row into its action's `_bulk` lines, or raises InvalidRow."""
    batch = Batch(0)
    for page in pages:
        for row in page:
            batch.last_watermark_us = row[0]
            try:
                batch.lines.append(encode(row))
            except InvalidRow as error:
                batch.invalid += 1
                dead.write(str(error), None, status=None)
            if len(batch.lines) + batch.invalid >= size:
                yield batch
                batch = Batch(batch.number + 1)
    if batch.lines or batch.invalid:
        yield batch


class Progress:
    """A tqdm bar on a terminal, a log line every PROGRESS_LOG_SECONDS otherwise."""

    def __init__(self, total: int | None, enabled: bool = True):
        self._bar = None
        self._last = time.monotonic()
        self._enabled = enabled
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="doc", unit_scale=True, file=sys.stderr)

    def update(self, done: int, counts: Counts) -> None:
        if self._bar is not None:
            self._bar.update(done)
        elif self._enabled and time.monotonic() - self._last >= PROGRESS_LOG_SECONDS:
            self._last = time.monotonic()
            log.info(
                f"progress: {counts.read} read, {counts.indexed} indexed, "
                f"{counts.skipped} skipped, {counts.deleted} deleted"
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run(
    source_batches: Iterator[Batch],
    send: Callable[[Batch], BatchOutcome],
    *,
    workers: int,
    tracker: WatermarkTracker,
    on_advance: Callable[[int], None],
    progress: Progress,
) -> Counts:
    """Send every batch with `workers` threads; returns the summed counts.

    An exception from a batch (the cluster is unavailable) stops the run after the batches in
    flight finish; the watermark saved so far stays valid."""
    counts = Counts()
    inflight: set[Future] = set()

    def settle(future: Future) -> None:
        outcome = future.result()
        counts.add(outcome.counts)
        if tracker.finished(outcome.number, outcome.acknowledged):
            on_advance(tracker.safe_us)
        progress.update(
            outcome.counts.indexed + outcome.counts.deleted + outcome.counts.skipped, counts
        )

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bulk") as pool:
        try:
            for batch in source_batches:
                counts.read += len(batch.lines) + batch.invalid
                counts.dead_lettered += batch.invalid
                tracker.started(batch.number, batch.last_watermark_us)
                inflight.add(pool.submit(send, batch))
                while len(inflight) >= 2 * workers:
                    done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in done:
                        settle(future)
            while inflight:
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    settle(future)
        finally:
            for future in inflight:
                future.cancel()
    return counts
