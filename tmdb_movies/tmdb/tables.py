"""The five tables, their declared types, and how a TMDB answer becomes their rows.

Every row goes through `shared.values.TableTyping`: a value that does not fit its column (a
runtime of "n/a", a budget beyond LONG) is written as null with the original kept in
`_invalid_values`, and `report()` logs one warning per field. Only the fields named here are
written: TMDB answers carry more (translations, video flags) that no analysis here needs.
"""

from shared.values import TableTyping

DIRECTORS = TableTyping(
    "directors",
    {
        "person_id": "LONG",
        "name": "STRING",
        "known_for_department": "STRING",
        "birthday": "NAIVE_DATE",
        "deathday": "NAIVE_DATE",
        "place_of_birth": "STRING",
        "popularity": "DOUBLE",
        "imdb_id": "STRING",
        "profile_path": "STRING",
        "homepage": "STRING",
        "biography": "STRING",
    },
    primary_key=["person_id"],
)

MOVIES = TableTyping(
    "movies",
    {
        "movie_id": "LONG",
        "title": "STRING",
        "original_title": "STRING",
        "original_language": "STRING",
        "overview": "STRING",
        "tagline": "STRING",
        "status": "STRING",
        "release_date": "NAIVE_DATE",
        "runtime": "INT",
        "budget": "LONG",
        "revenue": "LONG",
        "vote_average": "DOUBLE",
        "vote_count": "INT",
        "popularity": "DOUBLE",
        "imdb_id": "STRING",
        "homepage": "STRING",
        "adult": "BOOLEAN",
        "poster_path": "STRING",
        "backdrop_path": "STRING",
        "genres": "JSON",
        "production_companies": "JSON",
        "production_countries": "JSON",
        "spoken_languages": "JSON",
        "belongs_to_collection": "JSON",
    },
    primary_key=["movie_id"],
)

DIRECTOR_MOVIES = TableTyping(
    "director_movies",
    {"person_id": "LONG", "movie_id": "LONG", "job": "STRING", "credit_id": "STRING"},
    primary_key=["person_id", "movie_id"],
)

CREDITS = TableTyping(
    "credits",
    {
        "credit_id": "STRING",
        "movie_id": "LONG",
        "person_id": "LONG",
        "person_name": "STRING",
        "original_name": "STRING",
        "credit_type": "STRING",
        "character": "STRING",
        "cast_order": "INT",
        "cast_id": "INT",
        "department": "STRING",
        "job": "STRING",
        "gender": "INT",
        "known_for_department": "STRING",
        "popularity": "DOUBLE",
        "profile_path": "STRING",
    },
    primary_key=["credit_id"],
)

REVIEWS = TableTyping(
    "reviews",
    {
        "review_id": "STRING",
        "movie_id": "LONG",
        "author": "STRING",
        "author_name": "STRING",
        "author_username": "STRING",
        "author_avatar_path": "STRING",
        "rating": "DOUBLE",
        "content": "STRING",
        "url": "STRING",
        "created_at": "UTC_DATETIME",
        "updated_at": "UTC_DATETIME",
    },
    primary_key=["review_id"],
)

TABLES = (DIRECTORS, MOVIES, DIRECTOR_MOVIES, CREDITS, REVIEWS)


def _pick(record: dict, typing: TableTyping, **renamed) -> dict:
    """The record's fields that are columns of `typing`, plus the renamed ones."""
    row = {name: record.get(name) for name in typing.columns if name in record}
    row.update(renamed)
    return row


def director_row(person: dict) -> dict:
    return DIRECTORS.row(_pick(person, DIRECTORS, person_id=person["id"]), key=person["id"])


def movie_row(movie: dict) -> dict:
    return MOVIES.row(_pick(movie, MOVIES, movie_id=movie["id"]), key=movie["id"])


def director_movie_row(person_id: int, crew_item: dict) -> dict:
    record = {
        "person_id": person_id,
        "movie_id": crew_item["id"],
        "job": crew_item.get("job"),
        "credit_id": crew_item.get("credit_id"),
    }
    return DIRECTOR_MOVIES.row(record, key=f"{person_id}/{crew_item['id']}")


def credit_rows(movie_id: int, credits: dict) -> list[dict]:
    """Cast and crew of one movie, one row per credit (a person has one credit per job)."""
    rows = []
    for credit_type in ("cast", "crew"):
        for item in credits[credit_type]:
            record = _pick(
                item,
                CREDITS,
                movie_id=movie_id,
                person_id=item.get("id"),
                person_name=item.get("name"),
                credit_type=credit_type,
                cast_order=item.get("order"),
            )
            rows.append(CREDITS.row(record, key=item.get("credit_id")))
    return rows


def review_row(movie_id: int, review: dict) -> dict:
    author = review.get("author_details") or {}
    record = _pick(
        review,
        REVIEWS,
        review_id=review.get("id"),
        movie_id=movie_id,
        author_name=author.get("name"),
        author_username=author.get("username"),
        author_avatar_path=author.get("avatar_path"),
        rating=author.get("rating"),
    )
    return REVIEWS.row(record, key=review.get("id"))


def report_invalid_values(where: str) -> int:
    """One warning per field of any table that had values not fitting since the last report."""
    return sum(table.report(where) for table in TABLES)
