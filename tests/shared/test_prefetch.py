"""shared.prefetch: results in order, bounded look-ahead, errors in place, early stops."""

import threading

import pytest

from shared.prefetch import prefetched


def test_results_come_in_order_from_another_thread():
    threads = set()

    def fetch(n):
        threads.add(threading.get_ident())
        return n * n

    assert list(prefetched(range(20), fetch, depth=3)) == [(n, n * n) for n in range(20)]
    assert threading.get_ident() not in threads and len(threads) == 1


def test_fetches_run_ahead_of_the_consumer_but_no_further_than_depth():
    started = []
    gate = threading.Event()

    def fetch(n):
        started.append(n)
        if n == 0:
            gate.wait(5)
        return n

    walk = prefetched(range(100), fetch, depth=4)
    gate.set()
    assert next(walk) == (0, 0)
    # The first result is out: at most `depth` items have been queued past it.
    assert len(started) <= 5
    assert [n for n, _ in walk] == list(range(1, 100))


def test_an_error_is_raised_at_its_item_after_earlier_results():
    def fetch(n):
        if n == 3:
            raise KeyError(n)
        return n

    seen = []
    with pytest.raises(KeyError):
        for n, _ in prefetched(range(10), fetch, depth=4):
            seen.append(n)
    assert seen == [0, 1, 2]


def test_stopping_early_cancels_queued_fetches():
    fetched = []
    lock = threading.Event()

    def fetch(n):
        fetched.append(n)
        if n == 0:
            lock.wait(5)
        return n

    walk = prefetched(range(1000), fetch, depth=50)
    lock.set()
    next(walk)
    walk.close()
    assert len(fetched) <= 51


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        list(prefetched([1], lambda n: n, depth=0))
