"""The tmdb_movies budget-vs-revenue chart, rendered to a PNG from a warehouse (no notebook).

usage: python -m tools.tmdb_movies_chart <warehouse.db> <chart.png>

One point per film with a known budget and revenue: budget on x, revenue on y (both log
scale, films span orders of magnitude), point size from the cast size, colour by director, and
the break-even line revenue = budget. The seed's first visualisation, as a picture.
matplotlib is a development dependency (the connector does not need it).
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

SCHEMA = "tester"  # where `fivetran debug` writes
FILMS_SQL = """
SELECT d.name AS director, m.title, m.budget, m.revenue,
       (SELECT count(*) FROM credits c
        WHERE c.movie_id = m.movie_id AND c.credit_type = 'cast'
          AND NOT c._fivetran_deleted) AS cast_size
FROM movies m
JOIN director_movies dm ON dm.movie_id = m.movie_id AND NOT dm._fivetran_deleted
JOIN directors d ON d.person_id = dm.person_id
WHERE m.budget > 0 AND m.revenue > 0 AND NOT m._fivetran_deleted
ORDER BY d.name, m.budget
"""


@dataclass(frozen=True)
class Film:
    director: str
    title: str
    budget: int
    revenue: int
    cast_size: int


def films_from_warehouse(warehouse: Path, schema: str = SCHEMA) -> list[Film]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"SET schema = '{schema}'")
        return [Film(*row) for row in con.execute(FILMS_SQL).fetchall()]


def render_budget_vs_revenue(films: list[Film], output: Path) -> Path:
    """Write the chart to `output` (PNG); returns it."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 6), dpi=100)
    try:
        for director in sorted({film.director for film in films}):
            own = [film for film in films if film.director == director]
            axes.scatter(
                [film.budget for film in own],
                [film.revenue for film in own],
                s=[20 + 6 * film.cast_size for film in own],
                alpha=0.7,
                label=director,
            )
            for film in own:
                axes.annotate(film.title, (film.budget, film.revenue), fontsize=7, alpha=0.8)
        if films:
            low = min(min(film.budget, film.revenue) for film in films)
            high = max(max(film.budget, film.revenue) for film in films)
            axes.plot([low, high], [low, high], "--", color="grey", label="break-even")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("Budget (USD)")
        axes.set_ylabel("Revenue (USD)")
        axes.set_title("Directors' films: budget vs revenue (size: cast size)")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
        output.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(output, format="png", bbox_inches="tight")
    finally:
        pyplot.close(figure)
    return output


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    films = films_from_warehouse(Path(argv[0]))
    render_budget_vs_revenue(films, Path(argv[1]))
    print(f"{len(films)} films plotted to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
