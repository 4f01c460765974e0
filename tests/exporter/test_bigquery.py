"""The BigQuery source through the official client against bqemulator, exported into osmem."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.exporter import bqemulator
from tests.exporter.conftest import documents
from tests.exporter.warehouse import BASE_TIME, row

PROJECT, DATASET, TABLE = "demo-project", "marts", "blend_quality_metrics"
_BQ_TYPES = {"VARCHAR": "STRING", "DOUBLE": "FLOAT64", "BIGINT": "INT64", "BOOLEAN": "BOOL"}

# `make test` (and so CI) builds the emulator's virtualenv first: there, its absence is a failure,
# never a silent skip of the BigQuery path.
pytestmark = pytest.mark.skipif(
    not bqemulator.available() and not os.environ.get("CI"),
    reason="bqemulator not installed (make test installs it)",
)


@pytest.fixture(scope="module")
def bigquery_url(tmp_path_factory):
    with bqemulator.bqemulator(PROJECT, tmp_path_factory.mktemp("bq") / "bq.log") as url:
        yield url


def test_bigquery_source_full_then_incremental(bigquery_url, osmem_url, warehouse, export):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": bigquery_url},
    )
    # The table as Fivetran writes it into BigQuery: l_2_... names, TIMESTAMP stamps.
    layout = warehouse  # only its column names and types: the rows go to BigQuery
    fields = [
        bigquery.SchemaField(name, "TIMESTAMP" if "TIME" in kind else _BQ_TYPES[kind])
        for name, kind in zip(layout.names, layout.columns_types(), strict=True)
    ]
    client.create_dataset(DATASET, exists_ok=True)
    table = client.create_table(bigquery.Table(f"{PROJECT}.{DATASET}.{TABLE}", schema=fields))

    def insert(rows):
        payload = []
        for values in rows:
            record = {}
            for name, field in zip(layout.names, layout.fields, strict=True):
                value = values.get(field)
                record[name] = value.isoformat() if hasattr(value, "isoformat") else value
            payload.append(record)
        assert client.insert_rows_json(table, payload) == []

    import random

    rng = random.Random(3)
    first = [row(i, BASE_TIME + timedelta(minutes=i), rng) for i in range(12)]
    first[4]["_fivetran_deleted"] = True
    first[5]["l2_velocity_mean"] = None
    insert(first)
    args = ["--source", "bigquery", "--bq-endpoint", bigquery_url, "--bq-project", PROJECT]
    args += ["--bq-dataset", DATASET, "--batch-size", "5"]
    run = export(osmem_url, *args, "--verify")
    assert run.code == 0, run.err
    assert (run.figure("read"), run.figure("indexed"), run.figure("deleted")) == (12, 11, 0)
    assert run.figure("skipped") == 1  # the deleted row: nothing to delete yet
    assert "verify: ok" in run.out
    docs = documents(osmem_url)
    assert len(docs) == 11 and docs["blend-0000005"]["_source"]["l2_velocity_mean"] is None
    assert docs["blend-0000003"]["_source"]["computed_at"] == "2026-11-01T00:02:55.000000Z"

    later = [row(i, BASE_TIME + timedelta(days=1), rng) for i in range(12, 15)]
    insert(later)
    again = export(osmem_url, *args)
    # @since = watermark (00:11) minus 15 minutes: rows from 00:00 are read again, then skipped.
    assert again.code == 0, again.err
    assert (again.figure("indexed"), again.figure("read")) == (3, 15)
    assert len(documents(osmem_url)) == 14
