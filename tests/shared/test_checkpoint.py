import time

import pytest
from fivetran_connector_sdk import Operations

from shared.checkpoint import DEFAULT_EVERY_ROWS, DEFAULT_EVERY_SECONDS, Checkpointer


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def saved():
    return []


def make(saved, clock, every_rows=100, every_seconds=30.0):
    return Checkpointer(every_rows, every_seconds, checkpoint=saved.append, clock=clock)


def test_checkpoints_once_enough_rows_are_written(saved, clock):
    checkpointer = make(saved, clock)
    assert checkpointer.rows_written(60, {"page": 1}) is False
    assert checkpointer.rows_since_checkpoint == 60
    assert checkpointer.rows_written(40, {"page": 2}) is True
    assert saved == [{"page": 2}]
    assert (checkpointer.checkpoints, checkpointer.rows_since_checkpoint) == (1, 0)
    assert checkpointer.rows_written(99, {"page": 3}) is False
    assert checkpointer.rows_written(150, {"page": 4}) is True
    assert saved == [{"page": 2}, {"page": 4}]


def test_checkpoints_once_enough_time_has_passed_even_with_few_rows(saved, clock):
    checkpointer = make(saved, clock)
    clock.now += 29.9
    assert checkpointer.rows_written(1, {"cursor": "a"}) is False
    clock.now += 0.1
    assert checkpointer.rows_written(1, {"cursor": "b"}) is True
    assert saved == [{"cursor": "b"}]
    # The time is counted again from that checkpoint, not from the start.
    clock.now += 20
    assert checkpointer.rows_written(1, {"cursor": "c"}) is False
    clock.now += 10
    assert checkpointer.rows_written(0, {"cursor": "d"}) is True
    assert saved == [{"cursor": "b"}, {"cursor": "d"}]


def test_unconditional_checkpoint_resets_both_counters(saved, clock):
    checkpointer = make(saved, clock)
    checkpointer.rows_written(99, {"n": 1})
    clock.now += 29
    checkpointer.checkpoint({"n": 2})
    assert (checkpointer.checkpoints, checkpointer.rows_since_checkpoint) == (1, 0)
    clock.now += 29
    assert checkpointer.rows_written(99, {"n": 3}) is False
    assert saved == [{"n": 2}]


def test_state_is_copied_deeply_at_checkpoint_time(saved, clock):
    checkpointer = make(saved, clock, every_rows=1)
    state = {"tables": {"zones": {"cursor": "2024-01-01"}}, "done": ["a"]}
    checkpointer.rows_written(1, state)
    state["tables"]["zones"]["cursor"] = "2024-02-01"
    state["done"].append("b")
    checkpointer.checkpoint(state)
    assert saved == [
        {"tables": {"zones": {"cursor": "2024-01-01"}}, "done": ["a"]},
        {"tables": {"zones": {"cursor": "2024-02-01"}}, "done": ["a", "b"]},
    ]


def test_defaults_to_the_sdk_checkpoint_and_documented_cadence(monkeypatch):
    saved = []
    monkeypatch.setattr(Operations, "checkpoint", saved.append)
    checkpointer = Checkpointer(clock=FakeClock())
    assert (checkpointer.every_rows, checkpointer.every_seconds) == (5000, 60.0)
    assert (DEFAULT_EVERY_ROWS, DEFAULT_EVERY_SECONDS) == (5000, 60.0)
    assert checkpointer.rows_written(DEFAULT_EVERY_ROWS - 1, {"n": 1}) is False
    assert checkpointer.rows_written(1, {"n": 2}) is True
    assert saved == [{"n": 2}]
    assert Checkpointer(checkpoint=saved.append)._clock is time.monotonic


@pytest.mark.parametrize(
    ("every_rows", "every_seconds"), [(0, 1.0), (-5, 1.0), (1.5, 1.0), (10, 0), (10, -1.0)]
)
def test_refuses_a_cadence_that_is_not_positive(every_rows, every_seconds):
    with pytest.raises(ValueError):
        Checkpointer(every_rows, every_seconds, checkpoint=lambda state: None)


def test_refuses_a_negative_row_count(saved, clock):
    with pytest.raises(ValueError, match="count must not be negative"):
        make(saved, clock).rows_written(-1, {})
