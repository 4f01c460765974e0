"""The six searches: their bodies, and their results on real query semantics (osmem-server)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from exporter import search as searches
from exporter.cli import main as export_main
from exporter.clients import Credentials, connect
from tests.exporter.es_proxy import EsProxy
from tests.exporter.warehouse import BASE_TIME, Warehouse


@pytest.fixture(scope="module")
def indexed(osmem_server, tmp_path_factory):
    """300 generated blends exported once into an osmem clone: (url, rows)."""
    folder = tmp_path_factory.mktemp("search")
    warehouse = Warehouse(folder / "warehouse.db", seed=11)
    rows = warehouse.add(0, 300, BASE_TIME)
    clone = osmem_server.clone()
    code = export_main(
        ["--duckdb-path", str(warehouse.path), "--es-url", clone.url, "--no-progress"]
        + ["--state-file", str(folder / "state.json"), "--dead-letter", str(folder / "d.ndjson")]
    )
    assert code == 0
    yield clone.url, rows
    clone.close()


@pytest.fixture(scope="module")
def client(indexed):
    return connect(indexed[0], Credentials(), "opensearch").client


def ids(result) -> list[str]:
    return [hit["blend_id"] for hit in result.hits]


def by_score(rows, key="quality_score", reverse=True):
    return [
        r["blend_id"]
        for r in sorted(rows, key=lambda r: (-r[key] if reverse else r[key], r["blend_id"]))
    ]


def test_query_bodies_are_the_seeds():
    assert searches.excellent_query(0.8)["query"] == {
        "bool": {
            "must": [
                {"range": {"quality_score": {"gte": 0.8}}},
                {"term": {"quality_category": "excellent"}},
            ]
        }
    }
    assert searches.excellent_query()["sort"] == [
        {"quality_score": {"order": "desc"}},
        {"blend_id": {"order": "asc"}},
    ]
    smooth = searches.smooth_query()["query"]["bool"]
    assert smooth["filter"] == [{"range": {"l2_velocity_max": {"lte": 2.0}}}]
    assert {"term": {"has_rough_transition": False}} in smooth["must"]
    motion = searches.by_motion_query("abc123")["query"]["bool"]
    assert motion["minimum_should_match"] == 1 and len(motion["should"]) == 2
    distribution = searches.quality_distribution_query()
    assert distribution["size"] == 0
    assert distribution["aggs"]["quality_histogram"]["histogram"]["interval"] == 0.1
    issues = searches.issues_query()
    assert set(issues["aggs"]["issue_types"]["filters"]["filters"]) == {
        "velocity_spikes",
        "rough_transitions",
        "distribution_mismatches",
    }


def test_excellent_sorted_with_source_filtering_and_search_after(client, indexed):
    _, rows = indexed
    expected = by_score([r for r in rows if r["quality_score"] >= 0.8])
    assert expected  # the generated scores are uniform: about 60 of 300
    result = searches.search(
        client, searches.excellent_query(), size=1000, fields=["blend_id", "quality_score"]
    )
    assert ids(result) == expected and result.total == len(expected)
    assert set(result.hits[0]) == {"blend_id", "quality_score"}
    pages, after = [], None
    while True:
        page = searches.search(
            client, searches.excellent_query(), size=7, search_after=after, fields=["blend_id"]
        )
        if not page.hits:
            break
        pages += ids(page)
        after = page.next_after
    assert pages == expected


def test_smooth_diverse_and_by_motion(client, indexed):
    _, rows = indexed
    smooth = [
        r
        for r in rows
        if r["transition_smoothness"] >= 0.85
        and not r["has_rough_transition"]
        and r["l2_velocity_max"] <= 2.0
    ]
    result = searches.search(client, searches.smooth_query(), size=1000)
    assert ids(result) == by_score(smooth, "transition_smoothness")
    diverse = [r for r in rows if r["coverage"] >= 0.9]
    result = searches.search(client, searches.diverse_query(), size=1000)
    assert ids(result) == by_score(diverse, "global_diversity")
    threshold = sorted(r["global_diversity"] for r in diverse)[len(diverse) // 2]
    narrowed = [r for r in diverse if r["global_diversity"] >= threshold]
    result = searches.search(client, searches.diverse_query(min_diversity=threshold), size=1000)
    assert 0 < len(narrowed) < len(diverse)
    assert ids(result) == by_score(narrowed, "global_diversity")
    motion = [r for r in rows if "motion-005" in (r["left_motion_id"], r["right_motion_id"])]
    result = searches.search(client, searches.by_motion_query("motion-005"), size=1000)
    assert motion and ids(result) == by_score(motion)


def test_quality_distribution_aggregations(client, indexed):
    _, rows = indexed
    result = searches.search(client, searches.quality_distribution_query())
    assert result.hits == []
    assert result.aggregations["quality_categories"] == dict(
        Counter(r["quality_category"] for r in rows)
    )
    mean = sum(r["quality_score"] for r in rows) / len(rows)
    assert result.aggregations["avg_quality"] == pytest.approx(mean, rel=1e-6)
    histogram = {round(k, 1): v for k, v in result.aggregations["quality_histogram"].items()}
    expected = Counter(round(math.floor(r["quality_score"] / 0.1) * 0.1, 1) for r in rows)
    assert histogram == dict(expected)


def test_issues_filters(client, indexed):
    _, rows = indexed
    flagged = [
        r
        for r in rows
        if r["has_velocity_spike"] or r["has_rough_transition"] or r["has_distribution_mismatch"]
    ]
    result = searches.search(client, searches.issues_query(), size=1000)
    assert result.total == len(flagged)
    assert ids(result) == by_score(flagged, reverse=False)
    assert result.aggregations["issue_types"] == {
        "velocity_spikes": sum(r["has_velocity_spike"] for r in rows),
        "rough_transitions": sum(r["has_rough_transition"] for r in rows),
        "distribution_mismatches": sum(r["has_distribution_mismatch"] for r in rows),
    }


def test_cli_and_the_elasticsearch_client(indexed, capsys):
    url, rows = indexed
    best = by_score(rows)[0]
    assert searches.main(["--es-url", url, "--size", "3", "excellent", "--min-score", "0.9"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith(best)
    after = out.split("--after ")[1].strip().strip("'")
    assert searches.main(["--es-url", url, "--size", "3", "--after", after, "excellent"]) == 0
    second = capsys.readouterr().out.splitlines()[2]
    assert second.startswith(by_score([r for r in rows if r["quality_score"] >= 0.8])[3])
    with EsProxy(url) as proxy:
        client = connect(proxy.url, Credentials(), "auto").client
        result = searches.search(client, searches.quality_distribution_query())
        assert proxy.compat_versions == {"9"}
    assert sum(result.aggregations["quality_categories"].values()) == len(rows)
