"""tmdb_movies end to end: `fivetran debug` in a subprocess against the loopback TMDB simulator."""

from datetime import timedelta

import pytest

from shared.timewindows import utc_now
from tests.harness import assert_no_secrets, assert_same_tables, kill_after_checkpoints
from tests.tmdb_movies.simulator import MANY_REVIEWS, TmdbSimulator

pytestmark = pytest.mark.e2e
TOKEN = "tmdb-e2e-read-token-8c2f1a"
API_KEY = "tmdb-e2e-api-key-3b7d90"
SECRETS = [TOKEN, API_KEY]
KEYS = {
    "directors": "person_id",
    "movies": "movie_id",
    "credits": "credit_id",
    "reviews": "review_id",
}


@pytest.fixture
def simulator():
    with TmdbSimulator(
        api_key=API_KEY, read_access_token=TOKEN, directors={525: 6, 488: 5}
    ) as sim:
        yield sim


def configuration(sim, **overrides) -> dict:
    values = {"read_access_token": TOKEN, "base_url": sim.api_url, "director_ids": "525,488"}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def movie_requests(sim) -> list[int]:
    """Ids of the movies fetched in full (details + credits + first review page)."""
    return [
        int(r.path.split("/")[-1])
        for r in sim.requests
        if r.path.count("/") == 3
        and r.path.startswith("/3/movie/")
        and r.path != "/3/movie/changes"
    ]


def test_first_sync_writes_typed_tables_with_bearer_token(connector_workspace, simulator):
    workspace = connector_workspace("tmdb_movies")
    result = workspace.sync(configuration(simulator))
    assert result.succeeded, result.output[-3000:]

    movie_ids = simulator.movie_ids
    assert len(movie_ids) == 9  # 6 + 5, two co-directed
    # One request per movie, one per extra review page, two per director: nothing more.
    extra_review_pages = 2 * 2  # two movies with 45 reviews: pages 2 and 3
    assert len(simulator.requests) == len(movie_ids) + extra_review_pages + 2 * 2
    assert sorted(movie_requests(simulator)) == movie_ids
    assert f"synced {len(movie_ids)} movies in {len(simulator.requests)} requests" in result.output
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in simulator.requests)
    assert all("api_key" not in r.query for r in simulator.requests)

    movies = {row["movie_id"]: row for row in workspace.rows("movies")}
    assert sorted(movies) == movie_ids
    for movie_id in movie_ids:
        served, row = simulator.movie(movie_id), movies[movie_id]
        assert row["title"] == served["title"]
        assert row["budget"] == served["budget"] and row["revenue"] == served["revenue"]
        assert row["vote_average"] == served["vote_average"]  # DOUBLE, not a 32-bit float
        assert row["runtime"] == served["runtime"]
        expected_date = served["release_date"] or None  # "" is null, not an invalid value
        assert (None if row["release_date"] is None else str(row["release_date"])) == (
            expected_date
        )
        assert row["_invalid_values"] is None
    types = workspace.column_types("movies")
    assert (types["release_date"], types["budget"], types["runtime"], types["adult"]) == (
        "DATE",
        "BIGINT",
        "INTEGER",
        "BOOLEAN",
    )
    assert types["genres"] == "JSON" and types["vote_average"] == "DOUBLE"

    links = {(row["person_id"], row["movie_id"]): row for row in workspace.rows("director_movies")}
    expected_links = {(p, m) for p, ms in simulator.filmographies.items() for m in ms}
    assert set(links) == expected_links  # the Writer credits of the same movies add nothing
    shared = set(simulator.filmographies[525]) & set(simulator.filmographies[488])
    assert len(shared) == 2 and all((525, m) in links and (488, m) in links for m in shared)
    assert {row["job"] for row in links.values()} == {"Director"}

    credits = workspace.rows("credits")
    served_credits = [
        c for m in movie_ids for kind in ("cast", "crew") for c in simulator.credits(m)[kind]
    ]
    assert len(credits) == len(served_credits)
    assert {row["credit_type"] for row in credits} == {"cast", "crew"}
    cast = [row for row in credits if row["credit_type"] == "cast"]
    assert all(row["cast_order"] is not None and row["character"] for row in cast)
    assert "order" not in workspace.column_types("credits")

    reviews = workspace.rows("reviews")
    assert len(reviews) == sum(len(simulator.reviews(m)) for m in movie_ids)
    by_movie = {}
    for row in reviews:
        by_movie[row["movie_id"]] = by_movie.get(row["movie_id"], 0) + 1
    assert sorted(by_movie.values())[-2:] == [MANY_REVIEWS, MANY_REVIEWS]  # all three pages
    assert any(row["rating"] is None for row in reviews)
    assert workspace.column_types("reviews")["created_at"] == "TIMESTAMP WITH TIME ZONE"

    directors = {row["person_id"]: row for row in workspace.rows("directors")}
    assert directors[525]["name"] == simulator.person(525)["name"]
    assert str(directors[525]["birthday"]) == simulator.person(525)["birthday"]
    state = workspace.read_state()
    assert set(state) == {"directors", "synced_through"}  # ids and dates only
    assert_no_secrets(SECRETS, workspace, [result])


def test_api_key_mode_waits_out_429_retry_after(connector_workspace):
    # The simulator allows 8 requests a second, the connector is told 1000: the API's 429s
    # with Retry-After pace it, and every row still arrives.
    with TmdbSimulator(
        api_key=API_KEY,
        read_access_token=TOKEN,
        directors={525: 10},
        multi_page_reviews=1,
        rate_limit=8,
    ) as sim:
        workspace = connector_workspace("tmdb_movies")
        settings = configuration(
            sim,
            read_access_token=None,
            api_key=API_KEY,
            director_ids="525",
            requests_per_second="1000",
        )
        result = workspace.sync(settings)
        assert result.succeeded, result.output[-3000:]
        assert sim.throttled >= 1
        assert "Retry-After 1s" in result.output
        assert all(r.query.get("api_key") == API_KEY for r in sim.requests)
        assert all("authorization" not in r.headers for r in sim.requests)
        assert workspace.count("movies") == 10
        assert workspace.count("reviews") == sum(len(sim.reviews(m)) for m in sim.movie_ids)
    assert_no_secrets(SECRETS, workspace, [result])


def test_later_syncs_fetch_only_new_and_changed_movies(connector_workspace, simulator):
    workspace = connector_workspace("tmdb_movies")
    assert workspace.sync(configuration(simulator)).succeeded
    shared = sorted(set(simulator.filmographies[525]) & set(simulator.filmographies[488]))

    # Nothing changed: the directors' credits and the changes, nothing per movie.
    simulator.clear_requests()
    result = workspace.sync()
    assert result.succeeded, result.output[-3000:]
    assert [r.path for r in simulator.requests] == [
        "/3/person/525/movie_credits",
        "/3/person/488/movie_credits",
        "/3/movie/changes",
    ]
    today = utc_now().date().isoformat()
    assert simulator.requests[-1].query["start_date"] == today
    assert result.operations["upserts"] == 0
    assert "synced 0 movies in 3 requests" in result.output

    # A changed movie, a credit removed, a new movie, a new movie TMDB answers 404 for.
    changed = simulator.filmographies[525][0]
    simulator.update_movie(changed, title="Director's Cut")
    simulator.add_reviews(changed, 3)
    simulator.remove_credit(488, shared[0])
    added = simulator.add_movie(488)
    gone = simulator.add_movie(488)
    simulator.remove_movie(gone)
    simulator.mark_changed(999_999)  # some movie of nobody configured here
    simulator.clear_requests()
    result = workspace.sync()
    assert result.succeeded, result.output[-3000:]
    # shared[0] is listed as changed (its credits changed) and re-fetched, the others are not.
    assert sorted(movie_requests(simulator)) == sorted([changed, shared[0], added, gone])
    assert f"movie {gone} is credited but TMDB answers 404" in result.output
    movies = {row["movie_id"]: row for row in workspace.rows("movies")}
    assert movies[changed]["title"] == "Director's Cut"
    assert added in movies and gone not in movies
    links = {(r["person_id"], r["movie_id"]): r for r in workspace.rows("director_movies")}
    assert links[(488, shared[0])]["_fivetran_deleted"] is True
    assert links[(525, shared[0])]["_fivetran_deleted"] is False
    assert (488, gone) not in links
    reviews = [r for r in workspace.rows("reviews") if r["movie_id"] == changed]
    assert len(reviews) == len(simulator.reviews(changed))
    assert result.operations["deletes"] == 1
    state = workspace.read_state()
    assert gone not in state["directors"]["488"] and shared[0] not in state["directors"]["488"]

    # Past the full-refresh horizon: every movie and director is fetched again.
    state["synced_through"] = (utc_now().date() - timedelta(days=100)).isoformat()
    simulator.clear_requests()
    result = workspace.sync(state=state)
    assert result.succeeded, result.output[-3000:]
    assert not simulator.requests_to("/3/movie/changes")
    assert sorted(set(movie_requests(simulator))) == sorted(set(simulator.movie_ids))
    assert len(simulator.requests_to("/3/person/")) == 4  # both people, both credits
    assert workspace.read_state()["synced_through"] == today
    assert_no_secrets(SECRETS, workspace, [result])


def test_resume_after_a_kill_matches_an_uninterrupted_sync(connector_workspace):
    directors = {525: 30, 488: 24, 138: 12}
    with TmdbSimulator(api_key=API_KEY, read_access_token=TOKEN, directors=directors) as sim:
        settings = configuration(sim, director_ids="525,488,138", requests_per_second="200")
        reference = connector_workspace("tmdb_movies")
        assert reference.sync(settings).succeeded

        resumed = connector_workspace("tmdb_movies")
        resumed.write_configuration(settings)
        assert kill_after_checkpoints(resumed, 1)
        saved = resumed.read_state()
        assert saved["pass"]["fetched"] and "synced_through" not in saved
        fetched_before = set(saved["pass"]["fetched"])
        sim.clear_requests()
        result = resumed.sync()
        assert result.succeeded, result.output[-3000:]
        assert not fetched_before & set(movie_requests(sim))  # written movies are not refetched
    assert_same_tables(resumed, reference, KEYS)
    links = {(r["person_id"], r["movie_id"]) for r in resumed.rows("director_movies")}
    assert links == {(r["person_id"], r["movie_id"]) for r in reference.rows("director_movies")}


def test_rejected_token_fails_at_once_with_tmdb_message(connector_workspace, simulator):
    wrong = "tmdb-wrong-token-but-secret"
    workspace = connector_workspace("tmdb_movies")
    result = workspace.sync(configuration(simulator, read_access_token=wrong, api_key=API_KEY))
    assert not result.succeeded
    assert "rejected the read_access_token (HTTP 401: Invalid API key" in result.output
    assert len(simulator.requests) == 1  # no retries; the bearer token won over the key
    assert workspace.read_state() == {}
    assert_no_secrets([wrong, API_KEY], workspace, [result])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"read_access_token": None}, "set read_access_token (preferred) or api_key"),
        ({"director_ids": "abc"}, "director_ids must be comma-separated TMDB person ids"),
        (
            {"requests_per_second": "0"},
            "requests_per_second must be a number between 0.1 and 1000",
        ),
    ],
)
def test_bad_configuration_fails_before_any_request(
    connector_workspace, simulator, change, message
):
    workspace = connector_workspace("tmdb_movies")
    result = workspace.sync(configuration(simulator, **change))
    assert not result.succeeded
    assert message in result.output
    assert simulator.requests == []
