"""When to checkpoint: after so many rows or so many seconds, whichever comes first.

The SDK buffers upserted rows in memory until `op.checkpoint(state)`, which commits the rows and
the state together. Checkpointing too often is slow; too rarely costs memory and, on a failure,
every row since the last checkpoint. A connector upserts a page, updates its state dict to describe
what has been written, then calls `rows_written(len(page), state)`; at the end of each table or
window it calls `checkpoint(state)` unconditionally.
"""

import copy
import time
from collections.abc import Callable
from typing import Any

from fivetran_connector_sdk import Operations

# Chosen by the writer-ceiling benchmark (`make bench`, 20,000 rows of 30 columns under
# `fivetran debug`, one run, 2026-11-22): every 100 rows 1,066 rows/s (161 MB peak), every 1,000
# 2,249 rows/s (153 MB), every 5,000 2,746 rows/s (213 MB), once at the end 2,278 rows/s but
# 392 MB and growing with the row count. 5,000 is the fastest with bounded memory; connectors
# with very wide rows may pass a smaller every_rows. The time bound caps lost work when rows
# trickle in slowly (at these speeds the row bound always comes first).
DEFAULT_EVERY_ROWS = 5000
DEFAULT_EVERY_SECONDS = 60.0


class Checkpointer:
    """Checkpoints the state after `every_rows` rows or `every_seconds` seconds since the last one.

    `checkpoint` is the function that commits (default `Operations.checkpoint`); `clock` gives
    seconds (default `time.monotonic`). Both are there for tests.
    """

    def __init__(
        self,
        every_rows: int = DEFAULT_EVERY_ROWS,
        every_seconds: float = DEFAULT_EVERY_SECONDS,
        *,
        checkpoint: Callable[[dict], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if isinstance(every_rows, bool) or not isinstance(every_rows, int) or every_rows < 1:
            raise ValueError(f"every_rows must be a positive integer, got {every_rows!r}")
        if isinstance(every_seconds, bool) or not every_seconds > 0:
            raise ValueError(f"every_seconds must be a positive number, got {every_seconds!r}")
        self.every_rows = every_rows
        self.every_seconds = every_seconds
        self._commit = checkpoint if checkpoint is not None else Operations.checkpoint
        self._clock = clock
        self._last_checkpoint_at = clock()
        self.checkpoints = 0
        self.rows_since_checkpoint = 0

    def rows_written(self, count: int, state: dict) -> bool:
        """Record `count` rows just upserted, which `state` describes; True if it checkpointed.

        Call it after the upserts and after updating `state`: the checkpoint commits the buffered
        rows together with this state, so the state must not claim rows not yet written.
        """
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        self.rows_since_checkpoint += count
        due_by_rows = self.rows_since_checkpoint >= self.every_rows
        due_by_time = self._clock() - self._last_checkpoint_at >= self.every_seconds
        if due_by_rows or due_by_time:
            self.checkpoint(state)
            return True
        return False

    def checkpoint(self, state: dict) -> None:
        """Checkpoint `state` now (end of a table or window, end of the sync)."""
        # A copy, because the caller keeps mutating its dict while the SDK may hold on to this one.
        self._commit(copy.deepcopy(state))
        self.checkpoints += 1
        self.rows_since_checkpoint = 0
        self._last_checkpoint_at = self._clock()
