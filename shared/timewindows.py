"""UTC timestamps as the SDK wants them, and splitting a date range into windows.

The SDK's UTC_DATETIME columns want an explicit offset: `format_utc` writes `...Z`. Naive
datetimes are taken to be UTC throughout.
"""

import datetime
from collections.abc import Iterator
from typing import TypeVar

UTC = datetime.UTC

# date or datetime; datetime is a subclass of date, and both ends must be of the same kind.
_Moment = TypeVar("_Moment", datetime.date, datetime.datetime)

_ONE_DAY = datetime.timedelta(days=1)


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.datetime.now(UTC)


def to_utc(moment: datetime.datetime) -> datetime.datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if not isinstance(moment, datetime.datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_utc(moment: datetime.datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC, for a UTC_DATETIME column or a state cursor.

    Fractions of a second are dropped (truncated, not rounded).
    """
    return to_utc(moment).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_utc(text: str) -> datetime.datetime:
    """An aware UTC datetime from ISO 8601 text (`Z` or an offset; none means UTC).

    A bare date (`2024-05-01`) is midnight UTC.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    stripped = text.strip()
    if stripped[-1:] == "z":
        stripped = stripped[:-1] + "Z"
    try:
        return to_utc(datetime.datetime.fromisoformat(stripped))
    except ValueError:
        raise ValueError(f'not an ISO 8601 timestamp: "{text}"') from None


def date_windows(
    start: _Moment, end: _Moment, step: datetime.timedelta
) -> Iterator[tuple[_Moment, _Moment]]:
    """`(window_start, window_end)` pairs covering `[start, end)`, each at most `step` long.

    Windows are end-exclusive and contiguous; the last is clipped to `end`. Nothing is yielded when
    `start >= end`. Works on dates (then `step` must be whole days) or on datetimes (both naive or
    both aware). Arguments are checked at the call, not at the first iteration.
    """
    if not isinstance(step, datetime.timedelta) or step <= datetime.timedelta(0):
        raise ValueError(f"step must be a positive timedelta, got {step!r}")
    start_is_datetime = isinstance(start, datetime.datetime)
    if not isinstance(start, datetime.date) or start_is_datetime != isinstance(
        end, datetime.datetime
    ):
        raise TypeError(
            "start and end must both be dates or both be datetimes, got "
            f"{type(start).__name__} and {type(end).__name__}"
        )
    if not start_is_datetime and step % _ONE_DAY:
        # date + timedelta ignores the part below a day, so such a step would never advance.
        raise ValueError(f"step must be whole days for dates, got {step}")
    # Compare now so that a naive/aware mix fails here rather than at the first iteration.
    empty = start >= end
    return iter(()) if empty else _windows(start, end, step)


def _windows(start: _Moment, end: _Moment, step: datetime.timedelta):
    window_start = start
    while window_start < end:
        # Compared as a distance, so that start + step cannot overflow past datetime.max.
        window_end = end if end - window_start <= step else window_start + step
        yield window_start, window_end
        window_start = window_end


_ONE_HOUR = datetime.timedelta(hours=1)


def floor_hour(moment: datetime.datetime) -> datetime.datetime:
    """The start of the UTC hour holding `moment` (aware, UTC)."""
    return to_utc(moment).replace(minute=0, second=0, microsecond=0)


class ShrinkingWindows:
    """Windows of at most `step` covering `[start, end)`, that shrink when one holds too much.

    For APIs that cut a long range's response short: iterate, and when a window's response was
    truncated call `shrink()`; the next window then starts at the same place, half as long
    (in whole `unit`s), and the rest of the range keeps the smaller step.

        windows = ShrinkingWindows(start, end, timedelta(days=30))
        for window_start, window_end in windows:
            rows, truncated = fetch(window_start, window_end)
            if truncated:
                if not windows.shrink():
                    raise ...  # even one unit is too much
                continue
            write(rows)

    Windows are end-exclusive and contiguous; `start`, `end` and `step` should be whole units.
    """

    def __init__(
        self,
        start: datetime.datetime,
        end: datetime.datetime,
        step: datetime.timedelta,
        unit: datetime.timedelta = _ONE_HOUR,
    ):
        if unit <= datetime.timedelta(0) or step < unit:
            raise ValueError(f"step ({step}) and unit ({unit}) must be positive, step >= unit")
        self.start, self.end, self.step, self.unit = start, end, step, unit
        self._next = start
        self._current: tuple[datetime.datetime, datetime.datetime] | None = None

    def __iter__(self) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        while self._next < self.end:
            window_start = self._next
            window_end = min(self.end, window_start + self.step)
            self._current = (window_start, window_end)
            self._next = window_end
            yield window_start, window_end

    def shrink(self) -> bool:
        """The last window held too much: retry it at half the length. False at one unit."""
        if self._current is None:
            raise RuntimeError("shrink() before the first window")
        window_start, window_end = self._current
        length = window_end - window_start
        if length <= self.unit:
            return False
        self.step = max(self.unit, (length // 2) // self.unit * self.unit)
        self._next = window_start
        return True
