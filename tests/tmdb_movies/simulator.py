"""Loopback simulator of the TMDB API v3 endpoints tmdb_movies uses, for tests and the demo.

Modelled on TMDB's API reference (developer.themoviedb.org) as issue 7 summarises it; the
connector's base URL is `api_url` (`{base_url}/3`):

* Auth: `?api_key=<v3 key>` or `Authorization: Bearer <read access token>`, same access.
  Otherwise 401 `{"success": false, "status_code": 7, "status_message": "Invalid API key..."}`.
* `GET /3/person/{id}` -> the person. `GET /3/person/{id}/movie_credits` -> `{id, cast, crew}`,
  not paged; a crew item is a movie summary plus `credit_id`, `department`, `job`, and a movie
  appears once per job (the directors here also wrote some of their movies).
* `GET /3/movie/{id}?append_to_response=credits,reviews` -> the movie, plus `credits` (cast and
  crew) and `reviews` (page 1) when appended. `GET /3/movie/{id}/reviews?page=N`: 20 a page.
* `GET /3/movie/changes?start_date=&end_date=&page=N` -> `{results: [{id, adult}], page,
  total_pages, total_results}`, 100 a page; a range over 14 days is refused (422).
* Unknown resources: 404 status_code 34. Too many requests: 429 status_code 25 with
  `Retry-After`, from a sliding one-second window of `rate_limit` requests.

The catalogue is derived from `(seed, ids)`: `directors` maps person ids to how many movies each
directed; the first `shared_movies` movies of each director after the first were co-directed
with the director before. The first `multi_page_reviews` movies have 45 reviews (3 pages);
the others 0-3. Knobs: `mark_changed`, `update_movie`, `remove_credit`, `remove_movie`,
`add_movie`, `unrelated_changes_per_day` (other movies in /movie/changes), plus the base
class's fault knobs.

Run standalone for the demo: ``python -m tests.tmdb_movies.simulator --directors 525:14,488:12``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import random
import threading
import time
from collections import deque
from typing import Any

from tests.simulators.base import LoopbackApi, Request, Response, serve_forever_cli

DEFAULT_API_KEY = "tmdb-simulator-api-key"
DEFAULT_TOKEN = "tmdb-simulator-read-access-token"
DEFAULT_DIRECTORS = {525: 14, 488: 12}
REVIEWS_PER_PAGE = 20
CHANGES_PER_PAGE = 100
MAX_PAGE = 500
MAX_CHANGES_DAYS = 14
FIRST_MOVIE_ID = 1000
MANY_REVIEWS = 45

NAMES = ["Ada Marlow", "Bruno Castell", "Chiara Venn", "Dmitri Okafor", "Elsa Lindqvist"]
ACTORS = ["Ann Lee", "Ben Ortiz", "Cleo Park", "Dev Rao", "Eve Stone", "Finn Hale", "Gus Moe"]
WORDS = ["Silent", "Memory", "Orbit", "Tenet", "Harbor", "Night", "Paper", "Echo", "Glass"]
GENRES = [(18, "Drama"), (28, "Action"), (53, "Thriller"), (878, "Science Fiction")]
CREW_JOBS = [
    ("Writing", "Screenplay"),
    ("Production", "Producer"),
    ("Sound", "Original Music Composer"),
    ("Camera", "Director of Photography"),
    ("Editing", "Editor"),
]


def _error(status: int, code: int, message: str) -> Response:
    return status, {"success": False, "status_code": code, "status_message": message}, None


def _hex_id(*parts: Any) -> str:
    """A 24-hex id like TMDB's credit and review ids."""
    return hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()[:24]


def _stamp(rng: random.Random) -> str:
    moment = dt.datetime(2015, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(300_000_000)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}Z"


class TmdbSimulator(LoopbackApi):
    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        read_access_token: str = DEFAULT_TOKEN,
        directors: dict[int, int] | None = None,
        shared_movies: int = 2,
        multi_page_reviews: int = 2,
        seed: int = 0,
        rate_limit: float | None = 40,
        unrelated_changes_per_day: int = 0,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.read_access_token = read_access_token
        self.seed = seed
        self.rate_limit = rate_limit
        self.unrelated_changes_per_day = unrelated_changes_per_day
        self.throttled = 0  # 429s sent by the rate limiter
        self._lock_data = threading.Lock()
        self._recent: deque[float] = deque()
        self._overrides: dict[int, dict[str, Any]] = {}
        self._changes: dict[int, set[dt.date]] = {}
        self._removed: set[int] = set()
        self._extra_reviews: dict[int, int] = {}
        # person id -> movie ids directed, in order
        self.filmographies: dict[int, list[int]] = {}
        next_id = FIRST_MOVIE_ID
        previous: list[int] = []
        for person_id, count in (directors or DEFAULT_DIRECTORS).items():
            movies = previous[-shared_movies:] if previous and shared_movies else []
            while len(movies) < count:
                movies.append(next_id)
                next_id += 1
            self.filmographies[person_id] = movies
            previous = movies
        self._next_id = next_id
        self._many_reviews = set(sorted(self.movie_ids)[:multi_page_reviews])
        self.route("GET", "/3/person/{person_id}", self._get_person)
        self.route("GET", "/3/person/{person_id}/movie_credits", self._get_movie_credits)
        self.route("GET", "/3/movie/changes", self._get_changes)  # before /movie/{movie_id}
        self.route("GET", "/3/movie/{movie_id}", self._get_movie)
        self.route("GET", "/3/movie/{movie_id}/reviews", self._get_reviews)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/3"

    # -- catalogue --------------------------------------------------------------------------

    @property
    def movie_ids(self) -> list[int]:
        with self._lock_data:
            return sorted({m for movies in self.filmographies.values() for m in movies})

    def directors_of(self, movie_id: int) -> list[int]:
        with self._lock_data:
            return [p for p, movies in self.filmographies.items() if movie_id in movies]

    def person(self, person_id: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/person/{person_id}")
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(15000))
        return {
            "adult": False,
            "also_known_as": [],
            "biography": f"Filmmaker number {person_id}.",
            "birthday": born.isoformat(),
            "deathday": None,
            "gender": 2,
            "homepage": None,
            "id": person_id,
            "imdb_id": f"nm{person_id:07d}",
            "known_for_department": "Directing",
            "name": NAMES[person_id % len(NAMES)],
            "place_of_birth": "London, England, UK",
            "popularity": round(rng.uniform(1, 50), 3),
            "profile_path": f"/p{person_id}.jpg",
        }

    def movie(self, movie_id: int) -> dict[str, Any]:
        """The movie as /movie/{id} serves it, without appended parts."""
        rng = random.Random(f"{self.seed}/movie/{movie_id}")
        released = rng.random() > 0.1
        budget = rng.randrange(5, 250) * 1_000_000 if rng.random() > 0.2 else 0
        movie = {
            "adult": False,
            "backdrop_path": f"/b{movie_id}.jpg",
            "belongs_to_collection": (
                {"id": 9000 + movie_id % 7, "name": "A Saga", "poster_path": None}
                if rng.random() < 0.2
                else None
            ),
            "budget": budget,
            "genres": [{"id": i, "name": n} for i, n in rng.sample(GENRES, rng.randint(1, 3))],
            "homepage": "",
            "id": movie_id,
            "imdb_id": f"tt{movie_id:07d}",
            "original_language": "en",
            "original_title": f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
            "overview": f"The story of movie {movie_id}.",
            "popularity": round(rng.uniform(0.5, 120), 3),
            "poster_path": f"/m{movie_id}.jpg",
            "production_companies": [
                {"id": 9996, "logo_path": None, "name": "Syncopy", "origin_country": "GB"}
            ],
            "production_countries": [{"iso_3166_1": "GB", "name": "United Kingdom"}],
            "release_date": (
                (dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(10000))).isoformat()
                if released
                else ""
            ),
            "revenue": int(budget * rng.uniform(0.3, 6)) if released else 0,
            "runtime": rng.randint(85, 175) if released else 0,
            "spoken_languages": [
                {"english_name": "English", "iso_639_1": "en", "name": "English"}
            ],
            "status": "Released" if released else "In Production",
            "tagline": "",
            "video": False,
            "vote_average": round(rng.uniform(5, 8.9), 3) if released else 0.0,
            "vote_count": rng.randrange(10, 30000) if released else 0,
        }
        movie["title"] = movie["original_title"]
        with self._lock_data:
            movie.update(self._overrides.get(movie_id, {}))
        return movie

    def credits(self, movie_id: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}/credits/{movie_id}")
        cast = []
        for order in range(rng.randint(4, 12)):
            person = 50_000 + rng.randrange(400)
            cast.append(
                {
                    "adult": False,
                    "gender": rng.choice([0, 1, 2]),
                    "id": person,
                    "known_for_department": "Acting",
                    "name": ACTORS[person % len(ACTORS)] + f" {person}",
                    "original_name": ACTORS[person % len(ACTORS)] + f" {person}",
                    "popularity": round(rng.uniform(0.1, 60), 3),
                    "profile_path": None if rng.random() < 0.2 else f"/a{person}.jpg",
                    "cast_id": order + 1,
                    "character": f"Character {order + 1}",
                    "credit_id": _hex_id(movie_id, "cast", order),
                    "order": order,
                }
            )
        crew = [
            self._director_credit(person_id, movie_id) for person_id in self.directors_of(movie_id)
        ]
        for number, (department, job) in enumerate(rng.sample(CREW_JOBS, rng.randint(2, 4))):
            person = 70_000 + rng.randrange(400)
            crew.append(
                {
                    "adult": False,
                    "gender": rng.choice([0, 1, 2]),
                    "id": person,
                    "known_for_department": department,
                    "name": f"Crew {person}",
                    "original_name": f"Crew {person}",
                    "popularity": round(rng.uniform(0.1, 10), 3),
                    "profile_path": None,
                    "credit_id": _hex_id(movie_id, "crew", number),
                    "department": department,
                    "job": job,
                }
            )
        return {"cast": cast, "crew": crew}

    def _director_credit(self, person_id: int, movie_id: int) -> dict[str, Any]:
        person = self.person(person_id)
        return {
            "adult": False,
            "gender": person["gender"],
            "id": person_id,
            "known_for_department": "Directing",
            "name": person["name"],
            "original_name": person["name"],
            "popularity": person["popularity"],
            "profile_path": person["profile_path"],
            "credit_id": _hex_id(movie_id, "director", person_id),
            "department": "Directing",
            "job": "Director",
        }

    def reviews(self, movie_id: int) -> list[dict[str, Any]]:
        rng = random.Random(f"{self.seed}/reviews/{movie_id}")
        count = MANY_REVIEWS if movie_id in self._many_reviews else rng.randint(0, 3)
        with self._lock_data:
            count += self._extra_reviews.get(movie_id, 0)
        reviews = []
        for number in range(count):
            review_id = _hex_id(movie_id, "review", number)
            created = _stamp(rng)
            reviews.append(
                {
                    "author": f"critic{number}",
                    "author_details": {
                        "name": "" if number % 3 else f"Critic {number}",
                        "username": f"critic{number}",
                        "avatar_path": None,
                        "rating": None if number % 4 == 3 else float(rng.randint(1, 10)),
                    },
                    "content": f"Review {number} of movie {movie_id}.",
                    "created_at": created,
                    "id": review_id,
                    "updated_at": created,
                    "url": f"https://www.themoviedb.org/review/{review_id}",
                }
            )
        return reviews

    # -- knobs ------------------------------------------------------------------------------

    def mark_changed(self, movie_id: int, on: dt.date | None = None) -> None:
        """List `movie_id` in /movie/changes for the day `on` (default: today, UTC)."""
        with self._lock_data:
            self._changes.setdefault(movie_id, set()).add(on or dt.datetime.now(dt.UTC).date())

    def update_movie(self, movie_id: int, **fields: Any) -> None:
        """Change a movie's fields and list it as changed today."""
        with self._lock_data:
            self._overrides.setdefault(movie_id, {}).update(fields)
        self.mark_changed(movie_id)

    def add_reviews(self, movie_id: int, count: int) -> None:
        with self._lock_data:
            self._extra_reviews[movie_id] = self._extra_reviews.get(movie_id, 0) + count
        self.mark_changed(movie_id)

    def remove_credit(self, person_id: int, movie_id: int) -> None:
        """`person_id` is no longer credited as director of `movie_id`."""
        with self._lock_data:
            self.filmographies[person_id].remove(movie_id)
        self.mark_changed(movie_id)

    def remove_movie(self, movie_id: int) -> None:
        """/movie/{id} answers 404 from now on, while credits still list it."""
        with self._lock_data:
            self._removed.add(movie_id)

    def add_movie(self, person_id: int) -> int:
        """A new movie directed by `person_id`; returns its id."""
        with self._lock_data:
            movie_id = self._next_id
            self._next_id += 1
            self.filmographies[person_id].append(movie_id)
        return movie_id

    def requests_to(self, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # -- request checks ---------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        """429 past the rate limit, 401 without valid credentials; None to go on."""
        if self.rate_limit:
            now = time.monotonic()
            with self._lock_data:
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                if len(self._recent) >= self.rate_limit:
                    self.throttled += 1
                    retry_after = max(1, math.ceil(1.0 - (now - self._recent[0])))
                    status, body, _ = _error(
                        429, 25, "Your request count (#) is over the allowed limit of (40)."
                    )
                    return status, body, {"Retry-After": str(retry_after)}
                self._recent.append(now)
        authorization = request.headers.get("authorization")
        if authorization is not None:
            valid = authorization == f"Bearer {self.read_access_token}"
        else:
            valid = request.query.get("api_key") == self.api_key
        if not valid:
            return _error(401, 7, "Invalid API key: You must be granted a valid key.")
        return None

    def _not_found(self) -> Response:
        return _error(404, 34, "The resource you requested could not be found.")

    def _page(self, request: Request) -> int | None:
        try:
            page = int(request.query.get("page", "1"))
        except ValueError:
            return None
        return page if 1 <= page <= MAX_PAGE else None

    # -- routes -----------------------------------------------------------------------------

    def _get_person(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        person_id = request.path_params["person_id"]
        if not person_id.isdigit() or int(person_id) not in self.filmographies:
            return self._not_found()
        return 200, self.person(int(person_id)), None

    def _get_movie_credits(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        person_id = request.path_params["person_id"]
        if not person_id.isdigit() or int(person_id) not in self.filmographies:
            return self._not_found()
        person_id = int(person_id)
        with self._lock_data:
            directed = list(self.filmographies[person_id])
        crew = []
        for movie_id in directed:
            movie = self.movie(movie_id)
            summary = {
                key: movie[key]
                for key in (
                    "adult",
                    "backdrop_path",
                    "id",
                    "original_language",
                    "original_title",
                    "overview",
                    "popularity",
                    "poster_path",
                    "release_date",
                    "title",
                    "video",
                    "vote_average",
                    "vote_count",
                )
            }
            summary["genre_ids"] = [genre["id"] for genre in movie["genres"]]
            credit = self._director_credit(person_id, movie_id)
            crew.append({**summary, **{k: credit[k] for k in ("credit_id", "department", "job")}})
            if movie_id % 3 == 0:  # the director also wrote it: the movie appears once per job
                job = {"credit_id": _hex_id(movie_id, "writer", person_id)}
                crew.append({**summary, **job, "department": "Writing", "job": "Writer"})
        cast = []
        if directed:  # a cameo in their first movie
            first = self.movie(directed[0])
            cast.append(
                {
                    "id": first["id"],
                    "title": first["title"],
                    "character": "Man in the crowd",
                    "credit_id": _hex_id(directed[0], "cameo", person_id),
                    "order": 40,
                }
            )
        return 200, {"id": person_id, "cast": cast, "crew": crew}, None

    def _movie_id(self, request: Request) -> int | None:
        movie_id = request.path_params["movie_id"]
        if not movie_id.isdigit():
            return None
        movie_id = int(movie_id)
        with self._lock_data:
            removed = movie_id in self._removed
        return None if removed or movie_id not in self.movie_ids else movie_id

    def _reviews_page(self, movie_id: int, page: int) -> dict[str, Any]:
        reviews = self.reviews(movie_id)
        start = (page - 1) * REVIEWS_PER_PAGE
        return {
            "id": movie_id,
            "page": page,
            "results": reviews[start : start + REVIEWS_PER_PAGE],
            "total_pages": math.ceil(len(reviews) / REVIEWS_PER_PAGE),
            "total_results": len(reviews),
        }

    def _get_movie(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        movie_id = self._movie_id(request)
        if movie_id is None:
            return self._not_found()
        movie = self.movie(movie_id)
        appended = {
            part.strip() for part in request.query.get("append_to_response", "").split(",")
        }
        if "credits" in appended:
            movie["credits"] = self.credits(movie_id)
        if "reviews" in appended:
            page = self._reviews_page(movie_id, 1)
            del page["id"]
            movie["reviews"] = page
        return 200, movie, None

    def _get_reviews(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        movie_id = self._movie_id(request)
        if movie_id is None:
            return self._not_found()
        page = self._page(request)
        if page is None:
            return _error(400, 22, "Invalid page: Pages start at 1 and max at 500.")
        return 200, self._reviews_page(movie_id, page), None

    def _get_changes(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        today = dt.datetime.now(dt.UTC).date()
        try:
            start = dt.date.fromisoformat(request.query.get("start_date") or str(today))
            end = dt.date.fromisoformat(request.query.get("end_date") or str(today))
        except ValueError:
            return _error(422, 47, "The input is not valid.")
        if end < start or (end - start).days > MAX_CHANGES_DAYS:
            return _error(422, 47, "Invalid date range: Should be a range no longer than 14 days.")
        page = self._page(request)
        if page is None:
            return _error(400, 22, "Invalid page: Pages start at 1 and max at 500.")
        with self._lock_data:
            changed = {
                m for m, days in self._changes.items() if any(start <= d <= end for d in days)
            }
        day = start
        while day <= end and self.unrelated_changes_per_day:
            base = 5_000_000 + day.toordinal() % 1000 * 1000
            changed.update(range(base, base + self.unrelated_changes_per_day))
            day += dt.timedelta(days=1)
        ids = sorted(changed)
        begin = (page - 1) * CHANGES_PER_PAGE
        body = {
            "results": [{"id": m, "adult": False} for m in ids[begin : begin + CHANGES_PER_PAGE]],
            "page": page,
            "total_pages": math.ceil(len(ids) / CHANGES_PER_PAGE),
            "total_results": len(ids),
        }
        return 200, body, None


def parse_directors(text: str) -> dict[int, int]:
    """`525:14,488:12` -> {525: 14, 488: 12}."""
    pairs = (item.split(":") for item in text.split(",") if item.strip())
    return {int(person): int(count) for person, count in pairs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loopback TMDB API v3 simulator")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="read access token")
    parser.add_argument("--directors", type=parse_directors, default=DEFAULT_DIRECTORS)
    parser.add_argument("--shared-movies", type=int, default=2)
    parser.add_argument("--multi-page-reviews", type=int, default=2)
    parser.add_argument("--rate-limit", type=float, default=40)
    parser.add_argument("--unrelated-changes-per-day", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)
    serve_forever_cli(
        lambda: TmdbSimulator(
            api_key=args.api_key,
            read_access_token=args.token,
            directors=args.directors,
            shared_movies=args.shared_movies,
            multi_page_reviews=args.multi_page_reviews,
            rate_limit=args.rate_limit,
            unrelated_changes_per_day=args.unrelated_changes_per_day,
            seed=args.seed,
            port=args.port,
        ),
        verbose=args.verbose,
    )


if __name__ == "__main__":
    main()
