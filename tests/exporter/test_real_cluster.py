"""Against a real cluster when ELASTICSEARCH_URL is set (skipped otherwise; exporter/README.md)."""

from __future__ import annotations

import contextlib
import os
import uuid
from datetime import timedelta

import pytest

from exporter import search as searches
from exporter.clients import Credentials, connect
from exporter.index import body
from tests.exporter.warehouse import BASE_TIME

URL = os.environ.get("ELASTICSEARCH_URL")
pytestmark = pytest.mark.skipif(not URL, reason="ELASTICSEARCH_URL is not set")


def test_export_full_rebuild_and_search_on_a_real_cluster(warehouse, export):
    name = f"mbtest{uuid.uuid4().hex[:8]}"
    names = ["--es-index", f"{name}_v1", "--es-alias", name]
    api_key = os.environ.get("ELASTICSEARCH_API_KEY")
    key = ["--es-api-key", api_key] if api_key else []
    cluster = connect(URL, Credentials(api_key=api_key))
    try:
        warehouse.add(0, 50, BASE_TIME)
        first = export(URL, *names, *key, "--verify")
        assert first.code == 0 and first.figure("indexed") == 50 and "verify: ok" in first.out
        assert export(URL, *names, *key).figure("skipped") == 50
        warehouse.add(50, 5, BASE_TIME + timedelta(days=1))
        full = export(URL, *names, *key, "--mode", "full", "--prune", "--verify")
        assert full.code == 0 and full.figure("indexed") == 55 and "verify: ok" in full.out
        result = searches.search(cluster.client, searches.quality_distribution_query(), index=name)
        assert sum(result.aggregations["quality_categories"].values()) == 55
    finally:  # by name: Elasticsearch 8+ refuses wildcard deletes by default
        for index in body(cluster.client.indices.get(index=f"{name}_v*", allow_no_indices=True)):
            cluster.client.indices.delete(index=index)
        with contextlib.suppress(Exception):
            cluster.client.indices.delete_index_template(name=f"{name}_v_template")
