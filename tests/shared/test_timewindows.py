import datetime

import pytest

from shared.timewindows import date_windows, format_utc, parse_utc, to_utc, utc_now

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))


def dt(*parts, tz=None):
    return datetime.datetime(*parts, tzinfo=tz)


def test_utc_now_is_aware_utc_and_current():
    before = datetime.datetime.now(UTC)
    now = utc_now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.datetime.now(UTC)


def test_to_utc_takes_naive_as_utc_and_converts_aware():
    assert to_utc(dt(2024, 1, 1, 12)) == dt(2024, 1, 1, 12, tz=UTC)
    assert to_utc(dt(2024, 1, 1, 12)).tzinfo is UTC
    converted = to_utc(dt(2024, 1, 1, 1, tz=PLUS_2))
    assert converted.tzinfo is UTC
    assert (converted.day, converted.hour) == (31, 23)
    with pytest.raises(TypeError):
        to_utc(datetime.date(2024, 1, 1))


def test_format_utc_writes_z_suffix_and_drops_fractions():
    assert format_utc(dt(2024, 3, 5, 6, 7, 8, 999999, tz=UTC)) == "2024-03-05T06:07:08Z"
    assert format_utc(dt(2024, 3, 5, 1, 0, 0, tz=PLUS_2)) == "2024-03-04T23:00:00Z"
    assert format_utc(dt(2024, 3, 5)) == "2024-03-05T00:00:00Z"
    assert format_utc(dt(999, 1, 1)) == "0999-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T06:07:08Z", dt(2024, 3, 5, 6, 7, 8, tz=UTC)),
        ("2024-03-05T06:07:08z", dt(2024, 3, 5, 6, 7, 8, tz=UTC)),
        ("2024-03-05T06:07:08.250Z", dt(2024, 3, 5, 6, 7, 8, 250000, tz=UTC)),
        ("2024-03-05T08:07:08+02:00", dt(2024, 3, 5, 6, 7, 8, tz=UTC)),
        ("2024-03-05T06:07:08", dt(2024, 3, 5, 6, 7, 8, tz=UTC)),
        (" 2024-03-05 ", dt(2024, 3, 5, tz=UTC)),
    ],
)
def test_parse_utc_reads_iso_8601_into_aware_utc(text, expected):
    parsed = parse_utc(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_parse_utc_round_trips_format_utc():
    moment = dt(2024, 12, 31, 23, 59, 59, tz=UTC)
    assert parse_utc(format_utc(moment)) == moment


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00Z"])
def test_parse_utc_refuses_what_is_not_a_timestamp(text):
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
        parse_utc(text)


def test_date_windows_split_dates_with_the_last_window_clipped():
    windows = list(date_windows(datetime.date(2024, 1, 1), datetime.date(2024, 1, 10), 4 * DAY))
    assert windows == [
        (datetime.date(2024, 1, 1), datetime.date(2024, 1, 5)),
        (datetime.date(2024, 1, 5), datetime.date(2024, 1, 9)),
        (datetime.date(2024, 1, 9), datetime.date(2024, 1, 10)),
    ]


def test_date_windows_exact_multiple_has_no_empty_tail():
    windows = list(date_windows(dt(2024, 1, 1), dt(2024, 1, 1, 6), datetime.timedelta(hours=3)))
    assert windows == [(dt(2024, 1, 1), dt(2024, 1, 1, 3)), (dt(2024, 1, 1, 3), dt(2024, 1, 1, 6))]


def test_date_windows_step_longer_than_range_gives_one_window():
    start, end = dt(2024, 1, 1, tz=UTC), dt(2024, 1, 1, 0, 0, 1, tz=UTC)
    assert list(date_windows(start, end, 30 * DAY)) == [(start, end)]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2024, 1, 2), datetime.date(2024, 1, 2)),
        (datetime.date(2024, 1, 3), datetime.date(2024, 1, 2)),
    ],
)
def test_date_windows_empty_when_start_is_not_before_end(start, end):
    assert list(date_windows(start, end, DAY)) == []


def test_date_windows_near_datetime_max_does_not_overflow():
    end = datetime.datetime.max
    start = end - datetime.timedelta(hours=1)
    assert list(date_windows(start, end, DAY)) == [(start, end)]


@pytest.mark.parametrize("step", [datetime.timedelta(0), -DAY, 3])
def test_date_windows_refuses_a_step_that_is_not_positive_at_the_call(step):
    with pytest.raises(ValueError, match="step must be a positive timedelta"):
        date_windows(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), step)


def test_date_windows_refuses_part_day_steps_for_dates():
    with pytest.raises(ValueError, match="whole days"):
        date_windows(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), DAY / 2)


def test_date_windows_refuses_mixed_kinds():
    with pytest.raises(TypeError, match="both be dates or both be datetimes"):
        date_windows(datetime.date(2024, 1, 1), dt(2024, 2, 1), DAY)
    with pytest.raises(TypeError):
        date_windows(dt(2024, 1, 1), dt(2024, 2, 1, tz=UTC), DAY)
