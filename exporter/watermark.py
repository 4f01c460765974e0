"""Which watermark may be saved while several batches are in flight.

Batches are numbered in reading order, and rows are read in watermark order, so every row
below the last watermark of a batch is in that batch or an earlier one. The safe watermark is
therefore the last watermark of the longest run of acknowledged batches from the first: a
batch that failed (or is still in flight) holds it back, whatever finished after it. Rows at
exactly the saved watermark may sit in a later batch; the next run reads `>=` it (and an overlap
before it), so they are re-sent, and external versioning makes that harmless.
"""

import threading


class WatermarkTracker:
    def __init__(self, start_us: int | None):
        self._lock = threading.Lock()
        self._last_watermark: dict[int, int | None] = {}
        self._finished: dict[int, bool] = {}
        self._next = 0  # first batch not yet part of the acknowledged prefix
        self.safe_us = start_us
        self.blocked_at: int | None = None  # first failed batch, if any

    def started(self, batch: int, last_watermark_us: int | None) -> None:
        with self._lock:
            self._last_watermark[batch] = last_watermark_us

    def finished(self, batch: int, acknowledged: bool) -> bool:
        """Record a batch's outcome; True when the safe watermark moved."""
        with self._lock:
            self._finished[batch] = acknowledged
            if not acknowledged and (self.blocked_at is None or batch < self.blocked_at):
                self.blocked_at = batch
            moved = False
            while self._finished.get(self._next) is True:
                watermark = self._last_watermark.pop(self._next)
                del self._finished[self._next]
                if watermark is not None and (self.safe_us is None or watermark > self.safe_us):
                    self.safe_us = watermark
                    moved = True
                self._next += 1
            return moved
