"""The SenSource simulator behaves as the issue describes the API (tokens, lists, hourly data)."""

import datetime as dt
import time

import pytest
import requests

from tests.sensource.conftest import FrozenClock
from tests.sensource.simulator import SenSourceSimulator

MOMENT = dt.datetime(2025, 12, 1, 11, 30, tzinfo=dt.UTC)


@pytest.fixture
def sim():
    with SenSourceSimulator(clock=FrozenClock(MOMENT), history_days=1, row_cap=10) as simulator:
        yield simulator


def token(sim, secret=None):
    form = {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": secret or sim.client_secret,
    }
    return requests.post(sim.token_url, data=form)


def get(sim, path, access_token, **params):
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(sim.api_url + path, params=params, headers=headers)


def traffic(sim, access_token, start, end, **extra):
    params = {
        "relativeDate": "custom",
        "startDate": start,
        "endDate": end,
        "dateGroupings": "hour",
        "entityType": "zone",
        "metrics": "ins,outs",
        **extra,
    }
    return get(sim, "/data/traffic", access_token, **params)


def test_token_endpoint_issues_bearer_tokens_and_refuses_wrong_credentials(sim):
    issued = token(sim).json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == 3600
    refused = token(sim, secret="wrong")
    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})
    assert get(sim, "/zone", "not-a-token").status_code == 401
    assert len(get(sim, "/zone", issued["access_token"]).json()) == 3


def test_tokens_expire_after_their_calls_or_their_lifetime():
    with SenSourceSimulator(token_max_calls=2, token_lifetime=0.3) as sim:
        access = token(sim).json()["access_token"]
        assert [get(sim, "/site", access).status_code for _ in range(3)] == [200, 200, 401]
        access = token(sim).json()["access_token"]
        time.sleep(0.35)
        assert get(sim, "/site", access).status_code == 401


def test_hourly_rows_end_at_the_still_filling_current_hour(sim):
    access = token(sim).json()["access_token"]
    body = traffic(sim, access, "2025-12-01T10:00:00Z", "2025-12-02").json()
    assert body["messages"] == []
    hours = sorted({row["recordDate_hour_1"] for row in body["results"]})
    assert hours == ["2025-12-01T10:00:00.000Z", "2025-12-01T11:00:00.000Z"]  # nothing later
    filling = sim.rows("traffic", MOMENT.replace(minute=0), MOMENT.replace(minute=59))
    sim.clock.moment = MOMENT.replace(minute=59)
    grown = sim.rows("traffic", MOMENT.replace(minute=0), MOMENT.replace(minute=59))
    assert sum(r["sumins"] for r in grown) >= sum(r["sumins"] for r in filling)
    assert any(g["sumins"] > f["sumins"] for g, f in zip(grown, filling, strict=True))


def test_long_ranges_are_truncated_with_a_warning(sim):
    access = token(sim).json()["access_token"]
    body = traffic(sim, access, "2025-11-30", "2025-12-02").json()
    assert len(body["results"]) == 10
    assert body["messages"] == [{"type": "warning", "message": "result truncated to 10 rows"}]


@pytest.mark.parametrize(
    "extra",
    [
        {"relativeDate": "today"},
        {"dateGroupings": "day"},
        {"entityType": "space"},
        {"metrics": "ins,walkbys"},
        {"startDate": "2025-12-01T10:00:00+01:00"},
    ],
)
def test_bad_data_parameters_are_refused(sim, extra):
    access = token(sim).json()["access_token"]
    params = {"start": "2025-12-01T10:00:00Z", "end": "2025-12-01T11:00:00Z"}
    response = traffic(sim, access, params["start"], params["end"], **extra)
    assert response.status_code == 400


def test_static_lists_can_be_wrapped_and_entities_removed(sim):
    access = token(sim).json()["access_token"]
    sim.wrap_static = True
    zones = get(sim, "/zone", access).json()["results"]
    assert {"zoneId", "siteId", "locationId", "name"} <= set(zones[0])
    sim.remove("zone", zones[0]["zoneId"])
    assert len(get(sim, "/zone", access).json()["results"]) == 2
