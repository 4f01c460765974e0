"""Loopback simulator of the Manufacturing MSO API (``GET /mso_data``), for connector tests.

Behaviour modelled on the public connector README (seed 002):

* ``GET /mso_data?page_size=N[&cursor=C]``, key in header ``api_key`` (``x-api-key`` also works).
* ``page_size`` 1-200, default 100; anything else (or a non-integer) -> 400 ``{"error": ...}``.
  An unknown cursor -> 400. Missing/wrong key -> 401 (checked before parameters).
* 200 -> ``{"mso_records": [...], "next_cursor": "<32 hex>" | null, "has_more": bool}``.
* Records have a stable order and new ones are appended at the end. A cursor is an opaque random
  token mapped server-side to a start offset (one stable token per offset), so re-requesting the
  cursor that fetched the last page returns that page again plus anything appended since. An empty
  ``cursor=`` is treated like no cursor (first page).

Records are derived deterministically from ``(seed, index)`` on demand, so 100,000 records cost
nothing until served. About 2% of the optional values (everything except ``record_id``) are null.

Run standalone for demos: ``python -m tests.mso.simulator --records 600 --api-key K``.

``cache_pages=True`` (CLI ``--cache-pages``), for benchmarks: keep each page's encoded body per
``(offset, page_size)`` and serve it again as bytes while the data, ``extra_fields`` and the record
count are unchanged. Building and encoding a 200-record page costs ~10 ms, which alone would cap a
client at ~14k records/s; a cached page costs only the HTTP exchange. Pages shaped by a pagination
fault are never cached. Off by default: tests see exactly the uncached behaviour.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import threading
import uuid
from typing import Any

from tests.simulators.base import Faults, LoopbackApi, Request, Response, serve_forever_cli

DEFAULT_API_KEY = "test-api-key"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200
NULL_RATE = 0.02

MATERIALS = [
    "Aluminum 6061",
    "Aluminum 7075",
    "Stainless Steel 304",
    "Stainless Steel 316",
    "Carbon Steel AISI 1020",
    "Titanium Ti-6Al-4V",
    "ABS Plastic",
    "Polycarbonate",
    "Nylon 6/6",
    "PEEK",
    "Carbon Fiber Composite",
    "Glass Fiber Composite",
    "Copper C110",
    "Brass C360",
    "Inconel 718",
]
CAD_SYSTEMS = ["Autodesk Inventor", "SolidWorks", "Siemens NX", "CATIA", "PTC Creo"]
DESIGNER_NAMES = [
    "Alice Johnson",
    "Bob Smith",
    "Carla Gómez",
    "Deepak Patel",
    "Elena Rossi",
    "Feng Li",
    "Grace O'Neill",
    "Hiro Tanaka",
    "Ines Müller",
    "Jamal Brown",
    "Katarzyna Nowak",
    "Liam Murphy",
]
SELECTION_RECOMMENDATIONS = [
    "Use lighter alloy",
    "Switch to composite",
    "Keep current material",
    "Increase wall thickness",
    "Use recycled grade",
    "Evaluate polymer alternative",
]
OPTIMIZATION_RECOMMENDATIONS = [
    "Reduce material thickness",
    "Topology optimization",
    "Nest parts to cut scrap",
    "Change supplier grade",
    "Adopt additive manufacturing",
    "No further optimization",
]
LIFECYCLE_STAGES = ["Design", "Development", "Production", "Maturity", "End of Life"]
LIFECYCLE_STATUSES = ["Active", "In Review", "On Hold", "Completed", "Discontinued"]
SKILL_LEVELS = ["Beginner", "Intermediate", "Advanced", "Expert"]
EPOCH = dt.date(2022, 1, 1)


def generate_record(index: int, seed: int = 0) -> dict[str, Any]:
    """The record at position ``index`` (deterministic in ``seed, index``)."""
    rng = random.Random(seed * 1_000_003 + index)
    designer = rng.randrange(len(DESIGNER_NAMES) * 4)
    selected = EPOCH + dt.timedelta(days=rng.randrange(3 * 365))
    optimized = selected + dt.timedelta(days=rng.randrange(1, 181))
    record: dict[str, Any] = {
        "record_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "material_id": f"MTRL_{index:04d}",
        "material_name": rng.choice(MATERIALS),
        "product_id": f"PROD_{index:04d}",
        "product_name": f"Product {index + 1}",
        "product_description": f"Description of product {index + 1}",
        "designer_id": f"DSGN_{designer:04d}",
        "designer_name": DESIGNER_NAMES[designer % len(DESIGNER_NAMES)],
        "cad_system": rng.choice(CAD_SYSTEMS),
        "cad_file_name": f"File {index + 1}.dwg",
        "material_cost": rng.uniform(5.0, 500.0),
        "material_weight": rng.uniform(10.0, 100.0),
        "material_waste": rng.uniform(0.0, 25.0),
        "density": rng.uniform(0.9, 8.9),
        "youngs_modulus": rng.uniform(1.0, 400.0),
        "poissons_ratio": rng.uniform(0.2, 0.45),
        "designer_experience": rng.randint(1, 30),
        "material_selection_date": selected.isoformat(),
        "material_optimization_date": optimized.isoformat(),
        "material_selection_score": rng.uniform(0.0, 100.0),
        "material_optimization_score": rng.uniform(0.0, 100.0),
        "material_selection_recommendation": rng.choice(SELECTION_RECOMMENDATIONS),
        "material_optimization_recommendation": rng.choice(OPTIMIZATION_RECOMMENDATIONS),
        "cost_savings": rng.uniform(0.0, 5000.0),
        "weight_reduction": rng.uniform(0.0, 30.0),
        "performance_improvement": rng.uniform(0.0, 25.0),
        "waste_reduction": rng.uniform(0.0, 40.0),
        "product_lifecycle_stage": rng.choice(LIFECYCLE_STAGES),
        "product_lifecycle_status": rng.choice(LIFECYCLE_STATUSES),
        "designer_skill_level": rng.choice(SKILL_LEVELS),
    }
    for name in record:
        if name != "record_id" and rng.random() < NULL_RATE:
            record[name] = None
    return record


RECORD_FIELDS = tuple(generate_record(0))


class MsoFaults(Faults):
    """Base fault knobs plus MSO pagination misbehaviours (applied to the next 200 pages)."""

    def repeat_cursor_next(self, n: int = 1) -> None:
        """Next ``n`` pages return ``has_more: true`` and the cursor that fetched them (a loop)."""
        self.arm("repeat_cursor", n)

    def has_more_without_cursor_next(self, n: int = 1) -> None:
        """Next ``n`` pages return ``has_more: true`` with ``next_cursor: null``."""
        self.arm("has_more_without_cursor", n)


class MsoSimulator(LoopbackApi):
    faults: MsoFaults

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        record_count: int = 600,
        seed: int = 0,
        extra_fields: dict[str, Any] | None = None,
        port: int = 0,
        cache_pages: bool = False,
    ) -> None:
        super().__init__(port=port)
        self.api_key = api_key
        self.seed = seed
        # Unknown fields added to every served record (may be changed at runtime).
        self.extra_fields: dict[str, Any] = dict(extra_fields or {})
        self._state_lock = threading.Lock()
        self._count = record_count
        self._overrides: dict[int, dict[str, Any]] = {}
        self._key = f"mso-simulator-{seed}".encode()
        self._mask = hashlib.blake2b(b"cursor-mask", key=self._key, digest_size=8).digest()
        # Opt-in page cache (see the module docstring): encoded bodies per (offset, page_size),
        # valid for one generation of the data (record count, edits, extra_fields).
        self.cache_pages = cache_pages
        self._data_version = 0  # bumped by every edit of the served data
        self._cache_lock = threading.Lock()
        self._page_cache: dict[tuple[int, int], bytes] = {}
        self._cache_generation: tuple | None = None
        self.route("GET", "/mso_data", self._get_mso_data)

    def make_faults(self) -> MsoFaults:
        return MsoFaults()

    # -- data knobs -----------------------------------------------------------------------------

    @property
    def record_count(self) -> int:
        with self._state_lock:
            return self._count

    def append_records(self, n: int) -> range:
        """Append ``n`` new records at the end; returns their indexes."""
        with self._state_lock:
            start = self._count
            self._count += n
            self._data_version += 1
            return range(start, self._count)

    def update_record(self, index: int, **fields: Any) -> dict[str, Any]:
        """Change fields of an existing record in place (position unchanged); returns it."""
        with self._state_lock:
            if not 0 <= index < self._count:
                raise IndexError(index)
            self._overrides.setdefault(index, {}).update(fields)
            self._data_version += 1
        return self.record(index)

    def record(self, index: int) -> dict[str, Any]:
        """The record exactly as the API currently serves it."""
        record = generate_record(index, self.seed)
        with self._state_lock:
            record.update(self._overrides.get(index, {}))
        record.update(self.extra_fields)
        return record

    def records(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Served records ``[start:stop]`` (defaults to all), for test expectations."""
        stop = self.record_count if stop is None else min(stop, self.record_count)
        return [self.record(i) for i in range(start, stop)]

    def cursor_offset(self, token: str | None) -> int | None:
        """Server-side offset behind a cursor token (for assertions; clients cannot decode it)."""
        try:
            raw = bytes.fromhex(token or "")
        except ValueError:
            return None
        if len(raw) != 16:
            return None
        offset = int.from_bytes(bytes(a ^ b for a, b in zip(raw[:8], self._mask, strict=True)))
        return offset if self._token_for(offset) == token else None

    def _token_for(self, offset: int) -> str:
        # The offset masked with a seed-derived key, plus a keyed MAC: opaque and unforgeable to
        # clients, yet valid in every simulator process with the same seed, so a cursor saved
        # by one demo run still works in the next.
        masked = bytes(a ^ b for a, b in zip(offset.to_bytes(8), self._mask, strict=True))
        mac = hashlib.blake2b(masked, key=self._key, digest_size=8).digest()
        return (masked + mac).hex()

    # -- route ----------------------------------------------------------------------------------

    def _get_mso_data(self, request: Request) -> Response:
        key = request.headers.get("api_key") or request.headers.get("x-api-key")
        if not key:
            return 401, {"error": "Missing API key"}, None
        if key != self.api_key:
            return 401, {"error": "Invalid API key"}, None

        raw_size = request.query.get("page_size", str(DEFAULT_PAGE_SIZE))
        try:
            page_size = int(raw_size)
        except ValueError:
            return 400, {"error": f"page_size must be an integer, got {raw_size!r}"}, None
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            return 400, {"error": f"page_size must be between 1 and {MAX_PAGE_SIZE}"}, None

        cursor = request.query.get("cursor") or None
        offset = 0
        if cursor is not None:
            offset = self.cursor_offset(cursor)
            if offset is None:
                return 400, {"error": "Invalid cursor"}, None

        with self._state_lock:
            count, data_version = self._count, self._data_version
        end = min(offset + page_size, count)
        has_more = offset + page_size < count
        next_cursor = self._token_for(end) if has_more else None
        faulted = True
        if self.faults.take("repeat_cursor"):
            has_more, next_cursor = True, self._token_for(offset)
        elif self.faults.take("has_more_without_cursor"):
            has_more, next_cursor = True, None
        else:
            faulted = False

        def build() -> dict[str, Any]:
            return {
                "mso_records": [self.record(i) for i in range(offset, end)],
                "next_cursor": next_cursor,
                "has_more": has_more,
            }

        if self.cache_pages and not faulted:
            return 200, self._cached_page((offset, page_size), (count, data_version), build), None
        return 200, build(), None

    def _cached_page(self, key: tuple[int, int], data: tuple[int, int], build) -> bytes:
        """The encoded page for ``key``, from the cache while the data generation is unchanged.

        The generation is the record count and data version read with the page's bounds, plus
        ``extra_fields`` (a public dict that tests may change in place). A page built while the
        data changed is stored under the old generation, which the next request discards.
        """
        extra = json.dumps(self.extra_fields, sort_keys=True, default=repr)
        generation = (*data, extra)
        with self._cache_lock:
            if generation != self._cache_generation:
                self._page_cache.clear()
                self._cache_generation = generation
            body = self._page_cache.get(key)
        if body is None:
            body = json.dumps(build()).encode()  # exactly what the base class would send
            with self._cache_lock:
                if generation == self._cache_generation:
                    self._page_cache[key] = body
        return body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loopback Manufacturing MSO API simulator")
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument(
        "--cache-pages",
        action="store_true",
        help="serve each page's encoded body from a cache (benchmarks: measure the client)",
    )
    args = parser.parse_args(argv)
    serve_forever_cli(
        lambda: MsoSimulator(
            api_key=args.api_key,
            record_count=args.records,
            seed=args.seed,
            port=args.port,
            cache_pages=args.cache_pages,
        ),
        verbose=args.verbose,
    )


if __name__ == "__main__":
    main()
