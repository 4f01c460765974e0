"""The seed's exporter approach, for comparison: batches of 100, the client's default JSON
serializer, one worker, plain index actions (no versions), no watermark.

    python -m tests.benchmarks.seed_export DUCKDB_PATH URL INDEX

Rows are streamed with the exporter's own DuckDB reader and document builder (the seed
materialised the whole query result first), so the comparison isolates batching, serializer
and workers.
"""

import sys
import time

from opensearchpy import OpenSearch, helpers

from exporter.documents import DocumentBuilder
from exporter.sources.duckdb_table import DuckDBSource


def main(path: str, url: str, index: str) -> int:
    source = DuckDBSource(path, "tester", "blend_quality_metrics")
    builder = DocumentBuilder(source.columns, source.exact)
    client = OpenSearch([url], timeout=60)

    def actions():
        for page in source.read(active_only=True):
            for row in page:
                action = builder.action(row)
                yield {"_index": index, "_id": action.id, "_source": action.source}

    started = time.monotonic()
    indexed, errors = helpers.bulk(client, actions(), chunk_size=100, raise_on_error=False)
    print(f"indexed {indexed}, errors {len(errors)} in {time.monotonic() - started:.2f} s")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
