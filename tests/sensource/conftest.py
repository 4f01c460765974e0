"""Fixtures for the sensource tests: a simulator with a frozen clock and a connector run at the
same moment (its process clock shifted with time-machine, see shifted_clock/)."""

import datetime as dt
from pathlib import Path

import pytest

from tests.sensource.simulator import SenSourceSimulator

SHIFTED_CLOCK = Path(__file__).resolve().parent / "shifted_clock"
CLIENT_ID = "sensource-e2e-client-7c1d"
CLIENT_SECRET = "sensource-e2e-secret-4b9f02"


def yesterday_at(hour: int, minute: int = 30) -> dt.datetime:
    """A fixed moment of yesterday (UTC): hours and days of a test never depend on when it runs."""
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def clock_env(moment: dt.datetime) -> dict:
    """Environment for a `fivetran debug` run whose clock reads `moment` when it starts."""
    shift = (moment - dt.datetime.now(dt.UTC)).total_seconds()
    return {"PYTHONPATH": str(SHIFTED_CLOCK), "SHIFTED_CLOCK_SECONDS": f"{shift:.3f}"}


def configuration(sim: SenSourceSimulator, **overrides: str) -> dict:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "auth_url": sim.token_url,
        "base_url": sim.api_url,
        "window_days": "1",
        **overrides,
    }


class FrozenClock:
    """The simulator's clock: fixed until a test moves it."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def make_simulator():
    """Factory: a started simulator with the test's credentials and a FrozenClock `sim.clock`."""
    started = []

    def make(moment: dt.datetime, **kwargs) -> SenSourceSimulator:
        sim = SenSourceSimulator(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=FrozenClock(moment), **kwargs
        )
        started.append(sim.start())
        return sim

    yield make
    for sim in started:
        sim.stop()
