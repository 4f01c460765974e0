"""The TMDB simulator behaves as the documented API does (what the connector tests rely on)."""

import pytest
import requests

from shared.timewindows import utc_now
from tests.tmdb_movies.simulator import MANY_REVIEWS, TmdbSimulator


@pytest.fixture
def sim():
    with TmdbSimulator(api_key="k", read_access_token="t", rate_limit=None) as api:
        yield api


def get(sim, path, **params):
    return requests.get(sim.api_url + path, params={"api_key": "k", **params}, timeout=5)


def test_both_credentials_work_and_anything_else_is_401(sim):
    bearer = requests.get(sim.api_url + "/person/525", headers={"Authorization": "Bearer t"})
    assert bearer.status_code == 200 and get(sim, "/person/525").status_code == 200
    for response in (
        requests.get(sim.api_url + "/person/525"),
        requests.get(sim.api_url + "/person/525", params={"api_key": "t"}),
        requests.get(sim.api_url + "/person/525", headers={"Authorization": "Bearer k"}),
    ):
        assert response.status_code == 401 and response.json()["status_code"] == 7


def test_movie_credits_list_each_job_and_shared_movies(sim):
    crew = get(sim, "/person/525/movie_credits").json()["crew"]
    directed = [item["id"] for item in crew if item["job"] == "Director"]
    assert directed == sim.filmographies[525]
    assert any(item["job"] == "Writer" and item["id"] in directed for item in crew)
    assert set(sim.filmographies[525]) & set(sim.filmographies[488])


def test_reviews_page_through_20_at_a_time(sim):
    movie_id = sim.movie_ids[0]
    first = get(sim, f"/movie/{movie_id}", append_to_response="credits,reviews").json()
    assert first["reviews"]["total_results"] == MANY_REVIEWS
    assert first["reviews"]["total_pages"] == 3 and len(first["reviews"]["results"]) == 20
    last = get(sim, f"/movie/{movie_id}/reviews", page=3).json()
    assert last["page"] == 3 and len(last["results"]) == MANY_REVIEWS - 40
    assert get(sim, f"/movie/{movie_id}/reviews", page=0).status_code == 400
    assert "credits" not in get(sim, f"/movie/{movie_id}").json()


def test_changes_list_marked_movies_and_refuse_more_than_14_days(sim):
    sim.mark_changed(1003)
    today = utc_now().date().isoformat()
    body = get(sim, "/movie/changes", start_date=today, end_date=today).json()
    assert body["results"] == [{"id": 1003, "adult": False}] and body["total_pages"] == 1
    refused = get(sim, "/movie/changes", start_date="2024-01-01", end_date="2024-01-16")
    assert refused.status_code == 422
    assert get(sim, "/movie/changes", start_date="2024-01-01", end_date="2024-01-15").ok


def test_removed_movies_and_unknown_people_are_404_code_34(sim):
    sim.remove_movie(1001)
    for path in ("/movie/1001", "/person/1", "/movie/abc"):
        response = get(sim, path)
        assert response.status_code == 404 and response.json()["status_code"] == 34


def test_rate_limit_answers_429_with_retry_after():
    with TmdbSimulator(api_key="k", rate_limit=3) as sim:
        statuses = [get(sim, "/person/525") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[-1].headers["Retry-After"] == "1"
    assert statuses[-1].json()["status_code"] == 25 and sim.throttled == 1
