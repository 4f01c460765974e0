"""shared.timewindows: hour flooring and windows that shrink when a response is truncated."""

import datetime

from shared.timewindows import ShrinkingWindows, floor_hour

_T0 = datetime.datetime(2025, 12, 1, tzinfo=datetime.UTC)
_HOUR = datetime.timedelta(hours=1)


def test_floor_hour_truncates_to_the_utc_hour():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2025, 12, 1, 13, 59, 59, 999, tzinfo=plus_two)
    assert floor_hour(moment) == datetime.datetime(2025, 12, 1, 11, tzinfo=datetime.UTC)
    assert floor_hour(datetime.datetime(2025, 12, 1, 11)) == floor_hour(moment)  # naive is UTC


def test_shrinking_windows_cover_the_range_contiguously():
    windows = list(ShrinkingWindows(_T0, _T0 + 50 * _HOUR, 24 * _HOUR))
    assert windows == [
        (_T0, _T0 + 24 * _HOUR),
        (_T0 + 24 * _HOUR, _T0 + 48 * _HOUR),
        (_T0 + 48 * _HOUR, _T0 + 50 * _HOUR),
    ]
    assert list(ShrinkingWindows(_T0, _T0, _HOUR)) == []


def test_a_shrunk_window_is_retried_at_half_length_and_the_rest_keeps_the_step():
    windows = ShrinkingWindows(_T0, _T0 + 30 * _HOUR, 10 * _HOUR)
    seen = []
    for window in windows:
        seen.append(window)
        if window == (_T0, _T0 + 10 * _HOUR):
            assert windows.shrink()
    assert seen[:3] == [
        (_T0, _T0 + 10 * _HOUR),
        (_T0, _T0 + 5 * _HOUR),
        (_T0 + 5 * _HOUR, _T0 + 10 * _HOUR),
    ]
    assert seen[-1][1] == _T0 + 30 * _HOUR
    assert all(end - start == 5 * _HOUR for start, end in seen[1:])


def test_shrinking_stops_at_one_unit_and_halves_in_whole_units():
    windows = ShrinkingWindows(_T0, _T0 + 3 * _HOUR, 3 * _HOUR)
    lengths = []
    for start, end in windows:
        lengths.append(end - start)
        if not windows.shrink():
            break
    assert lengths == [3 * _HOUR, _HOUR]  # 1.5 h rounds down to 1 h; one hour cannot shrink
