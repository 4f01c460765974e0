"""Fetch ahead in one background thread while the caller writes what was already fetched.

A rate-limited source leaves a connector idle between requests; writing rows (and the SDK's
checkpoints, which write to the destination) then adds to the sync's time instead of filling
those gaps. `prefetched` runs `fetch(item)` for the next few items in a worker thread and yields
the results in order, so requests go out at the rate limit while the caller writes.

    for movie_id, movie in prefetched(movie_ids, fetch_movie, depth=8):
        write(movie)            # Operations.* stay on the caller's thread

One worker: requests stay sequential (the session is used by that thread alone while the walk
goes on) and never exceed what a single client would send. An exception raised by `fetch` is
raised to the caller at that item's place, after every earlier result; when the caller stops
early (an exception of its own, `break`), queued fetches are cancelled.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

Item = TypeVar("Item")

DEFAULT_DEPTH = 8


def prefetched(
    items: Iterable[Item], fetch: Callable[[Item], Any], depth: int = DEFAULT_DEPTH
) -> Iterator[tuple[Item, Any]]:
    """`(item, fetch(item))` for each item, in order, fetched up to `depth` items ahead."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth!r}")
    remaining = iter(items)
    pending: deque[tuple[Item, Future]] = deque()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
    try:
        for item in remaining:
            pending.append((item, pool.submit(fetch, item)))
            if len(pending) >= depth:
                break
        while pending:
            item, future = pending.popleft()
            result = future.result()
            following = next(remaining, _END)
            if following is not _END:
                pending.append((following, pool.submit(fetch, following)))
            yield item, result
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True)


_END = object()
