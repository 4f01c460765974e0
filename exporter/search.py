"""The seed's six searches over the `mb_blends` alias, as functions and a command line.

    python -m exporter.search excellent --min-score 0.8
    python -m exporter.search smooth | diverse | by-motion ID | quality-distribution | issues

Each `*_query` function returns the request body (the seed's query, with a sort ending in
`blend_id` so that `search_after` pages deterministically); `search()` runs one on either
engine and returns parsed hits, aggregations and the `search_after` key of the next page.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field

from exporter.clients import Credentials, connect
from exporter.index import body as response_body

DEFAULT_ALIAS = "mb_blends"


def _sorted_by(name: str, order: str = "desc") -> list[dict]:
    return [{name: {"order": order}}, {"blend_id": {"order": "asc"}}]


def excellent_query(min_score: float = 0.8) -> dict:
    return {
        "query": {
            "bool": {
                "must": [
                    {"range": {"quality_score": {"gte": min_score}}},
                    {"term": {"quality_category": "excellent"}},
                ]
            }
        },
        "sort": _sorted_by("quality_score"),
    }


def smooth_query(min_smoothness: float = 0.85, max_velocity: float = 2.0) -> dict:
    return {
        "query": {
            "bool": {
                "must": [
                    {"range": {"transition_smoothness": {"gte": min_smoothness}}},
                    {"term": {"has_rough_transition": False}},
                ],
                "filter": [{"range": {"l2_velocity_max": {"lte": max_velocity}}}],
            }
        },
        "sort": _sorted_by("transition_smoothness"),
    }


# The seed filtered on global_diversity >= 1.5, a figure of its own units. Ours are variances of
# body-size-normalised positions (a whole skeleton in motion is about 0.03, random noise about
# 0.13: motionblend/README.md), so no fixed threshold means "diverse": the search ranks by it,
# and --min-diversity narrows it for a given workspace.
DEFAULT_MIN_DIVERSITY = 0.0


def diverse_query(min_diversity: float = DEFAULT_MIN_DIVERSITY, min_coverage: float = 0.9) -> dict:
    return {
        "query": {
            "bool": {
                "must": [
                    {"range": {"global_diversity": {"gte": min_diversity}}},
                    {"range": {"coverage": {"gte": min_coverage}}},
                ]
            }
        },
        "sort": _sorted_by("global_diversity"),
    }


def by_motion_query(motion_id: str) -> dict:
    return {
        "query": {
            "bool": {
                "should": [
                    {"term": {"left_motion_id": motion_id}},
                    {"term": {"right_motion_id": motion_id}},
                ],
                "minimum_should_match": 1,
            }
        },
        "sort": _sorted_by("quality_score"),
    }


def quality_distribution_query(interval: float = 0.1) -> dict:
    return {
        "size": 0,
        "aggs": {
            "quality_categories": {"terms": {"field": "quality_category"}},
            "avg_quality": {"avg": {"field": "quality_score"}},
            "quality_histogram": {"histogram": {"field": "quality_score", "interval": interval}},
        },
    }


_FLAGS = {
    "velocity_spikes": "has_velocity_spike",
    "rough_transitions": "has_rough_transition",
    "distribution_mismatches": "has_distribution_mismatch",
}


def issues_query() -> dict:
    return {
        "query": {
            "bool": {
                "should": [{"term": {flag: True}} for flag in _FLAGS.values()],
                "minimum_should_match": 1,
            }
        },
        "aggs": {
            "issue_types": {
                "filters": {
                    "filters": {name: {"term": {flag: True}} for name, flag in _FLAGS.items()}
                }
            }
        },
        "sort": _sorted_by("quality_score", "asc"),
    }


@dataclass
class SearchResult:
    total: int
    hits: list[dict]  # each hit's _source, restricted to the requested fields
    aggregations: dict = field(default_factory=dict)
    next_after: list | None = None  # pass as search_after for the next page


def parse(response: dict) -> SearchResult:
    """Hits, their total, the aggregations in plain shapes, the next page's key."""
    hits = response["hits"]["hits"]
    total = response["hits"]["total"]
    total = total["value"] if isinstance(total, dict) else total
    aggregations = {}
    for name, value in (response.get("aggregations") or {}).items():
        buckets = value.get("buckets")
        if isinstance(buckets, list):  # terms, histogram
            aggregations[name] = {b["key"]: b["doc_count"] for b in buckets}
        elif isinstance(buckets, dict):  # filters
            aggregations[name] = {k: b["doc_count"] for k, b in buckets.items()}
        else:  # avg
            aggregations[name] = value.get("value")
    next_after = hits[-1].get("sort") if hits else None
    return SearchResult(total, [h.get("_source", {}) for h in hits], aggregations, next_after)


def search(
    client,
    query: dict,
    *,
    index: str = DEFAULT_ALIAS,
    size: int = 50,
    fields: list[str] | None = None,
    search_after: list | None = None,
) -> SearchResult:
    """Run a `*_query` body; `fields` filters `_source`; `search_after` continues a listing."""
    request = dict(query)
    request.setdefault("size", size)
    request["track_total_hits"] = True
    if fields:
        request["_source"] = fields
    if search_after is not None:
        request["search_after"] = search_after
    return parse(response_body(client.search(index=index, body=request)))


def _table(rows: list[dict], columns: list[str]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


COMMANDS = {
    "excellent": ("quality_score", "quality_category"),
    "smooth": ("transition_smoothness", "l2_velocity_max"),
    "diverse": ("global_diversity", "coverage"),
    "by-motion": ("left_motion_id", "right_motion_id", "quality_score"),
    "issues": ("quality_score", *_FLAGS.values()),
}


def build_query(args) -> dict:
    if args.command == "excellent":
        return excellent_query(args.min_score)
    if args.command == "smooth":
        return smooth_query(args.min_smoothness, args.max_velocity)
    if args.command == "diverse":
        return diverse_query(args.min_diversity, args.min_coverage)
    if args.command == "by-motion":
        return by_motion_query(args.motion_id)
    if args.command == "issues":
        return issues_query()
    return quality_distribution_query(args.interval)


def render(command: str, result: SearchResult) -> str:
    """A small text table of the hits, or of the aggregations."""
    out = []
    if command in COMMANDS:
        out.append(f"{result.total} blends")
        if result.hits:
            out.append(_table(result.hits, ["blend_id", *COMMANDS[command]]))
    for name, value in result.aggregations.items():
        if isinstance(value, dict):
            rows = [{name: k, "count": v} for k, v in value.items()]
            out.append(_table(rows, [name, "count"]))
        else:
            out.append(f"{name}: {_cell(value)}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m exporter.search", description=__doc__)
    p.add_argument("--es-url", default=os.environ.get("ELASTICSEARCH_URL"))
    p.add_argument("--es-api-key", default=os.environ.get("ELASTICSEARCH_API_KEY"))
    p.add_argument("--engine", choices=("auto", "elasticsearch", "opensearch"), default="auto")
    p.add_argument("--index", default=DEFAULT_ALIAS)
    p.add_argument("--size", type=int, default=10)
    p.add_argument("--after", type=json.loads, help="the next page's key printed by a listing")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("excellent").add_argument("--min-score", type=float, default=0.8)
    smooth = sub.add_parser("smooth")
    smooth.add_argument("--min-smoothness", type=float, default=0.85)
    smooth.add_argument("--max-velocity", type=float, default=2.0)
    diverse = sub.add_parser("diverse")
    diverse.add_argument("--min-diversity", type=float, default=DEFAULT_MIN_DIVERSITY)
    diverse.add_argument("--min-coverage", type=float, default=0.9)
    sub.add_parser("by-motion").add_argument("motion_id")
    sub.add_parser("quality-distribution").add_argument("--interval", type=float, default=0.1)
    sub.add_parser("issues")
    args = p.parse_args(argv)
    if not args.es_url:
        print("error: pass --es-url or set ELASTICSEARCH_URL", file=sys.stderr)
        return 1
    credentials = Credentials(
        api_key=args.es_api_key,
        username=os.environ.get("ELASTICSEARCH_USERNAME"),
        password=os.environ.get("ELASTICSEARCH_PASSWORD"),
    )
    cluster = connect(args.es_url, credentials, args.engine)
    fields = ["blend_id", *COMMANDS.get(args.command, ())]
    result = search(
        cluster.client,
        build_query(args),
        index=args.index,
        size=args.size,
        fields=fields,
        search_after=args.after,
    )
    print(render(args.command, result))
    if args.command in COMMANDS and len(result.hits) == args.size and result.next_after:
        print(f"next page: --after '{json.dumps(result.next_after)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
