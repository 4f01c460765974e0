"""The README's analyses run on a warehouse that `fivetran debug` wrote, and give the figures
computed from the simulator's data; the chart renders from the same warehouse."""

import re

import duckdb
import pytest

from tests.tmdb_movies.simulator import TmdbSimulator
from tools.sdk_env import REPO_ROOT
from tools.tmdb_movies_chart import films_from_warehouse, render_budget_vs_revenue

README = REPO_ROOT / "tmdb_movies" / "README.md"
TOKEN = "tmdb-readme-token-51c0"


def readme_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", README.read_text(), re.DOTALL)


@pytest.mark.e2e
def test_readme_queries_and_chart_on_a_synced_warehouse(connector_workspace, tmp_path):
    with TmdbSimulator(read_access_token=TOKEN, directors={525: 5, 488: 4}) as sim:
        workspace = connector_workspace("tmdb_movies")
        settings = {"read_access_token": TOKEN, "base_url": sim.api_url, "director_ids": "525,488"}
        assert workspace.sync(settings).succeeded
        movies = {m: sim.movie(m) for m in sim.movie_ids}
        links = [(p, m) for p, ms in sim.filmographies.items() for m in ms]
        cast_sizes = {m: len(sim.credits(m)["cast"]) for m in movies}
        ratings = {m: [r["author_details"]["rating"] for r in sim.reviews(m)] for m in movies}

    queries = readme_queries()
    assert len(queries) == 3
    with duckdb.connect(str(workspace.warehouse), read_only=True) as con:
        con.execute("SET schema = 'tester'")
        roi_rows, timeline_rows, (counter_row,) = (con.execute(q).fetchall() for q in queries)

    known = [(p, m) for p, m in links if movies[m]["budget"] > 0 and movies[m]["revenue"] > 0]
    assert len(roi_rows) == len(known) > 0
    for _, title, _, budget, revenue, profit, roi_percent, _, cast_size in roi_rows:
        assert any(v["title"] == title and v["budget"] == budget for v in movies.values())
        assert profit == revenue - budget
        assert roi_percent == pytest.approx((revenue - budget) * 100 / budget, abs=0.05)
        assert cast_size in cast_sizes.values()
    assert [row[6] for row in roi_rows] == sorted((row[6] for row in roi_rows), reverse=True)

    released = [m for m in movies if movies[m]["release_date"]]
    assert len(timeline_rows) == len(released)
    for title, release_date, _, avg_rating, review_count in timeline_rows:
        (movie_id,) = [
            m
            for m in released
            if (movies[m]["title"], movies[m]["release_date"]) == (title, str(release_date))
        ]
        rated = [r for r in ratings[movie_id] if r is not None]
        assert review_count == len(ratings[movie_id])
        assert avg_rating == (round(sum(rated) / len(rated), 2) if rated else None)

    total_films, _, _, _, total_profit, average_cast_size = counter_row
    assert total_films == len(movies)
    profitable = [m for m in movies if movies[m]["budget"] > 0 and movies[m]["revenue"] > 0]
    assert total_profit == sum(movies[m]["revenue"] - movies[m]["budget"] for m in profitable)
    assert average_cast_size == round(sum(cast_sizes.values()) / len(movies))

    films = films_from_warehouse(workspace.warehouse)
    assert len(films) == len(known)
    chart = render_budget_vs_revenue(films, tmp_path / "chart.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
