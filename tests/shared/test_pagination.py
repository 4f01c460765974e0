"""shared.pagination: page-number walks and the answers they refuse."""

import pytest

from shared.pagination import PaginationError, numbered_pages, read_page


def body(number: int, total: int, items: list | None = None, **extra) -> dict:
    return {"page": number, "total_pages": total, "results": items or [number], **extra}


def collecting(pages: dict[int, dict]):
    asked = []

    def fetch(number: int) -> dict:
        asked.append(number)
        return pages[number]

    return fetch, asked


def test_walks_every_page_in_order():
    fetch, asked = collecting({n: body(n, 3) for n in (1, 2, 3)})
    pages = list(numbered_pages(fetch))
    assert [page.items for page in pages] == [[1], [2], [3]]
    assert asked == [1, 2, 3]


def test_a_first_page_at_hand_is_not_fetched_again():
    fetch, asked = collecting({2: body(2, 2)})
    pages = list(numbered_pages(fetch, first=body(1, 2)))
    assert [page.number for page in pages] == [1, 2]
    assert asked == [2]


@pytest.mark.parametrize("total", [0, 1])
def test_a_single_or_empty_result_is_one_page(total):
    fetch, asked = collecting({})
    pages = list(numbered_pages(fetch, first=body(1, total, items=[])))
    assert len(pages) == 1 and asked == []


def test_a_growing_page_count_is_followed():
    fetch, asked = collecting({2: body(2, 3), 3: body(3, 3)})
    assert len(list(numbered_pages(fetch, first=body(1, 2)))) == 3
    assert asked == [2, 3]


def test_other_items_key():
    page = read_page({"page": 1, "total_pages": 1, "changes": ["x"]}, 1, items_key="changes")
    assert page.items == ["x"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "not a JSON object"),
        (body(1, 5), "asked for page 2, got page 1"),  # a server ignoring ?page= would loop
        ({"page": 2, "total_pages": "5", "results": []}, "no total_pages count"),
        ({"page": 2, "total_pages": True, "results": []}, "no total_pages count"),
        ({"page": 2, "total_pages": 5, "results": None}, "no results list"),
    ],
)
def test_broken_answers_are_refused(answer, message):
    fetch, _ = collecting({2: answer})
    with pytest.raises(PaginationError, match=message):
        list(numbered_pages(fetch, first=body(1, 5)))


def test_more_pages_than_allowed_is_refused_before_fetching_them():
    fetch, asked = collecting({n: body(n, 10_000) for n in (2, 3)})
    with pytest.raises(PaginationError, match="more than 3 pages"):
        list(numbered_pages(fetch, first=body(1, 10_000), max_pages=3))
    assert asked == [2, 3]
