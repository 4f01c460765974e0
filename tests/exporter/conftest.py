"""Fixtures for the exporter: a generated warehouse, osmem-server clones, the ES proxy."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from exporter.cli import main
from tests.exporter.es_proxy import EsProxy
from tests.exporter.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.db")


@pytest.fixture
def es_proxy(osmem_url):
    """Elasticsearch's protocol in front of a fresh osmem clone (see es_proxy.py)."""
    with EsProxy(osmem_url) as proxy:
        yield proxy


@dataclass
class Run:
    code: int
    out: str
    err: str

    def figure(self, name: str) -> int:
        """A count from the summary line: `read 10, indexed 8, ...`."""
        match = re.search(rf"(?:^|[ :,]){re.escape(name)} (\d+)", self.out)
        if match is None:
            raise AssertionError(f"no {name!r} in {self.out!r}")
        return int(match[1])


@pytest.fixture
def export(tmp_path, warehouse, capsys):
    """`export(url, *extra_args)` runs the exporter in-process on the test's warehouse."""

    def run(url: str | None, *extra: str) -> Run:
        args = [
            "--duckdb-path",
            str(warehouse.path),
            "--state-file",
            str(tmp_path / "state" / "state.json"),
            "--dead-letter",
            str(tmp_path / "state" / "dead-letters.ndjson"),
            "--no-progress",
            "--backoff",
            "0.01",
        ]
        if url:
            args += ["--es-url", url]
        capsys.readouterr()
        code = main([*args, *extra])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def state_of(tmp_path: Path) -> dict:
    """The single target entry of the test's state file."""
    document = json.loads((tmp_path / "state" / "state.json").read_text())
    (entry,) = document.values()
    return entry


def documents(url: str, index: str = "mb_blends") -> dict[str, dict]:
    """Every document behind `index`: id -> {"_source": ..., "_version": ...}."""
    requests.post(f"{url}/{index}/_refresh", timeout=10)
    response = requests.post(
        f"{url}/{index}/_search",
        json={"size": 10000, "version": True, "query": {"match_all": {}}},
        timeout=30,
    )
    response.raise_for_status()
    return {h["_id"]: h for h in response.json()["hits"]["hits"]}
