"""TMDB directors' filmographies: directors, their movies, cast and crew, and user reviews.

Source: The Movie Database API v3 (`{base_url}/person/{id}`, `/person/{id}/movie_credits`,
`/movie/{id}?append_to_response=credits,reviews`, `/movie/{id}/reviews`, `/movie/changes`),
authenticated by a read access token (`Authorization: Bearer`, preferred) or a v3 API key
(`?api_key=`). Requests are spaced to `requests_per_second`; a 429 is waited out as its
`Retry-After` says.

Tables: `directors`, `movies`, `director_movies` (who directed what), `credits` (cast and
crew of each movie) and `reviews` (every page). A movie directed by two configured directors is
one `movies` row and two `director_movies` rows.

Incremental strategy. The state holds dates and ids only:
- `directors`: for each configured director, the ids of the movies linked to them so far (a
  movie is linked only after its rows were written, so these are also the movies synced);
- `synced_through`: the UTC date on which the last completed sync started;
- `pass`: while a sync is unfinished, the date it started and the movies it fetched, so that a
  sync killed half-way resumes where it stopped and makes the same decisions.
Each sync fetches every director's `movie_credits` (one call each). A credited movie never
synced is fetched in full (one call for details, credits and the first review page, one more
per further review page); an already-synced one only when `/movie/changes` lists it since
`synced_through` (walked in 14-day windows), or when that date is more than
`full_refresh_days` old, in which case every movie and director is fetched again. A movie no
longer credited to a director has its `director_movies` row deleted. With nothing changed, a
sync makes one `movie_credits` call per director plus the `/movie/changes` pages, nothing
per movie. The state is checkpointed after the rows it describes were written (every few
hundred rows and at the end).
"""

import functools
import re
from datetime import date, timedelta
from pathlib import Path

from fivetran_connector_sdk import Connector, Test
from fivetran_connector_sdk import Operations as op

from shared.auth import ApiKeyQuery, BearerToken
from shared.checkpoint import Checkpointer
from shared.config import ConfigSpec
from shared.http import ApiError, AuthenticationError, NotFoundError, RetryPolicy, make_session
from shared.masking import log
from shared.pagination import PaginationError, numbered_pages
from shared.prefetch import prefetched
from shared.timewindows import date_windows, utc_now
from tmdb import tables

__SPEC = ConfigSpec.load(Path(__file__).resolve().parent / "spec.json")
__MAX_RETRIES = 5
__SETUP_TEST_RETRIES = 1
__DIRECTOR_JOB = "Director"
# TMDB's /movie/changes answers at most 14 days per request (both ends included).
__CHANGES_WINDOW = timedelta(days=14)
# Reviews come 20 to a page; 500 is TMDB's own page cap.
__MAX_PAGES = 500
# Rows between checkpoints: a movie writes a few dozen, so a killed sync redoes a few movies.
__CHECKPOINT_ROWS = 500
# Movies fetched ahead of the writes (bounds the memory they hold).
__PREFETCH_MOVIES = 8
__STATUS_MESSAGE = re.compile(r'"status_message":\s*"([^"]*)"')


class TmdbSyncError(Exception):
    """The sync cannot go on; the message says what happened and what to do."""


def validate_configuration(configuration: dict) -> dict:
    """Typed settings; ValueError names each bad key."""
    settings = __SPEC.validate(configuration)
    if not settings["read_access_token"] and not settings["api_key"]:
        raise ValueError(
            "tmdb: set read_access_token (preferred) or api_key; both are in TMDB's Settings > API"
        )
    ids = settings["director_ids"]
    if not ids or not all(item.isascii() and item.isdigit() and int(item) for item in ids):
        raise ValueError(
            "director_ids must be comma-separated TMDB person ids (positive numbers, like "
            f"525,488), got {','.join(ids)!r}"
        )
    settings["director_ids"] = list(dict.fromkeys(int(item) for item in ids))
    return settings


def schema(configuration: dict):
    """The five tables with their primary keys and declared types."""
    return [
        {"table": table.table, "primary_key": table.primary_key, "columns": table.columns}
        for table in tables.TABLES
    ]


def update(configuration: dict, state: dict):
    """Sync the configured directors, their filmographies, credits and reviews."""
    settings = validate_configuration(configuration)
    session = api_session(settings)
    progress = SyncProgress(state, settings, Checkpointer(every_rows=__CHECKPOINT_ROWS))
    sync_directors(session, settings, progress)
    filmographies = sync_director_movies(session, settings, progress)
    sync_movies(session, settings, progress, filmographies)


class SyncProgress:
    """The state of one sync: what is linked, what this pass fetched, when it started."""

    def __init__(self, state: dict, settings: dict, checkpointer: Checkpointer):
        today = utc_now().date()
        saved = state.get("directors") or {}
        # Directors no longer configured are forgotten; their rows stay in the warehouse.
        self.linked = {
            person: set(saved.get(str(person), [])) for person in settings["director_ids"]
        }
        self.new_directors = [p for p in settings["director_ids"] if str(p) not in saved]
        self.synced_through = state.get("synced_through")
        unfinished = state.get("pass") or {}
        self.started = unfinished.get("started") or today.isoformat()
        self.fetched = set(unfinished.get("fetched", []))
        self.refresh_all = self.synced_through is not None and (
            today - date.fromisoformat(self.synced_through)
        ) > timedelta(days=settings["full_refresh_days"])
        self.checkpointer = checkpointer

    @property
    def synced_movies(self) -> set[int]:
        return set().union(*self.linked.values()) | self.fetched

    def state(self, finished: bool = False) -> dict:
        state = {"directors": {str(p): sorted(ids) for p, ids in self.linked.items()}}
        if self.synced_through is not None:
            state["synced_through"] = self.synced_through
        if finished:
            state["synced_through"] = self.started
        else:
            state["pass"] = {"started": self.started, "fetched": sorted(self.fetched)}
        return state

    def rows_written(self, count: int) -> None:
        self.checkpointer.rows_written(count, self.state())

    def finish(self) -> None:
        self.checkpointer.checkpoint(self.state(finished=True))


def sync_directors(session, settings: dict, progress: SyncProgress) -> None:
    """Upsert new directors (all of them on a full refresh) into `directors`."""
    people = settings["director_ids"] if progress.refresh_all else progress.new_directors
    for person_id in people:
        person = fetch_person(session, settings, person_id)
        op.upsert("directors", tables.director_row(person))
        log.info(f"tmdb: director {person_id}: {person.get('name')}")
    tables.report_invalid_values("directors")
    progress.rows_written(len(people))


def sync_director_movies(session, settings: dict, progress: SyncProgress) -> dict:
    """Fetch each director's credits; link movies already synced, unlink uncredited ones.

    Returns {movie_id: {person_id: crew item}} of every directed movie.
    """
    filmographies: dict[int, dict[int, dict]] = {}
    synced = progress.synced_movies
    for person_id in settings["director_ids"]:
        directed = fetch_directed_movies(session, settings, person_id)
        for movie_id, crew_item in directed.items():
            filmographies.setdefault(movie_id, {})[person_id] = crew_item
        linked = progress.linked[person_id]
        gone = linked - directed.keys()
        for movie_id in sorted(gone):
            op.delete("director_movies", {"person_id": person_id, "movie_id": movie_id})
        # A movie synced for another director needs only its link.
        joining = sorted((directed.keys() - linked) & synced)
        for movie_id in joining:
            op.upsert("director_movies", tables.director_movie_row(person_id, directed[movie_id]))
        linked.difference_update(gone)
        linked.update(joining)
        log.info(
            f"tmdb: director {person_id} directed {len(directed)} movies; "
            f"{len(gone)} no longer credited, {len(joining)} linked from other directors"
        )
        progress.rows_written(len(gone) + len(joining))
    return filmographies


def sync_movies(session, settings: dict, progress: SyncProgress, filmographies: dict) -> None:
    """Fetch and write each movie to (re)sync, with its credits, reviews and links."""
    to_fetch = movies_to_fetch(session, settings, progress, set(filmographies))
    log.info(f"tmdb: {len(to_fetch)} of {len(filmographies)} movies to fetch")
    skipped = 0
    # Fetching runs ahead in a worker thread, so that writes fill the rate limit's pauses.
    fetch = functools.partial(fetch_movie, session, settings)
    for movie_id, fetched in prefetched(to_fetch, fetch, depth=__PREFETCH_MOVIES):
        if fetched is None:
            skipped += 1
            continue
        written = write_movie(*fetched)
        for person_id, crew_item in sorted(filmographies[movie_id].items()):
            op.upsert("director_movies", tables.director_movie_row(person_id, crew_item))
            progress.linked[person_id].add(movie_id)
        tables.report_invalid_values(f"movie {movie_id}")
        progress.fetched.add(movie_id)
        progress.rows_written(written + len(filmographies[movie_id]))
    progress.finish()
    log.info(
        f"tmdb: synced {len(to_fetch) - skipped} movies in {session.requests_sent} requests"
        + (f"; skipped {skipped} that TMDB no longer has" if skipped else "")
    )


def movies_to_fetch(session, settings: dict, progress: SyncProgress, credited: set) -> list:
    """Credited movies never synced, plus synced ones changed since the last sync (or all)."""
    synced = progress.synced_movies
    new = credited - synced
    again = (credited & synced) - progress.fetched
    if progress.refresh_all:
        log.info(
            f"tmdb: last sync started {progress.synced_through}, more than "
            f"{settings['full_refresh_days']} days ago: fetching every movie again"
        )
    elif again and progress.synced_through is not None:
        since = date.fromisoformat(progress.synced_through)
        again &= fetch_changed_movie_ids(session, settings, since, utc_now().date())
    else:
        again = set()
    return sorted(new | again)


def write_movie(movie: dict, reviews: list) -> int:
    """Upsert a movie, its credits and its reviews; return rows written."""
    movie_id = movie["id"]
    op.upsert("movies", tables.movie_row(movie))
    credit_rows = tables.credit_rows(movie_id, movie["credits"])
    for row in credit_rows:
        op.upsert("credits", row)
    for review in reviews:
        op.upsert("reviews", tables.review_row(movie_id, review))
    return 1 + len(credit_rows) + len(reviews)


# -- fetching: HTTP failures become messages that say what to do -----------------------------


def fetch_json(session, settings: dict, path: str, what: str, **params):
    """GET `{base_url}{path}`; NotFoundError passes through, other failures become advice."""
    url = settings["base_url"] + path
    try:
        return session.get_json(url, params={"language": settings["language"], **params})
    except AuthenticationError as error:
        credential = "read_access_token" if settings["read_access_token"] else "api_key"
        raise TmdbSyncError(
            f"tmdb: {settings['base_url']} rejected the {credential} (HTTP {error.status}: "
            f"{status_message(error)}); check {credential} in the configuration"
        ) from error
    except NotFoundError:
        raise
    except ApiError as error:
        raise TmdbSyncError(f"tmdb: fetching {what}: {error}") from error


def fetch_person(session, settings: dict, person_id: int) -> dict:
    """`/person/{id}`; an unknown id is a configuration error."""
    try:
        person = fetch_json(session, settings, f"/person/{person_id}", f"director {person_id}")
    except NotFoundError as error:
        raise unknown_director(person_id, error) from error
    if not isinstance(person, dict) or person.get("id") != person_id:
        raise TmdbSyncError(f"tmdb: /person/{person_id} did not return person {person_id}")
    return person


def fetch_directed_movies(session, settings: dict, person_id: int) -> dict[int, dict]:
    """{movie_id: crew item} of the movies `person_id` is credited with directing."""
    what = f"the movie credits of director {person_id}"
    try:
        body = fetch_json(session, settings, f"/person/{person_id}/movie_credits", what)
    except NotFoundError as error:
        raise unknown_director(person_id, error) from error
    return parse_directed_movies(body, person_id)


def parse_directed_movies(body, person_id: int) -> dict[int, dict]:
    """Crew items with job Director, by movie id; the shape is checked first."""
    if not isinstance(body, dict) or not isinstance(body.get("crew"), list):
        raise TmdbSyncError(f"tmdb: movie credits of person {person_id} have no crew list")
    directed = {}
    for item in body["crew"]:
        if not isinstance(item, dict) or item.get("job") != __DIRECTOR_JOB:
            continue
        if not is_id(item.get("id")):
            raise TmdbSyncError(
                f"tmdb: a crew credit of person {person_id} has no movie id: {item!r:.200}"
            )
        directed.setdefault(item["id"], item)
    return directed


def fetch_movie(session, settings: dict, movie_id: int) -> tuple[dict, list] | None:
    """A movie (with its credits) and all its reviews, or None when TMDB has no such movie.

    One request for the movie, its credits and the first review page, one per further page.
    """
    appended = "credits,reviews" if settings["include_reviews"] else "credits"
    try:
        body = fetch_json(
            session,
            settings,
            f"/movie/{movie_id}",
            f"movie {movie_id}",
            append_to_response=appended,
        )
    except NotFoundError:
        log.warning(
            f"tmdb: movie {movie_id} is credited but TMDB answers 404 (removed or merged); "
            "skipped, and tried again next sync"
        )
        return None
    movie = parse_movie(body, movie_id, settings["include_reviews"])
    if not settings["include_reviews"]:
        return movie, []
    return movie, list(fetch_reviews(session, settings, movie_id, movie["reviews"]))


def parse_movie(body, movie_id: int, include_reviews: bool) -> dict:
    """Check a movie's shape (id, credits with credit ids, reviews page) before writing it."""
    where = f"tmdb: movie {movie_id}"
    if not isinstance(body, dict) or body.get("id") != movie_id:
        raise TmdbSyncError(f"{where}: the answer is not movie {movie_id}")
    credits = body.get("credits")
    if not isinstance(credits, dict):
        raise TmdbSyncError(f"{where}: no credits in the answer (append_to_response ignored?)")
    for credit_type in ("cast", "crew"):
        items = credits.get(credit_type)
        if not isinstance(items, list):
            raise TmdbSyncError(f"{where}: credits have no {credit_type} list")
        for item in items:
            if not isinstance(item, dict) or not item.get("credit_id"):
                raise TmdbSyncError(f"{where}: a {credit_type} credit has no credit_id")
    if include_reviews and not isinstance(body.get("reviews"), dict):
        raise TmdbSyncError(f"{where}: no reviews in the answer (append_to_response ignored?)")
    return body


def fetch_reviews(session, settings: dict, movie_id: int, first_page: dict):
    """Every review of a movie: the appended first page, then pages 2.. from /reviews."""

    def fetch(number: int):
        what = f"page {number} of the reviews of movie {movie_id}"
        try:
            return fetch_json(session, settings, f"/movie/{movie_id}/reviews", what, page=number)
        except NotFoundError as error:
            raise TmdbSyncError(f"tmdb: {what}: {error}") from error

    try:
        for page in numbered_pages(fetch, first=first_page, max_pages=__MAX_PAGES):
            for review in page.items:
                if not isinstance(review, dict) or not review.get("id"):
                    raise TmdbSyncError(f"tmdb: a review of movie {movie_id} has no id")
                yield review
    except PaginationError as error:
        raise TmdbSyncError(f"tmdb: reviews of movie {movie_id}: {error}") from error


def fetch_changed_movie_ids(session, settings: dict, since: date, until: date) -> set[int]:
    """Ids of movies changed from `since` to `until` (both included), 14 days per request."""
    changed: set[int] = set()
    for start, end in date_windows(since, until + timedelta(days=1), __CHANGES_WINDOW):
        last = end - timedelta(days=1)

        def fetch(number: int, start=start, last=last):
            try:
                return fetch_json(
                    session,
                    settings,
                    "/movie/changes",
                    f"page {number} of the movies changed {start} to {last}",
                    start_date=start.isoformat(),
                    end_date=last.isoformat(),
                    page=number,
                )
            except NotFoundError as error:
                raise TmdbSyncError(f"tmdb: /movie/changes: {error}") from error

        try:
            for page in numbered_pages(fetch, max_pages=__MAX_PAGES):
                changed.update(
                    item["id"]
                    for item in page.items
                    if isinstance(item, dict) and is_id(item.get("id"))
                )
        except PaginationError as error:
            raise TmdbSyncError(f"tmdb: movies changed {start} to {last}: {error}") from error
    log.info(f"tmdb: /movie/changes lists {len(changed)} movies changed since {since}")
    return changed


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def status_message(error: ApiError) -> str:
    """TMDB's own explanation (`status_message`) from an error's body excerpt, if there."""
    found = __STATUS_MESSAGE.search(str(error))
    return found.group(1) if found else str(error)


def unknown_director(person_id: int, error: NotFoundError) -> TmdbSyncError:
    return TmdbSyncError(
        f"tmdb: TMDB has no person {person_id} ({status_message(error)}); check director_ids "
        "(the id is the number in the person's URL on themoviedb.org)"
    )


def api_session(settings: dict, max_retries: int = __MAX_RETRIES):
    """A rate-limited, retrying session; the bearer token wins when both credentials are set."""
    if settings["read_access_token"]:
        auth = BearerToken(settings["read_access_token"])
    else:
        auth = ApiKeyQuery("api_key", settings["api_key"])
    session = make_session(
        auth=auth,
        retry=RetryPolicy(max_retries=max_retries),
        requests_per_second=settings["requests_per_second"],
    )
    session.requests_sent = 0  # retries included; reported at the end of the sync

    def count(response, *args, **kwargs):
        session.requests_sent += 1

    session.hooks["response"].append(count)
    return session


def check_connection(configuration: dict):
    """Setup test: fetch the first director and report their name."""
    try:
        settings = validate_configuration(configuration)
        session = api_session(settings, max_retries=__SETUP_TEST_RETRIES)
        person = fetch_person(session, settings, settings["director_ids"][0])
    except (ValueError, TmdbSyncError) as error:
        return Test.failure(str(error))
    log.info(f"tmdb: setup test found director {person.get('name')}")
    return Test.success()


def configuration_form():
    """The setup form, built from spec.json, with the connection test."""
    return __SPEC.configuration_form(tests=[("Fetch the first director", check_connection)])


connector = Connector(update=update, schema=schema, configuration_form=configuration_form)

if __name__ == "__main__":
    connector.debug()
