"""Page-number pagination: `?page=N`, with `page` and `total_pages` in every answer.

Many APIs (TMDB, GitHub's search, most Rails apps) number their pages from 1 and say how many
there are. `numbered_pages` walks them and refuses answers that would make the walk wrong or
endless: a page that is not the one asked for, a `total_pages` that is not a count, or more
pages than the caller allows.

    for page in numbered_pages(lambda n: session.get_json(url, params={"page": n})):
        for review in page.items:
            ...

`first` is page 1 when the caller already has it (TMDB appends it to another response), so it
is not fetched again.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_PAGES = 1000


class PaginationError(ValueError):
    """An answer that breaks the page-number protocol; the message names the page."""


@dataclass(frozen=True)
class NumberedPage:
    """One page: its number, the page count it announced, and its items."""

    number: int
    total_pages: int
    items: list


def read_page(body: Any, number: int, items_key: str = "results") -> NumberedPage:
    """Check one answer's shape; raises PaginationError naming what is wrong."""
    if not isinstance(body, dict):
        raise PaginationError(f"page {number} is not a JSON object")
    page, total, items = body.get("page"), body.get("total_pages"), body.get(items_key)
    if not _is_count(page) or page != number:
        raise PaginationError(f"asked for page {number}, got page {page!r}")
    if not _is_count(total):
        raise PaginationError(f"page {number} has no total_pages count (got {total!r})")
    if not isinstance(items, list):
        raise PaginationError(f"page {number} has no {items_key} list")
    return NumberedPage(number, total, items)


def numbered_pages(
    fetch: Callable[[int], Any],
    *,
    first: Any = None,
    items_key: str = "results",
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[NumberedPage]:
    """Every page from 1 to the last one announced; `fetch(n)` returns page n's body.

    The latest page's `total_pages` decides whether there is another (a count that grows
    while the walk goes on is followed). More than `max_pages` pages raises PaginationError.
    """
    number, body = 1, first if first is not None else fetch(1)
    while True:
        page = read_page(body, number, items_key)
        yield page
        if number >= page.total_pages:
            return
        if number >= max_pages:
            raise PaginationError(
                f"more than {max_pages} pages announced ({page.total_pages}); refusing to go on"
            )
        number += 1
        body = fetch(number)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
