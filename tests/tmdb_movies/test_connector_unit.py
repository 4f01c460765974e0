"""Unit tests for tmdb_movies against a `responses`-mocked TMDB API (no sockets, no sleeps).

The SDK's operations are replaced by recorders appending to one list, so a test can check that
every checkpoint comes after the writes it describes.
"""

import functools
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import fivetran_connector_sdk
import pytest
import responses

from shared.checkpoint import Checkpointer
from shared.http import make_session
from tests.harness import load_connector_module

tmdb = load_connector_module("tmdb_movies")
tables = tmdb.tables

BASE_URL = "https://tmdb.example.test/3"
TOKEN = "tmdb-unit-token-SECRET-77e1"
API_KEY = "tmdb-unit-key-SECRET-19ab"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TODAY = "2026-01-15"


def configuration(**overrides) -> dict:
    values = {"read_access_token": TOKEN, "base_url": BASE_URL, "director_ids": "525"}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def movie_body(movie_id: int, reviews: int = 1, total_pages: int = 1, **fields) -> dict:
    return {
        "id": movie_id,
        "title": f"Movie {movie_id}",
        "release_date": "2010-07-15",
        "runtime": 148,
        "budget": 160_000_000,
        "revenue": 836_800_000,
        "vote_average": 8.369,
        "adult": False,
        "genres": [{"id": 878, "name": "Science Fiction"}],
        "belongs_to_collection": None,
        "credits": {
            "cast": [
                {
                    "id": 6193,
                    "name": "Leo",
                    "character": "Cobb",
                    "order": 0,
                    "cast_id": 1,
                    "credit_id": f"c{movie_id}a",
                }
            ],
            "crew": [
                {
                    "id": 525,
                    "name": "Chris",
                    "department": "Directing",
                    "job": "Director",
                    "credit_id": f"c{movie_id}d",
                }
            ],
        },
        "reviews": {
            "page": 1,
            "results": [review(movie_id, n) for n in range(reviews)],
            "total_pages": total_pages,
            "total_results": reviews,
        },
        **fields,
    }


def review(movie_id: int, number: int) -> dict:
    return {
        "id": f"r{movie_id}-{number}",
        "author": "critic",
        "author_details": {"name": "", "username": "critic", "avatar_path": None, "rating": 7.0},
        "content": "Good.",
        "created_at": "2018-06-09T17:51:53.359Z",
        "updated_at": "2018-06-09T17:51:53.359Z",
        "url": "https://www.themoviedb.org/review/x",
    }


def crew_item(movie_id: int, job: str = "Director") -> dict:
    return {
        "id": movie_id,
        "title": f"Movie {movie_id}",
        "credit_id": f"c{movie_id}{job}",
        "department": "Directing",
        "job": job,
    }


def add_director(api, person_id: int = 525, movies=(1, 2)) -> None:
    api.get(
        f"{BASE_URL}/person/{person_id}",
        json={"id": person_id, "name": "Chris", "birthday": "1970-07-30", "deathday": None},
    )
    crew = [crew_item(m) for m in movies] + [crew_item(movies[0], "Writer")]
    api.get(
        f"{BASE_URL}/person/{person_id}/movie_credits",
        json={"id": person_id, "cast": [], "crew": crew},
    )


def requested(api) -> list[tuple[str, dict]]:
    return [
        (
            urlsplit(c.request.url).path.removeprefix("/3"),
            dict(parse_qsl(urlsplit(c.request.url).query)),
        )
        for c in api.calls
    ]


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def calls(monkeypatch):
    """("upsert", table, row) / ("delete", table, keys) / ("checkpoint", state), in order."""
    recorded = []
    monkeypatch.setattr(tmdb.op, "upsert", lambda t, d: recorded.append(("upsert", t, d)))
    monkeypatch.setattr(tmdb.op, "delete", lambda t, d: recorded.append(("delete", t, d)))
    monkeypatch.setattr(tmdb.op, "checkpoint", lambda s: recorded.append(("checkpoint", s)))
    return recorded


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    waited = []
    monkeypatch.setattr(tmdb, "make_session", functools.partial(make_session, sleep=waited.append))
    return waited


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(tmdb, "utc_now", lambda: NOW)


@pytest.fixture(autouse=True)
def sdk_logging_unset(monkeypatch):
    monkeypatch.setattr(fivetran_connector_sdk.Logging, "LOG_LEVEL", None)


def states(recorded) -> list[dict]:
    return [entry[1] for entry in recorded if entry[0] == "checkpoint"]


def upserts(recorded, table: str) -> list[dict]:
    return [entry[2] for entry in recorded if entry[0] == "upsert" and entry[1] == table]


# --- configuration and auth ---


def test_bearer_token_wins_over_the_api_key_and_the_language_is_sent(api, calls):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", json=movie_body(1))
    tmdb.update(configuration(api_key=API_KEY, language="fr-FR"), {})
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in api.calls)
    assert all(
        query["language"] == "fr-FR" and "api_key" not in query for _, query in requested(api)
    )
    assert requested(api)[-1] == (
        "/movie/1",
        {"language": "fr-FR", "append_to_response": "credits,reviews"},
    )


def test_api_key_goes_in_the_query_without_a_token(api, calls):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", json=movie_body(1))
    tmdb.update(configuration(read_access_token=None, api_key=API_KEY), {})
    assert all(query["api_key"] == API_KEY for _, query in requested(api))
    assert all("Authorization" not in c.request.headers for c in api.calls)


def test_director_ids_are_deduplicated_and_must_be_numbers():
    settings = tmdb.validate_configuration(configuration(director_ids="525, 488,525"))
    assert settings["director_ids"] == [525, 488]
    for bad in ("abc", "525,x", "0", "-1"):
        with pytest.raises(ValueError, match="director_ids must be"):
            tmdb.validate_configuration(configuration(director_ids=bad))


def test_a_credential_is_required():
    with pytest.raises(ValueError, match="read_access_token .* or api_key"):
        tmdb.validate_configuration(configuration(read_access_token=None))


# --- sync, state and checkpoints ---


def test_checkpoints_follow_the_writes_they_describe(api, calls, monkeypatch):
    monkeypatch.setattr(tmdb, "Checkpointer", functools.partial(Checkpointer, every_rows=1))
    add_director(api)
    api.get(f"{BASE_URL}/movie/1", json=movie_body(1))
    api.get(f"{BASE_URL}/movie/2", json=movie_body(2, reviews=0, release_date=""))
    tmdb.update(configuration(), {})

    for position, entry in enumerate(calls):
        if entry[0] != "checkpoint":
            continue
        linked = entry[1]["directors"]["525"]
        written = {row["movie_id"] for row in upserts(calls[:position], "movies")}
        assert set(linked) <= written  # the state never claims a movie not yet written
    assert states(calls)[-1] == {"directors": {"525": [1, 2]}, "synced_through": TODAY}
    assert [row["movie_id"] for row in upserts(calls, "director_movies")] == [1, 2]
    movie_2 = upserts(calls, "movies")[1]
    assert movie_2["release_date"] is None and "_invalid_values" not in movie_2


def test_a_resumed_pass_skips_the_movies_it_already_fetched(api, calls):
    add_director(api)
    api.get(f"{BASE_URL}/movie/2", json=movie_body(2))
    state = {"directors": {"525": [1]}, "pass": {"started": "2026-01-14", "fetched": [1]}}
    tmdb.update(configuration(), state)
    assert [path for path, _ in requested(api)] == [
        "/person/525/movie_credits",  # the director was synced before the kill
        "/movie/2",
    ]
    assert states(calls)[-1] == {"directors": {"525": [1, 2]}, "synced_through": "2026-01-14"}


def test_changes_are_walked_in_14_day_windows_with_every_page(api, calls):
    add_director(api)
    first = {
        "results": [{"id": 9, "adult": False}],
        "page": 1,
        "total_pages": 2,
        "total_results": 2,
    }
    second = {
        "results": [{"id": 2, "adult": False}],
        "page": 2,
        "total_pages": 2,
        "total_results": 2,
    }
    empty = {"results": [], "page": 1, "total_pages": 0, "total_results": 0}
    changes = f"{BASE_URL}/movie/changes"
    api.get(
        changes,
        match=[responses.matchers.query_param_matcher({"page": "1"}, strict_match=False)],
        json=first,
    )
    api.get(changes, json=second)
    api.get(changes, json=empty)
    api.get(changes, json=empty)
    api.get(f"{BASE_URL}/movie/2", json=movie_body(2))
    state = {"directors": {"525": [1, 2]}, "synced_through": "2025-12-16"}  # 30 days ago
    tmdb.update(configuration(), state)

    walked = [
        (q["start_date"], q["end_date"], q["page"])
        for p, q in requested(api)
        if p == "/movie/changes"
    ]
    assert walked == [
        ("2025-12-16", "2025-12-29", "1"),
        ("2025-12-16", "2025-12-29", "2"),
        ("2025-12-30", "2026-01-12", "1"),
        ("2026-01-13", "2026-01-15", "1"),
    ]
    assert [p for p, _ in requested(api) if p.startswith("/movie/") and "changes" not in p] == [
        "/movie/2"
    ]
    assert states(calls)[-1]["synced_through"] == TODAY


def test_an_uncredited_movie_is_unlinked_and_kept(api, calls):
    add_director(api, movies=(1,))
    api.get(
        f"{BASE_URL}/movie/changes",
        json={"results": [], "page": 1, "total_pages": 1, "total_results": 0},
    )
    tmdb.update(configuration(), {"directors": {"525": [1, 2]}, "synced_through": TODAY})
    assert [e for e in calls if e[0] == "delete"] == [
        ("delete", "director_movies", {"person_id": 525, "movie_id": 2})
    ]
    assert not upserts(calls, "movies")
    assert states(calls)[-1]["directors"] == {"525": [1]}


def test_values_that_do_not_fit_are_kept_in_invalid_values(api, calls):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", json=movie_body(1, runtime="n/a", budget=2**70))
    tmdb.update(configuration(), {})
    row = upserts(calls, "movies")[0]
    assert row["runtime"] is None and row["budget"] is None
    assert row["_invalid_values"] == {"runtime": "n/a", "budget": 2**70}
    assert row["revenue"] == 836_800_000


def test_extra_review_pages_are_fetched(api, calls):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", json=movie_body(1, reviews=20, total_pages=2))
    api.get(
        f"{BASE_URL}/movie/1/reviews",
        json={"id": 1, "page": 2, "total_pages": 2, "results": [review(1, 20)]},
    )
    tmdb.update(configuration(), {})
    assert len(upserts(calls, "reviews")) == 21
    assert requested(api)[-1] == ("/movie/1/reviews", {"language": "en-US", "page": "2"})
    assert upserts(calls, "reviews")[0]["created_at"] == "2018-06-09T17:51:53.359000Z"


def test_include_reviews_false_asks_only_for_credits(api, calls):
    add_director(api, movies=(1,))
    body = movie_body(1)
    del body["reviews"]
    api.get(f"{BASE_URL}/movie/1", json=body)
    tmdb.update(configuration(include_reviews="false"), {})
    assert requested(api)[-1][1]["append_to_response"] == "credits"
    assert not upserts(calls, "reviews")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"id": 1}, "no credits in the answer"),
        ({"id": 1, "credits": {"cast": [{"id": 5}], "crew": []}}, "cast credit has no credit_id"),
        ({"id": 7, "credits": {"cast": [], "crew": []}}, "the answer is not movie 1"),
    ],
)
def test_a_malformed_movie_fails_before_anything_of_it_is_written(api, calls, body, message):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", json=body)
    with pytest.raises(tmdb.TmdbSyncError, match=message):
        tmdb.update(configuration(include_reviews="false"), {})
    assert not upserts(calls, "movies") and not states(calls)


def test_an_outage_fails_loudly_after_the_retries(api, calls, no_waiting):
    add_director(api, movies=(1,))
    api.get(f"{BASE_URL}/movie/1", status=503, json={"status_code": 9})
    with pytest.raises(tmdb.TmdbSyncError, match="fetching movie 1: .*failed after 6 attempts"):
        tmdb.update(configuration(), {})
    assert len(api.calls) == 2 + 6  # person, credits, then the movie 6 times
    assert not states(calls)


def test_an_unknown_director_is_a_configuration_error(api, calls):
    api.get(
        f"{BASE_URL}/person/99",
        status=404,
        json={"success": False, "status_code": 34, "status_message": "Not found."},
    )
    with pytest.raises(tmdb.TmdbSyncError, match="no person 99 .*check director_ids"):
        tmdb.update(configuration(director_ids="99"), {})


# --- setup test ---


def test_setup_test_fetches_the_first_director(api):
    add_director(api)
    assert tmdb.check_connection(configuration(director_ids="525,488")) == (
        fivetran_connector_sdk.Test.success()
    )
    assert [path for path, _ in requested(api)] == ["/person/525"]


def test_setup_test_reports_tmdb_status_message(api):
    api.get(
        f"{BASE_URL}/person/525",
        status=401,
        json={
            "success": False,
            "status_code": 7,
            "status_message": "Invalid API key: You must be granted a valid key.",
        },
    )
    result = tmdb.check_connection(configuration())
    assert "Invalid API key: You must be granted a valid key." in result.failure
    assert TOKEN not in result.failure
    assert len(api.calls) == 1
