"""tmdb_movies: requests and wall time against the rate-limited loopback TMDB simulator.

3 directors, 100 movies (a few co-directed, 5 with three pages of reviews), the simulator
throttling at 40 requests/s (a 429 with Retry-After past that) and the connector at its default
35 requests/s. One first sync and one unchanged second sync under `fivetran debug`:

(a) requests per movie of the first sync, not counting extra review pages (one request per movie
    plus one per director for the person and one for their credits). Target: <= 1.1.
(b) the first sync's time (update() to SYNC SUCCEEDED) over requests / rate limit, the least
    time the requests can take: against the connector's 35/s (target <= 1.2) and, for
    reference, against the simulator's 40/s.
(c) requests of the unchanged second sync. Target: directors + changes pages (no per-movie call).
Also: 429s received (the proactive limit should leave none) and peak RSS.
"""

from __future__ import annotations

from pathlib import Path

from tests.benchmarks.common import (
    BenchmarkError,
    MeasuredWorkspace,
    Report,
    checked,
    figure,
    measured_sync,
    progress,
)
from tests.tmdb_movies.simulator import REVIEWS_PER_PAGE, TmdbSimulator

NAME = "tmdb_movies"
TITLE = "tmdb_movies vs the loopback TMDB simulator (40 requests/s limit)"
TOKEN = "bench-tmdb-token-2e41"
DIRECTORS = {525: 40, 488: 35, 138: 29}  # 100 movies: two shared between each neighbour pair
QUICK_DIRECTORS = {525: 10, 488: 8, 138: 6}
SHARED_MOVIES = 2
MULTI_PAGE_REVIEWS = 5
SIMULATOR_RATE = 40.0
CONNECTOR_RATE = 35.0
TARGET_REQUESTS_PER_MOVIE = 1.1
TARGET_TIME_RATIO = 1.2


def run(
    workdir: Path,
    home: Path,
    quick: bool = False,
    *,
    directors: dict[int, int] | None = None,
) -> Report:
    directors = directors or (QUICK_DIRECTORS if quick else DIRECTORS)
    with TmdbSimulator(
        read_access_token=TOKEN,
        directors=directors,
        shared_movies=SHARED_MOVIES,
        multi_page_reviews=MULTI_PAGE_REVIEWS,
        rate_limit=SIMULATOR_RATE,
    ) as sim:
        movies = len(sim.movie_ids)
        review_pages = [-(-len(sim.reviews(m)) // REVIEWS_PER_PAGE) for m in sim.movie_ids]
        extra_pages = sum(max(0, pages - 1) for pages in review_pages)
        configuration = {
            "read_access_token": TOKEN,
            "base_url": sim.api_url,
            "director_ids": ",".join(map(str, directors)),
            "requests_per_second": str(CONNECTOR_RATE),
        }
        workspace = MeasuredWorkspace(NAME, workdir / "workspace", home)
        progress(f"{NAME}: first sync, {len(directors)} directors, {movies} movies")
        first, first_result = measured_sync(workspace, "tmdb-first", configuration)
        first_requests, first_throttled = len(sim.requests), sim.throttled
        sim.clear_requests()
        progress(f"{NAME}: unchanged second sync")
        second, _ = measured_sync(workspace, "tmdb-second")
        second_paths = [request.path for request in sim.requests]
        throttled = sim.throttled

    if f"synced {movies} movies" not in first_result.output:
        raise BenchmarkError(f"{NAME}: the first sync did not sync all {movies} movies")
    per_movie = (first_requests - extra_pages) / movies
    floor_35 = first_requests / CONNECTOR_RATE
    floor_40 = first_requests / SIMULATOR_RATE
    changes_pages = second_paths.count("/3/movie/changes")
    per_movie_calls = [p for p in second_paths if p.startswith("/3/movie/") and "changes" not in p]
    unchanged_target = len(directors) + changes_pages
    details = {
        "directors": {str(k): v for k, v in directors.items()},
        "movies": movies,
        "first_sync": {
            **first.as_dict(),
            "requests": first_requests,
            "throttled": first_throttled,
        },
        "second_sync": {**second.as_dict(), "requests": len(second_paths), "paths": second_paths},
        "extra_review_pages": extra_pages,
    }
    figures = [
        figure("(a) movies", movies),
        figure("(a) first sync: requests", first_requests),
        figure("(a) first sync: extra review pages", extra_pages),
        figure("(a) requests per movie, extra review pages included", first_requests / movies),
        checked(
            "(a) requests per movie, without extra review pages",
            per_movie,
            "x",
            "<=",
            TARGET_REQUESTS_PER_MOVIE,
        ),
        figure("(b) first sync: update() to SYNC SUCCEEDED", first.sync_seconds, "s"),
        checked(
            f"(b) time / (requests / {CONNECTOR_RATE:g} per s, the connector's limit)",
            first.sync_seconds / floor_35,
            "x",
            "<=",
            TARGET_TIME_RATIO,
        ),
        figure(
            f"(b) time / (requests / {SIMULATOR_RATE:g} per s, the simulator's limit)",
            first.sync_seconds / floor_40,
            "x",
        ),
        figure("(b) 429s received in both syncs", throttled),
        checked(
            "(c) unchanged second sync: requests",
            len(second_paths),
            "",
            "<=",
            unchanged_target,
        ),
        figure("(c) of which per-movie requests", len(per_movie_calls)),
        figure("(c) of which /movie/changes pages", changes_pages),
        figure("peak RSS, first sync", first.peak_rss_mb, "MB"),
        figure("rows written, first sync", first.rows, "rows"),
    ]
    return Report(
        NAME,
        TITLE,
        figures=figures,
        notes=[
            f"connector at requests_per_second={CONNECTOR_RATE:g}, simulator throttling at "
            f"{SIMULATOR_RATE:g}/s (one-second sliding window, 429 + Retry-After)",
            "(c) target: one movie_credits call per director plus the /movie/changes pages",
        ],
        details=details,
    )
